"""The list component (web.lists.Column, web/list.html): what each column's settings put in the
page, the phone's sort field and filter panel, and what stays out of the CSV."""

import datetime
import re

import pytest
from django.template import Context, Template
from django.urls import reverse

from tests.factories import ServiceObjectGroupFactory
from web.lists import ACTION, BADGE, FACT, TITLE, Column, link_to


def _cell(column: Column, row) -> str:
    template = Template("{% load fieldline %}{% list_cell column row %}")
    return template.render(Context({"column": column, "row": row}))


class Row:
    pk = 7
    name = "Przedsiębiorstwo <Wielobranżowe> & Synowie"
    day = datetime.date(2026, 12, 24)
    is_active = False
    empty = ""


def test_a_column_with_an_unknown_role_or_breakpoint_is_refused():
    with pytest.raises(ValueError, match="role"):
        Column("name", "Name", role="headline")
    with pytest.raises(ValueError, match="breakpoint"):
        Column("name", "Name", breakpoint="xxl")
    with pytest.raises(ValueError, match="link"):
        Column("edit", "Edit", role=ACTION)


def test_a_truncated_title_links_and_keeps_its_full_text_in_the_title():
    column = Column("name", "Name", role=TITLE, truncate=True, link=lambda r: f"/c/{r.pk}/")
    html = _cell(column, Row())
    assert 'class="fl-role-title fl-trunc"' in html
    assert 'href="/c/7/"' in html
    # Escaped once in the text and once in the attribute, never twice.
    assert 'title="Przedsiębiorstwo &lt;Wielobranżowe&gt; &amp; Synowie"' in html
    assert ">Przedsiębiorstwo &lt;Wielobranżowe&gt; &amp; Synowie</a>" in html
    assert 'data-label=""' in html  # the title carries no label on the card


def test_a_truncated_cell_without_a_link_can_be_focused_to_read_it_whole():
    html = _cell(Column("name", "Name", role=FACT, truncate=True), Row())
    assert 'tabindex="0"' in html and 'data-label="Name"' in html


def test_values_read_as_people_read_them():
    assert "—</td>" in _cell(Column("empty", "Empty"), Row())
    assert ">No</td>" in _cell(Column("is_active", "Active"), Row())
    day = _cell(Column("day", "Day", breakpoint="lg", nowrap=True), Row())
    assert 'class="fl-from-lg text-nowrap"' in day and "12/24/2026" in day


def test_a_badge_renders_its_template_and_an_action_is_a_button():
    badge = _cell(
        Column("is_active", "Active", role=BADGE, template="web/cells/active.html"), Row()
    )
    assert '<span class="badge text-bg-secondary">Inactive</span>' in badge
    action = _cell(Column("edit", "Edit", role=ACTION, link=lambda r: "/edit/"), Row())
    assert '<a class="btn btn-sm btn-outline-primary" href="/edit/">Edit</a>' in action


def test_link_to_follows_a_dotted_attribute_and_gives_no_link_without_a_value(db):
    class Order:
        customer_id = 3
        agreement_id = None

    assert link_to("customers:customer_detail", "customer_id")(Order()) == reverse(
        "customers:customer_detail", args=[3]
    )
    assert link_to("agreements:agreement_detail", "agreement_id")(Order()) is None


def test_the_action_column_is_for_those_who_may_act_and_never_in_the_csv(
    tenant_a, manager_a, dispatcher_a, client
):
    group = ServiceObjectGroupFactory(tenant=tenant_a, code="HVAC", name="Heating")
    edit = reverse("customers:object_group_edit", args=[group.pk])
    url = reverse("customers:object_group_list")
    client.force_login(manager_a)
    assert edit in client.get(url).content.decode()
    csv = client.get(url, {"format": "csv"}).content.decode()
    header = csv.splitlines()[0].split(",")
    assert len(header) == 3 and header[0] == "Code" and "Edit" not in header
    client.force_login(dispatcher_a)
    page = client.get(url).content.decode()
    assert edit not in page
    assert page.count("<th ") == 3  # code, name, objects: no empty action column


def test_the_phone_panel_sorts_and_says_how_many_filters_apply(tenant_a, manager_a, client):
    ServiceObjectGroupFactory(tenant=tenant_a, code="HVAC", name="Heating")
    client.force_login(manager_a)
    url = reverse("customers:object_group_list")
    page = client.get(url, {"sort": "-code"}).content.decode()
    sort_field = re.search(r'<select name="sort" id="fl-sort">(.*?)</select>', page, re.S).group(1)
    assert '<option value="-code" selected>Code, descending</option>' in sort_field
    assert '<option value="object_count">Objects, ascending</option>' in sort_field
    assert 'class="collapse fl-collapse-sm"' in page  # folded on a phone when nothing is filtered
    filtered = client.get(url, {"q": "HV", "sort": "-code"}).content.decode()
    assert 'class="collapse fl-collapse-sm show"' in filtered
    assert 'aria-expanded="true"' in filtered
    assert '<span class="badge text-bg-primary">1</span>' in filtered


