"""The stage tree and its FSM mapping, stage moves, cancel/revoke, delete, line changes and the
order's derived progress (services and selectors)."""

import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from service_orders import selectors
from service_orders.models import (
    DeletedOccurrence,
    LineStatus,
    OrderStage,
    OrderState,
    ServiceOrder,
    ServiceOrderLine,
    StageLog,
    StageLogKind,
    state_transition,
)
from service_orders.services import line_changes, orders, stages
from service_orders.services.stages import OrderTransitionRefused
from tenancy.context import tenant_scope
from tests.factories import (
    AgreementFactory,
    AgreementLineFactory,
    CustomerFactory,
    ServiceOrderFactory,
    ServiceOrderLineFactory,
)

pytestmark = pytest.mark.django_db


def stage(tenant, code) -> OrderStage:
    stages.stage_tree_ensure(tenant=tenant)
    return OrderStage.objects.get(tenant=tenant, code=code)


def new_order(tenant, **fields) -> ServiceOrder:
    fields.setdefault("customer", CustomerFactory(tenant=tenant))
    return ServiceOrderFactory(**fields)


def move(tenant, user, order, code, **kwargs) -> ServiceOrder:
    return stages.order_stage_move(
        tenant=tenant,
        order_id=order.pk,
        to_stage_id=stage(tenant, code).pk,
        by=user,
        **kwargs,
    )


# --- The tree and the FSM ---------------------------------------------------------------------


def test_the_default_tree_has_one_initial_stage_mapped_to_new(tenant_a):
    initial = stages.stage_tree_ensure(tenant=tenant_a)
    assert stages.stage_tree_ensure(tenant=tenant_a) == initial  # idempotent
    assert initial.is_initial and initial.state == OrderState.NEW and initial.parent is None
    assert OrderStage.objects.filter(tenant=tenant_a, is_initial=True).count() == 1
    roots = selectors.stage_tree(tenant=tenant_a)
    assert [root.code for root in roots] == ["new", "cancelled"]
    assert [s.code for s in roots[0].next_stages] == ["scheduled"]


