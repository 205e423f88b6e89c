"""A salesperson's day and a lead's score explained.

Who to call today (``call_list``), per salesperson:

- hot leads: their potential customers whose lead score is hot, the highest first;
- follow-ups: their open tasks due today or overdue, the oldest due first;
- leads cooling: their potential customers whose lead band fell (hot → warm, hot or warm →
  cold) in the last ``COOLING_DAYS`` days — a lead going cold is worth a call before it is gone;
  the likeliest to buy first (learned chance, then lead score), at most ``LIST_LIMIT`` shown.

``lead_profile`` says why a lead scores what it does: the ideal-customer rules it meets and
misses with their points, its recent activity by kind, and the learned chance of a first
purchase.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from tenure.domains.sales import repository
from tenure.domains.segments import fields
from tenure.domains.tasks import service as tasks
from tenure.kit.filters import matches
from tenure.kit.settings import Settings
from tenure.kit.settings.leads import FitRule
from tenure.kit.timeutil import start_of_day

COOLING_DAYS = 14
ACTIVITY_DAYS = 30
LIST_LIMIT = 25
BAND_RANK = {"cold": 0, "warm": 1, "hot": 2}


@dataclass(frozen=True)
class CallList:
    """What a salesperson has to do today, in the order to do it."""

    overdue: list[dict[str, Any]]
    due_today: list[dict[str, Any]]
    hot: list[dict[str, Any]]
    cooling: list[dict[str, Any]]  # the likeliest LIST_LIMIT to buy
    cooling_total: int = 0

    @property
    def empty(self) -> bool:
        """True when there is nothing to do."""
        return not (self.overdue or self.due_today or self.hot or self.cooling)


def cooling_leads(
    conn: Connection, owner_id: int, today: date, timezone: str
) -> list[dict[str, Any]]:
    """Return the owner's leads whose band fell in the last COOLING_DAYS days, newest first.

    One row a lead (its latest fall), with ``from`` and ``to``; a lead whose band rose again
    since is left out — it is warming, not cooling.
    """
    since = start_of_day(today - timedelta(days=COOLING_DAYS - 1), timezone)
    found: dict[int, dict[str, Any]] = {}
    for row in repository.band_drops(conn, owner_id, since):
        props = row.pop("properties") or {}
        if row["id"] in found or props.get("score") != "lead_band":
            continue
        before = BAND_RANK.get(str(props.get("from")))
        after = BAND_RANK.get(str(props.get("to")))
        if before is None or after is None:
            continue
        # the newest change decides: a fall counts, a rise means the lead is warming again
        found[row["id"]] = {**row, "from": props["from"], "to": props["to"], "fell": after < before}
    return [r for r in found.values() if r.pop("fell")]


def call_list(conn: Connection, owner_id: int, today: date, timezone: str) -> CallList:
    """Return who ``owner_id`` should call today (see the module's docstring)."""
    overdue, _ = tasks.list_tasks(conn, assignee_id=owner_id, due="overdue", today=today, limit=200)
    due_today, _ = tasks.list_tasks(conn, assignee_id=owner_id, due="today", today=today, limit=200)
    cooling = sorted(
        cooling_leads(conn, owner_id, today, timezone),
        key=lambda r: (-(r["lead_conversion"] or 0.0), -(r["lead_score"] or 0.0), r["id"]),
    )
    return CallList(
        overdue=sorted(overdue, key=lambda t: (t["due_on"], t["id"])),
        due_today=due_today,
        hot=repository.leads_of(conn, owner_id, ("hot",), LIST_LIMIT),
        cooling=cooling[:LIST_LIMIT],
        cooling_total=len(cooling),
    )


@dataclass(frozen=True)
class RuleMet:
    """One ideal-customer rule and whether the lead meets it."""

    rule: FitRule
    met: bool


@dataclass(frozen=True)
class LeadProfile:
    """Why a lead scores what it does."""

    rules: list[RuleMet]
    activity: dict[str, int]  # the lead's own events of the last ACTIVITY_DAYS days, by type
    last_activity: datetime | None
    scores: dict[str, Any] = field(default_factory=dict)  # lead_fit … lead_conversion


def lead_profile(
    conn: Connection, customer_id: int, settings: Settings, now: datetime
) -> LeadProfile | None:
    """Return why the customer scores as a lead, or None if they are not a lead."""
    record = fields.record(conn, customer_id)
    if record is None or record.get("stage") != "potential":
        return None
    rules = [RuleMet(rule, matches(rule.when, record)) for rule in settings.leads.fit_rules]
    return LeadProfile(
        rules=rules,
        activity=repository.activity_by_type(
            conn, customer_id, now - timedelta(days=ACTIVITY_DAYS)
        ),
        last_activity=repository.last_activity(conn, customer_id),
        scores={
            k: record.get(k)
            for k in ("lead_fit", "lead_engagement", "lead_score", "lead_band", "lead_conversion")
        },
    )
