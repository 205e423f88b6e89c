"""Deliver the outbox: at most once through SMTP, with retries only where nothing was sent.

A pass works in chunks of up to ``CHUNK`` messages, over one transport session (one SMTP
connection). Each message goes through three committed steps:

1. claimed: ``sending`` (its lease: ``next_attempt_at`` = now + the lease), committed before
   the transport sees it — a whole chunk in one statement;
2. handed to the transport, one message after another;
3. ``sent`` (with its transport id, and a ``message_sent`` event in the same transaction), or
   ``queued`` again later (a transient refusal: nothing was sent), or ``failed``, or
   ``unknown`` (the connection broke after the data went out). The outcomes are recorded
   together: when the chunk is done (in the transaction that claims the next one), or once
   ``RECORD_EVERY`` has passed, whichever comes first.

A crash between 1 and 3 leaves ``sending``: the message may or may not have gone. Once its
lease has run out, the next pass marks it ``unknown`` for a person to review — it is never
resent automatically, because an SMTP send cannot be taken back or told apart from a second.
The trade-off of recording in groups: a crash leaves up to one chunk ``sending`` (some of
them perhaps never handed over), where one message at a time left one.

Each recording also moves the lease of the chunk's messages not yet handed over, so a slow
server never lets a claim run out under a message about to be sent; a message whose claim
another pass has expired meanwhile is left alone.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine

from tenure.domains.events import feed
from tenure.domains.events.models import EventSource, SystemEventType
from tenure.domains.messaging import repository
from tenure.domains.messaging.models import MessageStatus
from tenure.domains.messaging.repository import Claimed
from tenure.domains.messaging.transports import (
    DeliveryUnknown,
    Outgoing,
    PermanentFailure,
    Session,
    TransientFailure,
    Transport,
)
from tenure.kit.clock import Clock
from tenure.storage.engine import write_transaction

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BACKOFF_BASE = timedelta(minutes=1)  # 1, 5, 25, 125 minutes after the 1st…4th attempt
BACKOFF_FACTOR = 5
CHUNK = 50  # claimed at once; at most this many are left ``sending`` by a crash
RECORD_EVERY = 0.1  # seconds: outcomes wait no longer than this to be recorded


@dataclass
class DeliveryReport:
    """What one pass did, by message id."""

    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    unknown: list[int] = field(default_factory=list)  # found stuck in ``sending``, or unsure


def backoff(attempts: int) -> timedelta:
    """Return how long to wait after the ``attempts``-th transient failure."""
    return BACKOFF_BASE * int(BACKOFF_FACTOR ** max(attempts - 1, 0))


def deliver_due(
    engine: Engine,
    transport: Transport,
    clock: Clock,
    limit: int = 500,
    *,
    lease_seconds: int = 300,
    max_attempts: int = MAX_ATTEMPTS,
    chunk: int = CHUNK,
) -> DeliveryReport:
    """Send up to ``limit`` due messages, ``chunk`` at a time (see the module)."""
    report = DeliveryReport()
    with write_transaction(engine) as conn:
        report.unknown.extend(repository.expire_claims(conn, clock.now()))
    if report.unknown:
        log.warning("messages left sending by a stopped sender, now unknown: %s", report.unknown)
    ledger = _Ledger(engine, clock, timedelta(seconds=lease_seconds), max_attempts, report)
    pending: deque[Claimed] = deque()
    with transport.session() as session:
        try:
            pending = deque(ledger.record(claim=min(chunk, limit)))
            taken = len(pending)
            while pending:
                if ledger.due():
                    pending = deque(ledger.record(extend=list(pending)))
                    if not pending:
                        break
                ledger.hand_over(session, pending.popleft())
                if not pending:
                    pending = deque(ledger.record(claim=min(chunk, limit - taken)))
                    taken += len(pending)
        finally:  # stopped by an error: keep what is known, give back what was not sent
            ledger.record(release=list(pending))
    return report


@dataclass
class _Outcome:
    message: Claimed
    status: MessageStatus
    reason: str | None = None
    transport_id: str = ""


class _Ledger:
    """The pass's outcomes not yet recorded, and when it last wrote to the store."""

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        lease: timedelta,
        max_attempts: int,
        report: DeliveryReport,
    ) -> None:
        self.engine, self.clock, self.lease = engine, clock, lease
        self.max_attempts = max_attempts
        self.report = report
        self.outcomes: list[_Outcome] = []
        self.written = time.monotonic()  # the last recording, and so the lease's last move

    def due(self) -> bool:
        """Tell whether outcomes have waited long enough, or half the lease has gone by."""
        waited = time.monotonic() - self.written
        return bool(self.outcomes and waited >= RECORD_EVERY) or (
            waited >= self.lease.total_seconds() / 2
        )

    def hand_over(self, session: Session, message: Claimed) -> None:
        """Send ``message`` and note what became of it."""
        outgoing = Outgoing(
            message_id=message.id,
            to_address=message.to_address,
            subject=message.subject,
            html=message.html,
            text=message.text,
            category=message.category,
            unsubscribe_url=message.unsubscribe_url,
        )
        try:
            transport_id = session.send(outgoing)
        except TransientFailure as exc:
            if message.attempts >= self.max_attempts:
                self.outcomes.append(_Outcome(message, MessageStatus.FAILED, exc.reason))
            else:
                self.outcomes.append(_Outcome(message, MessageStatus.QUEUED, exc.reason))
        except PermanentFailure as exc:
            self.outcomes.append(_Outcome(message, MessageStatus.FAILED, exc.reason))
        except DeliveryUnknown as exc:
            log.warning("message %s: %s; marked unknown", message.id, exc)
            self.outcomes.append(_Outcome(message, MessageStatus.UNKNOWN, "connection_lost"))
        except Exception:  # the transport cannot tell whether it went: never resent
            log.exception("message %s: the transport failed midway; marked unknown", message.id)
            self.outcomes.append(_Outcome(message, MessageStatus.UNKNOWN, "transport_error"))
        else:
            self.outcomes.append(_Outcome(message, MessageStatus.SENT, transport_id=transport_id))

    def record(
        self,
        *,
        claim: int = 0,
        extend: list[Claimed] | None = None,
        release: list[Claimed] | None = None,
    ) -> list[Claimed]:
        """Write the outcomes, then extend or claim, in one transaction.

        Returns the messages of ``extend`` still claimed (their lease moved on), or the up to
        ``claim`` messages newly claimed. ``release``: messages never handed over, given back.
        """
        if not (self.outcomes or claim or extend or release):
            return []
        now = self.clock.now()
        with write_transaction(self.engine) as conn:
            self._write(conn)
            if release:
                repository.release_claims(conn, [m.id for m in release], now)
            if extend:
                kept = repository.extend_claims(conn, [m.id for m in extend], now + self.lease)
                got = [m for m in extend if m.id in kept]
            else:
                got = repository.claim_due(conn, now, now + self.lease, claim)
        self.written = time.monotonic()
        self._report()
        return got

    def _write(self, conn: Connection) -> None:
        now = self.clock.now()
        sent = [o for o in self.outcomes if o.status is MessageStatus.SENT]
        marked = repository.finish_sent(conn, [(o.message.id, o.transport_id) for o in sent], now)
        events = [_sent_event(o.message, now) for o in sent if o.message.id in marked]
        feed.append(conn, EventSource.PLAYBOOK, events)
        for outcome in self.outcomes:
            if outcome.status is MessageStatus.SENT:
                if outcome.message.id not in marked:
                    # its lease ran out meanwhile: another pass marked it unknown
                    outcome.status = MessageStatus.UNKNOWN
                continue
            retry_at = None
            if outcome.status is MessageStatus.QUEUED:
                retry_at = now + backoff(outcome.message.attempts)
            done = repository.finish(
                conn,
                outcome.message.id,
                status=outcome.status.value,
                reason=outcome.reason,
                next_attempt_at=retry_at,
            )
            if not done:  # as above: it is unknown now
                outcome.status = MessageStatus.UNKNOWN

    def _report(self) -> None:
        into = {
            MessageStatus.SENT: self.report.sent,
            MessageStatus.QUEUED: self.report.retrying,
            MessageStatus.FAILED: self.report.failed,
            MessageStatus.UNKNOWN: self.report.unknown,
        }
        for outcome in self.outcomes:
            into[outcome.status].append(outcome.message.id)
        self.outcomes = []


def _sent_event(message: Claimed, now: datetime) -> feed.NewEvent:
    return feed.NewEvent(
        key=f"message:{message.id}:sent",
        customer_id=message.customer_id,
        type=SystemEventType.MESSAGE_SENT,
        occurred_at=now,
        properties={
            "message_id": message.id,
            "template": message.template,
            "category": message.category,
            "source": message.source,
        },
    )
