"""PostgreSQL with two changes that a database distributed by tenant (Citus) needs.

- GROUP BY lists every selected column instead of only the primary key. PostgreSQL accepts
  ``GROUP BY t.id`` because ``id`` is the primary key, but in the database the primary key of a
  tenant table is ``(tenant_id, id)`` and Citus wants the distribution column in the GROUP BY.
- SQL compilers that keep UPDATE and DELETE statements filtered by tenant_id (compiler.py).
"""

from django.db.backends.postgresql import base, features, operations


class DatabaseFeatures(features.DatabaseFeatures):
    allows_group_by_selected_pks = False


class DatabaseOperations(operations.DatabaseOperations):
    compiler_module = "tenancy.db_backend.compiler"


class DatabaseWrapper(base.DatabaseWrapper):
    features_class = DatabaseFeatures
    ops_class = DatabaseOperations
