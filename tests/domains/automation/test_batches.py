"""A batch of enrollments runs set-wise and still behaves as if each ran alone.

run_due writes a batch's tasks, customer changes and moves together (effects.py). These tests
hold it to the one-at-a-time meaning: a visit sees its own writes, two enrollments of one
customer both count, and one enrollment that fails fails alone, the rest of its batch done.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, select

from tenure.domains.audit.models import AuditEntry
from tenure.domains.automation import enrollment, steps
from tenure.domains.automation.models import Enrollment, StepRun
from tenure.domains.customers.models import Customer
from tenure.domains.tasks.models import Task
from tenure.domains.users import service as users
from tenure.domains.users.models import User
from tenure.kit.clock import FrozenClock
from tenure.storage.engine import write_transaction
from tests.domains.automation.test_engine import (
    PERSON,
    START,
    _apply,
    _customer,
    _stage_change,
    _worker,
)

SELF_READ = """\
name: self-read
title: {en: Sees its own writes}
trigger: {stage_entered: {to: [declining]}}
enrollment: {holdout: 0}
steps:
  - set_fields: {city: Far Away}
  - branch: {if: {field: city, op: "=", value: Far Away}, then: task, else: done}
  - id: task
    create_task:
      title: {en: "Call them, they moved"}
      due_in_days: 1
      assignee: {to: owner, fallback: csm}
  - id: done
    exit: true
"""

TAGS = """\
name: tag-{n}
title: {{en: Tag {n}}}
trigger: {{stage_entered: {{to: [declining]}}}}
enrollment: {{holdout: 0}}
steps:
  - add_tags: [mark-{n}]
  - create_task:
      title: {{en: Task {n}}}
      due_in_days: 1
      assignee: {{to: owner, fallback: csm}}
  - exit: true
"""


def test_a_visit_sees_its_own_changes_before_a_branch(store: Engine) -> None:  # noqa: F811
    customers = [_customer(store, f"c{n}", city="Home") for n in range(5)]
    _apply(store, SELF_READ)
    for n, customer in enumerate(customers):
        _stage_change(store, customer, "mature", "declining", f"e{n}")
    worker = _worker(store, FrozenClock(START))
    try:
        ticked = worker.tick().playbooks
    finally:
        worker.stop()
    assert ticked.failed == 0
    with store.connect() as conn:
        cities = set(conn.execute(select(Customer.city)).scalars())
        tasks = conn.execute(select(Task.customer_id)).scalars().all()
        branches = conn.execute(select(StepRun.outcome).where(StepRun.action == "branch")).scalars()
        audited = conn.execute(
            select(AuditEntry.entity_id).where(AuditEntry.action == "customer.update")
        ).scalars()
        details = conn.execute(
            select(StepRun.detail).where(StepRun.action == "create_task")
        ).scalars()
        task_ids = set(conn.execute(select(Task.id)).scalars())
    assert cities == {"Far Away"}
    assert sorted(tasks) == sorted(customers)  # the branch saw the new city: a task each
    assert set(branches) == {"then"}
    assert sorted(int(i) for i in audited) == sorted(customers)
    # each step record names the task it made
    assert {d["task_id"] for d in details} == task_ids


def test_two_enrollments_of_one_customer_in_a_batch_both_count(store: Engine) -> None:  # noqa: F811
    customer = _customer(store, "both", tags=["old"])
    for n in (1, 2):
        _apply(store, TAGS.format(n=n))
    _stage_change(store, customer, "mature", "declining", "e")
    worker = _worker(store, FrozenClock(START))
    try:
        ticked = worker.tick().playbooks
    finally:
        worker.stop()
    assert (ticked.enrolled, ticked.steps, ticked.failed) == (2, 6, 0)
    with store.connect() as conn:
        tags = conn.execute(select(Customer.tags).where(Customer.id == customer)).scalar_one()
        titles = sorted(conn.execute(select(Task.title)).scalars())
        created = {at.date() for at in conn.execute(select(Task.created_at)).scalars()}
    assert tags == ["old", "mark-1", "mark-2"]
    assert titles == ["Task 1", "Task 2"]
    assert created == {START.date()}  # the worker's clock, not the wall's: a replay's tasks


def test_one_failing_enrollment_fails_alone_and_its_batch_goes_on(store: Engine) -> None:  # noqa: F811
    with write_transaction(store) as conn:
        keeps = users.create_user(conn, "Kept", "kept@t.test", "sales")[0]
        leaves = users.create_user(conn, "Left", "left@t.test", "sales")[0]
    good = [_customer(store, f"g{n}", owner_id=keeps) for n in range(4)]
    bad = _customer(store, "bad", owner_id=leaves)
    with write_transaction(store) as conn:
        users.set_active(conn, PERSON, leaves, False)  # a task for them cannot be assigned
    _apply(store, TAGS.format(n=1))
    for customer in [*good[:2], bad, *good[2:]]:
        _stage_change(store, customer, "mature", "declining", f"e{customer}")
    clock = FrozenClock(START)
    with write_transaction(store) as conn:
        [version] = enrollment.current_versions(conn)
        assert enrollment.enroll_from_feed(conn, version, clock.now()) == 5
    with write_transaction(store) as conn:
        report = steps.run_due(conn, steps.Context(), clock.now() + timedelta(seconds=1))
    assert (report.enrollments, report.failed, report.steps) == (5, 1, 12)
    with store.connect() as conn:
        ended = dict(conn.execute(select(Enrollment.customer_id, Enrollment.status)).all())
        reason = conn.execute(
            select(Enrollment.reason).where(Enrollment.customer_id == bad)
        ).scalar_one()
        tasks = conn.execute(select(Task.customer_id)).scalars().all()
        bad_tags = conn.execute(select(Customer.tags).where(Customer.id == bad)).scalar_one()
        bad_runs = conn.execute(
            select(StepRun.id).join(Enrollment).where(Enrollment.customer_id == bad)
        ).all()
    assert ended == {**dict.fromkeys(good, "exited"), bad: "failed"}
    assert f"no active user with id {leaves}" in (reason or "")
    assert sorted(tasks) == sorted(good)  # one each, none for the failed one
    assert not bad_tags and not bad_runs  # its tag step rolled back with its task


TEAM = """\
name: to-the-team
title: {en: To the team}
trigger: {stage_entered: {to: [declining]}}
enrollment: {holdout: 0}
steps:
  - create_task:
      title: {en: Look after them}
      assignee: {to: team, team: success, fallback: manager}
  - exit: true
