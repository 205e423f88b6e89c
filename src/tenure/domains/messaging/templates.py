"""Email templates in Liquid: files marketers write, checked before anything is sent.

Liquid, not Jinja, on purpose: a template can only read the plain values it is given
(``customer``, ``scores``, ``company``, ``unsubscribe_url``) and apply Liquid's own filters.
It cannot call Python, reach an object's attributes or import anything, so whoever may edit
templates cannot run code on the server.

A template is three files per language in a folder, e.g. for ``win-back-offer`` in English::

    win-back-offer.en.subject.liquid   the subject line (one line)
    win-back-offer.en.html.liquid      the HTML part (values are HTML-escaped)
    win-back-offer.en.txt.liquid       the plain-text part

Tenure ships ``en`` and ``zh`` of each template its preset playbooks name (``templates/``
beside this module). A store's own folder (``messaging.templates_dir``) is looked at first:
a file there overrides the shipped file of the same name. A language without a subject file
falls back to English. A variable that is missing renders empty; a syntax error or an
unknown filter is refused with the file and the line.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from liquid import Environment
from liquid.exceptions import LiquidError

from tenure.kit.errors import InvalidInput, NotFound

SHIPPED = Path(__file__).parent / "templates"
LANGUAGES = ("en", "zh")
FALLBACK = "en"
PARTS = ("subject", "html", "txt")
SUFFIX = ".liquid"

_PLAIN = Environment()
_HTML = Environment(autoescape=True)


@dataclass(frozen=True)
class Rendered:
    """A rendered email: its subject line, HTML part and plain-text part, and its language."""

    subject: str
    html: str
    text: str
    language: str = FALLBACK


class TemplateInvalid(InvalidInput):
    """A template file Liquid cannot parse or render; the message names the file and line."""

    def __init__(self, path: Path, line: int | None, problem: str) -> None:
        where = f"{path}, line {line}" if line else str(path)
        super().__init__(f"{where}: {problem}")
        self.path = path
        self.line = line
        self.problem = problem


def folders(templates_dir: Path | None) -> tuple[Path, ...]:
    """Return where templates are looked for, first match wins: the store's, then shipped."""
    return (SHIPPED,) if templates_dir is None else (Path(templates_dir), SHIPPED)


def find(name: str, lang: str, part: str, templates_dir: Path | None = None) -> Path | None:
    """Return the file of ``part`` of template ``name`` in ``lang``, or None."""
    file_name = f"{name}.{lang}.{part}{SUFFIX}"
    for folder in folders(templates_dir):
        candidate = folder / file_name
        if candidate.is_file():
            return candidate
    return None


def names(templates_dir: Path | None = None) -> list[str]:
    """Return the name of every template found (one with at least a subject file)."""
    found = set()
    for folder in folders(templates_dir):
        for path in folder.glob(f"*.*.subject{SUFFIX}"):
            found.add(path.name.split(".")[0])
    return sorted(found)


def language_of(name: str, wanted: str | None, templates_dir: Path | None = None) -> str:
    """Return the language ``name`` is rendered in for a reader of ``wanted`` (else English)."""
    for lang in (wanted, FALLBACK):
        if lang in LANGUAGES and find(name, lang, "subject", templates_dir) is not None:
            return lang
    raise NotFound(f"no email template {name!r} (looked in {_shown(templates_dir)})")


def render(
    name: str, lang: str, context: dict[str, Any], *, templates_dir: Path | None = None
) -> Rendered:
    """Render template ``name`` in ``lang`` (English if it has no such language) with ``context``.

    Raises ``NotFound`` for a template that does not exist and ``TemplateInvalid`` (file and
    line) for one that cannot be parsed or rendered.
    """
    chosen = language_of(name, lang, templates_dir)
    parts: dict[str, str] = {}
    for part in PARTS:
        path = find(name, chosen, part, templates_dir)
        if path is None:
            raise TemplateInvalid(
                SHIPPED / f"{name}.{chosen}.{part}{SUFFIX}", None, f"the {part} part is missing"
            )
        parts[part] = _render_file(path, part == "html", context)
    subject = " ".join(parts["subject"].split())  # one line, whatever the file's layout
    return Rendered(subject=subject, html=parts["html"], text=parts["txt"], language=chosen)


def check(templates_dir: Path | None = None) -> list[TemplateInvalid]:
    """Return every mistake in every template file found (empty: all of them parse)."""
    mistakes = []
    for folder in folders(templates_dir):
        for path in sorted(folder.glob(f"*{SUFFIX}")):
            try:
                _compiled(path, path.name.endswith(f".html{SUFFIX}"), path.stat().st_mtime_ns)
            except TemplateInvalid as exc:
                mistakes.append(exc)
    return mistakes


def _render_file(path: Path, html: bool, context: dict[str, Any]) -> str:
    template = _compiled(path, html, path.stat().st_mtime_ns)
    try:
        return str(template.render(**context))
    except LiquidError as exc:
        raise _invalid(path, exc) from exc


@functools.lru_cache(maxsize=512)
def _compiled(path: Path, html: bool, _mtime_ns: int) -> Any:
    """Parse a file once per version of it (the mtime is part of the cache key)."""
    source = path.read_text(encoding="utf-8")
    env = _HTML if html else _PLAIN
    try:
        template = env.from_string(source, name=path.name, path=path)
    except LiquidError as exc:
        raise _invalid(path, exc) from exc
    # strict filters only complain at render time, and only on the branch taken: check now
    for filter_name, spans in template.analyze().filters.items():
        if filter_name not in env.filters:
            line = source.count("\n", 0, spans[0].index) + 1
            raise TemplateInvalid(path, line, f"unknown filter {filter_name!r}")
    return template


def _invalid(path: Path, exc: LiquidError) -> TemplateInvalid:
    token = exc.token
    line = None if token is None else token.source.count("\n", 0, token.start_index) + 1
    return TemplateInvalid(path, line, str(exc.message))


def _shown(templates_dir: Path | None) -> str:
    return ", ".join(str(f) for f in folders(templates_dir))


def problems(name: str, templates_dir: Path | None = None) -> list[TemplateInvalid]:
    """Return the mistakes of template ``name``'s files (every language and part found).

    The file that would be used (the store's folder first) is the one checked; empty: every
    one of them parses. Checking before a playbook is published keeps a broken template from
    failing its enrollments one by one later.
    """
    mistakes = []
    for lang in LANGUAGES:
        for part in PARTS:
            path = find(name, lang, part, templates_dir)
            if path is None:
                continue
            try:
                _compiled(path, part == "html", path.stat().st_mtime_ns)
            except TemplateInvalid as exc:
                mistakes.append(exc)
    return mistakes
