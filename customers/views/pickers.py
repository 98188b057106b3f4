"""Search endpoints of the customer, service object and item pickers (web.pickers): tenant's
rows only, for roles that may see master data, at most PICKER_LIMIT rows from one query."""

from web.permissions import capability_required
from web.pickers import picker_query, picker_results

from .. import selectors
from ..capabilities import VIEW_MASTER_DATA


@capability_required(VIEW_MASTER_DATA)
def customer_search(request):
    return picker_results(
        selectors.customer_search(tenant=request.tenant, text=picker_query(request))
    )


@capability_required(VIEW_MASTER_DATA)
def service_object_search(request):
    customer = request.GET.get("customer", "")
    return picker_results(
        selectors.service_object_search(
            tenant=request.tenant,
            text=picker_query(request),
            customer_id=int(customer) if customer.isdigit() else None,
        )
    )


@capability_required(VIEW_MASTER_DATA)
def item_search(request):
    return picker_results(selectors.item_search(tenant=request.tenant, text=picker_query(request)))
