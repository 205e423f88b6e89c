"""KPI formulas on hand-made timelines: every number here can be checked with a pencil."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from tenure.analytics.features import EMPTY_SCHEMAS, day_number
from tenure.analytics.kpis import KpiInputs, compute_kpis
from tenure.analytics.kpis.spells import active_on, firsts_of, purchase_days, spells

AS_OF = date(2026, 3, 31)


def n(day: str) -> int:
    return day_number(date.fromisoformat(day))


def _orders(rows: list[tuple[int, str, str, float]]) -> pl.DataFrame:
    return pl.DataFrame(
        [(c, n(d), s, a) for c, d, s, a in rows], schema=EMPTY_SCHEMAS["orders"], orient="row"
    )


def test_spells_lapse_after_the_silence_and_count_a_comeback() -> None:
    # customer 1 buys on day 0 and 10, then nothing for 290 days, then on day 300
    orders = pl.DataFrame(
        {"customer_id": [1, 1, 1, 1], "day": [0, 10, 10, 300], "status": ["paid"] * 4}
    )
    found = spells(purchase_days(orders), churn_after=180).sort("spell")
    assert found.select("spell", "start", "end").rows() == [(1, 0, 190), (2, 300, 480)]
    assert [active_on(found, day) for day in (0, 189, 190, 299, 300)] == [1, 1, 0, 0, 1]


def test_purchase_days_are_distinct_sorted_and_give_first_and_second_days() -> None:
    # two customers interleaved, a same-day repeat, a refund, a day before 1970
    orders = pl.DataFrame(
        {
            "customer_id": [7, 2, 7, 2, 7, 2, 9],
            "day": [30, 5, 10, 5, -3, 40, 1],
            "status": ["paid", "paid", "paid", "paid", "paid", "paid", "refunded"],
        }
    )
    days = purchase_days(orders)
    assert days.rows() == [(2, 5), (2, 40), (7, -3), (7, 10), (7, 30)]
    assert firsts_of(days).rows() == [(2, 5, 40), (7, -3, 10)]
    found = spells(days, churn_after=20)
    assert found.rows() == [(2, 1, 5, 25), (2, 2, 40, 60), (7, 1, -3, 50)]


def _inputs(customers: pl.DataFrame, **extra: pl.DataFrame) -> KpiInputs:
    ids = customers.select("customer_id")
    return KpiInputs(
        spend=extra.get(
            "spend",
            pl.DataFrame(
                schema={
                    "channel": pl.String,
                    "start_day": pl.Int32,
                    "end_day": pl.Int32,
                    "amount": pl.Float64,
                }
            ),
        ),
        categories=extra.get(
            "categories", pl.DataFrame(schema={"customer_id": pl.Int64, "categories": pl.Int64})
        ),
        stages=extra.get("stages", ids.with_columns(pl.lit("growing").alias("stage"))),
        segments=extra.get("segments", ids.with_columns(pl.lit("loyal").alias("rfm_segment"))),
        value=extra.get(
            "value",
            ids.with_columns(pl.lit(10.0).alias("clv")),
        ),
        churn_after_days=60,
        margin=0.5,
    )


@pytest.fixture
def shop() -> tuple[dict[str, pl.DataFrame], KpiInputs]:
    """Four customers acquired through two channels in January; three of them buy."""
    customers = pl.DataFrame(
        [
            (1, n("2026-01-01"), "social", True, None),
            (2, n("2026-01-05"), "social", True, None),
            (3, n("2026-01-10"), "search", True, None),
            (4, n("2026-01-20"), "search", True, None),  # never buys
        ],
        schema=EMPTY_SCHEMAS["customers"],
        orient="row",
    )
    orders = _orders(
        [
            (1, "2026-01-02", "paid", 100.0),  # 1: Jan, Feb, then silence
            (1, "2026-02-15", "paid", 50.0),
            (2, "2026-01-09", "paid", 30.0),  # 2: one order only; lapses 60 days later
            (2, "2026-01-20", "refunded", 99.0),  # refunds are not purchases
            (3, "2026-01-15", "paid", 20.0),  # 3: Jan and March
            (3, "2026-03-30", "paid", 20.0),
        ]
    )
    surveys = pl.DataFrame(
        [
            (1, n("2026-01-10"), 3),  # 1 changed their mind: only the latest answer counts
            (1, n("2026-03-01"), 10),
            (2, n("2026-03-02"), 9),
            (3, n("2026-03-03"), 5),
        ],
        schema=EMPTY_SCHEMAS["surveys"],
        orient="row",
    )
    events = pl.DataFrame(
        [(1, n("2026-03-10"), "complaint"), (2, n("2026-03-10"), "complaint")],
        schema=EMPTY_SCHEMAS["events"],
        orient="row",
    )
    frames = {
        "customers": customers,
        "orders": orders,
        "surveys": surveys,
        "events": events,
        "subscriptions": pl.DataFrame(schema=EMPTY_SCHEMAS["subscriptions"]),
    }
    spend = pl.DataFrame(
        {
            "channel": ["social", "search"],
            # social: 310 over January; search: 590 over 59 days of January and February
            "start_day": [n("2026-01-01"), n("2026-01-01")],
            "end_day": [n("2026-01-31"), n("2026-02-28")],
            "amount": [310.0, 590.0],
        },
        schema_overrides={"start_day": pl.Int32, "end_day": pl.Int32},
    )
    categories = pl.DataFrame({"customer_id": [1, 2, 3], "categories": [2, 1, 1]})
    return frames, _inputs(customers, spend=spend, categories=categories)


def test_the_base_figures(shop: tuple[dict[str, pl.DataFrame], KpiInputs]) -> None:
    frames, inputs = shop
    base = compute_kpis(frames, AS_OF, inputs)["base"]
    assert base["customers"] == 4 and base["buyers"] == 3
    # active on Mar 31 (bought within 60 days): 1 (Feb 15) and 3 (Mar 30); 2 lapsed on Mar 10
    assert base["active_customers"] == 2 and base["lapsed_customers"] == 1
    assert base["lead_conversion_rate"] == 0.75
    assert base["median_days_to_convert"] == 4.0  # 1, 4 and 5 days
    assert base["bought_before_acquired"] == 0
    assert base["repurchase_rate"] == pytest.approx(2 / 3, abs=1e-4)
    # nobody's first purchase is 90 days old yet (Jan 2 is 88 days back): no rate to give
    assert base["second_purchase_rate_90d"] is None
    later = compute_kpis(frames, date(2026, 4, 12), inputs)["base"]
    # by Apr 12, 1 (Jan 2 → Feb 15) and 2 (Jan 9, never again) qualify; 3 (Jan 15) not yet
    assert later["second_purchase_rate_90d"] == 0.5
    # the top 20% of 3 buyers is 1 buyer: customer 1 with 150 of 220
    assert base["top20_revenue_share"] == pytest.approx(150 / 220, abs=1e-4)
    assert base["complaint_rate_90"] == 0.5  # of the active 1 and 3, customer 1 complained
    assert base["cross_sell_rate"] == 0.5  # repeat buyers 1 (2 categories) and 3 (1)
    assert base["aov_365"] == pytest.approx(220 / 5, abs=0.01)


def test_days_to_convert_leave_out_buyers_acquired_after_their_first_order(
    shop: tuple[dict[str, pl.DataFrame], KpiInputs],
) -> None:
    frames, inputs = shop
    # customer 3 first bought on Jan 15 but was recorded as acquired on Feb 1 (an import that
    # stamped its own day): no days to convert to count, so they are counted apart
    late = frames["customers"].with_columns(
        pl.when(pl.col("customer_id") == 3)
        .then(pl.lit(n("2026-02-01")))
        .otherwise(pl.col("acquired_day"))
        .alias("acquired_day")
    )
    base = compute_kpis({**frames, "customers": late}, AS_OF, inputs)["base"]
    assert base["median_days_to_convert"] == 2.5  # customers 1 (1 day) and 2 (4 days)
    assert base["bought_before_acquired"] == 1
    # everyone acquired after their first order: no median at all, never a negative one
    everyone = frames["customers"].with_columns(pl.lit(n("2026-03-01")).alias("acquired_day"))
    base = compute_kpis({**frames, "customers": everyone}, AS_OF, inputs)["base"]
    assert base["median_days_to_convert"] is None and base["bought_before_acquired"] == 3


def test_value_so_far_is_paid_revenue_and_the_gross_margin_on_it(
    shop: tuple[dict[str, pl.DataFrame], KpiInputs],
) -> None:
    frames, inputs = shop
    value = compute_kpis(frames, AS_OF, inputs)["value"]
    # buyers 1, 2 and 3 paid 150, 30 and 40 (2's refund is no payment); the margin is 0.5
    assert value["paid_revenue_total"] == 220.0
    assert value["paid_revenue_mean"] == pytest.approx(220 / 3, abs=0.01)
    assert value["gross_margin_total"] == 110.0
    assert value["gross_margin_mean"] == pytest.approx(110 / 3, abs=0.01)
    assert "historical_clv_total" not in value  # margin is never called revenue or CLV


def test_the_monthly_series(shop: tuple[dict[str, pl.DataFrame], KpiInputs]) -> None:
    frames, inputs = shop
    months = {row["month"]: row for row in compute_kpis(frames, AS_OF, inputs)["monthly"]}
    assert list(months) == ["2026-01", "2026-02", "2026-03"]
    jan, feb, mar = months["2026-01"], months["2026-02"], months["2026-03"]
    assert (jan["new_customers"], jan["orders"], jan["revenue"], jan["buyers"]) == (3, 3, 150.0, 3)
    assert jan["active_start"] == 0 and jan["churn_rate"] is None
    assert (jan["leads"], jan["leads_converted"]) == (4, 3)
    # February starts with 3 active; nobody lapses in February (2 lapses on Mar 10, 3 on Mar 16)
    assert feb["active_start"] == 3 and feb["lapsed"] == 0 and feb["returning_share"] == 1.0
    # March: 2 and 3 lapse (3's spell from Jan 15 ends Mar 16); 3 comes back on Mar 30
    assert mar["lapsed"] == 2 and mar["won_back"] == 1
    assert mar["churn_rate"] == pytest.approx(2 / 3, abs=1e-4)
    assert mar["retention_rate"] == pytest.approx(1 / 3, abs=1e-4)


def test_cohorts_and_channels(shop: tuple[dict[str, pl.DataFrame], KpiInputs]) -> None:
    frames, inputs = shop
    kpis = compute_kpis(frames, AS_OF, inputs)
    assert kpis["cohorts"]["cohorts"] == [
        # January's three buyers: 1 buys in February, 3 in March
        {
            "cohort": "2026-01",
            "customers": 3,
            "retention": [1.0, pytest.approx(1 / 3, abs=1e-4), pytest.approx(1 / 3, abs=1e-4)],
        }
    ]
    total = {row["channel"]: row for row in kpis["channels"]["total"]}
    assert total["social"]["new_customers"] == 2 and total["social"]["cac"] == 155.0
    # social's customers paid 180 to date: ROI = (0.5 × 180 − 310) / 310
    assert total["social"]["roi"] == pytest.approx((90 - 310) / 310, abs=1e-4)
    monthly = {(r["channel"], r["month"]): r for r in kpis["channels"]["monthly"]}
    assert monthly[("search", "2026-01")]["spend"] == 310.0  # 31 of search's 59 days
    assert monthly[("search", "2026-02")]["spend"] == 280.0
    assert monthly[("search", "2026-02")]["cac"] is None  # spend but no new customer


def test_a_channel_without_spend_has_no_cac_and_no_roi(
    shop: tuple[dict[str, pl.DataFrame], KpiInputs],
) -> None:
    frames, inputs = shop
    # customer 3 came direct: a new customer who cost nothing, so no CAC (not 0) and no ROI
    direct = frames["customers"].with_columns(
        pl.when(pl.col("customer_id") == 3)
        .then(pl.lit("direct"))
        .otherwise(pl.col("acquisition_channel"))
        .alias("acquisition_channel")
    )
    kpis = compute_kpis({**frames, "customers": direct}, AS_OF, inputs)["channels"]
    total = {row["channel"]: row for row in kpis["total"]}
    assert total["direct"]["new_customers"] == 1 and total["direct"]["spend"] == 0.0
    assert total["direct"]["cac"] is None and total["direct"]["roi"] is None
    monthly = {(r["channel"], r["month"]): r for r in kpis["monthly"]}
    assert monthly[("direct", "2026-01")]["cac"] is None


def test_nps_takes_each_customers_latest_answer(
    shop: tuple[dict[str, pl.DataFrame], KpiInputs],
) -> None:
    frames, inputs = shop
    nps = compute_kpis(frames, AS_OF, inputs)["nps"]
    # answers 10, 9, 5: two promoters, one detractor
    assert nps["overall"] == {"nps": pytest.approx(33.3), "responses": 3}
    assert nps["by_stage"]["growing"]["responses"] == 3


def test_the_last_30_days_against_the_30_before(
    shop: tuple[dict[str, pl.DataFrame], KpiInputs],
) -> None:
    frames, inputs = shop
    window = compute_kpis(frames, AS_OF, inputs)["window"]
    now, before = window["current"], window["previous"]
    assert (now["from"], now["to"]) == ("2026-03-02", "2026-03-31")
    assert (now["orders"], now["revenue"], now["won_back"], now["lapsed"]) == (1, 20.0, 1, 2)
    assert (before["orders"], before["revenue"], before["new_customers"]) == (1, 50.0, 0)
