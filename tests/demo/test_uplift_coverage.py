"""The playbook report's 95% intervals against the demo company's true effects, over many seeds.

Each seed is a fresh demo company (the CLI in a real process, a real SQLite file) whose
customers answer the playbooks' emails with known probabilities (``tenure.demo.effects``);
``tenure.demo.check.check_playbooks`` measures each playbook as its report does and puts the
true uplift of its goal rate beside it. About 95% of the intervals must cover the truth, and
the estimates must not lean to one side of it by more than their own error allows.

Slow (a few minutes on two cores): ``pytest -m slow tests/demo/test_uplift_coverage.py -s``
prints the measured share; docs/experiments.md quotes it.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine

from tenure.demo.check import check_playbooks
from tenure.demo.responses import read_effects
from tests.cli.test_cli import tenure

END = "2026-06-30"
SEEDS = range(1, 25)
CUSTOMERS = "5000"


def _rows(seed: int, folder: Path) -> list[dict[str, Any]]:
    url = f"sqlite:///{folder / 'tenure.db'}"
    made = tenure(
        "demo", "--customers", CUSTOMERS, "--seed", str(seed), "--end", END,
        "--truth", str(folder / "truth"), "--json", url=url, cwd=folder,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    effects = read_effects(folder / "truth")
    assert effects is not None
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return check_playbooks(conn, effects, margin_share=0.3)
    finally:
        engine.dispose()


@pytest.mark.slow
def test_the_intervals_cover_the_true_effect_about_95_percent_of_the_time(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    rows = []
    for seed in SEEDS:
        found = _rows(seed, tmp_path_factory.mktemp(f"seed{seed}"))
        rows += [r | {"seed": seed} for r in found if r["covered"] is not None]
    covered = sum(r["covered"] for r in rows)
    share = covered / len(rows)
    errors = [r["estimate"] - r["true_uplift"] for r in rows]
    mean = sum(errors) / len(errors)
    spread = math.sqrt(sum((e - mean) ** 2 for e in errors) / (len(errors) - 1))
    standard_error = spread / math.sqrt(len(errors))
    print(
        json.dumps(
            {
                "intervals": len(rows),
                "covered": covered,
                "share": share,
                "mean_error": mean,
                "standard_error": standard_error,
                "by_playbook": {
                    name: [sum(r["covered"] for r in rows if r["playbook"] == name),
                           sum(1 for r in rows if r["playbook"] == name)]
                    for name in sorted({r["playbook"] for r in rows})
                },
            }
        )
    )  # fmt: skip
    assert len(rows) >= 2 * len(SEEDS)
    # 95% nominal: with ~70 intervals, fewer than 86% covered would be a 1-in-1000 event
    assert 0.86 <= share <= 1.0
    # unbiased within its error: the mean error is within three standard errors of zero
    assert abs(mean) <= 3 * standard_error
