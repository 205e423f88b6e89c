"""Customers' time zones in an import: any case is read, an unknown zone is a named problem."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Connection

from tenure.domains.dataio.service import ImportRejected
from tests.domains.dataio.helpers import rows, run, write

ZONES = """customer_id,email,时区
z1,z1@example.com,Asia/Shanghai
z2,z2@example.com,america/new_york
z3,z3@example.com,
"""


def test_a_time_zone_column_is_read_and_spelt_as_the_zone_database_does(
    conn: Connection, tmp_path: Path
) -> None:
    report = run(conn, "customers", write(tmp_path / "zones.csv", ZONES))
    assert report.inserted == 3
    stored = rows(
        conn, "SELECT external_id, timezone FROM customers WHERE external_id LIKE 'z%' ORDER BY 1"
    )
    assert [tuple(r) for r in stored] == [
        ("z1", "Asia/Shanghai"),
        ("z2", "America/New_York"),
        ("z3", None),  # empty: the business's zone
    ]


def test_an_unknown_time_zone_is_a_problem_naming_the_row_and_column(
    conn: Connection, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "bad.csv", "customer_id,timezone\nb1,Europe/Paris\nb2,Mars/Olympus_Mons\n"
    )
    with pytest.raises(ImportRejected) as caught:
        run(conn, "customers", path)
    problems = caught.value.report.problems
    assert [(p.row, p.column, p.value) for p in problems] == [(3, "timezone", "Mars/Olympus_Mons")]
    assert "not an IANA time zone" in problems[0].reason
    assert rows(conn, "SELECT 1 FROM customers WHERE external_id IN ('b1', 'b2')") == []
