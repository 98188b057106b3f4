"""The data import pages: upload, a preview of every row with its errors before anything is
saved, "Import" (all rows, or by choice the valid ones), double submit, size limit, who may
import, a constant number of queries, and the round trip: a list exported in the import
columns and imported into another tenant gives the same records."""

import csv
import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from agreements.models import AgreementLine
from customers.models import Customer, CustomerContact, CustomerSite, ServiceObject
from tenancy.models import AuditEvent
from tenancy.roles import Role
from tests.factories import (
    AgreementFactory,
    AgreementGroupFactory,
    AgreementLineFactory,
    AgreementObjectFactory,
    AgreementTaskFactory,
    CustomerContactFactory,
    CustomerFactory,
    CustomerSiteFactory,
    ImportBatchFactory,
    ItemFactory,
    ServiceObjectFactory,
    ServiceObjectGroupFactory,
    ServiceTaskFactory,
)
from web.models import ImportBatch

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(manager_a, client):
    client.force_login(manager_a)
    return client


def _token(client) -> str:
    page = client.get(reverse("imports:upload")).content.decode()
    return page.split('name="submission_token" value="')[1].split('"')[0]


def upload(client, kind, text, name="file.csv"):
    content = text.encode() if isinstance(text, str) else text
    return client.post(
        reverse("imports:upload"),
        {
            "kind": kind,
            "file": SimpleUploadedFile(name, content, "text/csv"),
            "submission_token": _token(client),
        },
    )


BAD_FILE = "number,name,email\nL-1,Hotel Wawel,desk@wawel.test\nL-2,Bistro,not-an-address\n"


def test_the_preview_shows_every_row_and_saves_nothing(manager, tenant_a):
    response = upload(manager, "customers", BAD_FILE)
    batch = ImportBatch.objects.get(tenant=tenant_a)
    assert response.url == reverse("imports:batch", args=[batch.pk])
    page = manager.get(response.url).content.decode()
    assert "L-1" in page and "L-2" in page
    assert "email: Enter a valid email address." in page
    assert 'data-testid="import-all"' not in page  # not every row is valid
    assert 'data-testid="import-valid"' in page
    assert not Customer.objects.filter(tenant=tenant_a).exists()


def test_import_all_is_refused_while_a_row_has_errors(manager, tenant_a):
    batch_url = upload(manager, "customers", BAD_FILE).url
    batch = ImportBatch.objects.get(tenant=tenant_a)
    response = manager.post(reverse("imports:run", args=[batch.pk]), {"mode": "all"}, follow=True)
    assert "Nothing was imported: 1 rows have errors." in response.content.decode()
    assert not Customer.objects.filter(tenant=tenant_a).exists()
    assert response.redirect_chain[-1][0] == batch_url


def test_the_valid_rows_only_by_choice(manager, tenant_a):
    upload(manager, "customers", BAD_FILE)
    batch = ImportBatch.objects.get(tenant=tenant_a)
    response = manager.post(reverse("imports:run", args=[batch.pk]), {"mode": "valid"}, follow=True)
    assert "Imported: 1 created, 0 updated." in response.content.decode()
    assert list(Customer.objects.filter(tenant=tenant_a).values_list("number", flat=True)) == [
        "L-1"
    ]
    event = AuditEvent.objects.get(tenant=tenant_a, action="import.run")
    assert event.params["failed"] == 1


def test_a_fixed_file_imports_every_row_once_even_when_sent_twice(manager, tenant_a):
    upload(manager, "customers", BAD_FILE.replace("not-an-address", "hello@bistro.test"))
    batch = ImportBatch.objects.get(tenant=tenant_a)
    url = reverse("imports:run", args=[batch.pk])
    first = manager.post(url, {"mode": "all"}, follow=True)
    second = manager.post(url, {"mode": "all"}, follow=True)
    assert "Imported: 2 created, 0 updated." in first.content.decode()
    assert "This file has already been imported." in second.content.decode()
    assert Customer.objects.filter(tenant=tenant_a).count() == 2
    assert AuditEvent.objects.filter(tenant=tenant_a, action="import.run").count() == 1


