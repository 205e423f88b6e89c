"""`tenure playbooks report`: a playbook's treated against holdout, as a marketer types it."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import insert

from tenure.domains.automation import measure
from tenure.domains.orders.models import Order
from tenure.storage.engine import make_engine, write_transaction
from tenure.storage.migrate import upgrade
from tests.cli.test_cli import tenure
from tests.domains.automation.test_measure import START, _store


def test_the_report_in_words_and_as_json(tmp_path: Path, empty_sqlite_url: str) -> None:
    engine = make_engine(empty_sqlite_url)
    upgrade(engine)
    groups = _store(engine)
    buyers = [c for n, c in enumerate(sorted(groups)) if n % 3 == 0]
    with write_transaction(engine) as conn:
        conn.execute(
            insert(Order),
            [
                {
                    "external_id": f"O{c}",
                    "customer_id": c,
                    "ordered_at": START + timedelta(days=2),
                    "amount": Decimal("120.00"),
                }
                for c in buyers
            ],
        )
    with engine.connect() as conn:
        direct = measure.measure(conn, "offer", margin_share=0.3).as_dict()  # now, as the CLI
    engine.dispose()

    shown = tenure("playbooks", "report", "offer", "--json", url=empty_sqlite_url, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    figures = json.loads(shown.stdout)
    # every window closed long ago: the same figures as measured straight from the store
    assert figures["goal_rate"] == direct["goal_rate"]
    assert figures["revenue_per_customer"] == direct["revenue_per_customer"]
    assert figures["measured"] == direct["measured"]
    assert figures["goal"] == "purchase" and figures["enough"] is False

    words = tenure("playbooks", "report", "offer", url=empty_sqlite_url, cwd=tmp_path)
    assert words.returncode == 0, words.stderr
    rate = direct["goal_rate"]
    assert f"{rate['treated']:.1%} treated vs {rate['holdout']:.1%} holdout" in words.stdout
    assert "not enough data yet" in words.stdout and "split:" in words.stdout
    assert "primary metric: goal_rate" in words.stdout and "PRIMARY goal (purchase)" in words.stdout
    assert "(exploratory) revenue per customer" in words.stdout
    assert figures["primary_metric"] == "goal_rate" and "still_active_90d" in figures

    unknown = tenure("playbooks", "report", "nothing", url=empty_sqlite_url, cwd=tmp_path)
    assert unknown.returncode == 1 and "no playbook called 'nothing'" in unknown.stderr
    wide = tenure(
        "playbooks", "report", "offer", "--window-days", "0", url=empty_sqlite_url, cwd=tmp_path
    )
    assert wide.returncode == 2 and "--window-days" in wide.stderr
