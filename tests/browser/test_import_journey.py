"""The manager moves customers over from an earlier system: a file with one bad row shows the
error beside that row and saves nothing; the corrected file imports, and the customers are on
the list with their legacy numbers."""

import pytest
from playwright.sync_api import expect

from tenancy.models import User
from tests.browser.layout import PHONE, assert_no_sideways_scroll

pytestmark = pytest.mark.browser

BAD = (
    "number,name,email\n"
    "K-10017,Hotel Wawel,recepcja@hotel-wawel.test\n"
    "K-10023,Piekarnia Nowak,biuro(at)piekarnia.test\n"
)


def _upload(page, live_server, content: str):
    page.goto(f"{live_server.url}/import/")
    page.select_option("select[name=kind]", "customers")
    page.set_input_files(
        "input[name=file]",
        files=[{"name": "customers.csv", "mimeType": "text/csv", "buffer": content.encode()}],
    )
    page.locator("[data-testid=import-upload] button[type=submit]").click()


def test_manager_imports_customers_fixing_a_bad_row(demo, sign_in, page, live_server):
    # The manager reads English (Acme's default language is Polish).
    User.objects.filter(email="manager@acme.test").update(language="en")
    sign_in("manager@acme.test")
    page.goto(f"{live_server.url}/")
    page.get_by_role("button", name="Administration").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Import data").click()
    expect(page.locator("h1")).to_have_text("Import data")

    _upload(page, live_server, BAD)
    preview = page.get_by_test_id("import-preview")
    bad_row = preview.locator("tr[data-line='3']")
    expect(bad_row).to_contain_text("K-10023")
    expect(bad_row).to_contain_text("email: Enter a valid email address.")
    expect(preview.locator("tr[data-line='2']")).to_contain_text("create")
    expect(page.get_by_test_id("import-all")).to_have_count(0)
    expect(page.get_by_test_id("import-summary")).to_contain_text("Nothing has been saved yet.")
    page.goto(f"{live_server.url}/customers/?q=K-100")
    expect(page.get_by_test_id("customer-table")).not_to_contain_text("Hotel Wawel")

    _upload(page, live_server, BAD.replace("biuro(at)", "biuro@"))
    expect(page.get_by_test_id("import-preview")).not_to_contain_text("Enter a valid")
    page.get_by_test_id("import-all").click()
    expect(page.get_by_test_id("import-result")).to_contain_text("2 created, 0 updated")

    page.get_by_test_id("import-result").get_by_role("link").click()
    table = page.get_by_test_id("customer-table")
    expect(table).to_contain_text("K-10017")
    expect(table).to_contain_text("Piekarnia Nowak")

    page.set_viewport_size(PHONE)  # the preview's rows are cards on a phone
    page.goto(f"{live_server.url}/import/")
    page.get_by_test_id("import-history").get_by_role("link").first.click()
    assert_no_sideways_scroll(page)
