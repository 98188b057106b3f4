"""The board's week cells and visit cards, rendered in Python for speed
(``dispatch.views._board_cards`` / ``_week_cells_html``), print exactly what the reference
template below prints from model instances: same markup, same escaping, same local times."""

import datetime

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from dispatch import selectors, views
from dispatch.models import Appointment, AppointmentStatus
from service_orders.models import OrderClock
from tests.factories import OrderClockFactory, ServiceLevelAgreementFactory

from .helpers import DAY, at, order, technician

pytestmark = pytest.mark.django_db

MONDAY = DAY - datetime.timedelta(days=DAY.weekday())

REFERENCE = Template(
    "{% load i18n %}{% for cell in cells %}"
    '<td class="fl-drop fl-board-daycell" data-label="{{ cell.day|date:\'D j.n\' }}" '
    'data-technician="{{ technician.pk }}" data-date="{{ cell.day|date:\'Y-m-d\' }}" '
    'data-time="" data-testid="slot-{{ technician.pk }}-{{ cell.day|date:\'Y-m-d\' }}">'
    "{% for visit in cell.visits %}"
    '<a class="fl-dcard fl-visit fl-prio-{{ visit.order.priority }}'
    "{% if visit.status == 'planned' %} is-planned{% endif %}"
    '{% if visit.pk == selected %} is-selected{% endif %}" '
    'href="?{{ query }}&amp;sel=a{{ visit.pk }}" draggable="true" '
    'data-appointment="{{ visit.pk }}" data-minutes="{{ visit.minutes }}" data-testid="visit" '
    'data-number="{{ visit.order.number }}" title="{{ visit.order.number }} · '
    "{{ visit.order.customer.name }} · {{ visit.start|time:'H:i' }}–{{ visit.end|time:'H:i' }}\">"
    '<span class="d-flex justify-content-between gap-1"><strong class="fl-dcard-text" '
    "title=\"{{ visit.start|time:'H:i' }} {{ visit.order.number }}\">"
    "{{ visit.start|time:'H:i' }} {{ visit.order.number }}</strong>"
    "{% if visit.status == 'planned' %}"
    '<span class="badge text-bg-light border" data-testid="visit-planned">'
    '{% translate "draft" %}</span>{% endif %}</span>'
    '<span class="d-block fl-dcard-text small" title="{{ visit.order.customer.name }}">'
    "{{ visit.order.customer.name }}</span>"
    '{% include "dispatch/_sla_badge.html" with item=visit %}</a>'
    "{% endfor %}</td>{% endfor %}"
)


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_week_cells_print_what_the_reference_template_prints(tenant_a, language):
    tech = technician(tenant_a)
    sla = ServiceLevelAgreementFactory(tenant=tenant_a)
    now = timezone.now()
    visits = []
    dues = [None, now + datetime.timedelta(hours=30), now + datetime.timedelta(minutes=20)]
    dues += [now - datetime.timedelta(hours=2)]
    for n, due in enumerate(dues):
        o = order(tenant_a, priority=("high", "normal", "low")[n % 3])
        o.customer.name = 'Dom & "Ogród" <Kowalski>' if n == 0 else f"Customer {n}"
        o.customer.save()
        if due is not None:
            status = "at_risk" if n == 2 else "running"
            OrderClockFactory(order=o, resolution_due=due, sla=sla, calendar=None, status=status)
        start = at(tenant_a, MONDAY + datetime.timedelta(days=n), 8 + n, 15 * n)
        visits.append(
            Appointment.objects.create(
                tenant=tenant_a,
                order=o,
                technician=tech,
                start=start,
                end=start + datetime.timedelta(minutes=50 + n),
                status=AppointmentStatus.PLANNED if n % 2 else AppointmentStatus.DISPATCHED,
            )
        )
    board = views.Board(
        view="week",
        day=MONDAY,
        start=at(tenant_a, MONDAY, 0),
        end=at(tenant_a, MONDAY + datetime.timedelta(days=7), 0),
        team_ids=[],
        skill="",
        done=False,
        query="view=week&date=" + MONDAY.isoformat(),
        teams=[],
    )
    selected = visits[1].pk
    with translation.override(language), timezone.override(tenant_a.zone):
        rows = selectors.board_appointments(
            tenant=tenant_a, start=board.start, end=board.end, technician_ids=[tech.pk]
        )
        cards = views._board_cards(board, rows, selected, tenant_a.zone, now)
        fast = views._week_cells_html(tech.pk, views._day_heads(board), cards)
        instances = list(
            Appointment.objects.for_tenant(tenant_a)
            .select_related("order", "order__customer")
            .order_by("start")
        )
        clocks = {c.order_id: c for c in OrderClock.objects.for_tenant(tenant_a)}
        for visit in instances:
            clock = clocks.get(visit.order_id)
            visit.sla_due = clock.resolution_due if clock else None
            visit.sla_status = clock.status if clock else None
            views._sla_badge(visit, now)
        local_day = {v.pk: v.start.astimezone(tenant_a.zone).date() for v in instances}
        cells = [
            {"day": day, "visits": [v for v in instances if local_day[v.pk] == day]}
            for day in board.days
        ]
        reference = REFERENCE.render(
            Context(
                {"cells": cells, "technician": tech, "selected": selected, "query": board.query}
            )
        )
    assert fast.count('data-testid="visit"') == len(dues)
    assert "&lt;Kowalski&gt;" in fast and 'data-sla="breached"' in fast
    # The include's file ends with a line break; the board's cards carry none.
    assert fast == reference.replace("\n", "")
