"""tenure clv fit / evaluate on the CDNOW sample, as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from tests.cli.test_cli import tenure
from tests.conftest import DATA

CDNOW = ["--columns", "master,customer_id,date,cds,amount"]
PERIODS = ["--calibration-end", "1997-09-30", "--observation-end", "1998-06-30"]


def test_fit_prints_the_published_parameters(tmp_path: Path, empty_sqlite_url: str) -> None:
    result = tenure(
        "clv",
        "fit",
        str(DATA / "CDNOW_sample.txt"),
        *CDNOW,
        "--amount-col",
        "amount",
        "--unit",
        "W",
        *PERIODS,
        "--predictions",
        "p.csv",
        url=empty_sqlite_url,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "0.2426" in result.stdout and "4.4136" in result.stdout  # r and alpha, FHL (2005)
    assert "-9582.43" in result.stdout and "converged" in result.stdout
    table = pl.read_csv(tmp_path / "p.csv", schema_overrides={"customer_id": pl.String})
    assert table.height == 2357
    assert {
        "p_alive",
        "expected_purchases_holdout",
        "expected_purchases_horizon",
        "expected_spend",
        "clv",
    } <= set(table.columns)
    assert table["clv"].min() >= 0  # type: ignore[operator]


@pytest.mark.parametrize("model", ["paretonbd", "mbgnbd", "bgbb"])
def test_fit_other_models_as_json(tmp_path: Path, empty_sqlite_url: str, model: str) -> None:
    unit = "M" if model == "bgbb" else "W"
    result = tenure(
        "clv",
        "fit",
        str(DATA / "CDNOW_sample.txt"),
        *CDNOW,
        "--amount-col",
        "amount",
        "--model",
        model,
        "--unit",
        unit,
        "--calibration-end",
        "1997-09-30",
        "--json",
        url=empty_sqlite_url,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["transaction_model"]["converged"] is True
    if model == "paretonbd":
        assert report["transaction_model"]["params"]["s"] == pytest.approx(0.6062, rel=0.005)


def test_evaluate_writes_the_two_figures(tmp_path: Path, empty_sqlite_url: str) -> None:
    result = tenure(
        "clv",
        "evaluate",
        str(DATA / "CDNOW_sample.txt"),
        *CDNOW,
        *PERIODS,
        "--out",
        "figures",
        "--json",
        url=empty_sqlite_url,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["holdout"]["customers"] == 2357
    assert [row["frequency"] for row in report["by_frequency"]][-1] == "7+"
    names = sorted(p.name for p in (tmp_path / "figures").iterdir())
    assert names == [
        "conditional_expectation.png",
        "conditional_expectation.svg",
        "tracking.png",
        "tracking.svg",
    ]
    assert (tmp_path / "figures" / "tracking.png").stat().st_size > 20_000


def test_clear_errors(tmp_path: Path, empty_sqlite_url: str) -> None:
    bad = tenure(
        "clv",
        "fit",
        str(DATA / "CDNOW_sample.txt"),
        *CDNOW,
        "--model",
        "nbd",
        url=empty_sqlite_url,
        cwd=tmp_path,
    )
    assert bad.returncode == 1 and "--model must be one of" in bad.stderr
    missing = tenure(
        "clv",
        "fit",
        str(DATA / "CDNOW_sample.txt"),
        "--columns",
        "a,b,c,d,e",
        url=empty_sqlite_url,
        cwd=tmp_path,
    )
    assert missing.returncode == 1 and "no column 'customer_id'" in missing.stderr
    no_holdout = tenure(
        "clv",
        "evaluate",
        str(DATA / "CDNOW_sample.txt"),
        *CDNOW,
        "--calibration-end",
        "1998-06-30",
        url=empty_sqlite_url,
        cwd=tmp_path,
    )
    assert no_holdout.returncode == 1 and "no holdout" in no_holdout.stderr
