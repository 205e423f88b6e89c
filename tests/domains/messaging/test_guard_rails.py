"""Guard rails at queue time: the send window on the customer's clock, priority under the cap."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import Connection, select, update
from sqlalchemy.orm import Session

from tenure.domains.messaging import service
from tenure.domains.messaging.models import Message
from tenure.kit.settings import MessagingSettings, Settings
from tests.domains.messaging.queueing import queue
from tests.factories import make_customer

NIGHT = datetime(2026, 12, 1, 23, 0, tzinfo=UTC)  # a Tuesday, 23:00 in the UTC business
DAY = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
CAPPED = Settings(messaging=MessagingSettings(marketing_cap=2, cap_days=7))


def _customer(session: Session, timezone: str | None = None) -> int:
    made = make_customer(session)
    made.email_consent = True
    made.timezone = timezone
    session.flush()
    return made.id


def _queue(conn: Connection, customer_id: int, key: str, **extra: object) -> service.QueuedEmail:
    return queue(conn, customer_id, key, **({"now": DAY, "settings": CAPPED} | extra))


def _goes_at(conn: Connection, message_id: int) -> datetime:
    found = service.show(conn, message_id)["next_attempt_at"]
    assert isinstance(found, datetime)
    return found


def test_marketing_mail_queued_in_quiet_hours_waits_for_the_window(
    conn: Connection, session: Session
) -> None:
    local = _customer(session)  # no zone of their own: the business's (UTC)
    shanghai = _customer(session, "Asia/Shanghai")
    # 23:00 UTC: quiet in the business zone until 08:00 …
    night = _queue(conn, local, "night", now=NIGHT)
    assert (night.status, _goes_at(conn, night.message_id)) == (
        "queued",
        datetime(2026, 12, 2, 8, tzinfo=UTC),
    )
    # … while in Shanghai it is 07:00 on the 2nd: the window opens there in an hour
    east = _queue(conn, shanghai, "east", now=NIGHT)
    assert _goes_at(conn, east.message_id) == datetime(2026, 12, 2, 0, tzinfo=UTC)
    # 10:00 UTC is 18:00 in Shanghai: open, so it goes now
    assert _goes_at(conn, _queue(conn, shanghai, "east-day").message_id) == DAY


def test_service_mail_goes_at_once_unless_a_step_asks_for_the_window(
    conn: Connection, session: Session
) -> None:
    cid = _customer(session)
    receipt = _queue(conn, cid, "receipt", template="thank-you", category="service", now=NIGHT)
    assert _goes_at(conn, receipt.message_id) == NIGHT
    polite = _queue(
        conn,
        cid,
        "polite",
        template="thank-you",
        category="service",
        now=NIGHT,
        send_window=True,
    )
    assert _goes_at(conn, polite.message_id) == datetime(2026, 12, 2, 8, tzinfo=UTC)
    urgent = _queue(conn, cid, "urgent", now=NIGHT, send_window=False)
    assert _goes_at(conn, urgent.message_id) == NIGHT


def test_the_window_comes_from_settings(conn: Connection, session: Session) -> None:
    cid = _customer(session, "Asia/Shanghai")
    weekdays = Settings(
        messaging=MessagingSettings(
            send_window_start=time(9),
            send_window_end=time(17),
            send_window_days=["mon", "tue", "wed", "thu", "fri"],
        )
    )
    # Friday 2026-12-04 10:00 UTC is 18:00 in Shanghai: next Monday 09:00 there (01:00 UTC)
    friday = datetime(2026, 12, 4, 10, tzinfo=UTC)
    queued = _queue(conn, cid, "fri", now=friday, settings=weekdays)
    assert _goes_at(conn, queued.message_id) == datetime(2026, 12, 7, 1, tzinfo=UTC)


def test_a_higher_priority_playbook_displaces_a_queued_lower_one(
    conn: Connection, session: Session
) -> None:
    cid = _customer(session)
    low = [
        _queue(conn, cid, f"low-{n}", priority=10, source="playbook:newsletter", now=NIGHT)
        for n in range(2)
    ]
    assert [m.status for m in low] == ["queued", "queued"]
    high = _queue(
        conn, cid, "high", priority=90, source="playbook:save-them", now=NIGHT + timedelta(1)
    )
    assert (high.status, high.reason) == ("queued", None)
    stored = {
        k: (s, r)
        for k, s, r in conn.execute(
            select(Message.key, Message.status, Message.reason).where(Message.customer_id == cid)
        )
    }
    # one of the newsletter's gave way (the one that would go last), naming who displaced it
    assert stored == {
        "low-0": ("queued", None),
        "low-1": ("skipped", "displaced_by:playbook:save-them"),
        "high": ("queued", None),
    }
    # the cap holds: a third from a still higher playbook displaces the other newsletter …
    top = _queue(conn, cid, "top", priority=100, source="playbook:vip", now=NIGHT + timedelta(2))
    assert top.status == "queued"
    # … but never one of its peers or betters: now only priority 90+ is queued, so capped
    last = _queue(conn, cid, "last", priority=90, source="playbook:other", now=NIGHT + timedelta(3))
    assert (last.status, last.reason) == ("skipped", "frequency_cap")


def test_equal_priority_is_first_come_first_served(conn: Connection, session: Session) -> None:
    cid = _customer(session)
    for n in range(2):
        assert _queue(conn, cid, f"first-{n}", priority=50, now=NIGHT).status == "queued"
    late = _queue(conn, cid, "late", priority=50, source="playbook:other", now=NIGHT)
    assert (late.status, late.reason) == ("skipped", "frequency_cap")
    # mail queued without a priority (not from a playbook) neither displaces nor gives way
    plain = _customer(session)
    for n in range(2):
        assert _queue(conn, plain, f"plain-{n}", now=NIGHT).status == "queued"
    assert _queue(conn, plain, "plain-vip", priority=100, now=NIGHT).reason == "frequency_cap"


def test_sent_mail_still_counts_and_cannot_be_displaced(conn: Connection, session: Session) -> None:
    cid = _customer(session)
    for n in range(2):
        _queue(conn, cid, f"old-{n}", priority=0, now=DAY)
    conn.execute(update(Message).where(Message.key.in_(["old-0", "old-1"])).values(status="sent"))
    high = _queue(conn, cid, "high", priority=100, source="playbook:vip", now=DAY + timedelta(1))
    assert (high.status, high.reason) == ("skipped", "frequency_cap")
    # once the first left the cap's 7 days, one more fits
    later = _queue(conn, cid, "later", priority=100, now=DAY + timedelta(days=7, seconds=1))
    assert later.status == "queued"
