"""`tenure loyalty …` as a person types it, on a SQLite file."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from tenure.domains.audit.service import Actor
from tenure.domains.customers import changes
from tenure.domains.orders.models import Order
from tenure.storage.engine import make_engine
from tenure.storage.migrate import upgrade
from tests.cli.test_cli import tenure

PRESET = Path(__file__).resolve().parents[2] / "src/tenure/domains/loyalty/presets/stars.yaml"


def test_a_programme_from_apply_to_check(tmp_path: Path, empty_sqlite_url: str) -> None:
    engine = make_engine(empty_sqlite_url)
    upgrade(engine)
    with engine.begin() as conn:
        made = changes.create_customer(conn, Actor(None, "cli"), {"external_id": "C-1"})
        changes.create_customer(conn, Actor(None, "cli"), {"external_id": "C-2"})
        conn.execute(
            Order.__table__.insert().values(
                external_id="O-1",
                customer_id=made,
                amount="250.00",
                status="paid",
                ordered_at=datetime(2026, 1, 2, tzinfo=UTC),
                discount=0,
                currency="USD",
                created_at=datetime(2026, 1, 2, tzinfo=UTC),
                updated_at=datetime(2026, 1, 2, tzinfo=UTC),
            )
        )
    engine.dispose()

    def run(*args: str) -> str:
        done = tenure("loyalty", *args, url=empty_sqlite_url, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert "stars: version 1 (created)" in run("apply", str(PRESET))
    assert "stars: version 1 (unchanged)" in run("apply", str(PRESET))
    earned = json.loads(run("earn", "--until", "2026-03-01", "--json"))
    assert (earned["orders"], earned["points"]) == (1, 250 + 20)
    (tmp_path / "open.csv").write_text("customer,amount\nC-2,700\n", encoding="utf-8")
    assert "1 opening balance(s) written" in run("import", "open.csv")
    assert "0 opening balance(s) written, 1 already there" in run("import", "open.csv")
    redeemed = run("redeem", "C-2", "--reward", "voucher-5", "--key", "pos-1")
    assert "redeemed 500" in redeemed
    assert "no change" in run("redeem", "C-2", "--reward", "voucher-5", "--key", "pos-1")
    short = tenure(
        "loyalty",
        "redeem",
        "C-2",
        "--reward",
        "voucher-5",
        "--key",
        "pos-2",
        url=empty_sqlite_url,
        cwd=tmp_path,
    )
    assert short.returncode == 1 and "spendable balance 200" in short.stderr
    assert json.loads(run("balance", "C-2", "--json"))["spendable"] == 200
    assert "adjusted 50" in run("adjust", "C-2", "--reason", "typo", "--key", "t1", "--", "-50")
    no_reason = tenure(
        "loyalty",
        "adjust",
        "C-2",
        "5",
        "--reason",
        " ",
        "--key",
        "t2",
        url=empty_sqlite_url,
        cwd=tmp_path,
    )
    assert no_reason.returncode == 1 and "reason" in no_reason.stderr
    kinds = [row["kind"] for row in json.loads(run("ledger", "C-2", "--json"))]
    assert sorted(kinds) == ["adjust", "adjust", "redeem"]
    unknown = tenure("loyalty", "balance", "C-9", url=empty_sqlite_url, cwd=tmp_path)
    assert unknown.returncode == 1 and "no customer has the external id 'C-9'" in unknown.stderr
    assert "adds up" in run("check")


def test_an_opt_in_programme_joining_and_the_report(tmp_path: Path, empty_sqlite_url: str) -> None:
    engine = make_engine(empty_sqlite_url)
    upgrade(engine)
    with engine.begin() as conn:
        for name in ("J-1", "J-2"):
            made = changes.create_customer(conn, Actor(None, "cli"), {"external_id": name})
            conn.execute(
                Order.__table__.insert().values(
                    external_id=f"O-{name}",
                    customer_id=made,
                    amount="40.00",
                    status="paid",
                    ordered_at=datetime(2026, 1, 2, tzinfo=UTC),
                    discount=0,
                    currency="USD",
                    created_at=datetime(2026, 1, 2, tzinfo=UTC),
                    updated_at=datetime(2026, 1, 2, tzinfo=UTC),
                )
            )
    engine.dispose()
    text = PRESET.read_text(encoding="utf-8").replace(
        "currency: points\n", "currency: points\nenrolment: opt_in\n", 1
    )
    (tmp_path / "opt-in.yaml").write_text(text, encoding="utf-8")

    def run(*args: str) -> str:
        done = tenure("loyalty", *args, url=empty_sqlite_url, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        return done.stdout

    run("apply", "opt-in.yaml")
    joined = json.loads(run("join", "J-1", "--json"))
    assert joined["joined"] is True
    assert "has been a member since" in run("join", "J-1")
    # J-1's order came before joining: nothing earned; J-2 never joined
    assert json.loads(run("earn", "--json"))["points"] == 0
    refused = tenure(
        "loyalty", "award", "J-2", "10", "--key", "k1", url=empty_sqlite_url, cwd=tmp_path
    )
    assert refused.returncode != 0 and "has not joined" in refused.stderr
    report = json.loads(run("report", "--json"))
    assert report["enrolment"] == "opt_in" and report["matched"]["members"] == 1
    assert "not a causal effect" in report["caveat"]
    shown = run("report", "--lang", "zh")
    assert "可比非会员 — 并非因果效应" in shown and "等级迁移" in shown
    wrong = tenure("loyalty", "report", "--as-of", "soon", url=empty_sqlite_url, cwd=tmp_path)
    assert wrong.returncode != 0 and "--as-of" in wrong.stderr
