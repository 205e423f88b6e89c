"""Exports a spreadsheet opens safely: formulas quoted, a BOM, JSON null extras (issue 13)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import polars as pl
from sqlalchemy import Connection, text

from tenure.domains.dataio.export import export_entity
from tenure.kit.spreadsheet import BOM, cell, safe_frame, safe_text, unquoted
from tests.domains.dataio.helpers import rows, run, write

HOSTILE_CUSTOMERS = """customer_id,email,name,company,phone,plan
c1,ann@example.com,"=HYPERLINK(""http://evil.test"",""x"")",+Acme,+86 138 0000 0000,@pro
c2,bob@example.com,Bob Ng,-minus,-12.50,plain
"""


def _read_csv(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(BOM.encode()), "CSV exports start with a UTF-8 BOM for Excel"
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


def test_the_helper_quotes_formulas_but_not_numbers() -> None:
    for formula in ("=1+1", "+A1", "-A1", "@SUM(A1)", "\t=1", "\r=1", "-", "+86 138"):
        assert safe_text(formula) == "'" + formula
    for plain in ("-12.50", "+3", "-1e5", "42", "Ann", "", "a=b", ".5"):
        assert safe_text(plain) == plain
    assert cell(None) == "" and cell(-3) == "-3" and cell(["=x"]) == '["=x"]'
    assert cell({"a": 1}) == '{"a": 1}' and cell(True) == "True"
    frame = pl.DataFrame({"a": ["=x", "-2", None, "ok", "'=y"], "n": [1, 2, 3, 4, 5]})
    quoted = safe_frame(frame)
    assert quoted["a"].to_list() == ["'=x", "-2", None, "ok", "'=y"]
    assert unquoted(quoted)["a"].to_list() == ["=x", "-2", None, "ok", "=y"]


def test_customer_export_neutralises_formulas_and_imports_back_unchanged(
    conn: Connection, tmp_path: Path
) -> None:
    run(conn, "customers", write(tmp_path / "in.csv", HOSTILE_CUSTOMERS))
    out = tmp_path / "customers.csv"
    assert export_entity(conn, "customers", out) == 2
    by_id = {r["customer_id"]: r for r in _read_csv(out)}
    assert by_id["c1"]["name"] == '\'=HYPERLINK("http://evil.test","x")'
    assert by_id["c1"]["company"] == "'+Acme"
    assert by_id["c1"]["phone"] == "'+86 138 0000 0000"
    assert by_id["c1"]["plan"] == "'@pro"  # an attribute column as well
    assert by_id["c2"]["company"] == "'-minus" and by_id["c2"]["phone"] == "-12.50"
    # the exported file imports back to the very same values
    conn.execute(text("UPDATE customers SET name = 'changed', company = NULL"))
    run(conn, "customers", out)
    stored = dict(rows(conn, "SELECT external_id, name FROM customers"))
    assert stored["c1"] == '=HYPERLINK("http://evil.test","x")'
    companies = dict(rows(conn, "SELECT external_id, company FROM customers"))
    assert companies == {"c1": "+Acme", "c2": "-minus"}


def _json_null(conn: Connection) -> str:
    return "'null'::jsonb" if conn.dialect.name == "postgresql" else "'null'"


def test_json_null_properties_and_attributes_export(conn: Connection, tmp_path: Path) -> None:
    run(conn, "customers", write(tmp_path / "in.csv", HOSTILE_CUSTOMERS))
    events = "event_id,customer_id,occurred_at,type,page\ne1,c1,2024-02-01,login,home\n"
    run(conn, "events", write(tmp_path / "events.csv", events))
    run(conn, "events", write(tmp_path / "events2.csv", events.replace("e1", "e2")))
    conn.execute(text(f"UPDATE customers SET attributes = {_json_null(conn)}"))  # noqa: S608
    conn.execute(
        text(f"UPDATE events SET properties = {_json_null(conn)} WHERE external_id = 'e2'")  # noqa: S608
    )
    assert export_entity(conn, "customers", tmp_path / "c.csv") == 2
    assert export_entity(conn, "events", tmp_path / "e.csv") == 2
    assert export_entity(conn, "events", tmp_path / "e.parquet") == 2
    exported = {r["event_id"]: r for r in _read_csv(tmp_path / "e.csv")}
    assert exported["e1"]["page"] == "home" and exported["e2"]["page"] == ""
