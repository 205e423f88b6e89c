"""Writing a run's sequences and offers, and reading them back with dismissals respected."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, delete, exists, func, insert, select

from tenure.domains.crosssell.compute import CrossSell, offer_rows, pair_rows
from tenure.domains.crosssell.models import CustomerOffer, OfferDismissal, SequencePair
from tenure.domains.scoring.models import ScoringRun
from tenure.storage.base import table_of
from tenure.storage.bulk import insert_frames
from tenure.storage.rows import plain_rows


def write_run(conn: Connection, run_id: int, found: CrossSell) -> None:
    """Insert a run's pairs and offers (in the run's transaction)."""
    writes = []
    if found.pairs.height:
        writes.append((table_of(SequencePair), pair_rows(run_id, found.pairs)))
    if found.offers.height:
        writes.append((table_of(CustomerOffer), offer_rows(run_id, found.offers)))
    if writes:
        insert_frames(conn, writes)
    _forget_old_offers(conn, run_id)


KEPT_RUNS = 2  # finished runs whose offers stay beside the new run's


def _forget_old_offers(conn: Connection, run_id: int) -> None:
    """Delete the offers of runs before the newest finished ones.

    Only the latest finished run's offers are read (pages, the API, the ``cross_sell_due``
    trigger), and a run being written must not take them from under its readers; a daily run
    keeping every run's offers grows the table by a few rows per customer each day. The
    sequences stay: they are a few hundred rows a run and say how the pairs moved.
    """
    newest = (
        select(ScoringRun.id)
        .where(ScoringRun.status == "done", ScoringRun.id != run_id)
        .order_by(ScoringRun.id.desc())
        .limit(KEPT_RUNS)
    )
    kept = [run_id, *conn.scalars(newest)]
    conn.execute(delete(CustomerOffer).where(CustomerOffer.run_id.not_in(kept)))


def pairs(
    conn: Connection,
    run_id: int,
    *,
    level: str | None = None,
    category: str | None = None,
    min_share: float = 0.0,
    min_z: float | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """Return a page of a run's pairs, strongest (z) first, and how many match."""
    sp = SequencePair
    where = [sp.run_id == run_id, sp.share >= min_share]
    if level is not None:
        where.append(sp.level == level)
    if category is not None:
        where.append((sp.a_category == category) | (sp.b_category == category))
    if min_z is not None:
        where.append(sp.z >= min_z)
    total = conn.execute(select(func.count()).select_from(sp).where(*where)).scalar_one()
    rows = conn.execute(
        select(table_of(SequencePair))
        .where(*where)
        .order_by(sp.z.desc(), sp.level, sp.a, sp.b)
        .limit(limit)
        .offset(offset)
    ).mappings()
    return plain_rows(rows), int(total)


def categories(conn: Connection, run_id: int) -> list[str]:
    """Return the categories of a run's pairs, for the page's filter."""
    sp = SequencePair
    found = {
        c
        for row in conn.execute(
            select(sp.a_category, sp.b_category).where(sp.run_id == run_id).distinct()
        )
        for c in row
        if c is not None
    }
    return sorted(found)


def _not_dismissed(now: datetime) -> Any:
    od, co = OfferDismissal, CustomerOffer
    return ~(
        select(od.id)
        .where(od.customer_id == co.customer_id, od.item == co.item, od.until > now)
        .exists()
    )


def customer_offers(
    conn: Connection, run_id: int, customer_id: int, now: datetime
) -> list[dict[str, Any]]:
    """Return a customer's offers in a run, best first, without the dismissed ones."""
    co = CustomerOffer
    rows = conn.execute(
        select(table_of(CustomerOffer))
        .where(co.run_id == run_id, co.customer_id == customer_id, _not_dismissed(now))
        .order_by(co.level.desc(), co.rank)
    ).mappings()
    return plain_rows(rows)


