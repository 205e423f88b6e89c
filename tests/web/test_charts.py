"""The overview's charts: the figures behind them, and the ECharts options built from them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, func, insert, select
from sqlalchemy.orm import Session

from tenure.domains.registry import metadata
from tenure.domains.reports.charts import clv_histogram, nps_by_month, value_by_stage
from tenure.domains.scoring import views
from tenure.web import charts
from tests.cli.test_cli import tenure
from tests.factories import make_customer
from tests.web.conftest import chart_option, sign_in


def test_value_by_stage_and_the_clv_histogram_add_up(demo_engine: Engine) -> None:
    scores, stages = views.customer_scores, views.customer_stages
    with demo_engine.connect() as conn:
        by_stage = value_by_stage(conn)
        buckets = clv_histogram(conn)
        staged = conn.execute(select(func.count()).select_from(stages)).scalar_one()
        valued = conn.execute(
            select(func.count(), func.sum(scores.c.clv)).where(scores.c.clv.is_not(None))
        ).one()
    assert sum(r["customers"] for r in by_stage) == staged == 500
    assert abs(sum(r["clv"] for r in by_stage) - valued[1]) < 1e-6 * valued[1]
    assert sum(b["customers"] for b in buckets) == valued[0]
    assert buckets[0]["lower"] == 0 and buckets[-1]["upper"] is None


def test_nps_by_month(conn: Connection, session: Session) -> None:
    customer = make_customer(session)
    surveys = metadata().tables["survey_responses"]
    answers = [  # March: 2 promoters, 1 passive, 1 detractor → 25; April: 1 detractor → −100
        ("2026-03-02", 10),
        ("2026-03-09", 9),
        ("2026-03-16", 8),
        ("2026-03-23", 3),
        ("2026-04-06", 0),
    ]
    conn.execute(
        insert(surveys),
        [
            {
                "customer_id": customer.id,
                "survey": "nps",
                "score": score,
                "answered_at": datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC),
            }
            for day, score in answers
        ],
    )
    assert nps_by_month(conn) == [
        {"month": "2026-03", "responses": 4, "nps": 25.0},
        {"month": "2026-04", "responses": 1, "nps": -100.0},
    ]


def test_the_stage_flow_has_each_stage_on_both_sides() -> None:
    flow = [
        {"from": "growing", "to": "mature", "customers": 3},
        {"from": "growing", "to": "growing", "customers": 10},
        {"from": None, "to": "new", "customers": 4},
        {"from": "mature", "to": "declining", "customers": 0},
    ]
    option = charts.stage_flow(flow, str.title)["series"][0]
    names = [n["name"] for n in option["data"]]
    assert len(names) == len(set(names)) == 5  # Growing, Potential | Growing, Mature, New
    assert {n.strip("\u200b") for n in names} == {"Growing", "Potential", "Mature", "New"}
    for link in option["links"]:
        assert link["source"] in names and link["target"] in names
    assert sum(link["value"] for link in option["links"]) == 17


def test_cohort_heatmap_cells() -> None:
    cohorts = [
        {"cohort": "2026-01", "customers": 10, "retention": [1.0, 0.5, 0.25]},
        {"cohort": "2026-02", "customers": 4, "retention": [1.0, 0.75]},
    ]
    option = charts.cohort_heatmap(cohorts)
    assert option["xAxis"]["data"][:2] == ["1", "2"]
    assert option["yAxis"]["data"] == ["2026-01", "2026-02"]
    # month k sits in the column labelled k (axis index k − 1)
    assert option["series"][0]["data"] == [[0, 0, 50.0], [1, 0, 25.0], [0, 1, 75.0]]


def test_the_overview_heatmap_matches_the_cohort_report(
    app_client: TestClient, demo_engine: Engine, tmp_path: Path
) -> None:
    # the report's matrix is the independent reading: every cell drawn is the report's,
    # month 12 included, and column "1" holds month 1
    sign_in(app_client, "viewer")
    option = chart_option(app_client.get("/").text, "cohorts")
    report = json.loads(
        tenure(
            "report", "cohorts", "--json", url=demo_engine.url.render_as_string(), cwd=tmp_path
        ).stdout
    )
    matrix = {row["cohort"]: row["retention"] for row in report["cohorts"]}
    months, cohorts = option["xAxis"]["data"], option["yAxis"]["data"]
    drawn = {(cohorts[y], int(months[x])): share for x, y, share in option["series"][0]["data"]}
    expected = {
        (cohort, k): round(100 * share, 1)
        for cohort in cohorts
        for k, share in enumerate(matrix[cohort])
        if 1 <= k <= 12 and share is not None
    }
    assert drawn == expected
    assert any(k == 12 for _, k in drawn)  # the oldest cohorts reach month 12


def test_category_axes_name_every_category_and_money_axes_their_currency() -> None:
    from tenure.web import charts

    months = [f"2026-{m:02d}" for m in range(1, 13)]
    revenue = charts.bars(months, [1.0] * 12, "Paid revenue", "EUR")
    assert revenue["xAxis"]["axisLabel"]["interval"] == 0  # none skipped
    assert revenue["xAxis"]["axisLabel"]["rotate"] == 30  # twelve: tilted, not hidden
    assert revenue["yAxis"]["name"] == "EUR"
    few = charts.bars(["a", "b"], [1.0, 2.0], "x")
    assert few["xAxis"]["axisLabel"]["rotate"] == 0 and few["yAxis"]["name"] == ""
    rows = [{"channel": "referral", "cac": 3.0, "roi": 0.5}]
    spend = charts.channels(rows, ("CAC", "ROI"), str, "CNY")
    assert spend["yAxis"][0]["name"] == "CAC (CNY)"
    assert spend["xAxis"]["axisLabel"]["interval"] == 0
