"""A tenant with many service orders, for the order page and concurrency benchmarks.

The master data (people, customers, sites, objects, agreements, tasks, items, the stage tree)
is made through the ORM; orders, their lines and their stage log are inserted set-based
(``INSERT … SELECT`` over ``generate_series``) into the very tables the application uses,
inside the tenant's scope, so row-level security checks every row as it does for the app.

The spread is what a service company's history looks like: order numbers and preferred dates
grow together over three years up to two months ahead; past orders are mostly completed (some
cancelled, a few still open), the days around today are in every open state, future ones new or
scheduled; 20 technicians share the work (a few orders are unassigned); 1–5 lines per order
(3 on average: hours, an item, expenses, fees); customers, objects and priorities cycle
through prime strides so that neighbouring orders differ.
"""

import dataclasses
import datetime
from decimal import Decimal

TECHNICIANS = 20
HISTORY_DAYS = 3 * 365
AHEAD_DAYS = 60
DESCRIPTIONS = [
    "Annual boiler service",
    "Heat pump inspection",
    "Air conditioning maintenance",
    "Replace burner filter",
    "Pressure test of the heating circuit",
    "Fire alarm panel check",
    "Ventilation unit filter change",
    "Water heater descaling",
    "Leak at the radiator valve",
    "Thermostat does not respond",
]


@dataclasses.dataclass
class OrderData:
    tenant: object
    dispatcher: object
    technicians: list
    stages: dict  # code -> OrderStage
    customers: list
    orders: int
    lines: int


def _people(tenant, prefix: str):
    from tenancy.models import Membership, User
    from tenancy.roles import Role

    dispatcher = User.objects.create_user(email=f"dispatcher@{prefix}.test", first_name="Dana")
    Membership.objects.create(tenant=tenant, user=dispatcher, role=Role.DISPATCHER)
    technicians = []
    for n in range(TECHNICIANS):
        tech = User.objects.create_user(
            email=f"tech{n}@{prefix}.test", first_name="Tech", last_name=str(n)
        )
        Membership.objects.create(tenant=tenant, user=tech, role=Role.TECHNICIAN)
        technicians.append(tech)
    return dispatcher, technicians


def _master_data(tenant, customers: int):
    from agreements.models import Agreement, AgreementState
    from customers.models import Customer, CustomerSite, Item, ServiceObject, ServiceTask

    Item.objects.bulk_create(
        Item(
            tenant=tenant,
            number=f"I-{n:04d}",
            name=f"Spare part {n}",
            cost_price=Decimal("10.00"),
            sales_price=Decimal("18.50"),
        )
        for n in range(50)
    )
    ServiceTask.objects.bulk_create(
        ServiceTask(
            tenant=tenant,
            code=f"T{n}",
            name=f"Task {n}",
            checklist="Check pressure\nClean filter\nTest safety valve",
        )
        for n in range(20)
    )
    made = Customer.objects.bulk_create(
        Customer(tenant=tenant, number=f"C-{n:06d}", name=f"Customer {n:05d} Ltd")
        for n in range(customers)
    )
    sites = CustomerSite.objects.bulk_create(
        CustomerSite(
            tenant=tenant,
            customer=customer,
            name="Main",
            street=f"Main street {n}",
            city="Town",
            is_default=True,
        )
        for n, customer in enumerate(made)
    )
    ServiceObject.objects.bulk_create(
        ServiceObject(
            tenant=tenant,
            customer=customer,
            site=site,
            number=f"OBJ-{n}-{k}",
            name=f"Boiler {n}-{k}",
        )
        for n, (customer, site) in enumerate(zip(made, sites, strict=True))
        for k in range(2)
    )
    Agreement.objects.bulk_create(
        Agreement(
            tenant=tenant,
            number=f"AG-{n:06d}",
            customer=customer,
            description=f"Maintenance {n}",
            start_date=datetime.date(2023, 1, 1),
            currency="PLN",
            state=AgreementState.ACTIVE,
        )
        for n, customer in enumerate(made)
    )
    return made


