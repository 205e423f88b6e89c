"""``kill -9`` of a real worker process at each point of a step's life, then a fresh worker.

Each test starts a real worker process (``crashing.py``: the product's Worker on the store
the environment names; ``processes.py`` forks it) that freezes at one exact point — after it
claimed the enrollments, after the step records committed, after it claimed an email, after
the SMTP server accepted one but before "sent" committed, after it claimed a webhook — or
that a real server on loopback holds: in the middle of SMTP DATA, in the middle of a webhook
call. The test kills it there with SIGKILL, starts a fresh worker, and checks the store, the
SMTP server's mailbox and the webhook receiver: no step lost, no task twice, no email
accepted twice by the server (one caught in flight is left ``unknown``, never resent), and
every call of a webhook under the one ``webhook-id``, signed.

The playbook: create_task, add_tags, send_email, webhook, exit — every kind of effect.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine, func, select, text
from standardwebhooks import Webhook

from tenure.domains.audit.service import Actor
from tenure.domains.automation import service
from tenure.domains.automation.loading import parse
from tenure.domains.automation.models import Enrollment, StepRun
from tenure.domains.customers import changes
from tenure.domains.customers.models import Customer
from tenure.domains.events import feed
from tenure.domains.events.models import Event, EventSource, SystemEventType
from tenure.domains.messaging.models import Message
from tenure.domains.tasks.models import Task
from tenure.domains.webhooks.models import WebhookDelivery
from tenure.storage.engine import write_transaction
from tests.conftest import scratch_store
from tests.worker.processes import Process

PERSON = Actor(None, "cli")
CUSTOMERS = 3
SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # 24 bytes: test-only
AHEAD = 120  # the fresh worker's clock: past every lease of the dead one (5 and 10 s)
WAIT = 45.0  # a guard against a hang, never a timing the tests rely on
ACTIONS = ["create_task", "add_tags", "send_email", "webhook", "exit"]
PLAYBOOK = """\
name: crash-course
title: {{en: Crash course, zh: 崩溃课程}}
trigger: {{stage_entered: {{to: [declining]}}}}
enrollment: {{holdout: 0}}
steps:
  - create_task:
      title: {{en: Call them, zh: 致电}}
      due_in_days: 2
      assignee: {{to: owner, fallback: csm}}
  - add_tags: [crashed]
  - send_email: {{template: win-back-offer}}
  - webhook: {{url: "{url}"}}
  - exit: true
