"""The playbook engine on a frozen clock, on both databases: from a stage change in the feed to
enrollments, tasks, waits, branches, goals and the holdout — each step exactly once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, insert, select, text

from tenure.domains.audit.service import Actor
from tenure.domains.automation import enrollment, service, steps
from tenure.domains.automation.loading import parse
from tenure.domains.automation.models import Enrollment, StepRun
from tenure.domains.customers import changes, privacy
from tenure.domains.events import feed
from tenure.domains.events.models import Event, EventSource, SystemEventType
from tenure.domains.orders.models import Order
from tenure.domains.tasks.models import Task
from tenure.domains.users import service as users
from tenure.kit.clock import FrozenClock
from tenure.kit.settings import Settings
from tenure.storage.engine import write_transaction
from tenure.worker.process import Worker, WorkerOptions

START = datetime(2026, 5, 4, 9, tzinfo=UTC)  # a Monday
PERSON = Actor(None, "cli")
CHECKLIST = [{"text": "Find the root cause", "done": False}]
TASK_STEP = """\
  - create_task:
      title: {en: Call them, zh: 致电}
      checklist: [{en: Find the root cause}]
      due_in_days: 2
      assignee: {to: owner, fallback: csm}
"""
PLAYBOOK = """\
name: save-them
title: {en: Save them, zh: 挽回}
trigger: {stage_entered: {to: [declining]}}
conditions: {field: email_consent, op: "=", value: true}
enrollment: {holdout: 0}
goal: {purchase: true, within_days: 30}
steps:
  - create_task:
      title: {en: Call them, zh: 致电}
      checklist: [{en: Find the root cause}]
      due_in_days: 2
      assignee: {to: owner, fallback: csm}
  - wait: {days: 2}
  - branch: {if: {field: city, op: "=", value: Lost City}, then: tag, else: done}
  - id: tag
    add_tags: [lost]
  - id: done
    exit: true
