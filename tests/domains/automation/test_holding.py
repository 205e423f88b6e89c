"""Issue 12's engine gaps on both databases, on a frozen clock: a paused playbook holds its
enrollments, conditions are checked before each step, set_fields keeps to its fields, email
templates are checked when a playbook is published, and the calendar catches up on missed days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text

from tenure.domains.audit.service import Actor
from tenure.domains.automation import reports, service
from tenure.domains.automation import repository as repo
from tenure.domains.automation.loading import PlaybookInvalid, parse
from tenure.domains.automation.models import Enrollment, PlaybookStatus, StepRun
from tenure.domains.automation.scheduled import CATCH_UP_DAYS, days_to_look_at
from tenure.domains.customers import changes
from tenure.domains.tasks.models import Task
from tenure.kit.clock import FrozenClock
from tenure.storage.engine import write_transaction
from tests import journeys
from tests.domains.automation.test_engine import _apply, _worker

START = datetime(2026, 5, 4, 9, tzinfo=UTC)  # a Monday
PERSON = Actor(None, "cli")
HOLD = """\
name: hold-them
title: {en: Hold them}
trigger: {stage_entered: {to: [declining]}}
enrollment: {holdout: 0}
steps:
  - create_task: {title: {en: Call them}}
  - wait: {days: 2}
  - id: tag
    add_tags: [reached]
"""


def _customer(engine: Engine, external_id: str, **fields: object) -> int:
    with write_transaction(engine) as conn:
        return changes.create_customer(conn, PERSON, {"external_id": external_id, **fields})


def _decline(engine: Engine, customer_ids: list[int], key: str) -> None:
    journeys.decline(engine, customer_ids, START, key)


def _states(engine: Engine) -> dict[int, tuple[str, int, str | None]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(Enrollment.customer_id, Enrollment.status, Enrollment.step, Enrollment.reason)
        ).all()
    return {int(c): (s, int(n), r) for c, s, n, r in rows}


def _tags(engine: Engine, customer_id: int) -> str:
    with engine.connect() as conn:
        return str(
            conn.execute(
                text("SELECT tags FROM customers WHERE id = :id"), {"id": customer_id}
            ).scalar()
        )


def _set_status(engine: Engine, status: PlaybookStatus, now: datetime) -> service.StatusChange:
    with write_transaction(engine) as conn:
        return service.set_status(conn, PERSON, "hold-them", status, now)


def test_a_paused_playbook_holds_its_due_steps_and_resuming_continues_them(
    store: Engine,
) -> None:
    clock = FrozenClock(START)
    ids = [_customer(store, f"h{n}") for n in range(3)]
    _apply(store, HOLD)
    _decline(store, ids, "d")
    worker = _worker(store, clock)
    try:
        first = worker.tick().playbooks
        assert (first.enrolled, first.steps) == (3, 6)  # a task and a wait each
        paused = _set_status(store, PlaybookStatus.PAUSED, clock.now())
        assert (paused.changed, paused.active, paused.held) == (True, 3, 0)  # all wait 2 days
        clock.advance(timedelta(days=3))  # the wait is over while paused
        held = worker.tick().playbooks
        assert (held.steps, held.outcomes) == (0, {})  # nothing runs, nothing is skipped
        assert _states(store) == {c: ("active", 2, None) for c in ids}
        with store.connect() as conn:
            [summary] = reports.summary(conn, clock.now())
        assert (summary.status, summary.active, summary.held) == ("paused", 3, 3)
        assert all("reached" not in _tags(store, c) for c in ids)
        resumed = _set_status(store, PlaybookStatus.ACTIVE, clock.now())
        assert (resumed.changed, resumed.active, resumed.held) == (True, 3, 3)
        again = worker.tick().playbooks
        assert again.steps == 3 and again.outcomes == {"completed": 3}
    finally:
        worker.stop()
    assert _states(store) == {c: ("completed", 3, "done") for c in ids}
    assert all("reached" in _tags(store, c) for c in ids)  # the held step ran, not skipped
    with store.connect() as conn:
        per_step = dict(
            conn.execute(select(StepRun.step_id, func.count()).group_by(StepRun.step_id)).all()
        )
        [summary] = reports.summary(conn, clock.now())
        tasks = conn.execute(select(func.count()).select_from(Task)).scalar_one()
    assert per_step == {"step-1": 3, "step-2": 3, "tag": 3} and tasks == 3
    assert summary.held == 0  # active again: nothing is held


COND = """\
name: hold-them
title: {en: Only while they consent}
trigger: {stage_entered: {to: [declining]}}
conditions: {field: email_consent, op: "=", value: true}
enrollment: {holdout: 0}
steps:
  - wait: {days: 1}
  - id: tag
    add_tags: [reached]
