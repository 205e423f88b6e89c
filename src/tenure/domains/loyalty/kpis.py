"""The loyalty KPI report: members beside comparable non-members, and tier migration.

The statistics are ``tenure.analytics.loyalty_kpis`` (coarsened exact matching, 95 %
intervals): this module reads the store, hands it frames and shapes the answer for the page,
the CLI and the API. The matched comparison is **not a causal effect** — members chose to
join. A report is kept in memory under a fingerprint of the store's state (members, tier
memberships, the newest order, the current run), so the Loyalty page does not compute it again
until one of them changes.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import date, timedelta
from typing import Any

import polars as pl
from sqlalchemy import Connection

from tenure.analytics import loyalty_kpis as stats
from tenure.domains.loyalty import kpi_repository as repo
from tenure.domains.loyalty.ledger import Book
from tenure.domains.loyalty.periods import add_months
from tenure.kit.errors import InvalidInput
from tenure.kit.timeutil import end_of_day

KEPT = 16  # reports kept in memory
_kept: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()


def _check(as_of: date, months: int, today: date) -> None:
    if as_of > today:
        raise InvalidInput(f"as_of: {as_of} is in the future (today is {today})")
    if not 1 <= months <= 120:
        raise InvalidInput(f"months: from 1 to 120 (got {months})")


def _comparison(found: stats.Comparison) -> dict[str, Any]:
    return {
        "outcome": found.outcome,
        "members": found.members,
        "non_members": found.non_members,
        "member_mean": found.member_mean,
        "member_ci": found.member_ci,
        "comparison_mean": found.comparison_mean,
        "comparison_ci": found.comparison_ci,
        "difference": found.difference,
        "difference_ci": found.difference_ci,
    }


def _matched(conn: Connection, book: Book, as_of: date) -> dict[str, Any]:
    programme = book.programme
    zone = programme.timezone
    rows = stats.index_rows(
        repo.paid_orders(conn, end_of_day(as_of, zone), zone),
        repo.join_days(conn, book.id, zone),
        as_of,
        starts=programme.starts_on,
        clv=repo.predicted_clv(conn),
    )
    done = stats.matched_comparison(rows)
    return {
        "members": done.members,
        "members_matched": done.members_matched,
        "non_members": done.non_members,
        "non_members_matched": done.non_members_matched,
        "strata": done.strata,
        "comparisons": [_comparison(c) for c in done.comparisons],
    }


def months_before(day: date, months: int) -> date:
    """Return the same day ``months`` earlier (the month's last day if it is shorter)."""
    first = add_months(day, -months)
    last = (add_months(first, 1) - timedelta(days=1)).day
    return first.replace(day=min(day.day, last))


def _migration(conn: Connection, book: Book, as_of: date, months: int) -> dict[str, Any]:
    tiers = book.programme.tiers
    start = months_before(as_of, months)
    first = repo.first_review(conn, book.id)
    if first is not None and start < first <= as_of:
        start = first  # no tier was held before the first review: start where history does
    if tiers is None:
        empty: dict[str, Any] = {"columns": [], "names": {}, "rows": []}
        return {"start": start.isoformat(), "end": as_of.isoformat(), **empty}
    members = repo.members_by(conn, book.id, end_of_day(as_of, book.programme.timezone))
    before, after = repo.tiers_on(conn, book.id, start), repo.tiers_on(conn, book.id, as_of)
    frame = pl.DataFrame(
        {
            "customer_id": members,
            "start": [before.get(c) for c in members],
            "end": [after.get(c) for c in members],
        },
        schema={"customer_id": pl.Int64, "start": pl.String, "end": pl.String},
    )
    levels = [t.key for t in tiers.levels]
    return {
        "start": start.isoformat(),
        "end": as_of.isoformat(),
        "columns": [None, *levels],
        "names": {t.key: {"name": t.name, "name_zh": t.name_zh} for t in tiers.levels},
        "rows": stats.migration(frame, levels),
    }


def report(
    conn: Connection, book: Book, *, as_of: date, months: int = 12, today: date
) -> dict[str, Any]:
    """Return the KPI report of the programme as of a day.

    The migration period is the ``months`` before ``as_of``, or from the first tier review
    if that came later (before it no one held a tier).
    """
    _check(as_of, months, today)
    key = (
        book.id,
        book.programme.model_dump_json(),
        as_of,
        months,
        repo.fingerprint(conn, book.id),
    )
    if key in _kept:
        _kept.move_to_end(key)
        return _kept[key]
    found = {
        "programme": book.programme.key,
        "enrolment": book.programme.enrolment.value,
        "as_of": as_of.isoformat(),
        "matched": _matched(conn, book, as_of),
        "migration": _migration(conn, book, as_of, months),
        "caveat": "comparable non-members — not a causal effect",
    }
    _kept[key] = found
    while len(_kept) > KEPT:
        _kept.popitem(last=False)
    return found