"""


def _customer(engine: Engine, external_id: str, **fields: object) -> int:
    with write_transaction(engine) as conn:
        return changes.create_customer(conn, PERSON, {"external_id": external_id, **fields})


def _stage_change(engine: Engine, customer_id: int, before: str, after: str, key: str) -> None:
    with write_transaction(engine) as conn:
        change = feed.NewEvent(
            key=key,
            customer_id=customer_id,
            type=SystemEventType.STAGE_CHANGED,
            occurred_at=START,
            properties={"from": before, "to": after, "rule": "test"},
        )
        feed.append(conn, EventSource.RUN, [change])


def _apply(engine: Engine, text_: str = PLAYBOOK) -> None:
    with write_transaction(engine) as conn:
        service.apply(conn, PERSON, [parse(text_, "p.yaml")])


def _worker(engine: Engine, clock: FrozenClock) -> Worker:
    worker = Worker(
        engine,
        Settings(),
        clock=clock,
        options=WorkerOptions(daily_run_at=None),
        worker_id=f"w-{id(clock)}",
    )
    worker.start()
    return worker


def _enrollments(engine: Engine) -> list[dict[str, object]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                Enrollment.customer_id,
                Enrollment.status,
                Enrollment.step,
                Enrollment.reason,
                Enrollment.holdout,
            ).order_by(Enrollment.id)
        ).mappings()
        return [dict(r) for r in rows]


def test_a_stage_change_becomes_a_task_a_wait_and_an_exit(store: Engine) -> None:
    clock = FrozenClock(START)
    with write_transaction(store) as conn:
        owner = users.create_user(conn, "Olga Owner", "olga@t.test", "sales")[0]
    yes = _customer(store, "yes", email_consent=True, owner_id=owner)
    lost = _customer(store, "lost", email_consent=True, city="Lost City")
    no_consent = _customer(store, "quiet", email_consent=False)
    _stage_change(store, yes, "mature", "declining", "before-publishing")  # before: not seen
    _apply(store)
    _stage_change(store, yes, "mature", "declining", "e1")
    _stage_change(store, lost, "growing", "declining", "e2")
    _stage_change(store, no_consent, "mature", "declining", "e3")
    worker = _worker(store, clock)
    try:
        first = worker.tick().playbooks
        assert (first.enrolled, first.steps) == (2, 4)  # a task and a wait each
        with store.connect() as conn:
            made = conn.execute(
                select(
                    Task.customer_id,
                    Task.assignee_id,
                    Task.due_on,
                    Task.source,
                    Task.notes,
                    Task.checklist,
                    Task.requires_root_cause,
                )
            ).all()
        assert {(t.customer_id, t.assignee_id) for t in made} == {(yes, owner), (lost, None)}
        assert {t.source for t in made} == {"playbook:save-them"}
        assert {str(t.due_on)[:10] for t in made} == {"2026-05-06"}
        # the checklist is the task's own, to tick; the notes keep only the description
        assert all(t.checklist == CHECKLIST and not t.requires_root_cause for t in made)
        assert all("☐" not in (t.notes or "") for t in made)
        assert not worker.tick().playbooks.busy  # waiting: nothing due
        clock.advance(timedelta(days=2))
        second = worker.tick().playbooks
        assert second.steps == 5  # branch + exit for "yes"; branch + tag + exit for "lost"
    finally:
        worker.stop()
    assert [(e["customer_id"], e["status"], e["reason"]) for e in _enrollments(store)] == [
        (yes, "exited", "exit step"),
        (lost, "exited", "exit step"),
    ]
    with store.connect() as conn:
        tags = conn.execute(text("SELECT tags FROM customers WHERE external_id = 'lost'")).scalar()
        assert "lost" in str(tags)
        assert conn.execute(select(func.count()).select_from(Task)).scalar_one() == 2
        runs = conn.execute(select(StepRun.step_id, StepRun.outcome).order_by(StepRun.id)).all()
    assert [tuple(r) for r in runs].count(("step-1", "done")) == 2


def test_the_goal_converts_and_a_second_trigger_does_not_enroll_twice(store: Engine) -> None:
    clock = FrozenClock(START)
    buyer = _customer(store, "buyer", email_consent=True)
    _apply(store)
    _stage_change(store, buyer, "mature", "declining", "first")
    worker = _worker(store, clock)
    try:
        worker.tick()
        _stage_change(store, buyer, "declining", "declining", "again")  # while enrolled
        clock.advance(timedelta(days=1))
        with write_transaction(store) as conn:
            conn.execute(
                insert(Order).values(
                    external_id="o-1",
                    customer_id=buyer,
                    ordered_at=clock.now(),
                    status="paid",
                    amount=Decimal("40.00"),
                    currency="USD",
                )
            )
        clock.advance(timedelta(days=1, seconds=1))
        assert worker.tick().playbooks.enrolled == 0
    finally:
        worker.stop()
    [only] = _enrollments(store)
    assert (only["status"], only["reason"]) == ("converted", "goal")


def test_holdout_customers_are_enrolled_but_get_no_step(store: Engine) -> None:
    clock = FrozenClock(START)
    ids = [_customer(store, f"c{n}", email_consent=True) for n in range(120)]
    _apply(store, PLAYBOOK.replace("holdout: 0", "holdout: 0.5"))
    for n, customer_id in enumerate(ids):
        _stage_change(store, customer_id, "mature", "declining", f"h{n}")
    worker = _worker(store, clock)
    try:
        assert worker.tick().playbooks.enrolled == 120
    finally:
        worker.stop()
    rows = _enrollments(store)
    held = {r["customer_id"] for r in rows if r["holdout"]}
    assert held == {c for c in ids if enrollment.in_holdout("save-them", c, 0.5)}  # stable draw
    assert 35 <= len(held) <= 85
    with store.connect() as conn:
        tasked = set(conn.execute(select(Task.customer_id)).scalars())
    assert tasked == set(ids) - held  # the holdout gets no task


def test_wait_for_an_event_takes_the_arrived_way(store: Engine) -> None:
    clock = FrozenClock(START)
    lead = _customer(store, "lead", email_consent=True)
    slow = _customer(store, "slow", email_consent=True)
    _apply(
        store,
        PLAYBOOK.replace(
            """  - create_task:
      title: {en: Call them, zh: 致电}
      checklist: [{en: Find the root cause}]
      due_in_days: 2
      assignee: {to: owner, fallback: csm}
  - wait: {days: 2}
