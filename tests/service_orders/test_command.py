"""`manage.py generate_service_orders`: what an operator types and sees."""

import datetime
import io

import pytest
import time_machine
from django.core.management import CommandError, call_command

from agreements.models import Agreement, AgreementLine, AgreementState
from service_orders.models import GenerationRun, ServiceOrder
from tests.factories import AgreementFactory, AgreementLineFactory, CustomerFactory

pytestmark = pytest.mark.django_db

d = datetime.date


def weekly_agreement(tenant):
    agreement = AgreementFactory(
        customer=CustomerFactory(tenant=tenant),
        start_date=d(2026, 3, 30),  # Mondays
    )
    Agreement.objects.filter(pk=agreement.pk).update(state=AgreementState.ACTIVE)
    AgreementLineFactory(agreement=agreement, interval_unit="week")
    return agreement


def run_command(*args) -> list[str]:
    out = io.StringIO()
    call_command("generate_service_orders", *args, stdout=out)
    return out.getvalue().splitlines()


def test_generates_for_one_tenant_and_prints_one_line(tenant_a, tenant_b):
    weekly_agreement(tenant_a)
    weekly_agreement(tenant_b)

    output = run_command("--tenant", "alpha", "--from", "2026-04-01", "--to", "2026-04-30")

    assert output == ["created=4 skipped=0 failed=0"]
    assert ServiceOrder.objects.filter(tenant=tenant_a).count() == 4
    assert ServiceOrder.objects.filter(tenant=tenant_b).count() == 0
    assert GenerationRun.objects.get().trigger == "command"


def test_all_tenants_summed_and_a_second_run_skips_everything(tenant_a, tenant_b):
    weekly_agreement(tenant_a)
    weekly_agreement(tenant_b)
    broken = weekly_agreement(tenant_b)
    AgreementLine.objects.filter(agreement=broken).update(interval_unit="fortnight")

    first = run_command("--from", "2026-04-01", "--to", "2026-04-30")
    second = run_command("--from", "2026-04-01", "--to", "2026-04-30")

    assert first == ["created=8 skipped=0 failed=1"]
    assert second == ["created=0 skipped=8 failed=1"]


def test_without_dates_the_daily_jobs_period_is_used(tenant_a):
    weekly_agreement(tenant_a)

    with time_machine.travel(datetime.datetime(2026, 4, 10, 6, tzinfo=datetime.UTC), tick=False):
        output = run_command("--tenant", "alpha")

    # 10 April .. 10 May (30 days' look-ahead): Mondays 13, 20, 27 April and 4 May.
    assert output == ["created=4 skipped=0 failed=0"]
    run = GenerationRun.objects.get()
    assert (run.period_start, run.period_end) == (d(2026, 4, 10), d(2026, 5, 10))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tenant", "nobody"], "Unknown or inactive tenant 'nobody'"),
        (["--from", "2026-04-30", "--to", "2026-04-01"], "--to 2026-04-01 is before --from"),
        (["--from", "2026-13-01"], "--from: '2026-13-01' is not a date (use YYYY-MM-DD)"),
        (["--to", "tomorrow"], "--to: 'tomorrow' is not a date"),
        (["--from", "2020-01-01", "--to", "2026-01-01"], "at most two years"),
    ],
)
def test_bad_arguments_are_refused_with_a_clear_message(tenant_a, args, message):
    weekly_agreement(tenant_a)

    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        run_command(*args)

    assert ServiceOrder.objects.count() == 0
