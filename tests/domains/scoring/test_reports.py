"""Reading a run's KPIs back: runs kept before a KPI was renamed answer under today's names."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Connection, insert

from tenure.domains.registry import metadata
from tenure.domains.scoring.reports import kpi_report


def test_kpis_kept_under_their_old_names_read_back_under_the_new(conn: Connection) -> None:
    t = metadata().tables
    conn.execute(
        insert(t["scoring_runs"]).values(
            id=1,
            as_of=date(2026, 6, 30),
            status="done",
            preset="ecommerce",
            config_hash="c",
            data_fingerprint="d",
            started_at=datetime(2026, 7, 1, tzinfo=UTC),
        )
    )
    kept = {
        "as_of": "2026-06-30",
        "base": {"buyers": 10, "churned_customers": 4},
        "value": {"historical_clv_total": 300.0, "historical_clv_mean": 30.0, "clv": 1.0},
    }
    conn.execute(insert(t["kpi_snapshots"]).values(run_id=1, as_of=date(2026, 6, 30), data=kept))
    report = kpi_report(conn)
    assert report is not None
    assert report["base"] == {"buyers": 10, "lapsed_customers": 4}
    assert report["value"] == {"gross_margin_total": 300.0, "gross_margin_mean": 30.0, "clv": 1.0}