"""


def test_a_team_s_tasks_go_round_robin_to_its_active_members(store: Engine) -> None:  # noqa: F811
    with write_transaction(store) as conn:
        lin = users.create_user(conn, "Lin", "lin@t.test", "csm", team="success")[0]
        casey = users.create_user(conn, "Casey", "casey@t.test", "csm", team="success")[0]
        gone = users.create_user(conn, "Gone", "gone@t.test", "csm", team="success")[0]
        users.create_user(conn, "Other", "other@t.test", "csm", team="sales")
        boss = users.create_user(conn, "Boss", "boss@t.test", "manager")[0]
        users.set_active(conn, PERSON, gone, False)
    owned = [_customer(store, f"t{n}", owner_id=boss) for n in range(5)]
    _apply(store, TEAM)
    for customer in owned:
        _stage_change(store, customer, "mature", "declining", f"t{customer}")
    worker = _worker(store, FrozenClock(START))
    try:
        assert worker.tick().playbooks.failed == 0
        with store.connect() as conn:
            given = conn.execute(select(Task.assignee_id)).scalars().all()
        assert sorted(given) == sorted([lin, casey, lin, casey, lin])  # by load, then id
        with write_transaction(store) as conn:  # nobody left in the team: the fallback role
            users.set_team(conn, PERSON, lin, None)
            users.set_team(conn, PERSON, casey, "Sales ")
        late = _customer(store, "late")
        _stage_change(store, late, "mature", "declining", "late")
        worker.tick()
    finally:
        worker.stop()
    with store.connect() as conn:
        last = conn.execute(select(Task.assignee_id).where(Task.customer_id == late)).scalar()
        team = conn.execute(select(User.team).where(User.id == casey)).scalar()
    assert last == boss
    assert team == "sales"  # trimmed, lower case
