"""Constraint-error mapping with and without Citus shard suffixes (tenancy.integrity)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from sla.models import ServiceLevelAgreement
from tenancy.integrity import constraint_name_matches, save_unique, unique_violation
from tests.factories import ServiceLevelAgreementFactory

pytestmark = pytest.mark.django_db

NAME = "sla_sla_unique_code"


class _Diag:
    def __init__(self, constraint_name=None, message_primary=None):
        self.constraint_name = constraint_name
        self.message_primary = message_primary


class _DriverError(Exception):
    """Shaped like psycopg2's error: pgcode and diag."""

    def __init__(self, message, pgcode="23505", diag=None):
        super().__init__(message)
        self.pgcode = pgcode
        self.diag = diag or _Diag()


def _wrapped(message, **kwargs) -> IntegrityError:
    error = IntegrityError(message)
    error.__cause__ = _DriverError(message, **kwargs)
    return error


def test_a_real_postgresql_error_is_mapped(tenant_a):
    ServiceLevelAgreementFactory(tenant=tenant_a, code="GOLD")
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        ServiceLevelAgreement.objects.create(tenant=tenant_a, code="GOLD", name="Again")
    assert unique_violation(caught.value, [NAME]) == NAME
    assert unique_violation(caught.value, ["something_else"]) is None


def test_save_unique_turns_the_violation_into_a_field_error(tenant_a):
    ServiceLevelAgreementFactory(tenant=tenant_a, code="GOLD")
    duplicate = ServiceLevelAgreement(tenant=tenant_a, code="GOLD", name="Again")
    with pytest.raises(ValidationError) as caught:
        save_unique(duplicate, {NAME: ("code", "taken")})
    assert caught.value.message_dict == {"code": ["taken"]}
    with pytest.raises(IntegrityError):
        save_unique(duplicate, {"another_constraint": ("code", "taken")})


@pytest.mark.parametrize(
    ("diag_name", "message"),
    [
        # Citus: no constraint name in the diagnostics, the shard's name in the message.
        (None, f'duplicate key value violates unique constraint "{NAME}_102021"'),
        (f"{NAME}_102021", f'duplicate key value violates unique constraint "{NAME}_102021"'),
        (NAME, "anything"),
        (None, f'duplicate key value violates unique constraint "{NAME}"'),
    ],
)
def test_shard_suffixes_and_missing_diagnostics(diag_name, message):
    error = _wrapped(message, diag=_Diag(diag_name))
    assert unique_violation(error, ["other", NAME]) == NAME


def test_other_integrity_errors_are_not_conflicts():
    not_null = _wrapped('null value in column "code" violates not-null constraint', pgcode="23502")
    assert unique_violation(not_null, [NAME]) is None
    exclusion = _wrapped('conflicting key value violates exclusion constraint "x_no_overlap_7"')
    exclusion.__cause__.pgcode = "23P01"
    assert unique_violation(exclusion, ["x_no_overlap"]) == "x_no_overlap"


def test_names_that_only_share_a_prefix_do_not_match():
    assert not constraint_name_matches(f"{NAME}_extra", NAME)
    assert not constraint_name_matches(f"{NAME}_2_102021", NAME)
    assert not constraint_name_matches("sla_sla_unique_cod_102021", NAME)


def test_a_long_name_clipped_and_hashed_by_citus_matches():
    long_name = "service_orders_serviceorderline_unique_position_per_order"
    shard_name = f"{long_name[:40]}_1a2b3c4d_102044"
    assert constraint_name_matches(shard_name, long_name)
    assert not constraint_name_matches(shard_name, "service_orders_other_constraint")