def test_a_hidden_label_is_read_out_but_not_shown(rf):
    column = Column("select", "Select", hide_label=True)
    request = rf.get("/")
    html = Template("{% load fieldline %}{% sort_header column %}").render(
        Context({"column": column, "request": request})
    )
    assert '<span class="visually-hidden">Select</span>' in html
    shown = Template("{% load fieldline %}{% sort_header column %}").render(
        Context({"column": Column("name", "Name"), "request": request})
    )
    assert "visually-hidden" not in shown and "Name" in shown


def test_list_rows_give_the_html_of_one_list_cell_per_column_and_row():
    """web/list.html renders its rows with one tag (list_rows): the same HTML as a <tr> of
    list_cell cells for each row."""
    from types import SimpleNamespace

    columns = [
        Column("name", "Name", role=TITLE, truncate=True, link=lambda r: f"/c/{r.pk}/"),
        Column("day", "Day", role=FACT, nowrap=True),
        Column("is_active", "Active", role=BADGE, template="web/cells/active.html"),
        Column("note", "Note", truncate=True, display=lambda r: r.note),
        Column("badge", "Badge", html=lambda r, v: f"<b>{r.pk}</b>", breakpoint="md"),
        Column("edit", "Edit", role=ACTION, link=lambda r: f"/c/{r.pk}/edit/"),
    ]
    rows = [
        SimpleNamespace(
            pk=1,
            name="A & <B>",
            day=datetime.date(2026, 1, 2),
            is_active=True,
            note="",
            badge=None,
            edit=None,
        ),
        SimpleNamespace(
            pk=2, name="Zażółć", day=None, is_active=False, note="x < y", badge=None, edit=None
        ),
    ]
    cell = Template("{% load fieldline %}{% list_cell column row %}")
    expected = "".join(
        "\n    <tr>"
        + "".join(cell.render(Context({"column": c, "row": r})) for c in columns)
        + "</tr>\n  "
        for r in rows
    )
    rendered = Template("{% load fieldline %}{% list_rows columns rows %}").render(
        Context({"columns": columns, "rows": rows})
    )
    assert rendered == expected
    assert "<b>1</b>" in rendered and "A &amp; &lt;B&gt;" in rendered


@pytest.mark.parametrize(
    ("url_name", "pk"),
    [
        ("service_orders:order_detail", 1),
        ("service_orders:order_detail", 918273645),
        ("customers:customer_detail", 42),
        ("service_orders:technician_order", 7),
        ("customers:customer_detail", "7"),
    ],
)
def test_reverse_id_gives_what_reverse_gives(url_name, pk):
    from web.lists import reverse_id

    assert reverse_id(url_name, pk) == reverse(url_name, args=[pk])
    assert reverse_id(url_name, pk) == reverse(url_name, args=[pk])  # the second, cached


@pytest.mark.parametrize("size", [0, 3, 24, 25, 26, 60])
@pytest.mark.parametrize("page", [None, "1", "2", "x", "99"])
def test_the_list_paginator_gives_djangos_page_and_counts_only_a_full_first_page(
    tenant_a, size, page
):
    """web.lists.ListPaginator: the same rows, count, pages and links as Django's Paginator;
    a first page that is not full is counted from its rows (one query instead of two)."""
    from django.core.paginator import Paginator
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from customers.models import Customer
    from tests.factories import CustomerFactory
    from web.lists import PAGE_SIZE, ListPaginator

    def shown(paginator_class):
        with CaptureQueriesContext(connection) as queries:
            got = paginator_class(queryset, PAGE_SIZE).get_page(page)
            facts = (list(got.object_list), got.paginator.count, got.number)
            facts += (got.paginator.num_pages, got.has_next(), got.has_previous())
        return facts, len(queries)

    CustomerFactory.create_batch(size, tenant=tenant_a)
    queryset = Customer.objects.for_tenant(tenant_a).order_by("pk")
    (djangos, djangos_queries), (ours, our_queries) = shown(Paginator), shown(ListPaginator)
    assert ours == djangos
    first_and_short = page in (None, "1") and size < PAGE_SIZE
    assert our_queries == (1 if first_and_short else djangos_queries)
    assert djangos_queries == 2 or size == 0
