"""What each of two competing processes does in the concurrency tests (spawned, so importable)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from tenure.domains.loyalty import service
from tenure.domains.loyalty.earning import OrderFacts
from tenure.kit.errors import Conflict
from tenure.storage.engine import make_engine, write_transaction


def redeem(url: str, barrier: Any, customer_id: int, key: str, amount: int, at: datetime) -> str:
    """Redeem once after the barrier; return 'ok' or 'refused'."""
    engine = make_engine(url)
    try:
        barrier.wait()
        with write_transaction(engine) as conn:
            book = service.book(conn, "stars")
            service.redeem(conn, book, customer_id=customer_id, key=key, at=at, amount=amount)
        return "ok"
    except Conflict:
        return "refused"
    finally:
        engine.dispose()


def earn_all(url: str, barrier: Any, orders: list[tuple[int, int, datetime, str]]) -> int:
    """Earn every order (one transaction each) after the barrier; return entries written."""
    engine = make_engine(url)
    written = 0
    try:
        barrier.wait()
        for order_id, customer_id, at, amount in orders:
            with write_transaction(engine) as conn:
                book = service.book(conn, "stars")
                facts = OrderFacts(order_id, customer_id, at, Decimal(amount))
                written += sum(p.written for p in service.earn_order(conn, book, facts))
        return written
    finally:
        engine.dispose()
