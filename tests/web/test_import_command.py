"""Data import from the command line (manage.py import_data): legacy numbers and the sequence
after them, idempotent re-import, updates, references by number, every bad-input case, the
valid-rows-only choice, XLSX files, and that a file never reaches another tenant's rows."""

import datetime
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from openpyxl import Workbook

from agreements.models import AgreementLine, AgreementObject, AgreementState, AgreementTask
from customers.models import Customer, CustomerSite, Item, ServiceObject
from tenancy.context import tenant_scope
from tenancy.models import AuditEvent
from tenancy.services import sequence_next_number
from tests.factories import (
    AgreementFactory,
    AgreementGroupFactory,
    CustomerFactory,
    CustomerSiteFactory,
    ItemFactory,
    ServiceObjectFactory,
    ServiceTaskFactory,
)

pytestmark = pytest.mark.django_db


def run(tmp_path, tenant, kind, text, *flags, name="file.csv"):
    """Run the command on ``text`` (CSV) or bytes; returns (exit code, stdout lines, stderr)."""
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    out, err = io.StringIO(), io.StringIO()
    code = 0
    try:
        call_command(
            "import_data", "--tenant", tenant.slug, "--kind", kind, str(path), *flags,
            stdout=out, stderr=err,
        )  # fmt: skip
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue().strip().splitlines(), err.getvalue()


def counts(lines) -> str:
    return lines[-1]


# --- Customers: numbers, sequence, idempotence -------------------------------------------------


def test_number_and_name_are_enough_and_legacy_numbers_are_kept(tmp_path, tenant_a):
    code, out, err = run(tmp_path, tenant_a, "customers", "number,name\nK-77,Hotel A\nC-000120,B\n")
    assert code == 0, err
    assert counts(out) == "created=2 updated=0 failed=0"
    assert set(Customer.objects.filter(tenant=tenant_a).values_list("number", flat=True)) == {
        "K-77",
        "C-000120",
    }
    # The sequence continues after the highest number of its own shape.
    with tenant_scope(tenant_a):
        assert sequence_next_number(tenant=tenant_a, key="customer") == "C-000121"


def test_rows_without_a_number_get_the_next_ones(tmp_path, tenant_a):
    CustomerFactory(tenant=tenant_a, number="C-000003")
    code, out, _ = run(tmp_path, tenant_a, "customers", "number,name\nC-000005,Five\n,New one\n")
    assert code == 0
    assert Customer.objects.get(tenant=tenant_a, name="New one").number == "C-000006"


def test_importing_twice_creates_nothing_twice_and_updates(tmp_path, tenant_a):
    text = "number,name,email,active\nL1,Alpha,a@x.test,yes\nL2,Beta,,no\n"
    assert counts(run(tmp_path, tenant_a, "customers", text)[1]) == "created=2 updated=0 failed=0"
    assert counts(run(tmp_path, tenant_a, "customers", text)[1]) == "created=0 updated=2 failed=0"
    assert Customer.objects.filter(tenant=tenant_a).count() == 2
    run(tmp_path, tenant_a, "customers", "number,name\nL1,Alpha Ltd\n")
    alpha = Customer.objects.get(tenant=tenant_a, number="L1")
    # Only the columns in the file change.
    assert (alpha.name, alpha.email, alpha.is_active) == ("Alpha Ltd", "a@x.test", True)
    assert not Customer.objects.get(tenant=tenant_a, number="L2").is_active
    assert AuditEvent.objects.filter(tenant=tenant_a, action="import.run").count() == 3


def test_dry_run_saves_nothing_and_says_what_would_happen(tmp_path, tenant_a):
    code, out, _ = run(tmp_path, tenant_a, "customers", "number,name\nX1,One\n", "--dry-run")
    assert code == 0
    assert counts(out) == "created=1 updated=0 failed=0"
    assert not Customer.objects.filter(tenant=tenant_a).exists()


