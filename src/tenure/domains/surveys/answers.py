"""Survey answers reach the event feed as ``survey_answered``, so playbooks can follow them up.

NPS answers carry their band: promoter (9–10), passive (7–8), detractor (0–6). The event's key
is the answer itself (customer, survey, moment), so importing a file again adds nothing.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl
from sqlalchemy import Connection

from tenure.domains.events import feed
from tenure.domains.events.models import EventSource, SystemEventType


def nps_band(score: int | None) -> str | None:
    """Return the NPS band of a 0–10 score."""
    if score is None:
        return None
    if score >= 9:
        return "promoter"
    return "passive" if score >= 7 else "detractor"


def publish(conn: Connection, answers: pl.DataFrame, source: EventSource) -> int:
    """Write a ``survey_answered`` event per answer (customer_id, survey, score, answered_at)."""
    events = []
    for customer_id, survey, score, answered_at in answers.select(
        "customer_id", "survey", "score", "answered_at"
    ).iter_rows():
        at: datetime = answered_at
        properties = {"survey": survey, "score": score}
        if survey == "nps":
            properties["band"] = nps_band(score)
        events.append(
            feed.NewEvent(
                key=f"survey:{customer_id}:{survey}:{at.isoformat()}",
                customer_id=int(customer_id),
                type=SystemEventType.SURVEY_ANSWERED,
                occurred_at=at,
                properties=properties,
            )
        )
    return feed.append(conn, source, events, skip_existing=True)