"""

# Where the worker freezes itself: SQL (and its parameters) of the statement at that point.
# A pattern that no longer matches fails the test loudly (the worker exits "never reached").
TASK_INSERT = r"INSERT INTO tasks"  # the first effect: enrollments claimed, nothing done
STEP_RECORDS = r"INSERT INTO step_runs"
MESSAGE_CLAIM = r"UPDATE messages SET status=\S+, attempts="
MESSAGE_SENT = r"UPDATE messages SET .*transport_id"
WEBHOOK_CLAIM = r"UPDATE webhook_deliveries SET status=\S+, attempts="


# the servers on loopback


@dataclass
class Mailbox:
    """An aiosmtpd handler that counts what it accepts; it can hold the first DATA."""

    hold: bool = False
    received: Counter[str] = field(default_factory=Counter)  # recipient → messages
    in_data: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        # the whole message has come (the client's final dot): from here the server has it,
        # whatever becomes of the client, so it is counted now — the worst case for "twice"
        with self.lock:
            first = not self.in_data.is_set()
            for address in envelope.rcpt_tos:
                self.received[address] += 1
            self.in_data.set()
        if self.hold and first:
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait, WAIT)
        return "250 Message accepted for delivery"


@dataclass
class Call:
    """One request the webhook receiver got."""

    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """What a webhook endpoint got; it can hold the first call."""

    url: str
    hold: bool = False
    calls: list[Call] = field(default_factory=list)
    in_call: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    """A real SMTP server on loopback."""
    port = _free_port()
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        box.release.set()
        controller.stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A real HTTP endpoint on loopback that keeps every call's headers and body."""
    port = _free_port()
    got = Receiver(url=f"http://127.0.0.1:{port}/hook")

    class Endpoint(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802  (http.server's name)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with got.lock:
                first = not got.in_call.is_set()
                got.calls.append(Call({k.lower(): v for k, v in self.headers.items()}, body))
                got.in_call.set()
            if got.hold and first:
                got.release.wait(WAIT)
            try:
                self.send_response(204)
                self.end_headers()
            except OSError:  # the caller was killed meanwhile
                pass

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Endpoint)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield got
    finally:
        got.release.set()
        server.shutdown()
        server.server_close()


# the store


@dataclass
class Store:
    engine: Engine
    url: str
    customers: list[int]


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A fresh, migrated store (no customers yet)."""
    with scratch_store(request.param, request, tmp_path) as engine:
        yield Store(engine, engine.url.render_as_string(hide_password=False), [])


def _fill(store: Store, hook_url: str) -> None:
    """Customers, the playbook, and the stage changes that enroll them (all due now)."""
    with write_transaction(store.engine) as conn:
        service.apply(conn, PERSON, [parse(PLAYBOOK.format(url=hook_url), "crash.yaml")])
        store.customers[:] = [
            changes.create_customer(
                conn,
                PERSON,
                {
                    "external_id": f"c{n}",
                    "name": f"Crash Test {n}",
                    "email": f"c{n}@crash.test",
                    "email_consent": True,
                },
            )
            for n in range(CUSTOMERS)
        ]
        feed.append(
            conn,
            EventSource.RUN,
            [
                feed.NewEvent(
                    key=f"stage:{customer_id}",
                    customer_id=customer_id,
                    type=SystemEventType.STAGE_CHANGED,
                    occurred_at=datetime.now(UTC),
                    properties={"from": "mature", "to": "declining", "rule": "test"},
                )
                for customer_id in store.customers
            ],
        )


# the worker processes


def _spawn(store: Store, smtp_port: int, tmp_path: Path, name: str, *args: str) -> Process:
    env = {
        "TENURE_DATABASE_URL": store.url,
        "TENURE_WORKER__DAILY_RUN": "false",
        "TENURE_WORKER__LEASE_SECONDS": "5",
        "TENURE_MESSAGING__TRANSPORT": "smtp",
        "TENURE_MESSAGING__SMTP_HOST": "127.0.0.1",
        "TENURE_MESSAGING__SMTP_PORT": str(smtp_port),
        "TENURE_MESSAGING__SMTP_SECURITY": "none",
        "TENURE_MESSAGING__SMTP_TIMEOUT": str(WAIT),
        "TENURE_MESSAGING__SENDING_LEASE_SECONDS": "10",
        # no quiet hours: these workers run on the real clock, at any hour
        "TENURE_MESSAGING__SEND_WINDOW_START": "00:00",
        "TENURE_MESSAGING__SEND_WINDOW_END": "00:00",
        "TENURE_WEBHOOKS__SECRET": SECRET,
        "TENURE_WEBHOOKS__TIMEOUT_SECONDS": "4",
        "TENURE_WEBHOOKS__LEASE_SECONDS": "5",
        "TENURE_WEBHOOKS__ALLOW_PRIVATE": "true",
        "TENURE_WEBHOOKS__CONCURRENCY": "1",
    }
    return Process.spawn(tmp_path / name, env, *args)


def _wait_for(flag: threading.Event, process: Process) -> None:
    """Wait until a server says the worker is inside its call, or fail if the worker ended."""
    deadline = time.monotonic() + WAIT
    while not flag.wait(0.02):
        if process.ended():
            pytest.fail(
                f"the worker ended ({process.process.exitcode}) before the call:\n"
                f"{process.output()}"
            )
        if time.monotonic() > deadline:
            pytest.fail("the worker never made the call")


# what the store shows


def _count(store: Store, table: Any, *where: Any) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())


def _message_statuses(store: Store) -> dict[str, tuple[str, str | None]]:
    with store.engine.connect() as conn:
        rows = conn.execute(select(Message.to_address, Message.status, Message.reason)).all()
    return {address: (status, reason) for address, status, reason in rows}


def _nothing_lost_nothing_doubled(store: Store, box: Mailbox, hooks: Receiver) -> None:
    """Every step once, every task once, every email at most once at the server, every
    webhook delivered under its step's key, signed."""
    with store.engine.connect() as conn:
        enrollments = conn.execute(
            select(Enrollment.id, Enrollment.status, Enrollment.reason)
        ).all()
        runs = conn.execute(
            select(StepRun.enrollment_id, StepRun.seq, StepRun.action, StepRun.outcome).order_by(
                StepRun.enrollment_id, StepRun.seq
            )
        ).all()
        tasks = Counter(conn.execute(select(Task.customer_id)).scalars())
        tags = dict(conn.execute(select(Customer.id, Customer.tags)).all())
        messages = conn.execute(select(Message.id, Message.to_address, Message.status)).all()
        sent_events = Counter(
            int(p["message_id"])
            for p in conn.execute(
                select(Event.properties).where(Event.type == SystemEventType.MESSAGE_SENT)
            ).scalars()
        )
        deliveries = dict(conn.execute(select(WebhookDelivery.key, WebhookDelivery.status)).all())
    # no step lost, none doubled: every enrollment ran its five steps once, in order, and ended
    assert len(enrollments) == CUSTOMERS
    assert {(status, reason) for _, status, reason in enrollments} == {("exited", "exit step")}
    by_enrollment: dict[int, list[tuple[int, str, str]]] = {}
    for enrollment_id, seq, action, outcome in runs:
        by_enrollment.setdefault(enrollment_id, []).append((seq, action, outcome))
    expected = [
        (seq, action, "exit" if action == "exit" else "done") for seq, action in enumerate(ACTIONS)
    ]
    assert {e: r for e, r in by_enrollment.items()} == {e: expected for e, *_ in enrollments}
    # no task twice; the tag once
    assert tasks == Counter(store.customers)
    assert all(tags[c] == ["crashed"] for c in store.customers)
    # email: queued once per enrollment; never accepted twice by the server; "sent" only if it
    # was, with one message_sent event
    assert sorted(address for _, address, _ in messages) == sorted(
        f"c{n}@crash.test" for n in range(CUSTOMERS)
    )
    assert all(count == 1 for count in box.received.values()), box.received
    for message_id, address, status in messages:
        if status == "sent":
            assert box.received[address] == 1 and sent_events[message_id] == 1
        else:
            assert status == "unknown" and sent_events[message_id] == 0
    # webhooks: one delivery per step, delivered; every call of a step under its key, signed
    assert len(deliveries) == CUSTOMERS and set(deliveries.values()) == {"delivered"}
    ids_of_steps: dict[str, set[str]] = {}
    for call in hooks.calls:
        Webhook(SECRET).verify(call.body, call.headers)  # raises unless the signature holds
        step = json.loads(call.body)["data"]["step"]
        ids_of_steps.setdefault(step, set()).add(call.headers["webhook-id"])
    assert ids_of_steps == {key: {key} for key in deliveries}


def _calls(hooks: Receiver) -> Counter[str]:
    return Counter(call.headers["webhook-id"] for call in hooks.calls)


# the crash points


@dataclass
class Crash:
    """One crash story: the doomed worker and its heir, started early, gone at the end."""

    store: Store
    box: Mailbox
    smtp_port: int
    hooks: Receiver
    tmp_path: Path
    processes: list[Process] = field(default_factory=list)
    heir: Process | None = None

    def doomed(self, *freeze: str) -> Process:
        """Fill the store and start the worker that will be killed (it ticks at once)."""
        doomed = self._spawn("doomed", *freeze)
        self.heir = self._spawn("heir", "--ahead", str(AHEAD))  # importing meanwhile
        _fill(self.store, self.hooks.url)
        doomed.start()
        return doomed

    def kill_9(self, doomed: Process) -> None:
        """``kill -9`` the doomed worker; on PostgreSQL, wait until the server has seen it go.

        The server ends a dead client's session (and drops its row locks) when it reads the
        closed socket: a moment after the process is gone. A worker started before that would
        rightly skip the still-locked rows; the test waits, so that it checks the crash alone.
        """
        doomed.kill_9(WAIT)
        if self.store.engine.dialect.name != "postgresql":
            return  # SQLite's file locks go with the process
        others = text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND state <> 'idle'"
        )
        deadline = time.monotonic() + WAIT
        while True:
            with self.store.engine.connect() as conn:
                if not conn.execute(others).scalar_one():
                    return
            assert time.monotonic() < deadline, "the dead worker's sessions did not end"
            time.sleep(0.01)

    def restart(self) -> dict[str, Any]:
        """Let a fresh worker (its clock past the dead one's leases) do what is left."""
        assert self.heir is not None, "start the doomed worker first"
        self.heir.start()
        done = self.heir.finish(WAIT)
        assert not done.get("tick_errors"), self.heir.output()
        return done

    def check(self) -> None:
        _nothing_lost_nothing_doubled(self.store, self.box, self.hooks)

    def _spawn(self, name: str, *args: str) -> Process:
        process = _spawn(self.store, self.smtp_port, self.tmp_path, name, *args)
        self.processes.append(process)
        return process

    def close(self) -> None:
        for process in self.processes:
            process.close(WAIT)


