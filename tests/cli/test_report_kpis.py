"""``tenure report kpis``: what each figure is called and how its change is coloured."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine, func, select

from tenure.cli.report_kpis import _change
from tenure.domains.registry import metadata
from tenure.kit.settings import Settings
from tenure.kit.timeutil import as_utc
from tests.cli.test_cli import tenure
from tests.web.conftest import END, demo_engine  # noqa: F401  (the scored demo store)


def test_a_change_is_green_when_it_is_good_news() -> None:
    assert (_change(120, 100).plain, _change(120, 100).style) == ("+20.0%", "green")
    assert _change(80, 100).style == "red"
    # fewer lapsed customers is good news: green, though the figure fell
    assert _change(3, 6, more_is_good=False).style == "green"
    assert _change(9, 6, more_is_good=False).style == "red"
    assert _change(6, 6).style == "" and _change(None, 6).plain == "—"


def _lapsed_buyers(engine: Engine, churn_after_days: int) -> int:
    """Count buyers whose last paid order is at least churn_after_days old, from the orders."""
    orders = metadata().tables["orders"]
    with engine.connect() as conn:
        last = conn.execute(
            select(func.max(orders.c.ordered_at))
            .where(orders.c.status == "paid")
            .group_by(orders.c.customer_id)
        ).scalars()
        days = [as_utc(at).date() for at in last]  # the business day of the default UTC zone
    return sum(day <= END - timedelta(days=churn_after_days) for day in days)


def test_lapsed_customers_are_not_called_churned_beside_the_churned_stage(
    demo_engine: Engine,  # noqa: F811
    tmp_path: Path,
) -> None:
    url = demo_engine.url.render_as_string()
    report = json.loads(tenure("report", "kpis", "--json", url=url, cwd=tmp_path).stdout)
    days = Settings().stages.churn_after_days
    assert report["churn_after_days"] == days
    lapsed = report["base"]["lapsed_customers"]
    assert lapsed == _lapsed_buyers(demo_engine, days)
    assert "churned_customers" not in report["base"]
    shown = tenure("report", "kpis", url=url, cwd=tmp_path).stdout
    # one name per count: "lapsed" for buyers gone quiet, "churned" only for the stage
    assert re.search(rf"lapsed customers \(no paid order in {days} days\) +│ {lapsed:,} ", shown)
    assert re.search(rf"│ churned +│ {report['stages']['churned']:,} ", shown)
    assert "churned customers" not in shown and "churned (lapsed)" not in shown
    assert "churned is a stage, decided by the stage rules" in shown
