"""Scoring runs on both databases: reproducible, idempotent, and transitions with reasons."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import polars as pl
import pytest
from sqlalchemy import Connection, select, text

from tenure.demo.config import DemoConfig
from tenure.demo.generate import DemoData, generate
from tenure.demo.load import load_into_store
from tenure.domains.events.models import Event
from tenure.domains.scoring.reports import stage_report
from tenure.domains.scoring.run import run_scoring
from tenure.kit.settings import Settings

END = date(2026, 6, 30)
SETTINGS = Settings()
CUSTOMERS = 1500  # enough buyers for the churn model to learn (50 churned in each past snapshot)


@pytest.fixture(scope="module")
def company() -> DemoData:
    return generate(DemoConfig(customers=CUSTOMERS, seed=21, end=END))


@pytest.fixture
def loaded(conn: Connection, company: DemoData) -> Connection:
    load_into_store(conn, company, datetime(2026, 7, 1, tzinfo=UTC))
    return conn


def _stages(conn: Connection, run_id: int) -> list[tuple[int, str, str]]:
    return [
        tuple(r)
        for r in conn.execute(
            text(
                "SELECT customer_id, stage, rule FROM stage_history WHERE run_id = :r "
                "ORDER BY customer_id"
            ),
            {"r": run_id},
        )
    ]


def test_every_customer_gets_a_stage_and_a_reason(loaded: Connection) -> None:
    result = run_scoring(loaded, END, SETTINGS)
    assert result.customers == CUSTOMERS and sum(result.stages.values()) == CUSTOMERS
    assert all(result.stages[s] > 0 for s in ("potential", "new", "growing", "churned"))
    rows = _stages(loaded, result.run_id)
    assert len(rows) == CUSTOMERS and all(stage and rule for _, stage, rule in rows)
    current = loaded.execute(text("SELECT COUNT(*), MIN(since) FROM customer_stages")).one()
    assert current[0] == CUSTOMERS


def test_a_saved_run_hands_over_the_moves_it_wrote(loaded: Connection) -> None:
    result = run_scoring(loaded, END, SETTINGS)
    moves = result.moves
    assert moves.schema == {
        "customer_id": pl.Int64,
        "from_stage": pl.String,
        "to_stage": pl.String,
        "reason": pl.String,
        "as_of": pl.Date,
    }
    written = loaded.execute(
        text(
            "SELECT customer_id, from_stage, to_stage, rule, as_of FROM stage_transitions "
            "WHERE run_id = :r ORDER BY customer_id"
        ),
        {"r": result.run_id},
    ).all()
    assert moves.height == result.transitions == len(written) == CUSTOMERS  # all new
    assert [(*row[:4], str(row[4])[:10]) for row in written] == [
        (*row[:4], row[4].isoformat()) for row in moves.sort("customer_id").iter_rows()
    ]
    again = run_scoring(loaded, END, SETTINGS)  # reused: its moves were handed over before
    assert again.reused and again.transitions == CUSTOMERS and again.moves.is_empty()
    assert again.moves.schema == moves.schema


def test_the_same_day_and_data_reuse_the_run(loaded: Connection) -> None:
    first = run_scoring(loaded, END, SETTINGS)
    again = run_scoring(loaded, END, SETTINGS)
    assert again.reused and again.run_id == first.run_id and again.stages == first.stages
    assert loaded.execute(text("SELECT COUNT(*) FROM scoring_runs")).scalar_one() == 1


def test_a_past_day_reproduces_the_past(loaded: Connection) -> None:
    early = run_scoring(loaded, date(2026, 1, 31), SETTINGS)
    later = run_scoring(loaded, END, SETTINGS)
    # Data arriving after January (new orders, customers) does not change January's answer.
    loaded.execute(
        text("UPDATE scoring_runs SET status = 'superseded' WHERE id = :r"), {"r": early.run_id}
    )
    replay = run_scoring(loaded, date(2026, 1, 31), SETTINGS)
    assert not replay.reused
    assert _stages(loaded, replay.run_id) == _stages(loaded, early.run_id)
    assert later.customers > early.customers  # customers acquired after January exist now
    # the current stage is still the latest day's
    as_of = loaded.execute(text("SELECT DISTINCT as_of FROM customer_stages")).scalars().all()
    assert [str(d)[:10] for d in as_of] == ["2026-06-30"]


def test_changed_settings_make_a_new_run(loaded: Connection) -> None:
    first = run_scoring(loaded, END, SETTINGS)
    stricter = Settings()
    stricter.stages.churned_p_alive = 0.3  # the churn model's P(alive) decides who has left
    second = run_scoring(loaded, END, stricter)
    assert second.run_id != first.run_id
    assert second.stages["churned"] > first.stages["churned"]


def test_transitions_record_the_rule_and_numbers(conn: Connection) -> None:
    """One customer, scored three times: churned, then back (won_back), then growing."""
    conn.execute(
        text(
            "INSERT INTO customers (id, external_id, acquired_at, email_consent, "
            "sms_consent, created_at, updated_at) VALUES (1, 'c1', '2024-01-01', "
            "false, false, '2024-01-01', '2024-01-01')"
        )
    )
    for n, day in enumerate(["2024-01-10", "2024-02-10", "2025-01-15", "2025-02-01"]):
        conn.execute(
            text(
                "INSERT INTO orders (external_id, customer_id, ordered_at, status, amount, "
                "discount, currency, created_at, updated_at) "
                "VALUES (:e, 1, :d, 'paid', 10, 0, 'USD', :d, :d)"
            ),
            {"e": f"o{n}", "d": f"{day} 12:00:00"},
        )
    # Feb 10 2024 → Dec 1 2024: silent 295 days (churned); back on Jan 15 2025 (won back);
    # by Jun 30 2025 the return is 166 days old: growing.
    days = [date(2024, 12, 1), date(2025, 1, 20), date(2025, 6, 30)]
    results = [run_scoring(conn, d, SETTINGS) for d in days]
    assert [
        results[0].stages["churned"],
        results[1].stages["won_back"],
        results[2].stages["growing"],
    ] == [1, 1, 1]
    moves = conn.execute(
        text(
            "SELECT as_of, from_stage, to_stage, rule, numbers FROM stage_transitions "
            "ORDER BY as_of"
        )
    ).all()
    assert [(m[1], m[2], m[3]) for m in moves] == [
        (None, "churned", "silent_too_long"),
        ("churned", "won_back", "came_back"),
        ("won_back", "growing", "repeat_buyer"),
    ]
    assert [r.moves.rows() for r in results] == [
        [(1, None, "churned", "silent_too_long", days[0])],
        [(1, "churned", "won_back", "came_back", days[1])],
        [(1, "won_back", "growing", "repeat_buyer", days[2])],
    ]
    numbers = moves[1][4]
    numbers = json.loads(numbers) if isinstance(numbers, str) else numbers
    assert numbers == {"days_since_comeback": 5, "days_since_last": 5}  # Jan 15 → Jan 20
    since = conn.execute(text("SELECT since FROM customer_stages")).scalar_one()
    assert str(since)[:10] == "2025-06-30"


def test_report_of_the_latest_run(loaded: Connection) -> None:
    assert stage_report(loaded) is None
    run_scoring(loaded, END, SETTINGS)
    report = stage_report(loaded)
    assert report is not None
    data = report.as_dict()
    assert sum(row["customers"] for row in data["stages"]) == CUSTOMERS
    assert data["flow"][0]["from"] is None  # the first run: everyone is first seen


def test_the_run_values_every_buyer(loaded: Connection) -> None:
    result = run_scoring(loaded, END, SETTINGS)
    record = loaded.execute(
        text("SELECT counts FROM scoring_runs WHERE id = :r"), {"r": result.run_id}
    ).scalar_one()
    counts = json.loads(record) if isinstance(record, str) else record
    value = counts["value"]
    assert value["transaction_model"]["converged"] is True
    assert set(value["transaction_model"]["params"]) == {"r", "alpha", "a", "b"}
    rows = loaded.execute(
        text(
            "SELECT s.stage, v.p_alive, v.clv, v.gross_margin FROM customer_scores v "
            "JOIN customer_stages s ON s.customer_id = v.customer_id"
        )
    ).all()
    assert len(rows) == CUSTOMERS
    buyers = [r for r in rows if r[0] != "potential"]
    assert all(r[1] is not None and 0 <= r[1] <= 1 and r[2] >= 0 for r in buyers)
    assert all(r[1] is None for r in rows if r[0] == "potential")
    mean = {
        s: sum(r[1] for r in buyers if r[0] == s) / max(1, sum(r[0] == s for r in buyers))
        for s in ("growing", "churned")
    }
    assert mean["churned"] < mean["growing"]
    assert value["customer_equity"] == pytest.approx(sum(r[2] for r in buyers), rel=1e-6)


def test_the_run_keeps_what_each_customer_paid_and_the_gross_margin_on_it(
    loaded: Connection,
) -> None:
    run_scoring(loaded, END, SETTINGS)  # every order of the demo is on or before END
    paid = dict(
        loaded.execute(
            text("SELECT customer_id, SUM(amount) FROM orders WHERE status = 'paid' GROUP BY 1")
        ).all()
    )
    kept = loaded.execute(
        text("SELECT customer_id, paid_revenue, gross_margin FROM customer_scores")
    ).all()
    assert len(kept) == CUSTOMERS and len(paid) < CUSTOMERS  # leads paid nothing: 0
    for customer_id, revenue, margin in kept:
        expected = float(paid.get(customer_id, 0))
        assert revenue == pytest.approx(expected, abs=0.005), customer_id
        assert margin == pytest.approx(SETTINGS.value.margin * expected, abs=0.005), customer_id


def test_the_run_segments_every_buyer(loaded: Connection) -> None:
    run_scoring(loaded, END, SETTINGS)
    rows = loaded.execute(
        text(
            "SELECT s.stage, v.r_score, v.f_score, v.m_score, v.rfm_segment, v.value_quadrant "
            "FROM customer_scores v JOIN customer_stages s ON s.customer_id = v.customer_id"
        )
    ).all()
    buyers = [r for r in rows if r[0] != "potential"]
    assert all(1 <= r[1] <= 5 and 1 <= r[2] <= 5 and 1 <= r[3] <= 5 for r in buyers)
    assert all(r[4] and r[5] for r in buyers)
    segments = {r[4] for r in buyers}
    assert {"champions", "lost"} <= segments
    assert all(r[4] is None for r in rows if r[0] == "potential")


def test_the_run_rates_health(loaded: Connection) -> None:
    run_scoring(loaded, END, SETTINGS)
    rows = loaded.execute(
        text(
            "SELECT s.stage, v.health_score, v.health_band, v.health_reasons "
            "FROM customer_scores v JOIN customer_stages s ON s.customer_id = v.customer_id"
        )
    ).all()
    buyers = [r for r in rows if r[0] != "potential"]
    assert all(0 <= r[1] <= 100 and r[2] in ("green", "yellow", "red") for r in buyers)
    by_stage = {s: [r[1] for r in buyers if r[0] == s] for s in ("growing", "churned")}
    assert sum(by_stage["churned"]) / len(by_stage["churned"]) < (
        sum(by_stage["growing"]) / len(by_stage["growing"])
    )


def test_the_run_scores_leads(loaded: Connection) -> None:
    run_scoring(loaded, END, SETTINGS)
    rows = loaded.execute(
        text(
            "SELECT s.stage, v.lead_score, v.lead_band FROM customer_scores v "
            "JOIN customer_stages s ON s.customer_id = v.customer_id"
        )
    ).all()
    leads = [r for r in rows if r[0] == "potential"]
    assert leads and all(0 <= r[1] <= 100 and r[2] in ("hot", "warm", "cold") for r in leads)
    assert all(r[1] is None for r in rows if r[0] != "potential")


def test_flow_between_two_runs_and_the_run_list(loaded: Connection) -> None:
    from tenure.domains.scoring.reports import run_list, stage_flow

    assert stage_flow(loaded) is None
    early = run_scoring(loaded, date(2026, 3, 31), SETTINGS)
    only = stage_flow(loaded)
    assert only is not None and only["from_run"] is None
    later = run_scoring(loaded, END, SETTINGS)
    report = stage_flow(loaded)
    assert report is not None and (report["from_run"], report["to_run"]) == (
        early.run_id,
        later.run_id,
    )
    # everyone scored in both runs appears once, stays included
    assert sum(row["customers"] for row in report["flow"]) == early.customers
    stays = {row["from"]: row["customers"] for row in report["flow"] if row["from"] == row["to"]}
    assert stays.get("potential", 0) > 0
    listed = run_list(loaded)
    assert [run["run_id"] for run in listed] == [later.run_id, early.run_id]
    assert listed[0]["value_model"] == "BetaGeo" and listed[0]["customer_equity"] > 0


def test_the_run_rates_churn_risk_and_records_the_models_quality(loaded: Connection) -> None:
    result = run_scoring(loaded, END, SETTINGS)
    record = loaded.execute(
        text("SELECT counts FROM scoring_runs WHERE id = :r"), {"r": result.run_id}
    ).scalar_one()
    churn = (json.loads(record) if isinstance(record, str) else record)["churn"]
    assert churn["horizon_days"] == 90 and churn["test_as_of"] == "2026-04-01", churn
    assert set(churn["metrics"]) == {"model", "days_since_last", "one_minus_p_alive"}, churn
    assert all(0 <= m["roc_auc"] <= 1 for m in churn["metrics"].values())
    rows = loaded.execute(
        text(
            "SELECT s.stage, v.churn_risk, v.churn_reasons FROM customer_scores v "
            "JOIN customer_stages s ON s.customer_id = v.customer_id"
        )
    ).all()
    buyers = [r for r in rows if r[0] not in ("potential", "churned")]
    assert all(0 <= r[1] <= 1 for r in buyers)
    # churn risk is the risk of leaving for customers still here: the churned have none
    assert all(r[1] is None and r[2] is None for r in rows if r[0] == "churned")
    assert any(r[0] == "churned" for r in rows)
    reasons = [json.loads(r[2]) if isinstance(r[2], str) else r[2] for r in buyers]
    assert all(len(r) <= 3 and all("feature" in item for item in r) for r in reasons)
    assert all(r[1] is None for r in rows if r[0] == "potential")
    mean = {
        s: sum(r[1] for r in buyers if r[0] == s) / max(1, sum(r[0] == s for r in buyers))
        for s in ("growing", "declining")
    }
    assert mean["declining"] > mean["growing"]


def test_the_run_keeps_its_kpis(loaded: Connection) -> None:
    from tenure.domains.scoring.reports import kpi_report

    result = run_scoring(loaded, END, SETTINGS)
    report = kpi_report(loaded)
    assert report is not None and report["run_id"] == result.run_id
    assert report["as_of"] == END.isoformat()
    assert report["stages"] == result.stages
    assert report["base"]["customers"] == CUSTOMERS
    assert report["base"]["buyers"] == sum(n for s, n in result.stages.items() if s != "potential")
    # every buyer is in exactly one cohort
    assert sum(c["customers"] for c in report["cohorts"]["cohorts"]) == report["base"]["buyers"]
    assert {row["channel"] for row in report["channels"]["total"]} >= {"referral", "search_ads"}
    assert report["value"]["customer_equity"] > 0


def test_a_current_run_writes_its_stage_changes_to_the_feed(loaded: Connection) -> None:
    first = run_scoring(loaded, date(2026, 5, 31), SETTINGS)
    system = "SELECT COUNT(*) FROM events WHERE type = 'stage_changed'"
    assert loaded.execute(text(system)).scalar_one() == 0  # the first run places everyone
    second = run_scoring(loaded, END, SETTINGS)
    moved = second.moves  # moves between stages, and newcomers entering their first stage
    assert moved.filter(pl.col("from_stage").is_not_null()).height > 0
    assert moved.filter(pl.col("from_stage").is_null()).height > 0
    events = loaded.execute(
        select(Event.customer_id, Event.properties, Event.source, Event.occurred_at)
        .where(Event.type == "stage_changed")
        .order_by(Event.customer_id)
    ).all()
    assert {row.source for row in events} == {"run"}
    got = [
        (row.customer_id, *(row.properties[k] for k in ("from", "to", "rule", "run_id")))
        for row in events
    ]
    assert sorted(got, key=str) == sorted(
        [
            (c, before, after, rule, second.run_id)
            for c, before, after, rule in moved.select(
                "customer_id", "from_stage", "to_stage", "reason"
            ).iter_rows()
        ],
        key=str,
    )
    assert events[0].occurred_at == datetime(2026, 6, 30, 23, 59, 59, tzinfo=UTC)  # day's end
    # bands that changed between the two runs are score_crossed events, checked against SQL
    expected = loaded.execute(
        text(
            "SELECT a.customer_id, 'health_band', b.health_band, a.health_band "
            "FROM score_history a JOIN score_history b ON a.customer_id = b.customer_id "
            "WHERE a.run_id = :second AND b.run_id = :first AND a.health_band <> b.health_band "
            "UNION ALL SELECT a.customer_id, 'lead_band', b.lead_band, a.lead_band "
            "FROM score_history a JOIN score_history b ON a.customer_id = b.customer_id "
            "WHERE a.run_id = :second AND b.run_id = :first AND a.lead_band <> b.lead_band"
        ),
        {"first": first.run_id, "second": second.run_id},
    ).all()
    crossed = loaded.execute(
        select(Event.customer_id, Event.properties).where(Event.type == "score_crossed")
    ).all()
    assert len(expected) > 0
    assert sorted(tuple(row) for row in expected) == sorted(
        (c, p["score"], p["from"], p["to"]) for c, p in crossed
    )
    # a run of a past day changes no current stage: it writes no event
    run_scoring(loaded, date(2026, 5, 15), SETTINGS)
    assert loaded.execute(text(system)).scalar_one() == len(events)
    assert loaded.execute(
        text("SELECT COUNT(*) FROM events WHERE type = 'score_crossed'")
    ).scalar_one() == len(crossed)
    # the features ignore Tenure's own events: scoring again gives the same stages
    loaded.execute(
        text("UPDATE scoring_runs SET status = 'superseded' WHERE id = :r"), {"r": second.run_id}
    )
    again = run_scoring(loaded, END, SETTINGS)
    assert _stages(loaded, again.run_id) == _stages(loaded, second.run_id)
    assert first.run_id < second.run_id