# --- Bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("number,name,colour\nA1,One,red\nA2,Two,blue\n", "Unknown column “colour”"),
        ("number,nme\nA1,One\nA2,Two\n", "Unknown column “nme”"),
    ],
)
def test_unknown_columns_fail_every_row(tmp_path, tenant_a, text, message):
    code, out, err = run(tmp_path, tenant_a, "customers", text)
    assert code == 1
    assert counts(out) == "created=0 updated=0 failed=2"
    assert err.count(message) == 2
    assert not Customer.objects.filter(tenant=tenant_a).exists()


def test_a_wrong_date_fails_its_row_and_nothing_is_saved(tmp_path, tenant_a):
    customer = CustomerFactory(tenant=tenant_a, number="C1")
    text = "number,name,customer,install_date\nO1,Boiler,C1,2024-05-01\nO2,Pump,C1,01.05.2024\n"
    code, out, err = run(tmp_path, tenant_a, "objects", text)
    assert code == 1
    assert counts(out) == "created=0 updated=0 failed=1"
    assert "row 3 (O2): install_date: Write the date as YYYY-MM-DD" in err
    assert not ServiceObject.objects.filter(customer=customer).exists()


def test_valid_only_saves_the_valid_rows(tmp_path, tenant_a):
    CustomerFactory(tenant=tenant_a, number="C1")
    text = "number,name,customer,install_date\nO1,Boiler,C1,2024-05-01\nO2,Pump,C1,2024-13-01\n"
    code, out, _ = run(tmp_path, tenant_a, "objects", text, "--valid-only")
    assert code == 0
    assert counts(out) == "created=1 updated=0 failed=1"
    assert list(ServiceObject.objects.filter(tenant=tenant_a).values_list("number", flat=True)) == [
        "O1"
    ]


def test_a_number_used_twice_in_the_file_fails_both_rows_after_the_first(tmp_path, tenant_a):
    code, out, err = run(tmp_path, tenant_a, "customers", "number,name\nD1,One\nD1,Again\nD2,Two\n")
    assert code == 1
    assert counts(out) == "created=0 updated=0 failed=1"
    assert "row 3 (D1): number: D1 appears twice in the file (also on row 2)." in err
    assert not Customer.objects.filter(tenant=tenant_a).exists()


def test_a_missing_reference_or_another_tenants_record_is_an_error(tmp_path, tenant_a, tenant_b):
    CustomerFactory(tenant=tenant_b, number="THEIRS")
    CustomerFactory(tenant=tenant_a, number="OURS")
    text = "customer,name,street,city\nTHEIRS,Depot,Main St 1,Krakow\nNOPE,Shop,Side St 2,Krakow\n"
    code, out, err = run(tmp_path, tenant_a, "sites", text)
    assert code == 1
    assert counts(out) == "created=0 updated=0 failed=2"
    assert "customer: No customer “THEIRS” exists." in err
    assert "customer: No customer “NOPE” exists." in err
    assert not CustomerSite.objects.exists()


def test_a_file_over_the_size_limit_is_refused(tmp_path, tenant_a, settings):
    settings.IMPORT_MAX_BYTES = 100
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="larger than"):
        run(tmp_path, tenant_a, "customers", "number,name\n" + "X,Name\n" * 50)


def test_a_file_cannot_touch_another_tenants_rows(tmp_path, tenant_a, tenant_b):
    theirs = CustomerFactory(tenant=tenant_b, number="SAME", name="Tenant B's customer")
    code, out, _ = run(tmp_path, tenant_a, "customers", "number,name\nSAME,Changed by A\n")
    assert code == 0
    assert counts(out) == "created=1 updated=0 failed=0"
    theirs.refresh_from_db()
    assert theirs.name == "Tenant B's customer"
    assert Customer.objects.get(tenant=tenant_a, number="SAME").name == "Changed by A"
    # Nor through a reference: B's item is not found from A.
    ItemFactory(tenant=tenant_b, number="ITEM-B")
    code, _, err = run(
        tmp_path, tenant_a, "objects", "number,name,customer,item\nO1,Unit,SAME,ITEM-B\n"
    )
    assert code == 1
    assert "item: No item “ITEM-B” exists." in err


# --- Sites, objects, items ---------------------------------------------------------------------


