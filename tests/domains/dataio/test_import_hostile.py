"""Hostile input: every problem named by file, row, column and reason; nothing written."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import Connection

from tenure.domains.dataio.service import ImportRejected
from tenure.kit.errors import InvalidInput
from tests.domains.dataio.helpers import CUSTOMERS, count, run, write

# Row numbers as a spreadsheet shows them: the header is row 1.
HOSTILE = """order_id,customer_id,ordered_at,amount,status
h1,c1,2024-01-01,10.00,paid
h2,c1,yesterday,10.00,paid
h3,c1,2024-02-30,10.00,paid
h4,c2,2024-01-02,ten,paid
h5,c2,2024-01-02,-4.00,paid
h6,c2,2024-01-02,1.999,paid
h1,c2,2024-01-03,3.00,paid
h8,ghost,2024-01-03,3.00,paid
h9,c1,2024-01-03,3.00,pending
,c1,2024-01-04,3.00,paid
h11,c1,2024-01-04,,paid
"""
EXPECTED = {
    (3, "ordered_at"),
    (4, "ordered_at"),
    (5, "amount"),
    (6, "amount"),
    (7, "amount"),
    (8, "order_id"),
    (9, "customer_id"),
    (10, "status"),
    (11, "order_id"),
    (12, "amount"),
}


@pytest.fixture
def customers(conn: Connection, tmp_path: Path) -> None:
    run(conn, "customers", write(tmp_path / "customers.csv", CUSTOMERS))


def test_every_problem_is_named_and_nothing_is_written(
    conn: Connection, tmp_path: Path, customers: None
) -> None:
    path = write(tmp_path / "hostile.csv", HOSTILE)
    with pytest.raises(ImportRejected) as caught:
        run(conn, "orders", path)
    report = caught.value.report
    assert {(p.row, p.column) for p in report.problems} == EXPECTED
    assert count(conn, "orders") == 0
    message = str(caught.value)
    assert "hostile.csv: row 4, column 'ordered_at'" in message
    assert "2024-02-30" in message
    assert "duplicate order_id: also on row 2" in message
    assert "--skip-invalid" in message


def test_skip_invalid_writes_good_rows_and_keeps_bad_ones(
    conn: Connection, tmp_path: Path, customers: None
) -> None:
    path = write(tmp_path / "hostile.csv", HOSTILE)
    report = run(conn, "orders", path, skip_invalid=True)
    assert report.inserted == 1
    assert report.rejected == 10
    with open(tmp_path / "hostile.rejected.csv", newline="", encoding="utf-8") as handle:
        rejected = list(csv.DictReader(handle))
    assert [int(r["row"]) for r in rejected] == sorted({row for row, _ in EXPECTED})
    assert rejected[0]["ordered_at"] == "yesterday"
    assert "not a date-time" in rejected[0]["reason"]
    # the rejected file imports again once fixed: same columns as the input, plus row and reason
    assert list(rejected[0])[:5] == ["order_id", "customer_id", "ordered_at", "amount", "status"]


def test_dry_run_reports_without_writing(conn: Connection, tmp_path: Path, customers: None) -> None:
    report = run(conn, "orders", write(tmp_path / "hostile.csv", HOSTILE), dry_run=True)
    assert len(report.problems) == len(EXPECTED)
    assert not report.written
    assert count(conn, "orders") == 0


def test_missing_required_columns_list_what_the_file_has(conn: Connection, tmp_path: Path) -> None:
    path = write(tmp_path / "o.csv", "order_id,customer_id,total_price\n1,c1,3\n")
    with pytest.raises(InvalidInput) as caught:
        run(conn, "orders", path)
    assert "ordered_at, amount" in str(caught.value)
    assert "order_id, customer_id, total_price" in str(caught.value)


def test_empty_file(conn: Connection, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"empty \(0 bytes\)"):
        run(conn, "orders", write(tmp_path / "zero.csv", ""))


def test_header_only_file_imports_nothing(conn: Connection, tmp_path: Path) -> None:
    report = run(conn, "customers", write(tmp_path / "h.csv", "customer_id,email\n"))
    assert report.rows == 0
    assert report.inserted == 0


def test_non_utf8_names_the_row_and_suggests_the_encoding(conn: Connection, tmp_path: Path) -> None:
    path = write(tmp_path / "gbk.csv", "customer_id,name\nc1,Ann\nc2,王芳\n", encoding="gbk")
    with pytest.raises(InvalidInput) as caught:
        run(conn, "customers", path)
    assert "row 3" in str(caught.value)
    assert "--encoding gbk" in str(caught.value)
    assert count(conn, "customers") == 0
    run(conn, "customers", path, encoding="gbk")
    assert count(conn, "customers") == 2


def test_too_long_text_is_refused_not_truncated(conn: Connection, tmp_path: Path) -> None:
    path = write(tmp_path / "c.csv", f"customer_id,name\nc1,{'x' * 201}\n")
    with pytest.raises(ImportRejected, match="longer than 200 characters"):
        run(conn, "customers", path)


def test_unknown_entity_and_preset(conn: Connection, tmp_path: Path) -> None:
    path = write(tmp_path / "c.csv", "customer_id\nc1\n")
    with pytest.raises(InvalidInput, match="choose from"):
        run(conn, "invoices", path)
    with pytest.raises(InvalidInput, match="known presets: shopify-orders, stripe-payments"):
        run(conn, "orders", path, preset="magento")
    with pytest.raises(InvalidInput, match="does not have"):
        run(conn, "customers", path, pairs=["Nope=email"])


def test_many_problems_are_counted_and_the_first_are_kept(conn: Connection, tmp_path: Path) -> None:
    body = "".join(f"c{i},not-a-date\n" for i in range(1_500))
    path = write(tmp_path / "c.csv", "customer_id,birthday\n" + body)
    with pytest.raises(ImportRejected) as caught:
        run(conn, "customers", path, batch_rows=400)
    report = caught.value.report
    assert report.problem_count == 1_500
    assert len(report.problems) == 1_000
    assert report.problems[0].row == 2
    assert "1500 problem(s) in 1500 row(s)" in str(caught.value)
    assert "… and 1480 more" in str(caught.value)