def due(
    conn: Connection,
    run_id: int,
    as_of: date,
    now: datetime,
    *,
    a: str | None = None,
    b: str | None = None,
    level: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """Return a page of the customers due now for an offer from a sequence, and how many.

    Due: the offer comes from a pair (A, B) and the customer's first A is at least the pair's
    median lag ago. With ``a`` and ``b``, only that pair's; without, every pair's.
    """
    co = CustomerOffer
    where = [
        co.run_id == run_id,
        co.source == "sequence",
        co.due_on <= as_of,
        _not_dismissed(now),
    ]
    if a is not None:
        where.append(co.from_item == a)
    if b is not None:
        where.append(co.item == b)
    if level is not None:
        where.append(co.level == level)
    total = conn.execute(select(func.count()).select_from(co).where(and_(*where))).scalar_one()
    rows = conn.execute(
        select(table_of(CustomerOffer))
        .where(*where)
        .order_by(co.score.desc(), co.customer_id, co.item)
        .limit(limit)
        .offset(offset)
    ).mappings()
    return plain_rows(rows), int(total)


def due_customers(
    conn: Connection, run_id: int, as_of: date, now: datetime, level: str | None = None
) -> int:
    """Return how many customers are due now for at least one offer from a sequence."""
    co = CustomerOffer
    where = [co.run_id == run_id, co.source == "sequence", co.due_on <= as_of, _not_dismissed(now)]
    if level is not None:
        where.append(co.level == level)
    found = conn.execute(select(func.count(func.distinct(co.customer_id))).where(*where))
    return int(found.scalar_one())


def due_by_pair(
    conn: Connection, run_id: int, as_of: date, now: datetime
) -> dict[tuple[str, str, str], int]:
    """Return how many customers are due now for B of each pair: (level, a, b) → count."""
    co = CustomerOffer
    rows = conn.execute(
        select(co.level, co.from_item, co.item, func.count(func.distinct(co.customer_id)))
        .where(
            co.run_id == run_id, co.source == "sequence", co.due_on <= as_of, _not_dismissed(now)
        )
        .group_by(co.level, co.from_item, co.item)
    )
    return {(level, a or "", b): int(n) for level, a, b, n in rows}


def dismiss(
    conn: Connection,
    customer_id: int,
    item: str,
    until: datetime,
    now: datetime,
    user_id: int | None,
) -> int:
    """Record a dismissal; return its id."""
    return int(
        conn.execute(
            insert(OfferDismissal)
            .values(
                customer_id=customer_id,
                item=item,
                until=until,
                dismissed_at=now,
                dismissed_by=user_id,
            )
            .returning(OfferDismissal.id)
        ).scalar_one()
    )


def _latest_run() -> Any:
    """Return the latest finished run's id and day as a one-row subquery (as ``latest_run``)."""
    return (
        select(ScoringRun.id, ScoringRun.as_of)
        .where(ScoringRun.status == "done")
        .order_by(ScoringRun.as_of.desc(), ScoringRun.id.desc())
        .limit(1)
        .subquery("latest_run")
    )


def due_for(
    customer_id: ColumnElement[Any], level: str, items: list[Any] | None, now: datetime
) -> ColumnElement[bool]:
    """Return the condition: the customer is due now for one of ``items`` (None: for any).

    Due as on the Cross-sell page: an offer from a sequence of the latest run at ``level``
    whose due day has come by the run's day, not dismissed at ``now``.
    """
    co, latest = CustomerOffer, _latest_run()
    where = [
        co.customer_id == customer_id,
        co.level == level,
        co.source == "sequence",
        co.due_on <= latest.c.as_of,
        _not_dismissed(now),
    ]
    if items is not None:
        where.append(co.item.in_(items))
    return exists(
        select(co.id).select_from(co).join(latest, co.run_id == latest.c.id).where(*where)
    )


def offer_score(
    customer_id: ColumnElement[Any], level: str, item: str | None, now: datetime
) -> ColumnElement[Any]:
    """Return the score of the customer's offer of ``item`` in the latest run (None: the best).

    Null when the latest run offers the customer no such item, or the offer was dismissed.
    """
    co, latest = CustomerOffer, _latest_run()
    where = [co.customer_id == customer_id, co.level == level, _not_dismissed(now)]
    if item is not None:
        where.append(co.item == item)
    return (
        select(func.max(co.score))
        .select_from(co)
        .join(latest, co.run_id == latest.c.id)
        .where(*where)
        .scalar_subquery()
    )


def offers_of(conn: Connection, customer_id: int, now: datetime) -> list[dict[str, Any]]:
    """Return one customer's offers in the latest run with whether each is due, not dismissed."""
    co, latest = CustomerOffer, _latest_run()
    rows = conn.execute(
        select(
            co.level,
            co.item,
            co.score,
            and_(co.source == "sequence", co.due_on <= latest.c.as_of).label("due"),
        )
        .join(latest, co.run_id == latest.c.id)
        .where(co.customer_id == customer_id, _not_dismissed(now))
    ).mappings()
    return plain_rows(rows)