""",
            """  - wait_for: {types: [login], days: 7, arrived: done}
  - create_task: {title: {en: Nudge them}}
""",
        ),
    )
    _stage_change(store, lead, "mature", "declining", "l1")
    _stage_change(store, slow, "mature", "declining", "s1")
    worker = _worker(store, clock)
    try:
        worker.tick()
        clock.advance(timedelta(days=1))
        with write_transaction(store) as conn:
            conn.execute(
                insert(Event).values(
                    external_id="login-1", customer_id=lead, type="login", occurred_at=clock.now()
                )
            )
        woken = worker.tick()  # the login wakes the lead's wait at once
        assert woken.playbooks.outcomes == {"exited": 1}
        clock.advance(timedelta(days=7))
        worker.tick()
    finally:
        worker.stop()
    with store.connect() as conn:
        tasked = list(conn.execute(select(Task.customer_id, Task.title)).all())
    assert [tuple(t) for t in tasked] == [(slow, "Nudge them")]  # the lead logged in


def test_two_workers_on_postgresql_run_each_step_once(store: Engine) -> None:
    if store.dialect.name != "postgresql":
        pytest.skip("SQLite runs one worker")
    ids = [_customer(store, f"p{n}", email_consent=True) for n in range(300)]
    _apply(store)
    for n, customer_id in enumerate(ids):
        _stage_change(store, customer_id, "mature", "declining", f"p{n}")
    with write_transaction(store) as conn:
        version = enrollment.current_versions(conn)[0]
        assert enrollment.enroll_from_feed(conn, version, START) == 300
    context = steps.Context()
    reports: list[steps.Report] = []

    def work() -> None:
        while True:
            with write_transaction(store) as conn:
                report = steps.run_due(conn, context, START, limit=25)
            reports.append(report)
            if report.enrollments == 0:
                return

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with store.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Task)).scalar_one() == 300
        per_customer = conn.execute(
            select(Task.customer_id, func.count()).group_by(Task.customer_id)
        ).all()
    assert {n for _, n in per_customer} == {1}
    assert sum(r.failed for r in reports) == 0
    assert all(r.enrollments < 25 or r.steps > 0 for r in reports)


def test_an_email_step_queues_once_and_the_outbox_sends_it(store: Engine) -> None:
    clock = FrozenClock(START)
    reader = _customer(store, "reader", email_consent=True, email="reader@t.test", name="Rea")
    silent = _customer(store, "silent", email_consent=False, email="silent@t.test")
    _apply(
        store,
        PLAYBOOK.replace(
            TASK_STEP,
            """  - send_email: {template: win-back-offer}