def test_the_database_refuses_a_second_initial_stage(tenant_a):
    stages.stage_tree_ensure(tenant=tenant_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        OrderStage.objects.create(
            tenant=tenant_a, code="other", name="Other", state=OrderState.NEW, is_initial=True
        )


def test_the_fsm_decides_which_state_may_follow_which():
    assert state_transition(OrderState.NEW, OrderState.SCHEDULED) == "schedule"
    assert state_transition(OrderState.IN_PROGRESS, OrderState.COMPLETED) == "complete"
    assert state_transition(OrderState.CANCELLED, OrderState.SCHEDULED) == "revoke_cancel"
    assert state_transition(OrderState.IN_PROGRESS, OrderState.IN_PROGRESS) == ""
    assert state_transition(OrderState.NEW, OrderState.COMPLETED) is None
    assert state_transition(OrderState.POSTED, OrderState.NEW) is None


def test_a_child_whose_state_cannot_follow_its_parent_is_refused(tenant_a, manager_a):
    with pytest.raises(ValidationError) as refused:
        stages.stage_create(
            tenant=tenant_a,
            by=manager_a,
            data={
                "name": "Done at once",
                "code": "done-now",
                "state": OrderState.COMPLETED,
                "parent": stage(tenant_a, "new"),
            },
        )
    assert "cannot go from “New”" in refused.value.message_dict["state"][0]
    assert not OrderStage.objects.filter(tenant=tenant_a, code="done-now").exists()


def test_going_back_is_refused_where_the_fsm_cannot_return(tenant_a, manager_a):
    with pytest.raises(ValidationError) as refused:
        stages.stage_create(
            tenant=tenant_a,
            by=manager_a,
            data={
                "name": "Invoiced",
                "code": "invoiced",
                "state": OrderState.POSTED,
                "parent": stage(tenant_a, "done"),
                "back_allowed": True,
            },
        )
    assert "cannot go back" in refused.value.message_dict["back_allowed"][0]


def test_a_stage_cannot_follow_its_own_next_stage(tenant_a, manager_a):
    scheduled = stage(tenant_a, "scheduled")
    with pytest.raises(ValidationError) as refused:
        stages.stage_update(
            tenant=tenant_a,
            by=manager_a,
            stage_id=scheduled.pk,
            data={"parent": stage(tenant_a, "work")},
        )
    assert "parent" in refused.value.message_dict


def test_a_valid_child_is_added_with_its_reason_codes(tenant_a, manager_a):
    parts = stages.stage_create(
        tenant=tenant_a,
        by=manager_a,
        data={
            "name": "Waiting for parts",
            "code": "parts",
            "state": OrderState.ON_HOLD,
            "parent": stage(tenant_a, "scheduled"),
            "back_allowed": True,
            "requires_reason": True,
        },
    )
    reason = stages.reason_code_create(
        tenant=tenant_a, by=manager_a, stage_id=parts.pk, data={"code": "late", "name": "Late"}
    )
    order = new_order(tenant_a, stage=stage(tenant_a, "scheduled"), state=OrderState.SCHEDULED)
    codes = [s.code for s in selectors.order_next_stages(tenant=tenant_a, order=order)]
    assert "parts" in codes
    moved = move(tenant_a, manager_a, order, "parts", reason_code_id=reason.pk)
    assert moved.state == OrderState.ON_HOLD


# --- Moving orders ----------------------------------------------------------------------------


def test_a_move_changes_stage_and_state_and_is_logged(tenant_a, dispatcher_a):
    order = new_order(tenant_a)
    assert [s.code for s in selectors.order_next_stages(tenant=tenant_a, order=order)] == [
        "scheduled"
    ]
    moved = move(tenant_a, dispatcher_a, order, "scheduled")
    assert (moved.stage.code, moved.state) == ("scheduled", OrderState.SCHEDULED)
    log = StageLog.objects.get(order=order)
    assert (log.from_stage.code, log.to_stage.code, log.by) == ("new", "scheduled", dispatcher_a)
    assert (log.from_state, log.to_state) == (OrderState.NEW, OrderState.SCHEDULED)


def test_a_stage_that_is_not_a_next_step_is_refused(tenant_a, dispatcher_a):
    order = new_order(tenant_a)
    with pytest.raises(OrderTransitionRefused) as refused:
        move(tenant_a, dispatcher_a, order, "work")
    assert "is not a next step of" in refused.value.message
    order.refresh_from_db()
    assert order.state == OrderState.NEW and not StageLog.objects.filter(order=order).exists()


def test_a_stage_that_requires_a_reason_refuses_an_empty_one(tenant_a, dispatcher_a):
    order = new_order(tenant_a, stage=stage(tenant_a, "work"), state=OrderState.IN_PROGRESS)
    with pytest.raises(ValidationError) as refused:
        move(tenant_a, dispatcher_a, order, "hold", reason_text="   ")
    assert "needs a reason" in refused.value.message_dict["reason_code"][0]
    reason = stage(tenant_a, "hold").reasons.get(code="parts")
    move(tenant_a, dispatcher_a, order, "hold", reason_code_id=reason.pk, reason_text="Pump")
    log = StageLog.objects.get(order=order)
    assert (log.reason_code, log.reason_text) == (reason, "Pump")
    # back from hold: its "previous stage" is allowed
    back = selectors.order_next_stages(tenant=tenant_a, order=ServiceOrder.objects.get(pk=order.pk))
    assert [(s.code, s.is_back) for s in back] == [("work", True)]


def test_a_reason_of_another_stage_is_refused(tenant_a, dispatcher_a):
    order = new_order(tenant_a, stage=stage(tenant_a, "work"), state=OrderState.IN_PROGRESS)
    other = stage(tenant_a, "cancelled").reasons.first()
    with pytest.raises(ValidationError) as refused:
        move(tenant_a, dispatcher_a, order, "hold", reason_code_id=other.pk)
    assert "reason_code" in refused.value.message_dict


def test_leaving_a_stage_that_requires_sign_off_waits_for_it(tenant_a, manager_a, dispatcher_a):
    work = stage(tenant_a, "work")
    stages.stage_update(
        tenant=tenant_a, by=manager_a, stage_id=work.pk, data={"requires_signoff": True}
    )
    order = new_order(tenant_a, stage=work, state=OrderState.IN_PROGRESS)
    with pytest.raises(OrderTransitionRefused) as refused:
        move(tenant_a, dispatcher_a, order, "done")
    assert "sign off" in refused.value.message
    ServiceOrder.objects.filter(pk=order.pk).update(
        signed_off_at=datetime.datetime.now(datetime.UTC)
    )
    assert move(tenant_a, dispatcher_a, order, "done").state == OrderState.COMPLETED


def test_another_tenants_order_or_stage_is_not_found(tenant_a, tenant_b, manager_b):
    order = new_order(tenant_a)
    with pytest.raises(ServiceOrder.DoesNotExist):
        stages.order_stage_move(
            tenant=tenant_b,
            order_id=order.pk,
            to_stage_id=stage(tenant_b, "scheduled").pk,
            by=manager_b,
        )
    mine = new_order(tenant_b)
    with pytest.raises(OrderStage.DoesNotExist):
        stages.order_stage_move(
            tenant=tenant_b,
            order_id=mine.pk,
            to_stage_id=stage(tenant_a, "scheduled").pk,
            by=manager_b,
        )


# --- Cancel, revoke, delete -------------------------------------------------------------------


def test_cancelling_a_posted_order_is_refused(tenant_a, manager_a):
    order = new_order(tenant_a, state=OrderState.POSTED, stage=None)
    with pytest.raises(OrderTransitionRefused) as refused:
        orders.order_cancel(tenant=tenant_a, by=manager_a, order_id=order.pk, reason="No")
    assert "posted" in refused.value.message


def test_cancelling_where_the_stage_forbids_it_is_refused(tenant_a, manager_a):
    new = stage(tenant_a, "new")
    stages.stage_update(tenant=tenant_a, by=manager_a, stage_id=new.pk, data={"can_cancel": False})
    order = new_order(tenant_a)
    with pytest.raises(OrderTransitionRefused) as refused:
        orders.order_cancel(tenant=tenant_a, by=manager_a, order_id=order.pk, reason="No")
    assert "cannot be cancelled" in refused.value.message


def test_cancel_then_revoke_returns_to_the_stage_it_left(tenant_a, manager_a):
    order = new_order(tenant_a, stage=stage(tenant_a, "scheduled"), state=OrderState.SCHEDULED)
    cancelled = orders.order_cancel(
        tenant=tenant_a, by=manager_a, order_id=order.pk, reason="Customer moved"
    )
    assert (cancelled.state, cancelled.stage.code) == (OrderState.CANCELLED, "cancelled")
    assert cancelled.cancel_reason == "Customer moved"
    reopened = orders.order_revoke_cancel(tenant=tenant_a, by=manager_a, order_id=order.pk)
    assert (reopened.state, reopened.stage.code) == (OrderState.SCHEDULED, "scheduled")
    kinds = list(StageLog.objects.filter(order=order).values_list("kind", flat=True))
    assert kinds == [StageLogKind.CANCEL, StageLogKind.REVOKE]
    with pytest.raises(OrderTransitionRefused):
        orders.order_revoke_cancel(tenant=tenant_a, by=manager_a, order_id=order.pk)


def test_deleting_where_the_stage_forbids_it_is_refused(tenant_a, manager_a):
    order = new_order(tenant_a, stage=stage(tenant_a, "scheduled"), state=OrderState.SCHEDULED)
    with pytest.raises(OrderTransitionRefused) as refused:
        orders.order_delete(tenant=tenant_a, by=manager_a, order_id=order.pk)
    assert "cannot be deleted" in refused.value.message
    assert ServiceOrder.objects.filter(pk=order.pk).exists()


def test_an_order_with_posted_lines_is_not_deleted(tenant_a, manager_a):
    order = new_order(tenant_a)
    ServiceOrderLineFactory(order=order, status=LineStatus.POSTED)
    with pytest.raises(OrderTransitionRefused):
        orders.order_delete(tenant=tenant_a, by=manager_a, order_id=order.pk)


def test_a_deleted_generated_order_is_not_generated_again(tenant_a, manager_a):
    from tests.service_orders.test_generation import active_agreement, generate

    agreement = active_agreement(tenant_a, start_date=datetime.date(2026, 4, 1))
    AgreementLineFactory(agreement=agreement, interval_unit="week", interval_count=1)
    period = (datetime.date(2026, 4, 1), datetime.date(2026, 4, 7))
    generate(tenant_a, period)
    order = ServiceOrder.objects.get(tenant=tenant_a, agreement=agreement)
    assert order.stage == stage(tenant_a, "new")  # generated orders start at the initial stage
    number = orders.order_delete(tenant=tenant_a, by=manager_a, order_id=order.pk)
    assert number == order.number
    assert DeletedOccurrence.objects.filter(tenant=tenant_a, order_number=number).count() == 1
    run = generate(tenant_a, period)
    assert run.orders_created == 0 and run.occurrences_skipped == 1
    assert not ServiceOrder.objects.filter(tenant=tenant_a, agreement=agreement).exists()


# --- Lines and progress -----------------------------------------------------------------------


def test_progress_is_derived_from_the_lines():
    c, p, x = LineStatus.CREATED, LineStatus.POSTED, LineStatus.CANCELLED
    assert selectors.progress_of([]) == selectors.Progress.IN_PROCESS
    assert selectors.progress_of([x, x]) == selectors.Progress.CANCELLED
    assert selectors.progress_of([p, x]) == selectors.Progress.POSTED
    assert selectors.progress_of([p, p]) == selectors.Progress.POSTED
    assert selectors.progress_of([c, p, x]) == selectors.Progress.IN_PROCESS


def test_progress_in_sql_matches(tenant_a):
    cases = {
        "none": [],
        "cancelled": [LineStatus.CANCELLED],
        "posted": [LineStatus.POSTED, LineStatus.CANCELLED],
        "open": [LineStatus.CREATED, LineStatus.POSTED],
    }
    made = {}
    for name, statuses in cases.items():
        made[name] = new_order(tenant_a)
        for status in statuses:
            ServiceOrderLineFactory(order=made[name], status=status)
    annotated = dict(
        selectors.with_progress(ServiceOrder.objects.filter(tenant=tenant_a)).values_list(
            "pk", "progress"
        )
    )
    for name, statuses in cases.items():
        assert annotated[made[name].pk] == selectors.progress_of(statuses), name


def test_a_line_is_cancelled_with_a_reason_and_brought_back(tenant_a, dispatcher_a):
    order = new_order(tenant_a)
    line = ServiceOrderLineFactory(order=order)
    with pytest.raises(ValidationError) as refused:
        line_changes.line_cancel(
            tenant=tenant_a, by=dispatcher_a, order_id=order.pk, line_id=line.pk, reason=""
        )
    assert "reason" in refused.value.message_dict
    line_changes.line_cancel(
        tenant=tenant_a, by=dispatcher_a, order_id=order.pk, line_id=line.pk, reason="Not needed"
    )
    line.refresh_from_db()
    assert (line.status, line.cancel_reason) == (LineStatus.CANCELLED, "Not needed")
    line_changes.line_revoke_cancel(
        tenant=tenant_a, by=dispatcher_a, order_id=order.pk, line_id=line.pk
    )
    line.refresh_from_db()
    assert line.status == LineStatus.CREATED


def test_lines_of_a_completed_stage_do_not_change(tenant_a, dispatcher_a):
    order = new_order(tenant_a, stage=stage(tenant_a, "done"), state=OrderState.COMPLETED)
    line = ServiceOrderLineFactory(order=order)
    with pytest.raises(OrderTransitionRefused):
        line_changes.line_cancel(
            tenant=tenant_a, by=dispatcher_a, order_id=order.pk, line_id=line.pk, reason="x"
        )


def test_lines_move_only_to_an_open_order_of_the_same_agreement(tenant_a, dispatcher_a):
    customer = CustomerFactory(tenant=tenant_a)
    agreement, other_agreement = (
        AgreementFactory(customer=customer),
        AgreementFactory(customer=customer),
    )
    order = new_order(tenant_a, customer=customer, agreement=agreement)
    sibling = new_order(tenant_a, customer=customer, agreement=agreement)
    stranger = new_order(tenant_a, customer=customer, agreement=other_agreement)
    line = ServiceOrderLineFactory(order=order)
    with pytest.raises(ValidationError) as refused:
        line_changes.lines_move(
            tenant=tenant_a,
            by=dispatcher_a,
            order_id=order.pk,
            line_ids=[line.pk],
            to_order_id=stranger.pk,
        )
    assert "same agreement" in refused.value.message_dict["to_order"][0]
    assert ServiceOrderLine.objects.get(pk=line.pk).order_id == order.pk
    target = line_changes.lines_move(
        tenant=tenant_a,
        by=dispatcher_a,
        order_id=order.pk,
        line_ids=[line.pk],
        to_order_id=sibling.pk,
    )
    assert target == sibling and ServiceOrderLine.objects.get(pk=line.pk).order_id == sibling.pk


def test_the_timeline_merges_stage_changes_and_line_changes(tenant_a, dispatcher_a):
    order = new_order(tenant_a, stage=stage(tenant_a, "work"), state=OrderState.IN_PROGRESS)
    line = ServiceOrderLineFactory(order=order, description="Filter")
    reason = stage(tenant_a, "hold").reasons.get(code="parts")
    move(tenant_a, dispatcher_a, order, "hold", reason_code_id=reason.pk)
    line_changes.line_cancel(
        tenant=tenant_a, by=dispatcher_a, order_id=order.pk, line_id=line.pk, reason="Spare"
    )
    timeline = selectors.order_timeline(tenant=tenant_a, order=order)
    texts = [entry.text for entry in timeline]
    assert any("Filter" in text and "Spare" in text for text in texts)
    stage_entry = next(entry for entry in timeline if entry.kind == "stage")
    assert stage_entry.reason == reason.name and stage_entry.actor == dispatcher_a
    assert texts[-1] == "Created"  # generated/factory order: no create log


# --- Creating by hand -------------------------------------------------------------------------


def test_an_order_created_by_hand_starts_at_the_initial_stage(tenant_a, dispatcher_a, make_member):
    from tenancy.roles import Role
    from tests.factories import CustomerSiteFactory, ServiceObjectFactory, ServiceTaskFactory

    customer = CustomerFactory(tenant=tenant_a)
    site = CustomerSiteFactory(customer=customer, is_default=True)
    tech = make_member(tenant_a, Role.TECHNICIAN)
    obj = ServiceObjectFactory(customer=customer)
    task = ServiceTaskFactory(tenant=tenant_a)
    order = orders.order_create(
        tenant=tenant_a,
        by=dispatcher_a,
        data={
            "customer": customer,
            "description": "Boiler makes noise",
            "priority": "high",
            "objects": [obj],
            "tasks": [task],
            "assigned_technician": tech,
        },
    )
    assert order.stage.is_initial and order.site == site and order.assigned_technician == tech
    assert ServiceOrderLine.objects.filter(order=order, service_object=obj, task=task).count() == 1
    assert StageLog.objects.get(order=order).kind == StageLogKind.CREATE


def test_creating_refuses_what_does_not_belong_to_the_customer(tenant_a, dispatcher_a):
    from service_orders.services.generation_settings import order_generation_settings_update

    order_generation_settings_update(
        tenant=tenant_a, by=dispatcher_a, data={"agreement_required": True}
    )
    customer = CustomerFactory(tenant=tenant_a)
    with pytest.raises(ValidationError) as refused:
        orders.order_create(
            tenant=tenant_a,
            by=dispatcher_a,
            data={"customer": customer, "description": "x", "assigned_technician": dispatcher_a},
        )
    errors = refused.value.message_dict
    assert "agreement" in errors and "assigned_technician" in errors
    assert not ServiceOrder.objects.filter(tenant=tenant_a).exists()


# --- Two users at once ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_connections_moving_one_order_one_wins_one_is_refused(tenant_a, dispatcher_a):
    order = new_order(tenant_a)
    scheduled = stage(tenant_a, "scheduled")
    first_moved = threading.Event()
    release = threading.Event()
    results: dict[str, object] = {}

    def first():
        try:
            with tenant_scope(tenant_a):
                stages.order_stage_move(
                    tenant=tenant_a, order_id=order.pk, to_stage_id=scheduled.pk, by=dispatcher_a
                )
                first_moved.set()
                release.wait(10)  # hold the row lock until the second one waits for it
            results["first"] = "moved"
        except Exception as exc:  # pragma: no cover - reported by the assertion below
            results["first"] = exc
            first_moved.set()
        finally:
            connection.close()

    def second():
        first_moved.wait(10)
        try:
            with tenant_scope(tenant_a):
                stages.order_stage_move(
                    tenant=tenant_a, order_id=order.pk, to_stage_id=scheduled.pk, by=dispatcher_a
                )
            results["second"] = "moved"
        except OrderTransitionRefused as exc:
            results["second"] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    first_moved.wait(10)
    threading.Event().wait(0.5)  # the second is now blocked on the row lock
    release.set()
    for thread in threads:
        thread.join(20)
    assert results["first"] == "moved"
    assert isinstance(results["second"], OrderTransitionRefused)
    assert results["second"].order.state == OrderState.SCHEDULED
    assert StageLog.objects.filter(order_id=order.pk).count() == 1


# --- Demo -------------------------------------------------------------------------------------


def test_the_demo_has_a_stage_tree_in_the_tenants_language_and_orders_in_each_state(
    tenant_a, make_member
):
    from service_orders import demo
    from tenancy.roles import Role
    from tests.factories import ServiceObjectFactory, ServiceTaskFactory

    tenant_a.default_language = "pl"
    tenant_a.save()
    customer = CustomerFactory(tenant=tenant_a)
    ServiceObjectFactory(customer=customer)
    ServiceTaskFactory(tenant=tenant_a)
    people = {
        "manager": make_member(tenant_a, Role.SERVICE_MANAGER),
        "dispatcher": make_member(tenant_a, Role.DISPATCHER),
        "tech1": make_member(tenant_a, Role.TECHNICIAN),
    }
    demo.seed(tenant=tenant_a, people=people)
    demo.seed(tenant=tenant_a, people=people)  # idempotent
    names = list(OrderStage.objects.filter(tenant=tenant_a).values_list("name", flat=True))
    assert names[:3] == ["Nowe", "Zaplanowane", "W drodze"] and "Anulowane" in names
    made = ServiceOrder.objects.filter(tenant=tenant_a, origin="manual")
    assert made.count() == 7
    assert set(made.values_list("state", flat=True)) == {
        OrderState.NEW,
        OrderState.SCHEDULED,
        OrderState.IN_PROGRESS,
        OrderState.ON_HOLD,
        OrderState.COMPLETED,
        OrderState.CANCELLED,
    }
    today = tenant_a.today()
    tech_orders = made.filter(assigned_technician=people["tech1"], preferred_date__gte=today)
    assert tech_orders.filter(preferred_date=today).exists() and tech_orders.count() >= 4
    hold = made.get(state=OrderState.ON_HOLD)
    assert StageLog.objects.filter(order=hold, reason_code__name="Oczekiwanie na części").exists()