"""


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ("", ("exited", "condition no longer holds")),  # the default: checked before each step
        ("  exit_when_condition_fails: true\n", ("exited", "condition no longer holds")),
        ("  exit_when_condition_fails: false\n", ("completed", "done")),  # at entry only
    ],
)
def test_conditions_are_checked_before_each_step_by_default(
    store: Engine, policy: str, expected: tuple[str, str]
) -> None:
    clock = FrozenClock(START)
    stays = _customer(store, "stays", email_consent=True)
    leaves = _customer(store, "leaves", email_consent=True)
    block = "enrollment:\n  holdout: 0\n" + policy
    _apply(store, COND.replace("enrollment: {holdout: 0}\n", block))
    _decline(store, [stays, leaves], "c")
    worker = _worker(store, clock)
    try:
        assert worker.tick().playbooks.enrolled == 2
        with write_transaction(store) as conn:  # withdraws consent while waiting
            changes.update_customer(conn, PERSON, leaves, {"email_consent": False})
        clock.advance(timedelta(days=1))
        worker.tick()
    finally:
        worker.stop()
    states = _states(store)
    assert states[stays] == ("completed", 2, "done")
    assert (states[leaves][0], states[leaves][2]) == expected
    assert "reached" in _tags(store, stays)
    assert ("reached" in _tags(store, leaves)) == (expected[0] == "completed")


SETS = """\
name: set-them
title: {en: Set them}
trigger: {manual: true}
steps:
  - create_task: {title: {en: Call}}
  - set_fields:
      city: Far Away
      FIELD: VALUE
"""


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("email_consent", "true", "may not set"),
        ("sms_consent", "false", "may not set"),
        ("external_id", "x-1", "may not set"),
        ("owner_id", "1", "may not set"),
        ("email", "a@b.test", "may not set"),
        ("id", "7", "may not set"),
        ("shoe_size", "42", "may not set"),
        ("timezone", "Mars/Olympus", "unknown time zone"),
        ("city", "x" * 101, "at most 100 characters"),
        ("industry", "[1, 2]", "give a text"),
    ],
)
def test_set_fields_may_only_set_descriptive_fields(field: str, value: str, says: str) -> None:
    source = SETS.replace("FIELD: VALUE", f"{field}: {value}")
    if field == "city":  # the one city key carries the long value
        source = source.replace("      city: Far Away\n", "")
    with pytest.raises(PlaybookInvalid) as caught:
        parse(source, "set.yaml")
    [mistake] = caught.value.mistakes
    line = next(n for n, row in enumerate(source.splitlines(), 1) if row.strip().startswith(field))
    assert (mistake.file, mistake.line) == ("set.yaml", line)
    assert mistake.field == f"steps[1].set_fields.{field}"
    assert says in mistake.message and mistake.message.startswith(f"{field}: ")


def test_allowed_fields_publish_and_a_stored_forbidden_one_fails_its_enrollment(
    store: Engine,
) -> None:
    allowed = SETS.replace("FIELD: VALUE", "timezone: asia/shanghai")
    assert parse(allowed, "ok.yaml").playbook.steps[1].set_fields == {
        "city": "Far Away",
        "timezone": "asia/shanghai",
    }
    # a version stored before the check (written here past it) is refused when it runs
    forbidden = parse(SETS.replace("FIELD: VALUE", "industry: retail"), "old.yaml")
    definition = service.definition_of(forbidden.playbook)
    definition["steps"][1]["set_fields"] = {"email_consent": True}
    with write_transaction(store) as conn:
        playbook_id = repo.create(conn, "set-them", PlaybookStatus.ACTIVE, START)
        repo.publish(conn, playbook_id, definition, forbidden.source, "old", START, None)
    customer = _customer(store, "target", email_consent=False)
    with write_transaction(store) as conn:
        service.enroll(conn, PERSON, "set-them", "target", START)
    worker = _worker(store, FrozenClock(START))
    try:
        assert worker.tick().playbooks.failed == 1
    finally:
        worker.stop()
    [(status, _, reason)] = _states(store).values()
    assert status == "failed" and reason is not None and "email_consent" in reason
    with store.connect() as conn:
        consent = conn.execute(
            text("SELECT email_consent FROM customers WHERE id = :id"), {"id": customer}
        ).scalar()
        tasks = conn.execute(select(func.count()).select_from(Task)).scalar_one()
    assert not consent and tasks == 0  # the whole visit rolled back: no task either


MAIL = """\
name: mail-them
title: {en: Mail them}
trigger: {manual: true}
steps:
  - create_task: {title: {en: Call}}
  - id: offer
    send_email:
      template: TEMPLATE
