"""`tenure demo check`: a fresh demo company, scored, meets the targets against its own truth.

Run as a user would (the CLI in a real process, a real SQLite file), on both profiles and
two seeds. The targets and invariants are those of docs/stages.md; the demo check prints them.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.cli.test_cli import tenure

END = "2026-06-30"


@pytest.fixture(
    scope="module",
    params=[("ecommerce", 7), ("ecommerce", 21), ("saas", 5), ("saas", 13)],
    ids=lambda p: f"{p[0]}-seed{p[1]}",
)
def report(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    profile, seed = request.param
    folder = tmp_path_factory.mktemp(f"{profile}{seed}")
    customers = "12000" if profile == "ecommerce" else "8000"
    url = f"sqlite:///{folder / 'tenure.db'}"
    made = tenure(
        "demo", "--customers", customers, "--seed", str(seed), "--profile", profile,
        "--end", END, "--truth", str(folder / "truth"), "--json", url=url, cwd=folder,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    done = tenure("demo", "check", "--truth", str(folder / "truth"), "--json", url=url, cwd=folder)
    return json.loads(done.stdout) | {"exit_code": done.returncode}


def test_every_target_is_met(report: Any) -> None:
    missed = [v for v in report["verdicts"] if v["met"] is not True]
    assert not missed, missed
    assert report["exit_code"] == 0


def test_every_invariant_holds(report: Any) -> None:
    assert all(row["violations"] == 0 for row in report["invariants"]), report["invariants"]
    if report["profile"] == "ecommerce":
        assert len(report["invariants"]) == 5


def test_p_alive_is_calibrated_and_one_time_buyers_are_not_all_alive(report: Any) -> None:
    p_alive = report["p_alive"]
    assert p_alive["ece"] <= 0.05
    assert p_alive["roc_auc"] >= 0.9
    # BG/NBD gave every one-time buyer P(alive) = 1: no more than a sliver sits at the top now
    top = p_alive["reliability"][-1]
    assert top["observed"] >= 0.95


def test_clv_is_close_to_the_true_expected_value(report: Any) -> None:
    clv = report["clv"]
    if report["profile"] == "saas":
        assert "skipped" in clv
        return
    assert abs(clv["equity_error"]) <= 0.15
    assert clv["correlation"] >= 0.8


def test_each_demo_playbook_is_measured_beside_its_true_effect(report: Any) -> None:
    from tenure.demo.effects import EFFECTS

    rows = {row["playbook"]: row for row in report["playbooks"]}
    assert set(rows) == set(EFFECTS)
    for name, row in rows.items():
        assert row["treated"] > 0 and row["holdout"] > 0, row
        assert row["low"] <= row["estimate"] <= row["high"]
        # the truth: the response probability × a share of the treated (not all reachable)
        assert 0 < row["true_uplift"] <= EFFECTS[name].response_probability
        assert row["covered"] is (row["low"] <= row["true_uplift"] <= row["high"])