# One statement per table. %(…)s are bind parameters; the tenant's scope is set around them.
ORDERS_SQL = """
WITH customer AS (
    SELECT row_number() OVER (ORDER BY c.id) - 1 AS n, c.id AS customer_id,
           (SELECT s.id FROM customers_customersite s
             WHERE s.tenant_id = c.tenant_id AND s.customer_id = c.id LIMIT 1) AS site_id,
           (SELECT a.id FROM agreements_agreement a
             WHERE a.tenant_id = c.tenant_id AND a.customer_id = c.id LIMIT 1) AS agreement_id
    FROM customers_customer c WHERE c.tenant_id = %(tenant)s
), numbered AS (
    SELECT g,
           %(first_day)s::date + ((g - 1)::bigint * %(days)s / %(orders)s)::int AS day,
           (g * 7919) %% %(customers)s AS customer_n,
           (g * 31) %% 100 AS pick
    FROM generate_series(1, %(orders)s) AS g
), shaped AS (
    SELECT n.*,
           CASE
               WHEN n.day < %(today)s - 7 THEN
                   CASE WHEN n.pick < 85 THEN 'completed' WHEN n.pick < 97 THEN 'cancelled'
                        ELSE 'on_hold' END
               WHEN n.day <= %(today)s + 7 THEN
                   (ARRAY['new', 'scheduled', 'scheduled', 'in_progress', 'on_hold',
                          'completed'])[1 + n.pick %% 6]
               ELSE CASE WHEN n.pick < 40 THEN 'new' ELSE 'scheduled' END
           END AS state
    FROM numbered n
)
INSERT INTO service_orders_serviceorder (
    tenant_id, number, address, description, priority, preferred_date, planned_start,
    window_start, window_end, origin, state, signed_off_at, cancel_reason, calendar_conflict,
    calculated_date, generation_key, created_at, agreement_id, assigned_technician_id,
    contact_id, created_by_id, customer_id, generation_run_id, preferred_technician_id,
    responsible_id, site_id, stage_id)
SELECT %(tenant)s, 'SO-' || lpad(s.g::text, 6, '0'), '',
       (%(descriptions)s::text[])[1 + s.g %% 10],
       CASE WHEN s.pick %% 10 = 0 THEN 'high' WHEN s.pick %% 10 < 3 THEN 'low' ELSE 'normal' END,
       s.day,
       CASE WHEN s.state <> 'new' THEN s.day + time '07:00' + (s.g %% 9) * interval '1 hour' END,
       NULL, NULL,
       CASE WHEN s.pick < 70 THEN 'agreement' ELSE 'manual' END,
       s.state,
       CASE WHEN s.state = 'completed' THEN s.day + time '15:00' END,
       CASE WHEN s.state = 'cancelled' THEN 'Cancelled by the customer' ELSE '' END,
       s.pick = 99,
       CASE WHEN s.pick < 70 THEN s.day END,
       CASE WHEN s.pick < 70 THEN 'o' || s.g ELSE '' END,
       s.day - 14 + time '09:00',
       CASE WHEN s.pick < 70 THEN c.agreement_id END,
       CASE WHEN s.state = 'new' AND s.pick %% 4 = 0 THEN NULL
            ELSE (%(technicians)s::bigint[])[1 + (s.g * 13) %% %(technician_count)s] END,
       NULL, %(dispatcher)s, c.customer_id, NULL, NULL, NULL, c.site_id,
       CASE s.state
           WHEN 'in_progress' THEN
               CASE WHEN s.g %% 2 = 0 THEN %(stage_work)s ELSE %(stage_travel)s END
           WHEN 'new' THEN %(stage_new)s
           WHEN 'scheduled' THEN %(stage_scheduled)s
           WHEN 'on_hold' THEN %(stage_hold)s
           WHEN 'completed' THEN %(stage_done)s
           WHEN 'cancelled' THEN %(stage_cancelled)s
       END
FROM shaped s JOIN customer c ON c.n = s.customer_n
ORDER BY s.g
"""

# 1–5 lines per order by the order's id (3 on average): hours on the object with its task, an
# item, hours again, an expense, a fee. The lines of cancelled orders are cancelled.
LINES_SQL = """
WITH objects AS (
    SELECT customer_id, min(id) AS first_id, max(id) AS second_id
    FROM customers_serviceobject WHERE tenant_id = %(tenant)s GROUP BY customer_id
)
INSERT INTO service_orders_serviceorderline (
    tenant_id, kind, description, quantity, unit, unit_price, cost_price, price_overridden,
    calculated_date, status, started_at, ended_at, serial_number, recorded_at, cancel_reason,
    agreement_line_id, item_id, order_id, recorded_by_id, service_object_id, task_id,
    technician_id)
SELECT o.tenant_id,
       (ARRAY['hour', 'item', 'hour', 'expense', 'fee'])[k],
       (ARRAY['Service work', 'Spare part', 'Additional work', 'Travel expenses',
              'Call-out fee'])[k],
       (ARRAY[1.5, 2, 0.75, 1, 1])[k]::numeric(12, 3),
       (ARRAY['h', 'pcs', 'h', '', ''])[k],
       (ARRAY[95.00, 18.50, 95.00, 35.00, 60.00])[k]::numeric(14, 2),
       (ARRAY[0, 10.00, 0, 35.00, 0])[k]::numeric(14, 2),
       false, o.calculated_date,
       CASE WHEN o.state = 'cancelled' THEN 'cancelled' ELSE 'created' END,
       NULL, NULL, '', NULL, '', NULL,
       CASE WHEN k = 2 THEN (%(items)s::bigint[])[1 + o.id %% 50] END,
       o.id, NULL,
       CASE WHEN k %% 2 = 1 THEN ob.first_id ELSE ob.second_id END,
       CASE WHEN k IN (1, 3) THEN (%(tasks)s::bigint[])[1 + (o.id + k) %% 20] END,
       o.assigned_technician_id
FROM service_orders_serviceorder o
JOIN objects ob ON ob.customer_id = o.customer_id
CROSS JOIN LATERAL generate_series(1, 1 + (o.id %% 5)::int) AS k
WHERE o.tenant_id = %(tenant)s
ORDER BY o.id, k
"""

