"""Every message of the web app has its 中文; languages are chosen and numbers written right."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from babel.messages.extract import extract_from_dir

from tenure.web.i18n import Formatter, pick, translations
from tests.conftest import ROOT

WEB = ROOT / "src" / "tenure" / "web"


def _messages() -> set[str]:
    methods = [("**.py", "python"), ("templates/**.html", "jinja2")]
    found = set()
    for _, _, message, _, _ in extract_from_dir(WEB, methods, keywords={"_": None, "N_": None}):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_message_is_translated_to_chinese() -> None:
    messages = _messages()
    assert len(messages) > 100
    zh = translations("zh")
    untranslated = sorted(m for m in messages if zh.gettext(m) == m and m != "CLV")
    assert untranslated == [], "run `make messages` and translate these in messages.po"


def test_placeholders_survive_translation() -> None:
    zh = translations("zh")
    for message in _messages():
        for name in ("%(day)s", "%(stage)s", "%(role)s", "%(channel)s", "%(revenue)s"):
            assert (name in message) == (name in zh.gettext(message)), message


@pytest.mark.parametrize(
    ("query", "saved", "header", "expected"),
    [
        ("zh", "en", "en-US", "zh"),
        (None, "zh", "en-US", "zh"),
        (None, None, "zh-TW,en;q=0.5", "zh"),
        (None, None, "fr-FR,en;q=0.8", "en"),
        (None, None, None, "en"),
        ("xx", None, "de", "en"),
    ],
)
def test_language_choice(
    query: str | None, saved: str | None, header: str | None, expected: str
) -> None:
    assert pick(query, saved, accept_language=header) == expected


def test_formats_follow_the_language() -> None:
    en = Formatter("en", "USD")
    assert en.number(1234567.4) == "1,234,567"
    assert en.money(Decimal("1234.50"), 2) == "$1,234.50"
    assert en.percent(0.1234) == "12.3%"
    assert en.day(date(2026, 3, 31)) == "Mar 31, 2026"
    chinese = Formatter("zh", "CNY")
    assert chinese.day("2026-03-31") == "2026年3月31日"
    assert chinese.month("2026-03") == "2026年3月"
    assert chinese.money(1234) == "¥1,234"
    assert en.number(None) == en.money(None) == "—"
