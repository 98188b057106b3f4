"""Fieldline's database backend: PostgreSQL, made to route every statement to one tenant.

ENGINE = "tenancy.db_backend" (config/settings/base.py). See base.py and compiler.py.
"""
