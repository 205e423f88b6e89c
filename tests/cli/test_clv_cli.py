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


def _shop_log(path: Path, *, free_buyers: int = 4, amounts: str = "real") -> list[str]:
    """CDNOW as a shop's order export; the first ``free_buyers`` repeat buyers only got free orders.

    ``amounts`` is "real", "zero" (every order free) or "none" (no amount column). Returns the
    ids of the customers whose every order is zero-valued.
    """
    rows = [line.split() for line in (DATA / "CDNOW_sample.txt").read_text().splitlines()]
    log = pl.DataFrame(
        {
            "order_id": [f"#{1000 + i}" for i in range(len(rows))],
            "customer_id": [r[1] for r in rows],
            "date": [f"{r[2][:4]}-{r[2][4:6]}-{r[2][6:]}" for r in rows],
            "amount": [float(r[4]) for r in rows],
        }
    )
    repeat = (
        log.filter(pl.col("date") <= "1997-09-30")
        .group_by("customer_id")
        .agg(pl.col("date").n_unique().alias("days"))
        .filter(pl.col("days") > 1)
        .sort("customer_id")
    )
    free = repeat["customer_id"].head(free_buyers).to_list()
    zero = pl.col("customer_id").is_in(free) | pl.lit(amounts == "zero")
    log = log.with_columns(pl.when(zero).then(0.0).otherwise(pl.col("amount")).alias("amount"))
    (log.drop("amount") if amounts == "none" else log).write_csv(path)
    return free


def _fit_json(log: Path, *extra: str, url: str, cwd: Path) -> dict[str, object]:
    result = tenure("clv", "fit", str(log), *PERIODS, *extra, "--json", url=url, cwd=cwd)
    assert result.returncode == 0, result.stderr
    report: dict[str, object] = json.loads(result.stdout)
    return report


def test_fit_a_log_where_some_repeat_buyers_only_had_free_orders(
    tmp_path: Path, empty_sqlite_url: str
) -> None:
    free = _shop_log(tmp_path / "orders.csv")
    report = _fit_json(
        tmp_path / "orders.csv",
        "--amount-col",
        "amount",
        "--predictions",
        "p.csv",
        url=empty_sqlite_url,
        cwd=tmp_path,
    )
    spend = report["spend_model"]
    assert isinstance(spend, dict)
    assert spend["converged"] is True and spend["customers"] == 946 - len(free)
    assert spend["left_out"] == {"no_repeat_purchase": 2357 - 946, "zero_spend": len(free)}
    table = pl.read_csv(tmp_path / "p.csv", schema_overrides={"customer_id": pl.String})
    p, q, v = (spend["params"][k] for k in ("p", "q", "v"))
    freeloaders = table.filter(pl.col("customer_id").is_in(free))
    # their Gamma-Gamma posterior mean at m̄ = 0: pγ/(px + q − 1), below the population mean
    expected = p * v / (p * freeloaders["frequency"].cast(pl.Float64) + q - 1)
    assert freeloaders["expected_spend"].to_list() == pytest.approx(expected.to_list())
    assert freeloaders["expected_spend"].max() < p * v / (q - 1)
    assert table["clv"].is_finite().all() and table["clv"].min() >= 0  # type: ignore[operator]

    human = tenure(
        "clv",
        "fit",
        str(tmp_path / "orders.csv"),
        *PERIODS,
        "--amount-col",
        "amount",
        url=empty_sqlite_url,
        cwd=tmp_path,
    )
    assert human.returncode == 0, human.stderr
    text = " ".join(human.stdout.split())  # the console wraps long lines
    assert "Left out of the spend fit: 1,411 customers without a repeat purchase" in text
    assert "and 4 repeat buyers whose repeat purchases were all zero-valued" in text


def test_count_models_ignore_the_amounts(tmp_path: Path, empty_sqlite_url: str) -> None:
    runs = {}
    for amounts in ("real", "zero", "none"):
        log = tmp_path / f"{amounts}.csv"
        _shop_log(log, amounts=amounts)
        extra = [] if amounts == "none" else ["--amount-col", "amount"]
        out = f"{amounts}.parquet"
        report = _fit_json(log, *extra, "--predictions", out, url=empty_sqlite_url, cwd=tmp_path)
        runs[amounts] = (report, pl.read_parquet(tmp_path / out))
    real, zero, none = runs["real"], runs["zero"], runs["none"]
    for other in (zero, none):
        assert other[0]["transaction_model"] == real[0]["transaction_model"]
        assert other[1]["p_alive"].to_list() == real[1]["p_alive"].to_list()
        assert (
            other[1]["expected_purchases_horizon"].to_list()
            == real[1]["expected_purchases_horizon"].to_list()
        )
    # every order free: nothing to learn spend from, and the output says why
    assert "spend_model" not in zero[0]
    assert zero[0]["spend_not_fitted"] == {
        "reason": "0 repeat buyers with a positive spend; Gamma-Gamma needs at least 3",
        "left_out": {"no_repeat_purchase": 1411, "zero_spend": 946},
    }
