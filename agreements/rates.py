"""The rate card as a pure object: what a line of work costs and sells for under an agreement.

``agreements.selectors.agreement_rates`` builds an ``AgreementRates`` from the agreement's own
entries and its group's defaults in the agreement's currency (an entry of the agreement replaces
the group's entry for the same thing). It answers without touching the database, so order
generation can price thousands of lines from a few queries.

Which entry prices a line:
- hours: the entry of the line's task, else of the task's category, else the one for every
  task; a price on the line itself wins over the card's price (the card still gives the cost);
- expenses: the amount entered is the cost; the price is the cost plus the card's markup;
- fixed fees: the entry with the fee line's description (case and spaces ignored);
- items: the card's entry for the item, else the item's own prices, which are in the tenant's
  currency, so only for an agreement in that currency.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from customers.models import LineKind

CENT = Decimal("0.01")
ZERO = Decimal("0")


def rate_key(
    *, kind: str, task_id=None, task_category: str = "", item_id=None, description=""
) -> str:
    """What an entry prices, as one string (unique per card and currency)."""
    if kind == "hour":
        if task_id:
            return f"hour:task:{task_id}"
        if task_category:
            return f"hour:category:{normalise(task_category)}"
        return "hour:"
    if kind == "fee":
        return f"fee:{normalise(description)}"
    if kind == "item":
        return f"item:{item_id}"
    return kind


def normalise(text: str) -> str:
    return " ".join((text or "").split()).casefold()


@dataclass(frozen=True)
class Rate:
    sales_price: Decimal | None = None
    cost_price: Decimal | None = None
    markup_percent: Decimal | None = None


@dataclass(frozen=True)
class LinePrice:
    unit_price: Decimal
    cost_price: Decimal


class AgreementRates:
    """The rate card in effect for one agreement (its entries over its group's defaults)."""

    def __init__(self, *, currency: str, entries: dict[str, Rate], item_prices_apply: bool = True):
        self.currency = currency
        self.entries = entries
        # An item's own prices are in the tenant's currency: usable only in that currency.
        self.item_prices_apply = item_prices_apply

    def __bool__(self) -> bool:
        return bool(self.entries)

    def hour_rate(self, task=None) -> Rate | None:
        keys = []
        if task is not None:
            keys.append(rate_key(kind="hour", task_id=task.pk))
            if task.category:
                keys.append(rate_key(kind="hour", task_category=task.category))
        keys.append(rate_key(kind="hour"))
        return next((self.entries[key] for key in keys if key in self.entries), None)

    def fee_rate(self, description: str) -> Rate | None:
        return self.entries.get(rate_key(kind="fee", description=description))

    def item_rate(self, item) -> Rate | None:
        return self.entries.get(rate_key(kind="item", item_id=item.pk)) if item else None

    @property
    def expense_markup(self) -> Decimal:
        rate = self.entries.get("expense")
        return rate.markup_percent if rate and rate.markup_percent is not None else ZERO

    def price(
        self,
        *,
        kind: str,
        task=None,
        item=None,
        description: str = "",
        unit_price: Decimal | None = None,
    ) -> LinePrice:
        """The unit price and unit cost of a line; ``unit_price`` is the line's own price (for
        an expense: what one unit cost), None when it has none."""
        if kind == LineKind.EXPENSE:
            cost = unit_price or ZERO
            marked_up = cost * (1 + self.expense_markup / 100)
            return LinePrice(marked_up.quantize(CENT, rounding=ROUND_HALF_UP), cost)
        if kind == LineKind.ITEM:
            rate = self.item_rate(item) or Rate()
            own = item is not None and self.item_prices_apply
            sales = rate.sales_price if rate.sales_price is not None else None
            if sales is None and own:
                sales = item.sales_price
            cost = rate.cost_price if rate.cost_price is not None else None
            if cost is None and own:
                cost = item.cost_price
            return LinePrice(
                unit_price if unit_price is not None else (sales or ZERO), cost or ZERO
            )
        if kind == LineKind.HOUR:
            rate = self.hour_rate(task) or Rate()
        elif kind == LineKind.FEE:
            rate = self.fee_rate(description) or Rate()
        else:
            rate = Rate()
        sales = unit_price if unit_price is not None else rate.sales_price
        return LinePrice(sales or ZERO, rate.cost_price or ZERO)


NO_RATES = AgreementRates(currency="", entries={})
