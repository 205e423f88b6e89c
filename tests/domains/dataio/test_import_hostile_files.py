"""Hostile files end the import with one line naming the file (and row or column), never a
traceback; nothing is written (issue 13). Plus Hypothesis throwing random bytes at the reader."""

from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection

from tenure.domains.dataio.service import ImportRejected
from tenure.kit.errors import InvalidInput
from tests.domains.dataio.helpers import count, run, write

HEADER = "customer_id,email,name\n"


def _xlsx_without_a_workbook() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "no workbook here")
    return buffer.getvalue()


def _hostile(folder: Path) -> dict[str, tuple[Path, dict[str, str], tuple[str, ...]]]:
    """name → (file, import options, words the one-line message must hold)."""
    noise = random.Random(13).randbytes(4000)
    (folder / "a-folder.csv").mkdir()
    pl.DataFrame({"customer_id": ["c1"], "tags": [[{"a": 1}]]}).write_parquet(
        folder / "nested.parquet"
    )
    made = {
        "random.xlsx": (noise, {}, ("random.xlsx", "xlsx")),
        "no-sheet.xlsx": (_xlsx_without_a_workbook(), {}, ("no-sheet.xlsx", "xlsx")),
        "ragged.csv": (
            (HEADER + "c1,a@x.test,Ann\nc2,b@x.test,Bob,extra,more\n").encode(),
            {},
            ("ragged.csv", "row 3", "5 fields"),
        ),
        "quote.csv": (
            (HEADER + 'c1,a@x.test,"Ann\nc2,b@x.test,Bob\n').encode(),
            {},
            ("quote.csv", "row 2", "quote"),
        ),
        "cut.csv": ((HEADER + "c1,a@x.test,王芳").encode()[:-1], {}, ("cut.csv", "middle")),
        "utf16.csv": (
            (HEADER + "c1,a@x.test,Ann\n").encode("utf-16-le"),
            {"encoding": "utf-16"},
            ("utf16.csv", "utf-16-le"),
        ),
        "zone.csv": (
            (HEADER + "c1,a@x.test,Ann\n").encode(),
            {"timezone": "Mars/Base"},
            ("timezone", "Mars/Base"),
        ),
        "gbk.csv": (
            "customer_id,survey,score,comment,answered_at\nc1,nps,9,很好,2024-01-01\n".encode(
                "gbk"
            ),
            {},
            ("gbk.csv", "row 2", "--encoding"),
        ),
    }
    for name, (content, _, _) in made.items():
        (folder / name).write_bytes(content)
    out = {name: (folder / name, options, words) for name, (_, options, words) in made.items()}
    out["a-folder.csv"] = (folder / "a-folder.csv", {}, ("a-folder.csv", "folder"))
    out["nested.parquet"] = (folder / "nested.parquet", {}, ("nested.parquet", "tags"))
    return out


CASES = (
    "random.xlsx",
    "no-sheet.xlsx",
    "ragged.csv",
    "quote.csv",
    "cut.csv",
    "utf16.csv",
    "zone.csv",
    "gbk.csv",
    "a-folder.csv",
    "nested.parquet",
)


@pytest.mark.parametrize("name", CASES)
def test_a_hostile_file_is_one_line_naming_the_file(
    conn: Connection, tmp_path: Path, name: str
) -> None:
    path, options, words = _hostile(tmp_path)[name]
    entity = "surveys" if name == "gbk.csv" else "customers"
    with pytest.raises(InvalidInput) as caught:
        run(conn, entity, path, **options)
    message = str(caught.value)
    assert "\n" not in message.strip(), message
    for word in words:
        assert word in message, (word, message)
    assert count(conn, "customers") == 0


def test_a_parquet_list_of_tags_reads_as_text(conn: Connection, tmp_path: Path) -> None:
    path = tmp_path / "tags.parquet"
    pl.DataFrame({"customer_id": ["c1"], "tags": [["vip", "b2b"]]}).write_parquet(path)
    run(conn, "customers", path)
    assert count(conn, "customers") == 1


def test_a_nul_in_a_cell_is_a_row_error(conn: Connection, tmp_path: Path) -> None:
    path = write(tmp_path / "nul.csv", HEADER + "c1,a@x.test,Ann\nc2,b@x.test,B\x00b\n")
    with pytest.raises(ImportRejected) as caught:
        run(conn, "customers", path)
    assert {(p.row, p.column) for p in caught.value.report.problems} == {(3, "name")}
    assert count(conn, "customers") == 0
    events = "event_id,customer_id,occurred_at,type,page\ne1,c1,2024-01-01,lo\x00gin,x\x00y\n"
    run(conn, "customers", write(tmp_path / "ok.csv", HEADER + "c1,a@x.test,Ann\n"))
    with pytest.raises(ImportRejected) as bad_event:
        run(conn, "events", write(tmp_path / "events.csv", events))
    assert {p.column for p in bad_event.value.report.problems} == {"type", "page"}


@given(content=st.binary(max_size=300), suffix=st.sampled_from([".csv", ".xlsx", ".parquet"]))
@settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_random_bytes_never_end_in_a_traceback(
    conn: Connection, tmp_path: Path, content: bytes, suffix: str
) -> None:
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(HEADER.encode() + content if suffix == ".csv" else content)
    message = "fuzz"  # an import that works is fine too
    try:
        run(conn, "customers", path)
    except InvalidInput as exc:
        message = str(exc)
    assert "fuzz" in message
