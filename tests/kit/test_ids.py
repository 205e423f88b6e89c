"""Ids written in forms and query strings."""

from __future__ import annotations

from tenure.kit.ids import MAX_ID, parse_id


def test_parse_id_takes_digits_within_64_bits() -> None:
    assert parse_id("42") == 42
    assert parse_id(str(MAX_ID)) == MAX_ID
    for text in ("", " 42", "-1", "4.2", "me", str(MAX_ID + 1)):
        assert parse_id(text) is None, text