def test_sites_are_keyed_by_customer_and_name_and_one_stays_default(tmp_path, tenant_a):
    customer = CustomerFactory(tenant=tenant_a, number="C1")
    old = CustomerSiteFactory(customer=customer, name="Old", is_default=True)
    text = (
        "customer,name,street,city,default\nC1,Plant,Road 1,Gdansk,yes\nC1,Office,Road 2,Gdansk,\n"
    )
    assert counts(run(tmp_path, tenant_a, "sites", text)[1]) == "created=2 updated=0 failed=0"
    old.refresh_from_db()
    assert not old.is_default
    assert CustomerSite.objects.get(customer=customer, name="Plant").is_default
    code, out, _ = run(tmp_path, tenant_a, "sites", "customer,name,city\nC1,plant,Sopot\n")
    assert counts(out) == "created=0 updated=1 failed=0"
    assert CustomerSite.objects.get(customer=customer, name="Plant").city == "Sopot"


def test_objects_reference_customer_site_item_group_and_parent_by_number(tmp_path, tenant_a):
    customer = CustomerFactory(tenant=tenant_a, number="C1")
    site = CustomerSiteFactory(customer=customer, name="Plant")
    item = ItemFactory(tenant=tenant_a, number="BOILER-9")
    text = (
        "number,name,customer,site,item,serial_number,parent,install_date\n"
        "M-2,Burner,C1,Plant,,,M-1,\n"
        "M-1,Boiler,C1,Plant,BOILER-9,SN1,,2020-02-29\n"
    )
    code, out, err = run(tmp_path, tenant_a, "objects", text)
    assert code == 0, err
    boiler = ServiceObject.objects.get(tenant=tenant_a, number="M-1")
    assert (boiler.site, boiler.item, boiler.install_date) == (
        site,
        item,
        datetime.date(2020, 2, 29),
    )
    assert ServiceObject.objects.get(tenant=tenant_a, number="M-2").parent == boiler


def test_an_unknown_site_a_serial_twice_and_a_cycle_are_errors(tmp_path, tenant_a):
    customer = CustomerFactory(tenant=tenant_a, number="C1")
    item = ItemFactory(tenant=tenant_a, number="I1")
    ServiceObjectFactory(tenant=tenant_a, customer=customer, item=item, serial_number="TAKEN")
    text = (
        "number,name,customer,site,item,serial_number,parent\n"
        "A,One,C1,Nowhere,,,\n"
        "B,Two,C1,,I1,TAKEN,\n"
        "C,Three,C1,,,,D\n"
        "D,Four,C1,,,,C\n"
    )
    code, _, err = run(tmp_path, tenant_a, "objects", text)
    assert code == 1
    assert "site: Customer C1 has no site “Nowhere”." in err
    assert "serial_number: This serial number is already registered for this item." in err
    assert "parent: An object cannot be part of itself" in err


def test_items_with_prices_and_a_wrong_number(tmp_path, tenant_a):
    text = 'number,name,unit,cost_price,sales_price\nI-9,Filter,pcs,"12,50",20\nI-10,Belt,pcs,x,1\n'
    code, out, err = run(tmp_path, tenant_a, "items", text, "--valid-only")
    assert counts(out) == "created=1 updated=0 failed=1"
    assert Item.objects.get(tenant=tenant_a, number="I-9").cost_price == Decimal("12.50")
    assert "cost_price: Write a number such as 12.50" in err


def test_an_xlsx_file_reads_like_a_csv(tmp_path, tenant_a):
    CustomerFactory(tenant=tenant_a, number="C1")
    book = Workbook()
    sheet = book.active
    sheet.append(["number", "name", "customer", "install_date"])
    sheet.append(["X-1", "Chiller", "C1", datetime.datetime(2023, 7, 14)])
    buffer = io.BytesIO()
    book.save(buffer)
    code, out, err = run(tmp_path, tenant_a, "objects", buffer.getvalue(), name="objects.xlsx")
    assert code == 0, err
    obj = ServiceObject.objects.get(tenant=tenant_a, number="X-1")
    assert obj.install_date == datetime.date(2023, 7, 14)


# --- Agreements and lines ----------------------------------------------------------------------


