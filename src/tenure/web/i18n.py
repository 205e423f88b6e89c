"""The web app in 简体中文 and English: gettext catalogues (Babel) and locale formatting.

English is the source language: templates and pages write ``_("Customers")``; the Chinese
catalogue (locale/zh/LC_MESSAGES/messages.po) translates each message. The .po file is
compiled in memory at start-up, so the repository holds no generated binary.
`make messages` re-extracts the messages and updates the catalogue.
"""

from __future__ import annotations

import functools
import gettext
import io
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from babel import Locale, dates, numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("en", "zh")
LOCALES = {"en": "en_US", "zh": "zh_Hans_CN"}


@functools.cache
def translations(lang: str) -> gettext.NullTranslations:
    """Return the compiled catalogue of ``lang`` (English needs none)."""
    po = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    if lang == "en" or not po.exists():
        return gettext.NullTranslations()
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def pick(*candidates: str | None, accept_language: str | None = None) -> str:
    """Return the first candidate that is a language we speak, else the browser's choice."""
    for candidate in candidates:
        if candidate in LANGUAGES:
            return candidate
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh"
        if tag.startswith("en"):
            return "en"
    return "en"


class Formatter:
    """Numbers, money, shares and days written the way a reader of ``lang`` expects."""

    def __init__(self, lang: str, currency: str) -> None:
        self.locale = Locale.parse(LOCALES[lang])
        self.currency = currency

    def number(self, value: float | int | Decimal | None, digits: int = 0) -> str:
        """Write a number: 1234.5 → "1,235"; None → "—"."""
        if value is None:
            return "—"
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return numbers.format_decimal(value, format=pattern, locale=self.locale)

    def money(self, value: float | Decimal | None, digits: int = 0) -> str:
        """Write money: 1234.5 → "$1,234" (en) / "US$1,234" (zh)."""
        if value is None:
            return "—"
        return numbers.format_currency(
            value,
            self.currency,
            locale=self.locale,
            format_type="standard",
            currency_digits=False,
            decimal_quantization=True,
            format=None if digits else "¤#,##0",
        )

    def percent(self, value: float | None, digits: int = 1) -> str:
        """Write a share: 0.123 → "12.3%"."""
        if value is None:
            return "—"
        pattern = "#,##0" + ("." + "0" * digits if digits else "") + "%"
        return numbers.format_percent(value, format=pattern, locale=self.locale)

    def day(self, value: date | datetime | str | None) -> str:
        """Write a day: "Mar 31, 2026" / "2026年3月31日"."""
        if value is None:
            return "—"
        if isinstance(value, str):
            if len(value) == 7:  # a month, YYYY-MM
                return self.month(value)
            value = date.fromisoformat(value[:10])
        return dates.format_date(value, format="medium", locale=self.locale)

    def month(self, value: str) -> str:
        """Write a month: "2026-03" → "Mar 2026" / "2026年3月"."""
        year, month = (int(p) for p in value.split("-")[:2])
        return dates.format_skeleton("yMMM", date(year, month, 1), locale=self.locale)
