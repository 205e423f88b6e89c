"""Importing customers and orders: values, idempotency, updates, references."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Connection

from tenure.domains.dataio.service import ImportRejected
from tests.domains.dataio.helpers import CUSTOMERS, count, rows, run, write

ORDERS = """order_id,customer_id,ordered_at,amount,status,cost,currency
o1,c1,2024-02-01 10:00,19.99,paid,12.00,usd
o2,c1,2024-02-15,5,refunded,,
o3,c2,2024-03-01T08:00:00Z,"1,250.50",Completed,900,EUR
"""


@pytest.fixture
def customers(conn: Connection, tmp_path: Path) -> None:
    run(conn, "customers", write(tmp_path / "customers.csv", CUSTOMERS), timezone="Asia/Shanghai")


def test_customers_land_with_attributes_and_local_times(conn: Connection, tmp_path: Path) -> None:
    report = run(conn, "customers", write(tmp_path / "c.csv", CUSTOMERS), timezone="Asia/Shanghai")
    assert (report.inserted, report.updated, report.rejected) == (3, 0, 0)
    got = rows(conn, "SELECT external_id, name, email, attributes FROM customers ORDER BY id")
    assert [r[0] for r in got] == ["c1", "c2", "c3"]
    assert got[2][1] == "王芳"
    assert got[2][2] is None
    # 'plan' is no field of a customer: it is kept as an attribute, not dropped
    assert "pro" in str(got[0][3])
    assert got[1][3] is None


def test_orders_are_exact_and_in_utc(conn: Connection, tmp_path: Path, customers: None) -> None:
    report = run(conn, "orders", write(tmp_path / "o.csv", ORDERS), timezone="Asia/Shanghai")
    assert report.inserted == 3
    assert not report.problems
    from sqlalchemy.orm import Session

    from tenure.domains.orders.models import Order

    with Session(bind=conn) as s:
        orders = {o.external_id: o for o in s.query(Order)}
    assert orders["o1"].amount == Decimal("19.99")
    assert orders["o1"].cost == Decimal("12.00")
    # 10:00 in Shanghai (the business time zone of this import) is 02:00 UTC
    assert orders["o1"].ordered_at == datetime(2024, 2, 1, 2, 0, tzinfo=UTC)
    assert orders["o3"].ordered_at == datetime(2024, 3, 1, 8, 0, tzinfo=UTC)
    assert orders["o3"].amount == Decimal("1250.50")
    assert orders["o3"].status == "paid"
    assert orders["o1"].currency == "USD"
    assert orders["o2"].currency == "USD"
    assert orders["o3"].currency == "EUR"
    assert orders["o2"].status == "refunded"


def test_same_file_twice_changes_nothing(conn: Connection, tmp_path: Path, customers: None) -> None:
    path = write(tmp_path / "o.csv", ORDERS)
    run(conn, "orders", path)
    before = rows(conn, "SELECT * FROM orders ORDER BY id")
    again = run(conn, "orders", path)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)
    assert rows(conn, "SELECT * FROM orders ORDER BY id") == before


def test_a_corrected_file_updates(conn: Connection, tmp_path: Path, customers: None) -> None:
    run(conn, "orders", write(tmp_path / "o.csv", ORDERS))
    fixed = ORDERS.replace("o2,c1,2024-02-15,5,refunded", "o2,c1,2024-02-15,6,paid")
    report = run(conn, "orders", write(tmp_path / "o2.csv", fixed))
    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 2)
    assert rows(conn, "SELECT status FROM orders WHERE external_id = 'o2'")[0][0] == "paid"


def test_margin_becomes_cost(conn: Connection, tmp_path: Path, customers: None) -> None:
    path = write(
        tmp_path / "o.csv",
        "order_id,customer_id,ordered_at,amount,margin\nm1,c1,2024-01-01,100.00,35.50\n",
    )
    run(conn, "orders", path)
    assert Decimal(str(rows(conn, "SELECT cost FROM orders")[0][0])) == Decimal("64.50")


def test_unknown_customers_are_rejected_or_created(
    conn: Connection, tmp_path: Path, customers: None
) -> None:
    path = write(
        tmp_path / "o.csv",
        "order_id,customer_id,ordered_at,amount\nx1,c1,2024-01-01,1\nx2,new-9,2024-01-03,2\n",
    )
    with pytest.raises(ImportRejected) as caught:
        run(conn, "orders", path)
    [problem] = caught.value.report.problems
    assert (problem.row, problem.column, problem.value) == (3, "customer_id", "new-9")
    assert count(conn, "orders") == 0
    report = run(conn, "orders", path, create_customers=True)
    assert report.created_customers == 1
    assert report.inserted == 2
    acquired = rows(conn, "SELECT acquired_at FROM customers WHERE external_id = 'new-9'")[0][0]
    assert str(acquired).startswith("2024-01-03")


def test_column_mapping_by_option_and_file(
    conn: Connection, tmp_path: Path, customers: None
) -> None:
    path = write(tmp_path / "o.csv", "Ref,Client,When,Paid,Notes\nr1,c1,2024-05-01,9.90,hello\n")
    with pytest.raises(Exception, match="no column for required field"):
        run(conn, "orders", path)
    report = run(
        conn,
        "orders",
        path,
        pairs=["Ref=order_id", "Client=customer_id", "When=ordered_at", "Paid=amount", "Notes=-"],
    )
    assert report.inserted == 1
    assert report.ignored_columns == []
    mapping = write(
        tmp_path / "map.toml",
        '[columns]\nRef = "order_id"\nClient = "customer_id"\n'
        'When = "ordered_at"\nPaid = "amount"\n',
    )
    report = run(conn, "orders", path, mapping_file=mapping)
    assert report.unchanged == 1
    assert report.ignored_columns == ["Notes"]
