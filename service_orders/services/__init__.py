"""Writes for service orders: ``orders`` (one order's lifecycle) and ``generation`` (orders
generated from agreements)."""