@pytest.fixture
def crash(
    store: Store, mailbox: tuple[Mailbox, int], receiver: Receiver, tmp_path: Path
) -> Iterator[Crash]:
    story = Crash(store, mailbox[0], mailbox[1], receiver, tmp_path)
    try:
        yield story
    finally:
        story.close()


def _sent_but(store: Store, address: str) -> dict[str, tuple[str, str | None]]:
    """The message statuses, that of ``address`` left out; the rest must all be sent."""
    statuses = _message_statuses(store)
    statuses.pop(address)
    return statuses


def test_killed_after_claiming_the_enrollments_the_next_worker_runs_every_step(
    crash: Crash,
) -> None:
    doomed = crash.doomed("--freeze-before", TASK_INSERT)
    doomed.wait_until_frozen(WAIT)
    crash.kill_9(doomed)
    # claimed (on PostgreSQL, locked) and nothing done: the transaction died with the process
    assert _count(crash.store, Enrollment, Enrollment.status == "active") == CUSTOMERS
    assert _count(crash.store, StepRun) == _count(crash.store, Task) == 0
    crash.restart()
    crash.check()
    assert set(_message_statuses(crash.store).values()) == {("sent", None)}
    assert set(_calls(crash.hooks).values()) == {1}


def test_killed_after_the_step_records_commit_the_outboxes_deliver_once(crash: Crash) -> None:
    doomed = crash.doomed("--freeze-after-commit", STEP_RECORDS)
    doomed.wait_until_frozen(WAIT)
    crash.kill_9(doomed)
    # the steps, their effects and the queued email and webhook committed together
    assert _count(crash.store, StepRun) == CUSTOMERS * len(ACTIONS)
    assert _count(crash.store, Task) == CUSTOMERS
    assert set(_message_statuses(crash.store).values()) == {("queued", None)}
    assert _count(crash.store, WebhookDelivery, WebhookDelivery.status == "queued") == CUSTOMERS
    assert not crash.box.received and not crash.hooks.calls
    crash.restart()
    crash.check()
    assert set(_message_statuses(crash.store).values()) == {("sent", None)}
    assert set(_calls(crash.hooks).values()) == {1}


