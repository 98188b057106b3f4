app_name = "service_orders"

urlpatterns: list = []