""",
        ).replace('conditions: {field: email_consent, op: "=", value: true}\n', ""),
    )
    _stage_change(store, reader, "mature", "declining", "r1")
    _stage_change(store, silent, "mature", "declining", "s1")
    worker = _worker(store, clock)
    try:
        done = worker.tick().playbooks
        assert done.emails == {"sent": 1}  # the embedded outbox: no mail server needed
        assert not worker.tick().playbooks.emails  # nothing is sent twice
    finally:
        worker.stop()
    with store.connect() as conn:
        rows = conn.execute(
            text("SELECT customer_id, status, reason, source FROM messages ORDER BY customer_id")
        ).all()
        sent_events = conn.execute(
            select(func.count()).select_from(Event).where(Event.type == "message_sent")
        ).scalar_one()
    assert [tuple(r) for r in rows] == [
        (reader, "sent", None, "playbook:save-them"),
        (silent, "skipped", "no_consent", "playbook:save-them"),
    ]
    assert sent_events == 1
    # a person's right to erasure reaches their journeys and their mail
    with write_transaction(store) as conn:
        erased = privacy.erase_customer(conn, PERSON, reader)
    assert erased.removed["messages"] == 1 and erased.removed["events"] >= 1


def test_imported_nps_answers_set_off_the_detractor_follow_up(
    store: Engine, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from tenure.domains.automation.presets import FOLDER
    from tests.domains.dataio.helpers import run, write

    clock = FrozenClock(START)
    unhappy = _customer(store, "unhappy", email_consent=True)
    happy = _customer(store, "happy", email_consent=True)
    with write_transaction(store) as conn:
        service.apply(conn, PERSON, [parse((FOLDER / "nps-detractors.yaml").read_text(), "d")])
    answers = write(
        tmp_path_factory.mktemp("nps") / "nps.csv",
        "customer_id,score,answered_at\nunhappy,3,2026-05-03 10:00\nhappy,10,2026-05-03 11:00\n",
    )
    for _ in range(2):  # a file imported twice is news once
        with write_transaction(store) as conn:
            run(conn, "surveys", answers)
    with store.connect() as conn:
        bands = conn.execute(
            select(Event.customer_id, Event.properties).where(Event.type == "survey_answered")
        ).all()
    assert sorted((c, p["band"], p["score"]) for c, p in bands) == [
        (unhappy, "detractor", 3),
        (happy, "promoter", 10),
    ]
    worker = _worker(store, clock)
    try:
        worker.tick()
    finally:
        worker.stop()
    with store.connect() as conn:
        tasked = conn.execute(select(Task.customer_id, Task.title, Task.due_on)).all()
    assert [(t.customer_id, t.title, str(t.due_on)[:10]) for t in tasked] == [
        (unhappy, "Call a detractor", "2026-05-06")
    ]


def test_a_webhook_step_is_delivered_signed_with_the_step_s_key(store: Engine) -> None:
    import json
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from standardwebhooks import Webhook

    got: list[tuple[dict[str, str], bytes]] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802  (http.server's name)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            got.append((dict(self.headers.items()), body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    clock = FrozenClock(datetime.now(UTC))  # receivers refuse stale signature times
    customer = _customer(store, "hooked", email_consent=True, name="Hu Ke")
    _apply(
        store,
        PLAYBOOK.replace(
            TASK_STEP,
            f"""  - webhook: {{url: "{url}"}}