def test_a_double_submitted_upload_makes_one_batch(manager, tenant_a):
    token = _token(manager)
    for _ in range(2):
        manager.post(
            reverse("imports:upload"),
            {
                "kind": "customers",
                "file": SimpleUploadedFile("c.csv", b"number,name\nA,B\n"),
                "submission_token": token,
            },
        )
    assert ImportBatch.objects.filter(tenant=tenant_a).count() == 1


def test_rows_are_checked_again_when_imported(manager, tenant_a):
    """Between the preview and "Import" the data may change: a row that became wrong is
    caught then."""
    upload(manager, "sites", "customer,name,street,city\nC-9,Depot,Road 1,Riga\n")
    batch = ImportBatch.objects.get(tenant=tenant_a)
    assert batch.preview[0]["errors"]  # no customer C-9 yet
    CustomerFactory(tenant=tenant_a, number="C-9")
    manager.post(reverse("imports:run", args=[batch.pk]), {"mode": "all"})
    assert CustomerSite.objects.filter(tenant=tenant_a, name="Depot").exists()


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "empty.csv", "file is empty."),
        (b"number,name\n", "header.csv", "The file has a header but no rows."),
        (b"PK\x03\x04garbage", "broken.xlsx", "This is not a CSV or Excel file."),
        (b"\xff\xfen\x00a\x00", "utf16.csv", "Save the file as CSV in UTF-8"),
    ],
)
def test_an_unreadable_file_is_refused_beside_the_field(manager, tenant_a, content, name, message):
    response = upload(manager, "customers", content, name=name)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["file"])
    assert not ImportBatch.objects.filter(tenant=tenant_a).exists()


def test_a_file_over_the_size_limit_is_refused(manager, tenant_a, settings):
    settings.IMPORT_MAX_BYTES = 1024
    response = upload(manager, "customers", "number,name\n" + "X-1,Some name\n" * 200)
    assert "larger than" in " ".join(response.context["form"].errors["file"])
    assert not ImportBatch.objects.filter(tenant=tenant_a).exists()


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.TENANT_ADMIN, 200),
        (Role.SERVICE_MANAGER, 200),
        (Role.DISPATCHER, 403),
        (Role.TECHNICIAN, 403),
    ],
)
def test_who_may_import(client, tenant_a, make_member, role, status):
    client.force_login(make_member(tenant_a, role))
    assert client.get(reverse("imports:upload")).status_code == status
    batch = ImportBatchFactory(tenant=tenant_a)
    client.post(reverse("imports:run", args=[batch.pk]), {"mode": "all"})
    assert Customer.objects.filter(tenant=tenant_a).exists() == (status == 200)


def test_the_preview_page_runs_a_constant_number_of_queries(
    manager, tenant_a, django_assert_max_num_queries
):
    rows = [[f"N-{i}", f"Customer {i}"] for i in range(300)]
    batch = ImportBatchFactory(
        tenant=tenant_a,
        records=rows,
        preview=[
            {"line": i + 2, "key": r[0], "action": "create", "errors": []}
            for i, r in enumerate(rows)
        ],
    )
    manager.get(reverse("imports:upload"))
    with django_assert_max_num_queries(12):
        assert manager.get(reverse("imports:batch", args=[batch.pk])).status_code == 200


# --- Round trip --------------------------------------------------------------------------------


def _export(client, url, kind) -> str:
    response = client.get(url, {"format": "import", "kind": kind})
    assert response["Content-Type"].startswith("text/csv")
    return response.content.decode()


def _rows(text) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def _import(client, kind, text):
    response = upload(client, kind, text)
    batch = ImportBatch.objects.get(pk=response.url.rstrip("/").split("/")[-1])
    assert all(not row["errors"] for row in batch.preview), batch.preview
    client.post(reverse("imports:run", args=[batch.pk]), {"mode": "all"})
    batch.refresh_from_db()
    assert batch.state == ImportBatch.DONE


