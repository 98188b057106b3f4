"""Writes for service orders: ``orders`` (one order's lifecycle), ``generation`` (orders
generated from agreements) and ``generation_settings`` (the tenant's settings for it)."""
