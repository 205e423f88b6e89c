"""Delivery through a real SMTP server on loopback: headers, retries, failures, crashes."""

from __future__ import annotations

import asyncio
import email
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from tenure.domains.customers.models import Customer
from tenure.domains.events.models import Event, SystemEventType
from tenure.domains.messaging import repository, service
from tenure.domains.messaging.delivery import deliver_due
from tenure.domains.messaging.models import Message
from tenure.domains.messaging.transports import OutboxOnly, Outgoing, Smtp
from tenure.kit.clock import FrozenClock, SystemClock
from tenure.kit.settings import BusinessSettings, Settings
from tenure.storage.engine import write_transaction
from tests.factories import make_customer

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SETTINGS = Settings()


@dataclass
class Mailbox:
    """An aiosmtpd handler: keeps what it accepts; answers 451 or 550 for chosen addresses."""

    received: list[EmailMessage] = field(default_factory=list)
    busy: dict[str, int] = field(default_factory=dict)  # address → 451 answers still to give
    refused: set[str] = field(default_factory=set)  # address → 550
    # the server hangs up once: at RCPT (nothing was sent), or after keeping the data unanswered
    drop_at_rcpt: set[str] = field(default_factory=set)
    drop_after_data: set[str] = field(default_factory=set)
    connections: int = 0
    delay: float = 0.0  # seconds before answering a message's data: a slow server
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_EHLO(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        self.connections += 1
        session.host_name = hostname  # what aiosmtpd does itself when there is no hook
        return responses

    async def handle_RCPT(  # noqa: N802  (aiosmtpd's hook name)
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address in self.drop_at_rcpt:
            self.drop_at_rcpt.discard(address)
            server.transport.close()  # the answer below never leaves
            return "250 OK"
        if address in self.refused:
            return "550 5.1.1 no such user"
        if self.busy.get(address, 0) > 0:
            self.busy[address] -= 1
            return "451 4.3.0 try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.delay:
            await asyncio.sleep(self.delay)
        parsed = email.message_from_bytes(envelope.original_content, policy=default_policy)
        assert isinstance(parsed, EmailMessage)
        with self.lock:
            self.received.append(parsed)
        dropped = self.drop_after_data & set(envelope.rcpt_tos)
        if dropped:  # delivered, but the client never hears so
            self.drop_after_data -= dropped
            server.transport.close()
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.received if m["To"] == address]


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, Smtp]]:
    """A real SMTP server on a free loopback port, and a transport that sends to it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    transport = Smtp(
        "127.0.0.1",
        port,
        from_address="Acme 商店 <hello@acme.test>",
        security="none",
        timeout=10,
    )
    try:
        yield mailbox, transport
    finally:
        controller.stop()


@pytest.fixture
def store(engine: Engine) -> Iterator[Engine]:
    """The store with an empty outbox before and after (delivery sees every due message)."""
    _clear(engine)
    yield engine
    _clear(engine)


def _clear(engine: Engine) -> None:
    with engine.begin() as conn:
        ids = select(Message.customer_id)
        conn.execute(delete(Event).where(Event.customer_id.in_(ids)))
        doomed = [int(i) for i in conn.execute(ids.distinct()).scalars()]
        conn.execute(delete(Message))
        conn.execute(delete(Customer).where(Customer.id.in_(doomed)))


def _customers(engine: Engine, *addresses: str) -> dict[str, int]:
    with Session(engine) as session:
        made = {}
        for address in addresses:
            customer = make_customer(session, email=address)
            customer.name = "王小明" if address.startswith("zh") else "Ann Lee"
            customer.email_consent = True
            made[address] = customer
        session.commit()
        return {address: c.id for address, c in made.items()}


def _queue(
    engine: Engine,
    customer_id: int,
    *,
    template: str = "win-back-offer",
    category: str = "marketing",
    settings: Settings = SETTINGS,
) -> int:
    with write_transaction(engine) as conn:
        queued = service.queue_email(
            conn,
            key=f"test:{customer_id}:{template}",
            customer_id=customer_id,
            template=template,
            category=category,
            source="playbook:win-back",
            now=START,
            settings=settings,
        )
    assert queued.status == "queued"
    return queued.message_id


def _message(engine: Engine, message_id: int) -> dict[str, Any]:
    with engine.connect() as conn:
        return service.show(conn, message_id)


def _sent_events(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(Event.customer_id, Event.properties, Event.source).where(
                Event.type == SystemEventType.MESSAGE_SENT.value
            )
        )
        return [dict(r._mapping) for r in rows]


def test_messages_arrive_with_their_headers_in_both_languages(
    store: Engine, smtp: tuple[Mailbox, Smtp]
) -> None:
    mailbox, transport = smtp
    ids = _customers(store, "en@shop.test", "zh@shop.test")
    offer = _queue(store, ids["en@shop.test"])
    thanks = _queue(store, ids["en@shop.test"], template="thank-you", category="service")
    chinese = Settings(business=BusinessSettings(locale="zh"))
    zh_offer = _queue(store, ids["zh@shop.test"], settings=chinese)
    clock = FrozenClock(START)

    report = deliver_due(store, transport, clock)

    assert sorted(report.sent) == sorted([offer, thanks, zh_offer])
    assert len(mailbox.received) == 3
    marketing, service_mail = (
        next(m for m in mailbox.to("en@shop.test") if m["Subject"].startswith(p))
        for p in ("We miss you", "Thank you")
    )
    unsubscribe = _message(store, offer)["unsubscribe_url"]
    # a long header may be folded on the wire; unfolded, the space it leaves means nothing
    assert marketing["List-Unsubscribe"].strip() == f"<{unsubscribe}>"
    assert marketing["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert service_mail["List-Unsubscribe"] is None
    assert service_mail["List-Unsubscribe-Post"] is None
    for mail in (marketing, service_mail):
        assert mail["Message-ID"] and mail["Date"]
        assert mail["From"] == "Acme 商店 <hello@acme.test>"
        assert mail.get_content_type() == "multipart/alternative"
        parts = [p.get_content_type() for p in mail.iter_parts()]
        assert parts == ["text/plain", "text/html"]
    assert "Hi Ann," in marketing.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "<p>Hi Ann,</p>" in marketing.get_body(("html",)).get_content()  # type: ignore[union-attr]
    # the Chinese subject travels encoded (RFC 2047) and reads back the same
    zh_mail = mailbox.to("zh@shop.test")[0]
    assert zh_mail["Subject"] == "好久不见，给您准备了一份礼遇"
    assert "王小明，您好" in zh_mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    # each message is sent, with the SMTP Message-ID, and one message_sent event
    stored = _message(store, offer)
    assert stored["status"] == "sent"
    assert stored["sent_at"] == START
    assert stored["transport_id"] == marketing["Message-ID"]
    events = _sent_events(store)
    assert len(events) == 3
    assert {
        "message_id": offer,
        "template": "win-back-offer",
        "category": "marketing",
        "source": "playbook:win-back",
    } in [e["properties"] for e in events]
    assert {e["source"] for e in events} == {"playbook"}
    # a second pass sends nothing again and writes no event
    assert deliver_due(store, transport, clock).sent == []
    assert len(mailbox.received) == 3
    assert len(_sent_events(store)) == 3


def test_a_chinese_subject_is_encoded_on_the_wire(smtp: tuple[Mailbox, Smtp]) -> None:
    _, transport = smtp
    outgoing = Outgoing(1, "zh@shop.test", "好久不见", "<p>你好</p>", "你好", "service", None)
    _, wire = transport.build(outgoing)
    assert b"Subject: =?utf-8?b?" in wire
    assert "好久不见".encode() not in wire.split(b"\n\n", 1)[0]


def test_what_arrives_reads_back_as_what_was_queued(smtp: tuple[Mailbox, Smtp]) -> None:
    mailbox, transport = smtp
    subject = "好久不见，给您准备了一份礼遇 — " * 4  # long and not ASCII: several encoded words
    text = ".a line starting with a dot\n..two\n" + "long " * 60 + "\n\nend"
    html = "<p>" + "王小明，您好 " * 40 + "</p>\n<p>.</p>"
    sent = transport.send(Outgoing(7, "dot@shop.test", subject, html, text, "service", None))

    (mail,) = mailbox.received
    assert mail["Message-ID"] == sent
    assert mail["Subject"] == subject
    for subtype, content in (("plain", text), ("html", html)):
        part = mail.get_body((subtype,))
        assert part is not None
        # the parser keeps the wire's CRLF in decoded quoted-printable text (the standard
        # library's own messages read back the same way); a mail client shows line breaks
        assert part.get_content().replace("\r\n", "\n").rstrip("\n") == content
    _, wire = transport.build(Outgoing(7, "dot@shop.test", subject, html, text, "service", None))
    assert max(len(line) for line in wire.split(b"\r\n")) <= 78


def test_a_busy_answer_retries_with_backoff_then_sends(
    store: Engine, smtp: tuple[Mailbox, Smtp]
) -> None:
    mailbox, transport = smtp
    ids = _customers(store, "slow@shop.test", "ok@shop.test")
    mailbox.busy["slow@shop.test"] = 2
    slow, fine = (_queue(store, ids[a]) for a in ("slow@shop.test", "ok@shop.test"))
    clock = FrozenClock(START)

    first = deliver_due(store, transport, clock)
    assert (first.sent, first.retrying) == ([fine], [slow])
    waiting = _message(store, slow)
    assert (waiting["status"], waiting["reason"], waiting["attempts"]) == ("queued", "smtp_451", 1)
    assert waiting["next_attempt_at"] == START + timedelta(minutes=1)

    assert deliver_due(store, transport, clock).retrying == []  # not due yet
    clock.advance(timedelta(minutes=1))
    assert deliver_due(store, transport, clock).retrying == [slow]
    assert _message(store, slow)["next_attempt_at"] == clock.now() + timedelta(minutes=5)
    clock.advance(timedelta(minutes=5))
    assert deliver_due(store, transport, clock).sent == [slow]
    sent = _message(store, slow)
    assert (sent["status"], sent["attempts"], sent["reason"]) == ("sent", 3, None)
    assert len(mailbox.to("slow@shop.test")) == 1


def test_a_message_busy_every_time_fails_after_five_attempts(
    store: Engine, smtp: tuple[Mailbox, Smtp]
) -> None:
    mailbox, transport = smtp
    ids = _customers(store, "never@shop.test")
    mailbox.busy["never@shop.test"] = 100
    message = _queue(store, ids["never@shop.test"])
    clock = FrozenClock(START)
    for wait in (0, 1, 5, 25, 125):  # minutes between the five attempts
        clock.advance(timedelta(minutes=wait))
        deliver_due(store, transport, clock)
    failed = _message(store, message)
    assert (failed["status"], failed["reason"], failed["attempts"]) == ("failed", "smtp_451", 5)
    clock.advance(timedelta(days=1))
    assert deliver_due(store, transport, clock).retrying == []
    assert mailbox.received == []


def test_a_refused_address_fails_alone(store: Engine, smtp: tuple[Mailbox, Smtp]) -> None:
    mailbox, transport = smtp
    addresses = ("a@shop.test", "gone@shop.test", "b@shop.test")
    ids = _customers(store, *addresses)
    mailbox.refused.add("gone@shop.test")
    queued = {a: _queue(store, ids[a]) for a in addresses}

    report = deliver_due(store, transport, FrozenClock(START))

    assert report.failed == [queued["gone@shop.test"]]
    assert sorted(report.sent) == sorted([queued["a@shop.test"], queued["b@shop.test"]])
    gone = _message(store, queued["gone@shop.test"])
    assert (gone["status"], gone["reason"], gone["attempts"]) == ("failed", "smtp_550", 1)
    assert sorted(m["To"] for m in mailbox.received) == ["a@shop.test", "b@shop.test"]
    assert len(_sent_events(store)) == 2


class Crash(BaseException):
    """The process dies (kill -9) right after the SMTP server accepted the message."""


class SendThenCrash:
    def __init__(self, inner: Smtp) -> None:
        self.inner = inner

    @contextmanager
    def session(self) -> Iterator[SendThenCrash]:
        yield self

    def send(self, message: Outgoing) -> str:
        self.inner.send(message)
        raise Crash


def test_a_message_left_sending_by_a_crash_becomes_unknown_and_is_not_resent(
    store: Engine, smtp: tuple[Mailbox, Smtp]
) -> None:
    mailbox, transport = smtp
    ids = _customers(store, "crash@shop.test", "claimed@shop.test")
    crashed = _queue(store, ids["crash@shop.test"])
    clock = FrozenClock(START)
    with pytest.raises(Crash):
        deliver_due(store, SendThenCrash(transport), clock)
    assert len(mailbox.received) == 1  # it went, but the store never heard back
    assert _message(store, crashed)["status"] == "sending"
    # another crash: claimed, then the process died before the transport saw it
    claimed = _queue(store, ids["claimed@shop.test"])
    with write_transaction(store) as conn:
        got = repository.claim_due(conn, clock.now(), clock.now() + timedelta(minutes=5), 1)
    assert [m.id for m in got] == [claimed]

    clock.advance(timedelta(minutes=4))  # within the lease: left alone
    assert deliver_due(store, transport, clock).unknown == []
    assert _message(store, crashed)["status"] == "sending"
    clock.advance(timedelta(minutes=1))  # the lease has run out
    report = deliver_due(store, transport, clock)
    assert sorted(report.unknown) == sorted([crashed, claimed])
    assert report.sent == []
    for message_id in (crashed, claimed):
        stuck = _message(store, message_id)
        assert (stuck["status"], stuck["reason"]) == ("unknown", "sender_stopped")
    clock.advance(timedelta(days=1))
    deliver_due(store, transport, clock)
    assert len(mailbox.received) == 1  # never resent automatically
    assert _sent_events(store) == []


def test_the_outbox_transport_needs_no_server(store: Engine) -> None:
    ids = _customers(store, "demo@shop.test")
    message = _queue(store, ids["demo@shop.test"])
    report = deliver_due(store, OutboxOnly(), FrozenClock(START))
    assert report.sent == [message]
    stored = _message(store, message)
    assert stored["status"] == "sent"
    assert stored["transport_id"] == f"<outbox-{message}@tenure.invalid>"
    assert len(_sent_events(store)) == 1


def test_workers_at_once_send_each_message_once(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one worker")
    _clear(engine)
    try:
        ids = _customers(engine, *(f"p{i}@shop.test" for i in range(40)))
        for cid in ids.values():
            _queue(engine, cid)
        reports = []

        def work() -> None:
            reports.append(deliver_due(engine, OutboxOnly(), FrozenClock(START)))

        threads = [threading.Thread(target=work) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        sent = [m for r in reports for m in r.sent]
        assert len(sent) == len(set(sent)) == 40
        with engine.connect() as conn:
            count = conn.execute(
                select(func.count()).where(Event.type == SystemEventType.MESSAGE_SENT.value)
            ).scalar_one()
        assert count == 40
    finally:
        _clear(engine)


FIVE = tuple(f"n{i}@shop.test" for i in range(1, 6))


def _five(store: Engine) -> dict[str, int]:
    ids = _customers(store, *FIVE)
    return {address: _queue(store, ids[address]) for address in FIVE}


def test_a_refused_address_in_a_batch_fails_alone_on_one_connection(
    store: Engine, smtp: tuple[Mailbox, Smtp]
) -> None:
    mailbox, transport = smtp
    mailbox.refused.add(FIVE[2])
    queued = _five(store)

    report = deliver_due(store, transport, FrozenClock(START))

    assert report.failed == [queued[FIVE[2]]]
    assert report.sent == [queued[a] for a in FIVE if a != FIVE[2]]
    assert sorted(m["To"] for m in mailbox.received) == [a for a in FIVE if a != FIVE[2]]
    assert mailbox.connections == 1  # the refusal did not cost the batch its connection
    gone = _message(store, queued[FIVE[2]])
    assert (gone["status"], gone["reason"]) == ("failed", "smtp_550")
    assert len(_sent_events(store)) == 4


def test_a_busy_answer_in_a_batch_retries_that_message_alone(
    store: Engine, smtp: tuple[Mailbox, Smtp]
) -> None:
    mailbox, transport = smtp
    mailbox.busy[FIVE[2]] = 1
    queued = _five(store)
    clock = FrozenClock(START)

    report = deliver_due(store, transport, clock)

    assert report.retrying == [queued[FIVE[2]]]
    assert report.sent == [queued[a] for a in FIVE if a != FIVE[2]]
    assert mailbox.connections == 1
    waiting = _message(store, queued[FIVE[2]])
    assert (waiting["status"], waiting["reason"]) == ("queued", "smtp_451")
    clock.advance(timedelta(minutes=1))
    assert deliver_due(store, transport, clock).sent == [queued[FIVE[2]]]
    assert sorted(m["To"] for m in mailbox.received) == list(FIVE)  # each once
    assert len(_sent_events(store)) == 5


def test_a_dropped_connection_resends_nothing_and_leaves_the_unsure_one_unknown(
    store: Engine, smtp: tuple[Mailbox, Smtp]
) -> None:
    mailbox, transport = smtp
    mailbox.drop_at_rcpt.add(FIVE[1])  # before its data: safe to send on a new connection
    mailbox.drop_after_data.add(FIVE[3])  # after its data: it went, but the answer is lost
    queued = _five(store)
    clock = FrozenClock(START)

    report = deliver_due(store, transport, clock)

    assert report.unknown == [queued[FIVE[3]]]
    assert report.sent == [queued[a] for a in FIVE if a != FIVE[3]]
    assert mailbox.connections == 3
    unsure = _message(store, queued[FIVE[3]])
    assert (unsure["status"], unsure["reason"]) == ("unknown", "connection_lost")
    clock.advance(timedelta(days=1))
    assert deliver_due(store, transport, clock).sent == []
    assert sorted(m["To"] for m in mailbox.received) == list(FIVE)  # each exactly once
    assert len(_sent_events(store)) == 4


class CrashAt:
    """Dies (kill -9 as far as the store can tell) right after the server took ``address``."""

    def __init__(self, inner: Smtp, address: str) -> None:
        self.inner, self.address = inner, address

    @contextmanager
    def session(self) -> Iterator[Any]:
        with self.inner.session() as session:
            yield CrashingSession(session, self.address)


@dataclass
class CrashingSession:
    inner: Any
    address: str

    def send(self, message: Outgoing) -> str:
        sent = str(self.inner.send(message))
        if message.to_address == self.address:
            raise Crash
        return sent


def test_a_crash_mid_batch_keeps_what_was_sent_and_gives_back_what_was_not(
    store: Engine, smtp: tuple[Mailbox, Smtp]
) -> None:
    mailbox, transport = smtp
    queued = _five(store)
    clock = FrozenClock(START)

    with pytest.raises(Crash):
        deliver_due(store, CrashAt(transport, FIVE[2]), clock)

    statuses = {a: _message(store, queued[a])["status"] for a in FIVE}
    assert statuses == {
        FIVE[0]: "sent",
        FIVE[1]: "sent",
        FIVE[2]: "sending",  # went, unrecorded: unknown after its lease
        FIVE[3]: "queued",  # never handed over: given back, the attempt not counted
        FIVE[4]: "queued",
    }
    assert _message(store, queued[FIVE[3]])["attempts"] == 0
    report = deliver_due(store, transport, clock)
    assert report.sent == [queued[FIVE[3]], queued[FIVE[4]]]
    clock.advance(timedelta(minutes=5))
    assert deliver_due(store, transport, clock).unknown == [queued[FIVE[2]]]
    assert sorted(m["To"] for m in mailbox.received) == list(FIVE)  # each exactly once
    assert len(_sent_events(store)) == 4


def test_two_workers_on_postgresql_send_two_thousand_messages_once_each(
    engine: Engine, smtp: tuple[Mailbox, Smtp]
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one worker")
    mailbox, transport = smtp
    _clear(engine)
    try:
        ids = _customers(engine, *(f"w{i}@shop.test" for i in range(2000)))
        with write_transaction(engine) as conn:
            for cid in ids.values():
                service.queue_email(
                    conn,
                    key=f"test:{cid}",
                    customer_id=cid,
                    template="thank-you",
                    category="service",
                    source="playbook:thanks",
                    now=START,
                    settings=SETTINGS,
                )
        per_worker: list[list[int]] = [[], []]

        def work(sent: list[int]) -> None:
            while report := deliver_due(engine, transport, FrozenClock(START)).sent:
                sent.extend(report)

        threads = [threading.Thread(target=work, args=(sent,)) for sent in per_worker]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        sent = per_worker[0] + per_worker[1]
        assert len(sent) == len(set(sent)) == 2000
        assert all(per_worker)  # both took a share
        arrived = [m["To"] for m in mailbox.received]
        assert len(arrived) == len(set(arrived)) == 2000
        with engine.connect() as conn:
            events = conn.execute(
                select(func.count()).where(Event.type == SystemEventType.MESSAGE_SENT.value)
            ).scalar_one()
        assert events == 2000
    finally:
        _clear(engine)


def test_an_address_that_cannot_be_written_fails_alone(
    store: Engine, smtp: tuple[Mailbox, Smtp]
) -> None:
    mailbox, transport = smtp
    addresses = ("a@shop.test", "zoë@shop.test", "b@shop.test")
    ids = _customers(store, *addresses)
    queued = {a: _queue(store, ids[a]) for a in addresses}

    report = deliver_due(store, transport, FrozenClock(START))

    assert report.failed == [queued["zoë@shop.test"]]
    assert report.sent == [queued["a@shop.test"], queued["b@shop.test"]]
    bad = _message(store, queued["zoë@shop.test"])
    assert (bad["status"], bad["reason"]) == ("failed", "unsendable")
    assert sorted(m["To"] for m in mailbox.received) == ["a@shop.test", "b@shop.test"]


def test_a_server_out_of_reach_leaves_every_message_queued_for_later(store: Engine) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    transport = Smtp("127.0.0.1", port, from_address="a@acme.test", security="none", timeout=5)
    queued = _five(store)

    report = deliver_due(store, transport, FrozenClock(START))

    assert report.retrying == [queued[a] for a in FIVE]
    for message_id in queued.values():
        waiting = _message(store, message_id)
        assert (waiting["status"], waiting["reason"], waiting["attempts"]) == (
            "queued",
            "no_connection",
            1,
        )
        assert waiting["next_attempt_at"] == START + timedelta(minutes=1)


def test_a_slow_server_does_not_let_the_claims_run_out(
    store: Engine, smtp: tuple[Mailbox, Smtp]
) -> None:
    mailbox, transport = smtp
    mailbox.delay = 0.3  # five messages take 1.5 s; the lease is 1 s
    queued = _five(store)
    expired: list[int] = []
    done = threading.Event()

    def another_pass() -> None:  # expires what has run out, as every pass does first
        while not done.is_set():
            with write_transaction(store) as conn:
                expired.extend(repository.expire_claims(conn, SystemClock().now()))
            time.sleep(0.05)

    watcher = threading.Thread(target=another_pass)
    watcher.start()
    try:
        report = deliver_due(store, transport, SystemClock(), lease_seconds=1)
    finally:
        done.set()
        watcher.join()

    assert expired == []
    assert report.sent == [queued[a] for a in FIVE]
    assert sorted(m["To"] for m in mailbox.received) == list(FIVE)
