"""Formats and presets: TSV, Parquet, XLSX, Shopify line items, Stripe payments, events."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from sqlalchemy import Connection

from tenure.domains.dataio.service import ImportRejected
from tests.conftest import DATA
from tests.domains.dataio.helpers import CUSTOMERS, count, rows, run, write


def test_tsv_and_semicolon_csv(conn: Connection, tmp_path: Path) -> None:
    run(conn, "customers", write(tmp_path / "c.tsv", "customer_id\temail\nt1\ta@x.io\n"))
    run(conn, "customers", write(tmp_path / "c.csv", "customer_id;email\ns1;b@x.io\n"))
    assert count(conn, "customers") == 2


def test_parquet_with_typed_columns(conn: Connection, tmp_path: Path) -> None:
    run(conn, "customers", write(tmp_path / "c.csv", CUSTOMERS))
    frame = pl.DataFrame(
        {
            "order_id": ["p1", "p2"],
            "customer_id": ["c1", "c2"],
            "ordered_at": [datetime(2024, 1, 1, 12, tzinfo=UTC), datetime(2024, 1, 2, tzinfo=UTC)],
            "amount": [12.3, 0.1 + 0.2],
        }
    )
    frame.write_parquet(tmp_path / "o.parquet")
    assert run(conn, "orders", tmp_path / "o.parquet").inserted == 2
    amounts = sorted(
        Decimal(str(r[0])).quantize(Decimal("0.01"))
        for r in rows(conn, "SELECT amount FROM orders")
    )
    assert amounts == [Decimal("0.30"), Decimal("12.30")]


def test_xlsx(conn: Connection, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["customer_id", "email", "acquired_at", "email_consent"])
    sheet.append(["x1", "x1@example.com", datetime(2024, 5, 1, 9, 0), "yes"])
    sheet.append(["x2", "x2@example.com", None, "否"])
    book.save(tmp_path / "c.xlsx")
    report = run(conn, "customers", tmp_path / "c.xlsx")
    assert report.inserted == 2
    got = rows(conn, "SELECT external_id, acquired_at, email_consent FROM customers ORDER BY id")
    assert str(got[0][1]).startswith("2024-05-01 09:00")
    assert bool(got[0][2]) is True
    assert got[1][1] is None
    assert bool(got[1][2]) is False


def test_xlsx_problems_name_the_spreadsheet_row(conn: Connection, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["customer_id", "birthday"])
    sheet.append(["x1", "1990-01-01"])
    sheet.append(["x2", "not a date"])
    book.save(tmp_path / "c.xlsx")
    with pytest.raises(ImportRejected) as caught:
        run(conn, "customers", tmp_path / "c.xlsx")
    assert [(p.row, p.column) for p in caught.value.report.problems] == [(3, "birthday")]


def test_shopify_orders_preset(conn: Connection, tmp_path: Path) -> None:
    path = tmp_path / "orders_export.csv"
    shutil.copy(DATA / "shopify_orders.csv", path)
    report = run(conn, "orders", path, preset="shopify-orders", create_customers=True)
    assert report.inserted == 3
    assert report.created_customers == 2
    orders = rows(
        conn,
        "SELECT external_id, status, amount, discount, ordered_at, channel "
        "FROM orders ORDER BY external_id",
    )
    assert [(o[0], o[1]) for o in orders] == [
        ("#1001", "paid"),
        ("#1002", "paid"),
        ("#1003", "refunded"),
    ]
    assert float(orders[1][3]) == 3.0
    assert str(orders[0][4]).startswith("2024-03-01 15:22:11")  # 10:22:11 -05:00 in UTC
    lines = rows(
        conn,
        "SELECT o.external_id, l.line_no, l.product_id, l.quantity, l.unit_price "
        "FROM order_lines l JOIN orders o ON o.id = l.order_id "
        "ORDER BY o.external_id, l.line_no",
    )
    assert [(line[0], line[1], line[2], line[3]) for line in lines] == [
        ("#1001", 1, "TEA-001", 2),
        ("#1001", 2, "KIT-002", 1),
        ("#1002", 1, "COF-001", 1),
        ("#1003", 1, "TEA-001", 1),
    ]
    assert "Billing Name" in report.ignored_columns
    again = run(conn, "orders", path, preset="shopify-orders")
    assert again.unchanged == 3
    assert count(conn, "order_lines") == 4


def test_stripe_payments_preset(conn: Connection, tmp_path: Path) -> None:
    path = tmp_path / "unified_payments.csv"
    shutil.copy(DATA / "stripe_payments.csv", path)
    report = run(
        conn, "orders", path, preset="stripe-payments", create_customers=True, timezone="Asia/Tokyo"
    )
    assert report.inserted == 3
    got = rows(conn, "SELECT external_id, status, currency, ordered_at FROM orders ORDER BY 1")
    assert [(g[0], g[1], g[2]) for g in got] == [
        ("ch_3Oa1", "paid", "USD"),
        ("ch_3Oa2", "refunded", "USD"),
        ("ch_3Oa3", "cancelled", "USD"),
    ]
    # Stripe's column is UTC whatever the business time zone is
    assert str(got[0][3]).startswith("2024-04-01 12:00:00")


def test_events_without_ids_are_idempotent(conn: Connection, tmp_path: Path) -> None:
    run(conn, "customers", write(tmp_path / "c.csv", CUSTOMERS))
    path = write(
        tmp_path / "e.csv",
        "customer_id,occurred_at,type,feature\n"
        "c1,2024-06-01 10:00,feature_use,reports\n"
        "c1,2024-06-01 10:05,login,\n"
        "c2,2024-06-02 11:00,feature_use,export\n",
    )
    assert run(conn, "events", path).inserted == 3
    again = run(conn, "events", path)
    assert (again.inserted, again.unchanged) == (0, 3)
    props = [r[0] for r in rows(conn, "SELECT properties FROM events ORDER BY occurred_at")]
    assert "reports" in str(props[0])
    assert props[1] is None


def test_an_import_cannot_write_the_feed_s_system_events(conn: Connection, tmp_path: Path) -> None:
    # stage changes, completed tasks … are what Tenure itself records: a file may not forge one
    run(conn, "customers", write(tmp_path / "c.csv", CUSTOMERS))
    path = write(
        tmp_path / "e.csv",
        "customer_id,occurred_at,type\n"
        "c1,2024-06-01 10:00,login\n"
        "c1,2024-06-02 10:00,stage_changed\n",
    )
    with pytest.raises(ImportRejected, match="Tenure writes itself") as caught:
        run(conn, "events", path)
    assert [(p.row, p.column) for p in caught.value.report.problems] == [(3, "type")]
    assert count(conn, "events") == 0


def test_orders_cut_by_batch_boundaries(conn: Connection, tmp_path: Path) -> None:
    """Lines of one order that straddle a batch boundary still make one order."""
    run(conn, "customers", write(tmp_path / "c.csv", CUSTOMERS))
    lines = ["order_id,customer_id,ordered_at,amount,product_id,quantity,unit_price"]
    for order in range(1, 401):
        for line in range(1, 1 + order % 4 + 1):
            first = line == 1
            lines.append(
                f"b{order},{'c1' if first else ''},{'2024-01-01' if first else ''},"
                f"{'9.00' if first else ''},SKU-{line},1,3.00"
            )
    path = write(tmp_path / "lines.csv", "\n".join(lines) + "\n")
    report = run(conn, "orders", path, batch_rows=97)
    assert report.inserted == 400
    assert not report.problems
    assert count(conn, "order_lines") == len(lines) - 1


def test_duplicates_across_batches_are_found(conn: Connection, tmp_path: Path) -> None:
    body = "".join(f"d{i},c1,2024-01-01,1\n" for i in range(250)) + "d3,c1,2024-01-02,1\n"
    run(conn, "customers", write(tmp_path / "c.csv", CUSTOMERS))
    path = write(tmp_path / "o.csv", "order_id,customer_id,ordered_at,amount\n" + body)
    with pytest.raises(ImportRejected) as caught:
        run(conn, "orders", path, batch_rows=100)
    [problem] = caught.value.report.problems
    assert problem.row == 252
    assert "also on row 5" in problem.reason


def test_spend_surveys_and_subscriptions(conn: Connection, tmp_path: Path) -> None:
    run(conn, "customers", write(tmp_path / "c.csv", CUSTOMERS))
    spend = write(
        tmp_path / "s.csv",
        "channel,period_start,period_end,amount\n"
        "social,2024-01-01,2024-01-31,1200\n"
        "events,2024-02-01,2024-01-31,50\n",
    )
    with pytest.raises(ImportRejected, match="earlier than period_start"):
        run(conn, "spend", spend)
    surveys = write(
        tmp_path / "n.csv",
        "customer_id,score,answered_at,comment\nc1,9,2024-02-01,很好\nc2,11,2024-02-01,\n",
    )
    with pytest.raises(ImportRejected, match="from 0 to 10"):
        run(conn, "surveys", surveys)
    subs = write(
        tmp_path / "sub.csv",
        "subscription_id,customer_id,plan,billing_period,status,"
        "mrr,started_at\ns1,c1,pro,yearly,canceled,199,2024-01-01\n",
    )
    run(conn, "subscriptions", subs)
    assert rows(conn, "SELECT billing_period, status FROM subscriptions") == [
        ("annual", "cancelled")
    ]
