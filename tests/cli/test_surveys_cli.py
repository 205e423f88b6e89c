"""`tenure surveys …` as a person types it, on a SQLite file: teams, routing, figures, closing."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tenure.cli.main import app
from tenure.domains.audit.service import Actor
from tenure.domains.customers import changes
from tenure.domains.surveys import answering
from tenure.domains.tasks.models import Task
from tenure.storage.engine import make_engine
from tenure.storage.migrate import upgrade


def test_teams_routing_answers_and_closing(
    tmp_path: Path, empty_sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # in this process (a subprocess per command took half a minute on a shared machine)
    monkeypatch.setenv("TENURE_DATABASE_URL", empty_sqlite_url)
    monkeypatch.setenv("COLUMNS", "160")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def run(*args: str, ok: bool = True) -> str:
        done = runner.invoke(app, ["surveys", *args])
        assert (done.exit_code == 0) == ok, done.output
        return done.output

    (tmp_path / "nps.yaml").write_text(
        'key: nps\nkind: nps\ntitle: {en: "How are we doing?", zh: 我们做得怎么样}\n',
        encoding="utf-8",
    )
    assert "nps: created" in run("apply", "nps.yaml")
    assert "SLA 8 h" in run("team-set", "support", "--name-zh", "客服", "--sla-hours", "8")
    (tmp_path / "nps.routing.yaml").write_text(
        "survey: nps\nrules:\n  - name: low\n    when: {band: [detractor]}\n    team: sup\n",
        encoding="utf-8",
    )
    refused = run("route", "nps.routing.yaml", ok=False)
    assert "nps.routing.yaml, line 5: rules[0].team: no team 'sup'" in refused
    text = (tmp_path / "nps.routing.yaml").read_text(encoding="utf-8")
    (tmp_path / "nps.routing.yaml").write_text(text.replace("sup\n", "support\n"), "utf-8")
    assert "nps: 1 rule(s) kept" in run("route", "nps.routing.yaml")
    engine = make_engine(empty_sqlite_url)
    upgrade(engine)
    with engine.begin() as conn:
        cid = changes.create_customer(conn, Actor(None, "cli"), {"external_id": "C-1"})
        for n, score in enumerate((2, 10)):
            answering.answer_from_elsewhere(
                conn,
                survey_key="nps",
                customer_id=cid,
                sender_id=f"s{n}",
                raw={"score": score, "comment": "late" if score < 5 else None},
                answered_at=datetime(2026, 11, 2 + n, tzinfo=UTC),
                language="en",
            )
        task_id = conn.execute(select(Task.id)).scalar_one()
    engine.dispose()
    teams = json.loads(run("teams", "--json"))
    assert [(t["key"], t["board"]["open"]) for t in teams] == [("support", 1)]
    assert "late" in run("answers", "nps", "--band", "detractor")
    assert "rules" not in run(
        "close", str(task_id), "--outcome", "gone", "--root-cause", "price", ok=False
    )
    assert "resolved (price)" in run(
        "close", str(task_id), "--outcome", "resolved", "--root-cause", "price"
    )
    shown = json.loads(run("show", "nps", "--json"))
    assert (shown["answers"], shown["poor"], shown["followed_up_closed"]) == (2, 1, 1)
    assert shown["by_month"] == [{"month": "2026-11", "answers": 2, "score": 0.0}]
    listed = json.loads(run("list", "--json"))
    assert listed[0]["key"] == "nps" and listed[0]["invited"] == 0