def test_agreements_and_lines_with_generated_through(tmp_path, tenant_a):
    customer = CustomerFactory(tenant=tenant_a, number="C1")
    obj = ServiceObjectFactory(tenant=tenant_a, customer=customer, number="M-1")
    task = ServiceTaskFactory(tenant=tenant_a, code="INSPECT")
    AgreementGroupFactory(tenant=tenant_a, code="GOLD")
    agreements = (
        "number,customer,description,group,start_date,end_date,state\n"
        "SV-1001,C1,Boiler care,GOLD,2024-01-01,,active\n"
    )
    code, out, err = run(tmp_path, tenant_a, "agreements", agreements)
    assert code == 0, err
    lines = (
        "agreement,position,kind,object,task,interval_unit,interval_count,generated_through\n"
        "SV-1001,10,hour,M-1,INSPECT,month,3,2026-09-30\n"
    )
    code, out, err = run(tmp_path, tenant_a, "agreement_lines", lines)
    assert code == 0, err
    line = AgreementLine.objects.get(tenant=tenant_a)
    assert line.agreement.state == AgreementState.ACTIVE
    assert (line.service_object, line.task, line.interval_count) == (obj, task, 3)
    assert line.generated_through == datetime.date(2026, 9, 30)
    # The line's object and task are now covered by the agreement.
    assert AgreementObject.objects.filter(agreement=line.agreement, service_object=obj).exists()
    assert AgreementTask.objects.filter(agreement=line.agreement, task=task).exists()
    # Again: the same line is updated, not added.
    code, out, _ = run(tmp_path, tenant_a, "agreement_lines", lines.replace(",3,", ",6,"))
    assert counts(out) == "created=0 updated=1 failed=0"
    line.refresh_from_db()
    assert line.interval_count == 6
    with tenant_scope(tenant_a):
        assert sequence_next_number(tenant=tenant_a, key="agreement") == "AG-000001"


def test_line_errors_another_customers_object_and_dates_outside(tmp_path, tenant_a):
    customer = CustomerFactory(tenant=tenant_a, number="C1")
    other = CustomerFactory(tenant=tenant_a, number="C2")
    ServiceObjectFactory(tenant=tenant_a, customer=other, number="M-9")
    AgreementFactory(
        tenant=tenant_a, customer=customer, number="SV-1", start_date=datetime.date(2025, 1, 1)
    )
    lines = (
        "agreement,position,object,interval_unit,start_date\n"
        "SV-1,10,M-9,month,2025-02-01\n"
        "SV-1,20,,month,2024-12-01\n"
        "SV-9,30,,month,\n"
    )
    code, out, err = run(tmp_path, tenant_a, "agreement_lines", lines)
    assert counts(out) == "created=0 updated=0 failed=3"
    assert "object: This object belongs to another customer" in err
    assert "start_date: The line cannot start before the agreement (2025-01-01)." in err
    assert "agreement: No service agreement “SV-9” exists." in err


SAMPLES = Path(__file__).resolve().parents[2] / "docs" / "import-samples"


def test_the_sample_files_of_docs_import_in_order(tenant_a):
    """docs/import-samples: each file imports cleanly after the ones before it."""
    AgreementGroupFactory(tenant=tenant_a, code="GOLD")
    ServiceTaskFactory(tenant=tenant_a, code="INSPECT")
    kinds = ["customers", "sites", "contacts", "items", "objects", "agreements", "agreement_lines"]
    for kind in kinds:
        out, err = io.StringIO(), io.StringIO()
        call_command(
            "import_data", "--tenant", tenant_a.slug, "--kind", kind, str(SAMPLES / f"{kind}.csv"),
            stdout=out, stderr=err,
        )  # fmt: skip
        assert out.getvalue().strip().splitlines()[-1].endswith("failed=0"), (kind, err.getvalue())
    assert Customer.objects.get(tenant=tenant_a, name="Bistro Mała Czarna").number == "C-000001"
    assert ServiceObject.objects.get(tenant=tenant_a, number="M-0452").parent.number == "M-0451"
    assert AgreementLine.objects.filter(tenant=tenant_a).count() == 3