""",
        ),
    )
    _stage_change(store, customer, "mature", "declining", "w1")
    worker = _worker(store, clock)
    try:
        assert worker.tick().playbooks.webhooks == {"delivered": 1}
        assert not worker.tick().playbooks.webhooks  # delivered once
    finally:
        worker.stop()
        server.shutdown()
    [(headers, body)] = got
    with store.connect() as conn:
        from tenure.domains.webhooks.signing import signing_secret

        secret = signing_secret(conn, None, clock.now())
    lowered = {k.lower(): v for k, v in headers.items()}
    Webhook(secret).verify(body, lowered)  # raises unless the signature holds
    sent = json.loads(body)
    assert (
        lowered["webhook-id"].startswith("enrollment:") and ":step:step-1:" in lowered["webhook-id"]
    )
    assert sent["type"] == "playbook.step"
    assert sent["data"]["customer"]["external_id"] == "hooked"
    assert sent["data"]["playbook"] == "save-them"


def test_a_playbook_s_own_score_line_enrolls_who_crossed_it_between_runs(store: Engine) -> None:
    from datetime import date

    from tenure.domains.scoring.models import ScoreHistory, ScoringRun

    crossing = _customer(store, "crossing", email_consent=True)
    above = _customer(store, "above", email_consent=True)
    below = _customer(store, "below", email_consent=True)

    def run(day: date, risks: dict[int, float]) -> None:
        with write_transaction(store) as conn:
            run_id = conn.execute(
                insert(ScoringRun)
                .values(
                    as_of=day,
                    status="done",
                    preset="ecommerce",
                    config_hash="c",
                    data_fingerprint=str(day),
                    started_at=START,
                )
                .returning(ScoringRun.id)
            ).scalar_one()
            conn.execute(
                insert(ScoreHistory),
                [{"run_id": run_id, "customer_id": c, "churn_risk": r} for c, r in risks.items()],
            )

    run(date(2026, 5, 1), {crossing: 0.5, above: 0.8, below: 0.6})
    _apply(
        store,
        PLAYBOOK.replace(
            "trigger: {stage_entered: {to: [declining]}}",
            "trigger: {score_crossed: {score: churn_risk, above: 0.7}}",
        ),
    )
    clock = FrozenClock(START)
    worker = _worker(store, clock)
    try:
        assert worker.tick().playbooks.enrolled == 0  # the run before publishing is history
        run(date(2026, 5, 2), {crossing: 0.8, above: 0.9, below: 0.65})
        assert worker.tick().playbooks.enrolled == 1
        assert worker.tick().playbooks.enrolled == 0  # each run is looked at once
    finally:
        worker.stop()
    assert [e["customer_id"] for e in _enrollments(store)] == [crossing]


def test_cross_sell_due_enrolls_who_fell_due_for_b_since_the_run_before(store: Engine) -> None:
    from datetime import date

    from tenure.domains.crosssell.models import CustomerOffer
    from tenure.domains.scoring.models import ScoringRun

    due = _customer(store, "due", email_consent=True)
    early = _customer(store, "early", email_consent=True)  # due before the run before: not news
    later = _customer(store, "later", email_consent=True)  # due tomorrow
    other = _customer(store, "other", email_consent=True)  # due for another item

    def run(day: date, offers: list[tuple[int, str, date]]) -> None:
        with write_transaction(store) as conn:
            run_id = conn.execute(
                insert(ScoringRun)
                .values(
                    as_of=day,
                    status="done",
                    preset="ecommerce",
                    config_hash="c",
                    data_fingerprint=str(day),
                    started_at=START,
                )
                .returning(ScoringRun.id)
            ).scalar_one()
            for customer_id, item, from_on in offers:
                falls = from_on + timedelta(days=round(40.5))  # 40: rounded half to even
                conn.execute(
                    insert(CustomerOffer).values(
                        run_id=run_id,
                        customer_id=customer_id,
                        level="product",
                        rank=1,
                        item=item,
                        score=0.3,
                        source="sequence",
                        from_item="COF-001",
                        from_on=from_on,
                        share=0.4,
                        share_within=0.4,
                        lag_median=40.5,
                        due_on=max(falls, day),
                    )
                )

    run(date(2026, 5, 1), [])
    _apply(
        store,
        PLAYBOOK.replace(
            "trigger: {stage_entered: {to: [declining]}}",
            "trigger: {cross_sell_due: {item: KIT-004}}",
        ),
    )
    worker = _worker(store, FrozenClock(START))
    try:
        assert worker.tick().playbooks.enrolled == 0  # the run before publishing is history
        run(
            date(2026, 5, 3),  # falls due after 2026-05-01 and by 2026-05-03: 40 days after A
            [
                (due, "KIT-004", date(2026, 3, 24)),  # 2026-05-03
                (early, "KIT-004", date(2026, 3, 20)),  # 2026-04-29
                (later, "KIT-004", date(2026, 3, 25)),  # 2026-05-04
                (other, "TEA-001", date(2026, 3, 23)),
            ],
        )
        assert worker.tick().playbooks.enrolled == 1
        assert worker.tick().playbooks.enrolled == 0  # each run is looked at once
    finally:
        worker.stop()
    assert [e["customer_id"] for e in _enrollments(store)] == [due]


def test_the_calendar_enrolls_who_went_quiet_today_and_birthdays_ahead(store: Engine) -> None:
    from datetime import date

    quiet = _customer(store, "quiet30", email_consent=True)
    older = _customer(store, "quiet31", email_consent=True)
    busy = _customer(store, "busy", email_consent=True)
    born = _customer(store, "born", email_consent=True, birthday=date(1990, 5, 11))
    with write_transaction(store) as conn:
        for external, customer_id, days in (("q", quiet, 30), ("o", older, 31), ("b", busy, 2)):
            conn.execute(
                insert(Event).values(
                    external_id=f"login-{external}",
                    customer_id=customer_id,
                    type="login",
                    occurred_at=START - timedelta(days=days),
                )
            )
    _apply(
        store,
        PLAYBOOK.replace(
            "trigger: {stage_entered: {to: [declining]}}",
            "trigger:\n  - inactive: {days: 30, kinds: [login]}\n"
            "  - date: {date: birthday, days_before: 7}",
        ),
    )
    clock = FrozenClock(START)  # 2026-05-04: the birthday is a week ahead
    worker = _worker(store, clock)
    try:
        assert worker.tick().playbooks.enrolled == 2
        assert worker.tick().playbooks.enrolled == 0  # the day is looked at once
        clock.advance(timedelta(days=1))  # the next day, "older" has not crossed again
        assert worker.tick().playbooks.enrolled == 0
    finally:
        worker.stop()
    assert sorted(e["customer_id"] for e in _enrollments(store)) == sorted([quiet, born])


def test_entering_a_saved_segment_enrolls(store: Engine) -> None:
    from tenure.domains.segments import service as segments

    mover = _customer(store, "mover", email_consent=True, city="Old Town")
    with write_transaction(store) as conn:
        segments.create(
            conn,
            "new-towners",
            {"field": "city", "op": "=", "value": "New Town"},
            None,
            actor=PERSON,
        )
    _apply(
        store,
        PLAYBOOK.replace(
            "trigger: {stage_entered: {to: [declining]}}",
            "trigger: {segment: {entered: new-towners}}",
        ),
    )
    with write_transaction(store) as conn:
        changes.update_customer(conn, PERSON, mover, {"city": "New Town"})
        assert segments.refresh_all(conn) == {"new-towners": 1}  # a scoring run does this
    worker = _worker(store, FrozenClock(START))
    try:
        assert worker.tick().playbooks.enrolled == 1
    finally:
        worker.stop()
    with store.connect() as conn:
        props = conn.execute(
            select(Event.properties).where(Event.type == "segment_changed")
        ).scalar_one()
    assert props == {"segment": "new-towners", "change": "entered"}


def test_kill_9_in_the_middle_of_the_steps_loses_nothing_and_doubles_nothing(
    store: Engine, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # a real worker process, killed while it works through 3,000 enrollments; the next one
    # finishes: every customer gets exactly one task, every step one record
    import os
    import signal
    import subprocess
    import sys
    import time

    if store.dialect.name != "sqlite":
        pytest.skip("one crash story is enough; PostgreSQL's claims are tested with two workers")
    url = store.url.render_as_string(hide_password=False)
    ids = []
    with write_transaction(store) as conn:
        ids = [
            changes.create_customer(conn, PERSON, {"external_id": f"k{n}", "email_consent": True})
            for n in range(3000)
        ]
    _apply(store)
    with write_transaction(store) as conn:
        feed.append(
            conn,
            EventSource.RUN,
            [
                feed.NewEvent(
                    key=f"k{n}",
                    customer_id=customer_id,
                    type=SystemEventType.STAGE_CHANGED,
                    occurred_at=START,
                    properties={"from": "mature", "to": "declining", "rule": "test"},
                )
                for n, customer_id in enumerate(ids)
            ],
        )
    env = {
        **os.environ,
        "TENURE_DATABASE_URL": url,
        "TENURE_WORKER__DAILY_RUN": "false",
        "TENURE_WORKER__LEASE_SECONDS": "5",
    }
    cwd = tmp_path_factory.mktemp("kill")
    doomed = subprocess.Popen(
        [sys.executable, "-m", "tenure", "worker"], env=env, cwd=cwd, stderr=subprocess.DEVNULL
    )

    def tasks() -> int:
        with store.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(Task)).scalar_one())

    give_up = time.monotonic() + 300  # a guard against a hang, not a timing check
    while tasks() < 400 and time.monotonic() < give_up:
        time.sleep(0.05)
    doomed.send_signal(signal.SIGKILL)
    doomed.wait()
    midway = tasks()
    assert 0 < midway < 3000, midway  # killed in the middle of the work
    time.sleep(5.5)  # the dead worker's lease runs out
    heir = subprocess.run(
        [sys.executable, "-m", "tenure", "worker", "--once", "--json"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert heir.returncode == 0, heir.stderr
    with store.connect() as conn:
        per_customer = dict(
            conn.execute(select(Task.customer_id, func.count()).group_by(Task.customer_id)).all()
        )
        records = conn.execute(
            select(StepRun.enrollment_id, StepRun.seq, func.count()).group_by(
                StepRun.enrollment_id, StepRun.seq
            )
        ).all()
        enrolled = conn.execute(select(func.count()).select_from(Enrollment)).scalar_one()
    assert enrolled == 3000
    assert set(per_customer) == set(ids) and set(per_customer.values()) == {1}
    assert {n for *_, n in records} == {1}
