"""Summaries from a transaction log, on CDNOW and on tiny hand-made logs."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from tenure.analytics.clv.bgnbd import BetaGeo
from tenure.analytics.clv.mbgnbd import ModifiedBetaGeo
from tenure.analytics.clv.paretonbd import ParetoNBD
from tenure.analytics.clv.summary import CustomerSummary, summarize
from tenure.kit.errors import InvalidInput


def test_cdnow_summary_matches_the_papers(cdnow: pl.DataFrame) -> None:
    assert cdnow.height == 2357
    assert (cdnow["frequency"] > 0).sum() == 946  # the repeat buyers of Fader & Hardie (2013)
    first = cdnow.row(0, named=True)  # customer 0001: Jan 1, Jan 18, Aug 2 (and Dec 12 1997)
    assert first["frequency"] == 2
    assert first["recency"] == pytest.approx(213 / 7)
    assert first["T"] == pytest.approx(272 / 7)
    assert first["frequency_holdout"] == 1
    assert first["duration_holdout"] == pytest.approx(39.0)


def test_same_day_purchases_are_one_occasion() -> None:
    log = pl.DataFrame(
        {
            "who": ["a", "a", "a", "a", "b"],
            "when": ["2024-01-01", "2024-01-01", "2024-01-08", "2024-01-15", "2024-01-10"],
            "paid": [10.0, 5.0, 20.0, 40.0, 7.0],
        }
    )
    s = summarize(
        log,
        customer_col="who",
        date_col="when",
        amount_col="paid",
        calibration_end=date(2024, 1, 15),
        unit="D",
    )
    a, b = s.row(0, named=True), s.row(1, named=True)
    # a: Jan 1 (10 + 5, one occasion), Jan 8 (20), Jan 15 (40)
    assert (a["frequency"], a["recency"], a["T"]) == (2, 14.0, 14.0)
    assert a["monetary_value"] == pytest.approx(30.0)  # mean of the repeat occasions only
    assert (b["frequency"], b["recency"], b["T"], b["monetary_value"]) == (0, 0.0, 5.0, 0.0)


def test_customers_first_seen_after_calibration_are_left_out() -> None:
    log = pl.DataFrame({"who": ["a", "b"], "when": [date(2024, 1, 1), date(2024, 3, 1)]})
    s = summarize(
        log,
        customer_col="who",
        date_col="when",
        calibration_end=date(2024, 2, 1),
        observation_end=date(2024, 3, 31),
    )
    assert s["customer_id"].to_list() == ["a"]


def test_clear_errors() -> None:
    log = pl.DataFrame({"who": ["a"], "when": ["not a date"]})
    with pytest.raises(InvalidInput, match="row 0 is not a date"):
        summarize(log, customer_col="who", date_col="when")
    with pytest.raises(InvalidInput, match="no column 'customer'"):
        summarize(log, customer_col="customer", date_col="when")
    prices = pl.DataFrame({"who": ["a", "a"], "when": ["2024-01-01"] * 2, "paid": ["5", "$5"]})
    with pytest.raises(InvalidInput, match=r"column 'paid': row 1 '\$5' is not a number"):
        summarize(prices, customer_col="who", date_col="when", amount_col="paid")
    with pytest.raises(InvalidInput, match=r"unit must be"):
        summarize(log, customer_col="who", date_col="when", unit="Y")
    with pytest.raises(InvalidInput, match="'T' must be a number ≥ recency; row 1"):
        CustomerSummary.of({"frequency": [1, 1], "recency": [2.0, 5.0], "T": [3.0, 4.0]})
    with pytest.raises(InvalidInput, match="no column 'recency'"):
        CustomerSummary.of({"frequency": [1], "T": [3.0]})


@pytest.mark.parametrize("model_class", [BetaGeo, ModifiedBetaGeo, ParetoNBD])
def test_count_models_do_not_depend_on_the_amounts(
    cdnow_transactions: pl.DataFrame, model_class: type[BetaGeo | ModifiedBetaGeo | ParetoNBD]
) -> None:
    logs = {
        "real": ("amount", cdnow_transactions),
        "zero": ("amount", cdnow_transactions.with_columns(pl.lit(0.0).alias("amount"))),
        "none": (None, cdnow_transactions.drop("amount")),
    }
    fits = {}
    for name, (amount_col, log) in logs.items():
        summary = summarize(
            log,
            customer_col="customer_id",
            date_col="date",
            amount_col=amount_col,
            calibration_end=date(1997, 9, 30),
            unit="W",
        )
        model = model_class().fit(summary)
        fits[name] = (model.params_, model.probability_alive(summary).tolist())
    assert fits["zero"] == fits["real"]
    assert fits["none"] == fits["real"]
