"""Run-fed triggers: who crossed a playbook's own line, or became due for B, between two runs.

A band change is news the run writes to the feed; a line like "churn risk above 0.7" belongs
to one playbook, so the playbook looks for it itself: when a new run has become the latest, it
compares each customer's score in that run with the run before (``score_history``) and enrolls
those who went from at or below the line to above it (or the other way for ``below``). The
last run a playbook has looked at is kept as its cursor, so each run is looked at once.

``cross_sell_due`` is looked for the same way: the customers whose stored sequence offer of B
(``customer_offers`` of the new run) fell due after the previous run's day and by the new run's
day (first A + the pair's median lag; on the first run, on its day).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import Connection, and_, insert, select, update
from sqlalchemy.orm import aliased

from tenure.domains.automation.definition import CrossSellDue, ScoreCrossed
from tenure.domains.automation.enrollment import CHUNK, Version, admit
from tenure.domains.crosssell.models import CustomerOffer
from tenure.domains.events.models import FeedCursor
from tenure.domains.scoring import repository as scoring
from tenure.domains.scoring.models import ScoreHistory, ScoringRun

NUMERIC = {"churn_risk", "p_alive", "clv", "lead_score", "health_score"}


def _cursor(name: str) -> str:
    return f"playbook:{name}:runs"


def lines_of(version: Version) -> list[ScoreCrossed]:
    """Return a playbook's numeric score lines."""
    return [
        t.score_crossed
        for t in version.playbook.trigger
        if t.score_crossed is not None and t.score_crossed.score in NUMERIC
    ]


def dues_of(version: Version) -> list[CrossSellDue]:
    """Return a playbook's ``cross_sell_due`` triggers."""
    return [t.cross_sell_due for t in version.playbook.trigger if t.cross_sell_due is not None]


def became_due(
    conn: Connection, due: CrossSellDue, run_id: int, before_id: int | None
) -> list[int]:
    """Return the customers whose offer of ``due.item`` in run ``run_id`` fell due.

    Due after the day of run ``before_id`` and by run ``run_id``'s (without one: on its day).
    """
    day = conn.execute(select(ScoringRun.as_of).where(ScoringRun.id == run_id)).scalar_one()
    since: date = day - timedelta(days=1)
    if before_id is not None:
        since = conn.execute(
            select(ScoringRun.as_of).where(ScoringRun.id == before_id)
        ).scalar_one()
    rows = conn.execute(
        select(CustomerOffer.customer_id, CustomerOffer.from_on, CustomerOffer.lag_median).where(
            CustomerOffer.run_id == run_id,
            CustomerOffer.level == due.level,
            CustomerOffer.item == due.item,
            CustomerOffer.source == "sequence",
            CustomerOffer.due_on == day,
        )
    ).all()
    found = set()
    for customer_id, from_on, lag in rows:
        if from_on is None or lag is None:
            continue
        falls = from_on + timedelta(days=round(lag))  # as the offer's due day is rounded
        if since < falls <= day:
            found.add(int(customer_id))
    return sorted(found)


def last_run_seen(conn: Connection, name: str) -> int | None:
    """Return the latest run a playbook has compared, if any."""
    found = conn.execute(
        select(FeedCursor.event_id).where(FeedCursor.consumer == _cursor(name))
    ).scalar_one_or_none()
    return None if found is None else int(found)


def mark_seen(conn: Connection, name: str, run_id: int, now: datetime) -> None:
    """Remember that a playbook has compared run ``run_id`` (its publication marks the latest)."""
    moved = conn.execute(
        update(FeedCursor)
        .where(FeedCursor.consumer == _cursor(name))
        .values(event_id=run_id, updated_at=now)
    ).rowcount
    if not moved:
        conn.execute(
            insert(FeedCursor).values(consumer=_cursor(name), tx=0, event_id=run_id, updated_at=now)
        )


def crossed(conn: Connection, line: ScoreCrossed, run_id: int, before_id: int) -> list[int]:
    """Return the customers whose score crossed ``line`` from run ``before_id`` to ``run_id``."""
    now_, then = ScoreHistory, aliased(ScoreHistory)
    current, previous = getattr(now_, line.score), getattr(then, line.score)
    if line.above is not None:
        condition = and_(previous <= line.above, current > line.above)
    else:
        condition = and_(previous >= line.below, current < line.below)
    rows = conn.execute(
        select(now_.customer_id)
        .join(then, and_(then.customer_id == now_.customer_id, then.run_id == before_id))
        .where(now_.run_id == run_id, condition)
    ).scalars()
    return [int(c) for c in rows]


def enroll_from_scores(conn: Connection, version: Version, now: datetime) -> int:
    """Enroll the customers who crossed a playbook's numeric line since the run it last saw."""
    lines, dues = lines_of(version), dues_of(version)
    if not lines and not dues:
        return 0
    latest = scoring.latest_run(conn)
    seen = last_run_seen(conn, version.name)
    if latest is None or seen == latest:
        return 0
    if seen is None:  # the first look: react to the runs after this one
        mark_seen(conn, version.name, latest, now)
        return 0
    before = scoring.previous_of(conn, latest)
    enrolled = 0
    if version.status == "active":
        candidates: dict[int, tuple[str, int | None]] = {}
        for line in lines:
            for customer_id in crossed(conn, line, latest, before) if before is not None else []:
                candidates.setdefault(customer_id, ("score_crossed", None))
        for due in dues:
            for customer_id in became_due(conn, due, latest, before):
                candidates.setdefault(customer_id, ("cross_sell_due", None))
        ids = sorted(candidates)
        for start in range(0, len(ids), CHUNK * 10):
            chunk = {c: candidates[c] for c in ids[start : start + CHUNK * 10]}
            enrolled += len(admit(conn, version, chunk, now))
    mark_seen(conn, version.name, latest, now)
    return enrolled
