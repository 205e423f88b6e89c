"""The command line as a person uses it: real processes on a real SQLite file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.domains.dataio.helpers import CUSTOMERS, write


def tenure(*args: str, url: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TENURE_DATABASE_URL": url, "COLUMNS": "120", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "tenure", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=600,  # a demo of 12,000 customers on a busy machine
        check=False,
    )


def test_help_teaches(tmp_path: Path, empty_sqlite_url: str) -> None:
    top = tenure("--help", url=empty_sqlite_url, cwd=tmp_path)
    assert top.returncode == 0
    for command in ("init", "import", "export", "demo", "serve"):
        assert command in top.stdout
    orders = tenure("import", "orders", "--help", url=empty_sqlite_url, cwd=tmp_path)
    assert "--skip-invalid" in orders.stdout
    assert "--preset" in orders.stdout
    assert "order_id" in orders.stdout


def test_init_is_idempotent(tmp_path: Path, empty_sqlite_url: str) -> None:
    first = tenure("init", "--json", url=empty_sqlite_url, cwd=tmp_path)
    second = tenure("init", "--json", url=empty_sqlite_url, cwd=tmp_path)
    assert json.loads(first.stdout)["revision_before"] is None
    assert json.loads(second.stdout)["revision_before"] == json.loads(second.stdout)["revision"]


def test_import_reports_and_fails_precisely(tmp_path: Path, empty_sqlite_url: str) -> None:
    customers = write(tmp_path / "customers.csv", CUSTOMERS)
    ok = tenure("import", "customers", str(customers), "--json", url=empty_sqlite_url, cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["inserted"] == 3
    bad = write(
        tmp_path / "orders.csv", "order_id,customer_id,ordered_at,amount\no1,c1,2024-13-01,5\n"
    )
    failed = tenure("import", "orders", str(bad), url=empty_sqlite_url, cwd=tmp_path)
    assert failed.returncode == 1
    assert "orders.csv: row 2, column 'ordered_at'" in failed.stderr
    again = tenure("import", "customers", str(customers), url=empty_sqlite_url, cwd=tmp_path)
    assert "unchanged 3" in again.stdout


def test_missing_file_is_a_clear_error(tmp_path: Path, empty_sqlite_url: str) -> None:
    result = tenure("import", "orders", "nope.csv", url=empty_sqlite_url, cwd=tmp_path)
    assert result.returncode == 1
    assert "nope.csv: no such file" in result.stderr


def test_demo_then_export(tmp_path: Path, empty_sqlite_url: str) -> None:
    made = tenure(
        "demo",
        "--customers",
        "300",
        "--end",
        "2026-01-31",
        "--json",
        url=empty_sqlite_url,
        cwd=tmp_path,
    )
    assert made.returncode == 0, made.stderr
    report = json.loads(made.stdout)
    rows = report["rows"]
    assert sum(report["stages"].values()) == 300  # the demo ends with a scoring run
    assert rows["customers"] == 300
    assert (tmp_path / "tenure-demo-truth" / "truth.json").exists()
    # the true effects of the demo's playbooks, and the global control group switched on
    effects = json.loads((tmp_path / "tenure-demo-truth" / "effects.json").read_text())
    assert set(effects) == {"win-back", "lead-welcome", "new-customer-onboarding"}
    assert all(
        e["window_days"] == 13 and e["as_of"].startswith("2026-02-01") for e in effects.values()
    )
    programme = tenure(
        "playbooks", "report", "--programme", "--json", url=empty_sqlite_url, cwd=tmp_path
    )
    assert json.loads(programme.stdout)["global_control_share"] == 0.05, programme.stderr
    stages = json.loads(
        tenure("report", "stages", "--json", url=empty_sqlite_url, cwd=tmp_path).stdout
    )
    assert sum(row["customers"] for row in stages["stages"]) == 300
    runs = json.loads(tenure("report", "runs", "--json", url=empty_sqlite_url, cwd=tmp_path).stdout)
    # four weeks replayed with a run a fortnight, so that the stage flow shows from the start
    assert [r["as_of"] for r in runs] == ["2026-01-31", "2026-01-17", "2026-01-03"]
    assert runs[0]["customers"] == 300
    flow = tenure("report", "flow", url=empty_sqlite_url, cwd=tmp_path)
    assert "Stage flow from run 2 to run 3" in flow.stdout
    # the playbooks were at work over those weeks: enrollments, steps and mail on many days
    acted = report["playbooks"]
    assert acted["enrolled"] > 0 and acted["steps"] > acted["enrolled"]
    assert acted["emails"].get("sent", 0) > 0
    # the loyalty programme ran over the history and its ledger adds up
    assert report["loyalty"]["programme"] == "stars"
    checked = json.loads(
        tenure("loyalty", "check", "--json", url=empty_sqlite_url, cwd=tmp_path).stdout
    )
    assert [(c["programme"], c["ok"]) for c in checked] == [("stars", True)]
    assert checked[0]["accounts"] > 0
    # Stars is opt-in in the demo: the members are those who joined, about 43 % of the buyers
    assert checked[0]["accounts"] == report["loyalty"]["members"] > 0
    kpis = json.loads(
        tenure("loyalty", "report", "--json", url=empty_sqlite_url, cwd=tmp_path).stdout
    )
    assert kpis["enrolment"] == "opt_in"
    assert kpis["matched"]["members"] == report["loyalty"]["members"]
    segments = json.loads(
        tenure("report", "segments", "--json", url=empty_sqlite_url, cwd=tmp_path).stdout
    )
    assert {row["segment"] for row in segments["value_quadrants"]} <= {
        "high_value_loyal",
        "high_value_occasional",
        "low_value_loyal",
        "low_value_occasional",
    }
    kpis = json.loads(tenure("report", "kpis", "--json", url=empty_sqlite_url, cwd=tmp_path).stdout)
    assert kpis["as_of"] == "2026-01-31" and kpis["base"]["customers"] == 300
    assert sum(kpis["stages"].values()) == 300
    shown = tenure("report", "kpis", "--monthly", url=empty_sqlite_url, cwd=tmp_path)
    assert "The last 30 days" in shown.stdout and "2026-01 *" not in shown.stdout
    cohorts = tenure("report", "cohorts", "--csv", url=empty_sqlite_url, cwd=tmp_path).stdout
    assert cohorts.splitlines()[0].startswith("cohort,customers,m0,m1")
    channels = tenure("report", "channels", url=empty_sqlite_url, cwd=tmp_path)
    assert "CAC" in channels.stdout and channels.returncode == 0
    # 300 customers are too few to learn churn from: the report says so and why
    churn = tenure("report", "churn", url=empty_sqlite_url, cwd=tmp_path)
    assert churn.returncode == 1 and "at least 50 of each" in churn.stderr
    made_segment = tenure(
        "segments",
        "create",
        "lapsed",
        "--filter",
        '{"field": "stage", "op": "in", "value": ["churned", "declining"]}',
        url=empty_sqlite_url,
        cwd=tmp_path,
    )
    assert made_segment.returncode == 0, made_segment.stderr
    lapsed = sum(n for s, n in report["stages"].items() if s in ("churned", "declining"))
    assert f"lapsed: {lapsed:,} customers" in made_segment.stdout
    members = tenure("segments", "show", "lapsed", "--csv", url=empty_sqlite_url, cwd=tmp_path)
    assert len(members.stdout.splitlines()) == lapsed + 1
    wrong = tenure(
        "segments",
        "create",
        "x",
        "--filter",
        '{"field": "nope"}',
        url=empty_sqlite_url,
        cwd=tmp_path,
    )
    assert wrong.returncode == 1 and "unknown operator None" in wrong.stderr
    skipped = tenure("demo", "--if-empty", url=empty_sqlite_url, cwd=tmp_path)
    assert "already holds 300 customers" in skipped.stdout
    refused = tenure("demo", url=empty_sqlite_url, cwd=tmp_path)
    assert refused.returncode == 1
    assert "--reset" in refused.stderr
    exported = tenure("export", "orders", "orders.csv", url=empty_sqlite_url, cwd=tmp_path)
    assert exported.returncode == 0
    # every demo order has lines, and the file holds one row per line: the generated ones and
    # one for each order the playbooks' emails brought (tenure.demo.responses)
    engine = create_engine(empty_sqlite_url)
    with engine.connect() as conn:
        responses = conn.execute(
            text("SELECT count(*) FROM orders WHERE external_id LIKE 'demo-response:%'")
        ).scalar_one()
    engine.dispose()
    lines = rows["order_lines"] + responses
    assert f"Exported {lines:,} rows (one per order line)" in exported.stdout


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_demo_out_writes_import_files(tmp_path: Path, empty_sqlite_url: str, fmt: str) -> None:
    result = tenure(
        "demo",
        "--customers",
        "200",
        "--profile",
        "saas",
        "--out",
        "files",
        "--format",
        fmt,
        url=empty_sqlite_url,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    names = sorted(p.name for p in (tmp_path / "files").iterdir())
    assert f"subscriptions.{fmt}" in names
    assert "truth.parquet" in names


def test_playbooks_from_files_to_the_store(tmp_path: Path, empty_sqlite_url: str) -> None:
    copied = tenure("playbooks", "presets", "pb", url=empty_sqlite_url, cwd=tmp_path)
    assert copied.returncode == 0 and (tmp_path / "pb" / "win-back.yaml").is_file()
    applied = tenure("playbooks", "apply", "pb", "--json", url=empty_sqlite_url, cwd=tmp_path)
    assert applied.returncode == 0, applied.stderr
    assert {a["outcome"] for a in json.loads(applied.stdout)} == {"created"}
    # a mistake: named with file, line and field; nothing is published
    broken = (
        (tmp_path / "pb" / "win-back.yaml")
        .read_text()
        .replace("due_in_days: 3", "due_in_days: soon")
    )
    (tmp_path / "pb" / "win-back.yaml").write_text(broken)
    refused = tenure("playbooks", "apply", "pb", url=empty_sqlite_url, cwd=tmp_path)
    assert refused.returncode == 1
    said = " ".join(refused.stderr.split())
    assert "win-back.yaml, line" in said and "steps[0].create_task.due_in_days" in said
    assert "nothing was published" in said and "Traceback" not in refused.stderr
    listed = tenure("playbooks", "list", "--json", url=empty_sqlite_url, cwd=tmp_path)
    assert {p["name"]: p["version"] for p in json.loads(listed.stdout)}["win-back"] == 1
    paused = tenure("playbooks", "pause", "win-back", url=empty_sqlite_url, cwd=tmp_path)
    assert paused.returncode == 0
    shown = tenure("playbooks", "show", "win-back", "--json", url=empty_sqlite_url, cwd=tmp_path)
    assert json.loads(shown.stdout)["status"] == "paused"
    source = tenure("playbooks", "show", "win-back", "--source", url=empty_sqlite_url, cwd=tmp_path)
    assert source.stdout.startswith("# A customer who starts to decline")
    missing = tenure("playbooks", "show", "nope", url=empty_sqlite_url, cwd=tmp_path)
    assert missing.returncode == 1 and "no playbook called 'nope'" in missing.stderr
    resumed = tenure("playbooks", "resume", "win-back", url=empty_sqlite_url, cwd=tmp_path)
    assert resumed.returncode == 0
    nobody = tenure("playbooks", "enroll", "win-back", "C404", url=empty_sqlite_url, cwd=tmp_path)
    assert nobody.returncode == 1 and "no customer has the external id 'C404'" in nobody.stderr
    worked = tenure("worker", "--once", "--json", url=empty_sqlite_url, cwd=tmp_path)
    assert worked.returncode == 0, worked.stderr
    assert json.loads(worked.stdout)["enrolled"] == 0
    listed_enrollments = tenure(
        "playbooks", "enrollments", "win-back", "--json", url=empty_sqlite_url, cwd=tmp_path
    )
    assert listed_enrollments.returncode == 0 and json.loads(listed_enrollments.stdout) == []