def test_killed_after_claiming_an_email_it_is_left_unknown_never_sent(crash: Crash) -> None:
    doomed = crash.doomed("--freeze-after-commit", MESSAGE_CLAIM)
    doomed.wait_until_frozen(WAIT)
    crash.kill_9(doomed)
    statuses = _message_statuses(crash.store)
    # a pass claims a chunk at once (docs/messaging.md): here every message of the three
    claimed = [a for a, (status, _) in statuses.items() if status == "sending"]
    assert claimed and not crash.box.received  # claimed, not yet handed to the server
    crash.restart()
    crash.check()
    # Tenure cannot tell them from messages that went: a person decides, none is resent
    for address in claimed:
        assert _message_statuses(crash.store)[address] == ("unknown", "sender_stopped")
        assert crash.box.received[address] == 0


def test_killed_during_smtp_data_the_email_is_unknown_and_accepted_once(crash: Crash) -> None:
    crash.box.hold = True  # the server has the whole message and holds its answer
    doomed = crash.doomed()
    _wait_for(crash.box.in_data, doomed)
    crash.kill_9(doomed)
    crash.box.release.set()
    [held] = list(crash.box.received)
    assert _message_statuses(crash.store)[held] == ("sending", None)
    crash.restart()
    crash.check()
    assert crash.box.received[held] == 1  # never twice: not resent
    # the whole chunk was in hand (claimed at once): each is unknown, none resent
    assert set(_message_statuses(crash.store).values()) == {("unknown", "sender_stopped")}
    assert sum(crash.box.received.values()) == 1


