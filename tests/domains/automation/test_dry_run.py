"""A dry run on history: its entries and admission counts against a plain per-day recount."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from sqlalchemy import Engine, func, select

from tenure.analytics.daily_scores import daily_scores
from tenure.analytics.features import EPOCH
from tenure.demo.config import DemoConfig
from tenure.demo.generate import generate
from tenure.demo.load import load_into_store
from tenure.domains.automation.definition import Playbook
from tenure.domains.automation.dry_run import simulate
from tenure.domains.automation.dry_run_inputs import BadRange, read_inputs
from tenure.domains.automation.enrollment import in_global_control, in_holdout
from tenure.domains.registry import metadata
from tenure.kit.settings import Settings
from tenure.kit.settings.automation import AutomationSettings
from tenure.storage.engine import make_engine
from tenure.storage.migrate import upgrade

END = date(2026, 3, 31)
FIRST, LAST = date(2026, 1, 5), date(2026, 3, 1)
SETTINGS = Settings(automation=AutomationSettings(global_control_share=0.1))


def playbook(**overrides: Any) -> Playbook:
    spec: dict[str, Any] = {
        "name": "dry",
        "title": {"en": "Dry"},
        "trigger": [{"stage_entered": {"to": ["declining"]}}],
        "conditions": {"field": "email_consent", "op": "=", "value": True},
        "enrollment": {"holdout": 0.3, "again_after_days": 30},
        "goal": {"purchase": True, "within_days": 14},
        "steps": [
            {"send_email": {"template": "win-back"}},
            {"wait": {"days": 3}},
            {"create_task": {"title": {"en": "Call"}, "assignee": {"to": "owner"}}},
        ],
    }
    return Playbook.model_validate(spec | overrides)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path: Path = tmp_path_factory.mktemp("dry") / "store.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    data = generate(DemoConfig(customers=1_500, seed=3, end=END))
    with engine.begin() as conn:
        load_into_store(conn, data, datetime(2026, 4, 1, tzinfo=UTC))
    yield engine
    engine.dispose()


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            name: int(conn.execute(select(func.count()).select_from(table)).scalar_one())
            for name, table in metadata().tables.items()
        }


@pytest.fixture(scope="module")
def result(engine: Engine) -> dict[str, Any]:
    with engine.connect() as conn:
        return simulate(conn, playbook(), FIRST, LAST, END, SETTINGS)


def recount(engine: Engine, book: Playbook) -> dict[str, Any]:
    """The same replay in plain Python, one customer at a time."""
    with engine.connect() as conn:
        inputs = read_inputs(conn, FIRST, LAST, END, SETTINGS, False, [])
    consent = dict(
        zip(
            inputs.history.customers["customer_id"].to_list(),
            inputs.history.customers["email_consent"].to_list(),
            strict=True,
        )
    )
    paid = inputs.history.frames["orders"].filter(pl.col("status") == "paid")
    buys: dict[int, set[int]] = {}
    for cid, day in paid.select("customer_id", "day").iter_rows():
        buys.setdefault(cid, set()).add(day)
    yesterday: dict[int, str | None] = {}
    last_entry: dict[int, tuple[int, int]] = {}  # customer → (day entered, last day in)
    entered = held = control = observed = met = 0
    for day, scores in daily_scores(inputs.history.frames, inputs.start, LAST, inputs.params):
        today = dict(zip(scores["customer_id"].to_list(), scores["stage"].to_list(), strict=True))
        number = (day - EPOCH).days
        if day >= FIRST:
            for cid, stage in today.items():
                if stage != "declining" or yesterday.get(cid) == "declining":
                    continue
                if not consent.get(cid):
                    continue
                if cid in last_entry:
                    start, until = last_entry[cid]
                    if until >= number or start > number - 30:
                        continue
                entered += 1
                in_control = in_global_control(cid, 0.1)
                held += in_control or in_holdout("dry", cid, 0.3)
                control += in_control
                goal = min(
                    (d for d in buys.get(cid, ()) if number < d <= number + 14), default=None
                )
                last_entry[cid] = (number, goal if goal is not None else number + 14)
                if goal is not None or number + 14 <= (END - EPOCH).days:
                    observed += 1
                    met += goal is not None
        yesterday = today
    return {
        "entered": entered,
        "holdout": held,
        "control": control,
        "observed": observed,
        "met": met,
    }


def test_entries_holdout_and_global_control_match_a_plain_recount(
    engine: Engine, result: dict[str, Any]
) -> None:
    want = recount(engine, playbook())
    totals = result["totals"]
    assert totals["entered"] == want["entered"] > 10
    assert totals["holdout"] == want["holdout"]
    assert totals["global_control"] == want["control"]
    assert sum(w["entries"] for w in result["weeks"]) == want["entered"]
    goal = result["goal"]["all"]
    assert (goal["observed"], goal["met"]) == (want["observed"], want["met"])
    assert result["observation"] is True and result["goal"]["causal"] is False


def test_workload_counts_one_email_and_one_task_per_treated_entry_before_the_goal(
    result: dict[str, Any],
) -> None:
    work = result["workload"]
    treated = result["totals"]["treated"]
    stopped = sum(work["emails_not_sent"].values())
    # the email goes at entry (a goal is met the day after at the earliest): sent or stopped
    assert work["emails_sent"] + stopped == treated
    assert work["tasks_created"] <= treated
    assert sum(row["count"] for row in work["tasks"]) == work["tasks_created"]
    assert all(row["week"] <= "2026-03-09" for row in work["tasks"])


def test_a_dry_run_writes_nothing(engine: Engine) -> None:
    before = counts(engine)
    with engine.connect() as conn:
        simulate(conn, playbook(), LAST - timedelta(days=6), LAST, END, SETTINGS)
    assert counts(engine) == before


@pytest.mark.parametrize(
    ("first", "last", "field", "words"),
    [
        (LAST, FIRST, "from", "is after to"),
        (FIRST, END + timedelta(days=1), "to", "in the future"),
        (date(2010, 1, 1), FIRST, "from", "first day of history"),
    ],
)
def test_a_bad_range_names_the_field(
    engine: Engine, first: date, last: date, field: str, words: str
) -> None:
    with engine.connect() as conn, pytest.raises(BadRange) as caught:
        simulate(conn, playbook(), first, last, END, SETTINGS)
    assert caught.value.field == field
    assert words in caught.value.message
    assert caught.value.status_code == 422