def test_round_trip_export_a_tenant_import_it_into_another_compare(
    client, tenant_a, tenant_b, make_member
):
    # Tenant A's data, with the reference data (groups, tasks, members) both tenants share.
    manager_a = make_member(tenant_a, Role.SERVICE_MANAGER, email="boss@a.test")
    manager_b = make_member(tenant_b, Role.SERVICE_MANAGER, email="boss@b.test")
    for tenant in (tenant_a, tenant_b):
        AgreementGroupFactory(tenant=tenant, code="GOLD")
        ServiceObjectGroupFactory(tenant=tenant, code="HVAC")
        ServiceTaskFactory(tenant=tenant, code="INSPECT")
    gold = AgreementGroupFactory._meta.model.objects.get(tenant=tenant_a, code="GOLD")
    task = ServiceTaskFactory._meta.model.objects.get(tenant=tenant_a, code="INSPECT")
    hvac = ServiceObjectGroupFactory._meta.model.objects.get(tenant=tenant_a, code="HVAC")
    customer = CustomerFactory(
        tenant=tenant_a,
        number="K-100",
        name='=Hotel, "Wawel"',
        default_agreement_group=gold,
        language="pl",
    )
    CustomerSiteFactory(customer=customer, name="Main", city="Kraków", is_default=True)
    CustomerContactFactory(customer=customer, name="Anna Nowak", email="anna@wawel.test")
    item = ItemFactory(tenant=tenant_a, number="FLT-1", cost_price="12.30")
    boiler = ServiceObjectFactory(
        tenant=tenant_a,
        customer=customer,
        number="M-7",
        item=item,
        group=hvac,
        serial_number="SN-1",
        install_date=datetime.date(2019, 4, 1),
    )
    ServiceObjectFactory(tenant=tenant_a, customer=customer, number="M-8", parent=boiler)
    agreement = AgreementFactory(
        tenant=tenant_a,
        customer=customer,
        number="SV-5",
        group=gold,
        start_date=datetime.date(2024, 1, 1),
        responsible=manager_a,
        state="active",
    )
    AgreementObjectFactory(agreement=agreement, service_object=boiler)
    AgreementTaskFactory(agreement=agreement, task=task)
    AgreementLineFactory(
        agreement=agreement,
        position=10,
        service_object=boiler,
        task=task,
        interval_unit="month",
        interval_count=3,
        excluded_months=[7, 8],
        preferred_time=datetime.time(8, 30),
        generated_through=datetime.date(2026, 6, 30),
    )

    exports = [
        ("customers:customer_list", "customers"),
        ("customers:customer_list", "sites"),
        ("customers:customer_list", "contacts"),
        ("customers:item_list", "items"),
        ("customers:object_list", "objects"),
        ("agreements:agreement_list", "agreements"),
        ("agreements:agreement_list", "agreement_lines"),
    ]
    client.force_login(manager_a)
    files = {kind: _export(client, reverse(url), kind) for url, kind in exports}
    client.force_login(manager_b)
    for _url, kind in exports:
        # People are members of one tenant: B's responsible manager has B's address.
        _import(client, kind, files[kind].replace("boss@a.test", "boss@b.test"))

    client.force_login(manager_b)
    again = {kind: _export(client, reverse(url), kind) for url, kind in exports}
    again["agreements"] = again["agreements"].replace("boss@b.test", "boss@a.test")
    for _url, kind in exports:
        assert _rows(again[kind]) == _rows(files[kind]), kind
        assert len(_rows(files[kind])) >= 1, kind
    # The records themselves, not only their export.
    imported = Customer.objects.get(tenant=tenant_b, number="K-100")
    assert imported.name == customer.name
    assert ServiceObject.objects.get(tenant=tenant_b, number="M-8").parent.number == "M-7"
    assert CustomerContact.objects.get(tenant=tenant_b).email == "anna@wawel.test"
    line = AgreementLine.objects.get(tenant=tenant_b)
    assert line.generated_through == datetime.date(2026, 6, 30)
    assert line.excluded_months == [7, 8]
