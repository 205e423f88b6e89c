"""The customer list's search and count, on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import Connection

from tenure.domains.audit.service import Actor
from tenure.domains.customers import changes, listing

PERSON = Actor(None, "cli")


def _ids(conn: Connection, q: str) -> set[int]:
    return {r["id"] for r in listing.listing(conn, listing.ListQuery(q=q, limit=100))[0]}


def test_a_search_finds_every_word_in_any_order(conn: Connection) -> None:
    lena = changes.create_customer(conn, PERSON, {"external_id": "S-1", "name": "Lena Kim"})
    kim = changes.create_customer(conn, PERSON, {"external_id": "S-2", "name": "Kim Lena"})
    shop = changes.create_customer(
        conn, PERSON, {"external_id": "S-3", "name": "Lena Park", "company": "Kim & Co"}
    )
    changes.create_customer(conn, PERSON, {"external_id": "S-4", "name": "Lena Moss"})
    assert _ids(conn, "kim lena") == {lena, kim, shop}  # the company counts as well
    assert _ids(conn, "  LENA   kim ") == {lena, kim, shop}
    assert _ids(conn, "lena kim moss") == set()
    assert _ids(conn, "S-2") == {kim}
    assert listing.count(conn, listing.ListQuery(q="lena")) == (4, False)


def test_the_count_stops_at_its_cap(conn: Connection, monkeypatch: pytest.MonkeyPatch) -> None:
    for n in range(3):
        changes.create_customer(conn, PERSON, {"external_id": f"cap-{n}", "name": "Capped"})
    monkeypatch.setattr(listing, "COUNT_CAP", 2)
    assert listing.count(conn, listing.ListQuery(q="capped")) == (2, True)
