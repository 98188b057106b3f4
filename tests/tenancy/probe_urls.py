"""A test-only URLconf: a view that reports what the database shows a request
(tests/tenancy/test_isolation.py)."""

from django.db import connection
from django.http import JsonResponse
from django.urls import path


def probe(request):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(current_setting('app.bypass_rls', true), ''), "
            "(SELECT count(*) FROM tenancy_auditevent)"
        )
        bypass, events = cursor.fetchone()
    tenant = getattr(request, "tenant", None)
    return JsonResponse(
        {"bypass": bypass, "tenant": tenant.pk if tenant else None, "events": events}
    )


urlpatterns = [path("probe/", probe)]