"""


def _templates(folder: Path, name: str, html: str) -> Path:
    for lang in ("en", "zh"):
        (folder / f"{name}.{lang}.subject.liquid").write_text("Hello {{ customer.name }}\n")
        (folder / f"{name}.{lang}.txt.liquid").write_text("Hi.\n")
        (folder / f"{name}.{lang}.html.liquid").write_text(html if lang == "zh" else "<p>Hi</p>")
    return folder


def test_an_email_template_that_does_not_parse_is_refused_naming_step_and_line(
    store: Engine, tmp_path: Path
) -> None:
    folder = _templates(tmp_path, "broken-offer", "<p>好</p>\n<p>{% iff customer.name %}</p>\n")
    _templates(tmp_path, "fine-offer", "<p>{{ customer.name }}</p>\n")
    known = service.Templates(folder)
    loaded = parse(MAIL.replace("TEMPLATE", "broken-offer"), "mail.yaml")
    with write_transaction(store) as conn, pytest.raises(PlaybookInvalid) as caught:
        service.apply(conn, PERSON, [loaded], templates=known)
    [mistake] = caught.value.mistakes
    assert (mistake.line, mistake.field) == (8, "steps[1].send_email.template")
    assert mistake.message.startswith("step offer: the template 'broken-offer' does not parse")
    assert "broken-offer.zh.html.liquid, line 2" in mistake.message
    missing = parse(MAIL.replace("TEMPLATE", "no-such"), "mail.yaml")
    with write_transaction(store) as conn, pytest.raises(PlaybookInvalid) as caught:
        service.apply(conn, PERSON, [missing], templates=known)
    assert "no email template is called 'no-such'" in caught.value.mistakes[0].message
    with write_transaction(store) as conn:
        [done] = service.apply(
            conn, PERSON, [parse(MAIL.replace("TEMPLATE", "fine-offer"), "m")], templates=known
        )
    assert (done.name, done.outcome) == ("mail-them", "created")


def test_the_days_to_look_at_after_a_gap() -> None:
    today = date(2026, 5, 10)
    assert days_to_look_at(None, today) == [today]  # never looked: today only
    assert days_to_look_at(today, today) == []  # looked at already
    assert days_to_look_at(date(2026, 5, 7), today) == [date(2026, 5, d) for d in (8, 9, 10)]
    long_ago = days_to_look_at(date(2026, 1, 1), today)
    assert len(long_ago) == CATCH_UP_DAYS + 1 and long_ago[0] == date(2026, 4, 9)


BIRTHDAYS = """\
name: birthdays
title: {en: Happy birthday}
trigger: {date: {date: birthday}}
enrollment: {holdout: 0, again_after_days: 300}
steps:
  - create_task: {title: {en: Send a card}}
"""


def test_the_calendar_catches_up_on_the_days_the_worker_was_down(store: Engine) -> None:
    born = {  # day of birth (in 1990) → customer; the worker looks on 4 May, then 7 May, …
        (month, day): _customer(store, f"b{month}-{day}", birthday=date(1990, month, day))
        for month, day in [(5, 3), (5, 4), (5, 5), (5, 6), (5, 7), (5, 8), (6, 5), (6, 20)]
    }
    _apply(store, BIRTHDAYS)
    clock = FrozenClock(START)  # 4 May
    worker = _worker(store, clock)
    enrolled: list[int] = []
    try:
        enrolled.append(worker.tick().playbooks.enrolled)  # 4 May: 3 May is before it looked
        clock.advance(timedelta(days=3))  # down on 5 and 6 May; 7 May catches up
        enrolled.append(worker.tick().playbooks.enrolled)
        enrolled.append(worker.tick().playbooks.enrolled)  # the days are looked at once
        clock.advance(timedelta(days=65))  # 11 July: only the 31 days before it are caught up
        enrolled.append(worker.tick().playbooks.enrolled)
    finally:
        worker.stop()
    assert enrolled == [1, 3, 0, 1]
    with store.connect() as conn:
        got = conn.execute(select(Enrollment.customer_id, func.count()).group_by("customer_id"))
        per_customer = {int(c): int(n) for c, n in got}
    # 8 May and 5 June fell in the gap beyond 31 days (10 June … 11 July are caught up)
    expected = [born[5, 4], born[5, 5], born[5, 6], born[5, 7], born[6, 20]]
    assert per_customer == dict.fromkeys(expected, 1)


def test_a_paused_calendar_playbook_does_not_catch_up_on_its_pause(store: Engine) -> None:
    early = _customer(store, "early", birthday=date(1990, 5, 5))
    late = _customer(store, "late", birthday=date(1990, 5, 8))
    _apply(store, BIRTHDAYS)
    clock = FrozenClock(START)
    worker = _worker(store, clock)
    try:
        assert worker.tick().playbooks.enrolled == 0  # 4 May
        with write_transaction(store) as conn:
            service.set_status(conn, PERSON, "birthdays", PlaybookStatus.PAUSED)
        clock.advance(timedelta(days=1))
        assert worker.tick().playbooks.enrolled == 0  # 5 May, paused: taken, nobody enrolled
        with write_transaction(store) as conn:
            service.set_status(conn, PERSON, "birthdays", PlaybookStatus.ACTIVE)
        clock.advance(timedelta(days=3))
        assert worker.tick().playbooks.enrolled == 1  # 6, 7 and 8 May: "late" only
    finally:
        worker.stop()
    assert list(_states(store)) == [late] and early != late
