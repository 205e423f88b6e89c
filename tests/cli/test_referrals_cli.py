"""`tenure loyalty referrals …` as a person types it, on a SQLite file."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tenure.domains.audit.service import Actor
from tenure.domains.customers import changes
from tenure.domains.orders.models import Order
from tenure.storage.engine import make_engine
from tenure.storage.migrate import upgrade
from tests.cli.test_cli import tenure
from tests.cli.test_loyalty_cli import PRESET


def test_a_code_a_friend_and_the_reward_after_the_return_window(
    tmp_path: Path, empty_sqlite_url: str
) -> None:
    engine = make_engine(empty_sqlite_url)
    upgrade(engine)
    with engine.begin() as conn:
        for external_id, email in (("C-1", "ann@shop.test"), ("C-2", "bob@mail.test")):
            changes.create_customer(
                conn, Actor(None, "cli"), {"external_id": external_id, "email": email}
            )
    engine.dispose()

    def run(*args: str) -> str:
        done = tenure("loyalty", *args, url=empty_sqlite_url, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        return done.stdout

    run("apply", str(PRESET))
    code = run("referrals", "code", "C-1").strip()
    assert len(code) == 8
    arrived = (datetime.now(UTC) - timedelta(days=45)).date().isoformat()
    referred = json.loads(run("referrals", "refer", code, "C-2", "--at", arrived, "--json"))
    assert (referred["status"], referred["reasons"]) == ("waiting", [])

    # the friend's first order, 40 days ago: past the 30-day return window
    bought = datetime.now(UTC) - timedelta(days=40)
    engine = make_engine(empty_sqlite_url)
    with engine.begin() as conn:
        conn.execute(
            Order.__table__.insert().values(
                external_id="O-1",
                customer_id=2,
                amount="25.00",
                status="paid",
                ordered_at=bought,
                discount=0,
                currency="USD",
                created_at=bought,
                updated_at=bought,
            )
        )
    engine.dispose()
    assert "1 rewarded, 0 ended unrewarded, 0 still in their return window" in run(
        "referrals", "reward"
    )
    assert "C-1 → C-2  rewarded" in run("referrals", "list")
    assert json.loads(run("balance", "C-1", "--json"))["total"] == 500

    wrong = tenure(
        "loyalty", "referrals", "list", "--status", "late", url=empty_sqlite_url, cwd=tmp_path
    )
    assert wrong.returncode == 2 and "--status: 'late' is not one of" in wrong.stderr
    unknown = tenure(
        "loyalty", "referrals", "refer", "NOPE", "C-1", url=empty_sqlite_url, cwd=tmp_path
    )
    assert unknown.returncode != 0 and "no member of 'stars' has the code 'NOPE'" in unknown.stderr
    assert "Traceback" not in unknown.stderr
