"""A small store with planted purchase sequences, made with the factories (not the demo)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from tenure.domains.orders.models import OrderLine
from tests.factories import make_customer, make_order

AS_OF = date(2024, 6, 18)  # day 160: some recent COF-001 buyers are due for KIT-004
START = datetime(2024, 1, 10, 12, tzinfo=UTC)
PRODUCTS = {
    "COF-001": "coffee",
    "KIT-004": "kitchen",
    "TEA-002": "coffee",
    "BOK-010": "books",
    "BTY-003": "beauty",
}
FILLERS = 150  # one-off buyers of 30 other products: the planted items are not everyone's
PRODUCTS.update({f"FIL-{j:03d}": "misc" for j in range(30)})


def _buy(session: Session, customer_id: int, day: int, product: str) -> None:
    order = make_order(
        session,
        customer=_Customer(customer_id),  # type: ignore[arg-type]
        ordered_at=START + timedelta(days=day),
    )
    session.add(
        OrderLine(order_id=order.id, line_no=1, product_id=product, category=PRODUCTS[product])
    )
    session.flush()


class _Customer:
    def __init__(self, id_: int) -> None:
        self.id = id_


def planted_store(session: Session, customers: int = 48) -> list[tuple[int, int, str]]:
    """Write the store; return every purchase as (customer_id, day offset, product).

    Customers 0 … 35 buy COF-001; two in three of them buy KIT-004 40–46 days later.
    Every fourth customer buys BTY-003, then BOK-010 70–73 days later. Everyone buys
    TEA-002 once, on a day that follows no plan. Customer 0 buys COF-001 twice. Then
    FILLERS customers buy one other product each.
    """
    bought: list[tuple[int, int, str]] = []
    for i in range(customers):
        cid = make_customer(session).id
        plan: list[tuple[int, str]] = [((i * 37) % 300, "TEA-002")]
        if i < 36:
            first = (i * 7) % 120
            plan.append((first, "COF-001"))
            if i % 3 != 2:
                plan.append((first + 40 + i % 7, "KIT-004"))
        if i % 4 == 0:
            plan.append((10 + i, "BTY-003"))
            plan.append((10 + i + 70 + i % 4, "BOK-010"))
        if i == 0:
            plan.append((200, "COF-001"))
        for day, product in plan:
            _buy(session, cid, day, product)
            bought.append((cid, day, product))
    for j in range(FILLERS):
        cid = make_customer(session).id
        day, product = (j * 13) % 300, f"FIL-{j % 30:03d}"
        _buy(session, cid, day, product)
        bought.append((cid, day, product))
    return bought
