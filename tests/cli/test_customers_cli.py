"""`tenure customers export|erase`: a person's data, as an administrator types it."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from sqlalchemy import select

from tenure.domains.audit.service import Actor
from tenure.domains.customers import changes
from tenure.domains.customers.models import Customer
from tenure.storage.engine import make_engine
from tenure.storage.migrate import upgrade
from tests.cli.test_cli import tenure


def test_export_then_erase_a_person(tmp_path: Path, empty_sqlite_url: str) -> None:
    engine = make_engine(empty_sqlite_url)
    upgrade(engine)
    with engine.begin() as conn:
        changes.create_customer(
            conn, Actor(None, "cli"), {"external_id": "C-7", "name": "Li Wei", "email": "li@x.test"}
        )
    copied = tenure(
        "customers",
        "export",
        "C-7",
        "--out",
        "li.zip",
        "--json",
        url=empty_sqlite_url,
        cwd=tmp_path,
    )
    assert copied.returncode == 0, copied.stderr
    assert json.loads(copied.stdout)["rows"]["profile"] == 1
    with zipfile.ZipFile(tmp_path / "li.zip") as packed:
        assert json.loads(packed.read("person.json"))["profile"][0]["name"] == "Li Wei"
    unknown = tenure("customers", "export", "C-8", url=empty_sqlite_url, cwd=tmp_path)
    assert unknown.returncode == 1 and "no customer has the external id 'C-8'" in unknown.stderr
    mistyped = tenure(
        "customers", "erase", "C-7", "--confirm", "C-1", url=empty_sqlite_url, cwd=tmp_path
    )
    assert mistyped.returncode == 1 and "--confirm" in mistyped.stderr
    erased = tenure(
        "customers", "erase", "C-7", "--confirm", "C-7", url=empty_sqlite_url, cwd=tmp_path
    )
    assert erased.returncode == 0, erased.stderr
    assert "Erased C-7" in erased.stdout
    with engine.connect() as conn:
        left = conn.execute(select(Customer.external_id, Customer.name, Customer.email)).all()
    assert [tuple(r) for r in left] == [(left[0][0], None, None)]
    assert left[0][0].startswith("erased-")
    engine.dispose()
