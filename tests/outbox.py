"""An outbox with a message in most statuses, for the API's and the web app's tests.

Messages are queued, delivered and left "unknown" by the outbox's own code: queued by
``queue_email``, two sent by ``deliver_due`` through the outbox-only transport, one claimed
by a sender whose lease then ran out (``unknown``), one refused at queue time (``skipped``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time, timedelta
from pathlib import Path

from sqlalchemy import Engine, select

from tenure.domains.customers.models import Customer
from tenure.domains.messaging import repository, service
from tenure.domains.messaging.delivery import deliver_due
from tenure.domains.messaging.transports import OutboxOnly
from tenure.kit.clock import FrozenClock
from tenure.kit.settings import MessagingSettings, Settings
from tenure.kit.timeutil import utcnow
from tenure.storage.engine import write_transaction

# a template whose HTML tries to run script: the message page must not let it
SCRIPTED = {
    "scripted.en.subject.liquid": "A note for {{ customer.first_name | default: 'you' }}",
    "scripted.en.txt.liquid": "Hello {{ customer.first_name | default: 'there' }},\nA plain note.",
    "scripted.en.html.liquid": (
        "<p id='hello'>Hello {{ customer.first_name | default: 'there' }}</p>"
        "<script>parent.document.title = 'scripted'; document.title = 'ran';</script>"
    ),
}


@dataclass(frozen=True)
class Filled:
    """What ``fill`` made: the playbook's name, the customers, the message ids by status."""

    playbook: str
    customer_ids: list[int]
    by_status: dict[str, list[int]]


def templates(folder: Path) -> Path:
    """Write the scripted template into ``folder``; return it."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in SCRIPTED.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def _customers(engine: Engine, consent: bool, n: int, skip: int) -> list[int]:
    with engine.connect() as conn:
        found = conn.execute(
            select(Customer.id)
            .where(Customer.email.like("%@%"), Customer.email_consent.is_(consent))
            .order_by(Customer.id)
            .offset(skip)
            .limit(n)
        ).scalars()
        return [int(i) for i in found]


def fill(engine: Engine, playbook: str, folder: Path, *, skip: int = 0) -> Filled:
    """Queue six messages from ``playbook``: two sent, one unknown, two queued, one skipped.

    ``skip`` picks other customers, so that tests sharing a store do not share them.
    """
    settings = Settings(  # no quiet hours: the test runs on the real clock, at any hour
        messaging=MessagingSettings(
            templates_dir=templates(folder), send_window_start=time(0), send_window_end=time(0)
        )
    )
    consenting = _customers(engine, True, 5, skip)
    refusing = _customers(engine, False, 1, skip)
    now = utcnow() - timedelta(minutes=5)
    plan = [
        (consenting[0], "thank-you", "service"),
        (consenting[1], "scripted", "service"),
        (consenting[2], "win-back-offer", "marketing"),
        (consenting[3], "thank-you", "service"),
        (consenting[4], "thank-you", "service"),
        (refusing[0], "win-back-offer", "marketing"),
    ]
    ids = []
    with write_transaction(engine) as conn:
        for n, (customer_id, template, category) in enumerate(plan):
            queued = service.queue_email(
                conn,
                key=f"test-outbox:{playbook}:{n}",
                customer_id=customer_id,
                template=template,
                category=category,
                source=f"playbook:{playbook}",
                # the two left queued are due in an hour: another test's delivery (the store
                # may be shared) does not send them
                now=now + (timedelta(hours=1) if n in (3, 4) else timedelta(seconds=n)),
                settings=settings,
            )
            ids.append(queued.message_id)
    # the first two due are sent; the third is claimed by a sender that stops (lease runs out)
    report = deliver_due(engine, OutboxOnly(), FrozenClock(now + timedelta(seconds=1)), 2)
    assert report.sent == ids[:2], report
    with write_transaction(engine) as conn:
        at = now + timedelta(seconds=2)
        claimed = repository.claim_due(conn, at, at + timedelta(seconds=1), 1)
        assert [c.id for c in claimed] == [ids[2]]
        assert repository.expire_claims(conn, at + timedelta(seconds=2)) == [ids[2]]
    return Filled(
        playbook,
        [c for c, _, _ in plan],
        {"sent": ids[:2], "unknown": [ids[2]], "queued": ids[3:5], "skipped": [ids[5]]},
    )