# The timeline: each order's creation, and one stage change for every order past its first stage.
STAGE_LOG_SQL = """
INSERT INTO service_orders_stagelog (
    tenant_id, order_id, kind, from_stage_id, to_stage_id, from_state, to_state,
    reason_code_id, reason_text, by_id, at)
SELECT o.tenant_id, o.id, 'create', NULL::bigint, %(stage_new)s, '', 'new', NULL::bigint, '',
       o.created_by_id, o.created_at
FROM service_orders_serviceorder o WHERE o.tenant_id = %(tenant)s
UNION ALL
SELECT o.tenant_id, o.id, CASE WHEN o.state = 'cancelled' THEN 'cancel' ELSE 'stage' END,
       %(stage_new)s, o.stage_id, 'new', o.state, NULL::bigint, '', o.created_by_id,
       o.created_at + interval '1 day'
FROM service_orders_serviceorder o WHERE o.tenant_id = %(tenant)s AND o.state <> 'new'
"""


def build_tenant(*, slug: str, orders: int, customers: int, today: datetime.date) -> OrderData:
    """A tenant with ``orders`` service orders (and on average 3 lines each)."""
    from django.db import connection

    from customers.models import Item, ServiceTask
    from service_orders.models import OrderStage
    from service_orders.services.stages import stage_tree_ensure
    from tenancy.context import platform_scope, tenant_scope
    from tenancy.models import NumberSequence, Tenant

    with platform_scope():
        tenant = Tenant.objects.create(
            slug=slug, code=slug[:16], name=slug.title(), time_zone="Europe/Warsaw"
        )
        dispatcher, technicians = _people(tenant, slug)
    with tenant_scope(tenant):
        stage_tree_ensure(tenant=tenant)
        stages = {s.code: s for s in OrderStage.objects.for_tenant(tenant)}
        made = _master_data(tenant, customers)
        params = {
            "tenant": tenant.pk,
            "orders": orders,
            "customers": customers,
            "first_day": today - datetime.timedelta(days=HISTORY_DAYS),
            "days": HISTORY_DAYS + AHEAD_DAYS,
            "today": today,
            "descriptions": DESCRIPTIONS,
            "technicians": [t.pk for t in technicians],
            "technician_count": len(technicians),
            "dispatcher": dispatcher.pk,
            "items": list(Item.objects.for_tenant(tenant).values_list("pk", flat=True)),
            "tasks": list(ServiceTask.objects.for_tenant(tenant).values_list("pk", flat=True)),
            **{f"stage_{code}": stage.pk for code, stage in stages.items()},
        }
        with connection.cursor() as cursor:
            cursor.execute(ORDERS_SQL, params)
            cursor.execute(LINES_SQL, params)
            lines = cursor.rowcount
            cursor.execute(STAGE_LOG_SQL, params)
        # New orders by hand continue after the seeded numbers.
        NumberSequence.objects.update_or_create(
            tenant=tenant,
            key="service_order",
            defaults={"prefix": "SO-", "next_value": orders + 1},
        )
    return OrderData(
        tenant=tenant,
        dispatcher=dispatcher,
        technicians=technicians,
        stages=stages,
        customers=made,
        orders=orders,
        lines=lines,
    )


def vacuum_analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def load_tenant(*, slug: str) -> OrderData:
    """The OrderData of a tenant built before (a reused scratch database, BENCH_KEEP)."""
    from customers.models import Customer
    from service_orders.models import OrderStage, ServiceOrder, ServiceOrderLine
    from tenancy.context import platform_scope, tenant_scope
    from tenancy.models import Tenant, User

    with platform_scope():
        tenant = Tenant.objects.get(slug=slug)
        dispatcher = User.objects.get(email=f"dispatcher@{slug}.test")
        technicians = [User.objects.get(email=f"tech{n}@{slug}.test") for n in range(TECHNICIANS)]
    with tenant_scope(tenant):
        return OrderData(
            tenant=tenant,
            dispatcher=dispatcher,
            technicians=technicians,
            stages={s.code: s for s in OrderStage.objects.for_tenant(tenant)},
            customers=list(Customer.objects.for_tenant(tenant).order_by("id")),
            orders=ServiceOrder.objects.for_tenant(tenant).count(),
            lines=ServiceOrderLine.objects.for_tenant(tenant).count(),
        )