def test_killed_after_the_send_before_marking_it_sent_the_email_is_not_resent(
    crash: Crash,
) -> None:
    doomed = crash.doomed("--freeze-before", MESSAGE_SENT)
    doomed.wait_until_frozen(WAIT)
    crash.kill_9(doomed)
    accepted = list(crash.box.received)  # the server said 250; the store never heard it
    assert accepted
    assert all(_message_statuses(crash.store)[a] == ("sending", None) for a in accepted)
    crash.restart()
    crash.check()
    for address in accepted:  # a chunk is recorded at once: each is unknown, none resent
        assert _message_statuses(crash.store)[address] == ("unknown", "sender_stopped")
        assert crash.box.received[address] == 1


def test_killed_after_claiming_a_webhook_the_next_worker_delivers_it(crash: Crash) -> None:
    doomed = crash.doomed("--freeze-after-commit", WEBHOOK_CLAIM)
    doomed.wait_until_frozen(WAIT)
    crash.kill_9(doomed)
    assert _count(crash.store, WebhookDelivery, WebhookDelivery.status == "delivering") == 1
    assert not crash.hooks.calls
    crash.restart()
    crash.check()
    assert set(_calls(crash.hooks).values()) == {1}  # the claimed one on its second attempt
    with crash.store.engine.connect() as conn:
        attempts = sorted(conn.execute(select(WebhookDelivery.attempts)).scalars())
    assert attempts == [1] * (CUSTOMERS - 1) + [2]


def test_killed_during_a_webhook_call_it_is_sent_again_under_the_same_id(crash: Crash) -> None:
    crash.hooks.hold = True  # the endpoint has the call and holds its answer
    doomed = crash.doomed()
    _wait_for(crash.hooks.in_call, doomed)
    crash.kill_9(doomed)
    crash.hooks.release.set()
    [first] = crash.hooks.calls
    crash.restart()
    crash.check()  # every call of that step carried its key and a valid signature
    calls = _calls(crash.hooks)
    held = first.headers["webhook-id"]
    assert calls.pop(held) == 2  # at least once: again, under the same webhook-id
    assert set(calls.values()) == {1}
    [again] = [c for c in crash.hooks.calls[1:] if c.headers["webhook-id"] == held]
    assert again.body == first.body  # the same bytes; only the signature's time differs
