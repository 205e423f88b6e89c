"""Programme files: read and check YAML (mistakes named with their line), apply to the store.

A programme is a YAML file kept beside the playbooks, applied with ``tenure loyalty apply``.
Applying a changed file replaces the rules for what happens next; entries already in the
ledger keep the rule and amounts they were written with.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy import Connection

from tenure.domains.automation.loading import line_of
from tenure.domains.loyalty import repository as repo
from tenure.domains.loyalty.definition import Programme
from tenure.kit.errors import InvalidInput

SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Applied:
    """What applying a file did: created, updated (a new version) or unchanged."""

    key: str
    version: int
    outcome: str


def parse(text: str, file: str) -> Programme:
    """Check a programme's YAML; ``InvalidInput`` names the file, line and field of each mistake."""
    try:
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InvalidInput(
            f"{file}, line {mark.line + 1 if mark else 1}: not valid YAML: "
            f"{getattr(exc, 'problem', None) or exc}"
        ) from None
    if not isinstance(data, dict):
        raise InvalidInput(f"{file}, line 1: a programme is a mapping: key, name, earn, …")
    try:
        return Programme.model_validate(data)
    except ValidationError as exc:
        lines = []
        for error in exc.errors(include_url=False):
            path = [p for p in error["loc"] if isinstance(p, int | str) and "[" not in str(p)]
            field = ".".join(str(p) for p in path)
            message = error["msg"].removeprefix("Value error, ")
            lines.append(f"{file}, line {line_of(text, path)}: {field or 'programme'}: {message}")
        raise InvalidInput("\n".join(lines)) from None


def read_all(path: Path) -> list[tuple[Programme, str]]:
    """Read one programme file or every YAML file of a folder; each with its text."""
    files = sorted(p for p in path.iterdir() if p.suffix in SUFFIXES) if path.is_dir() else [path]
    if not files:
        raise InvalidInput(f"{path}: no programme files (*.yaml) here")
    found = []
    for file in files:
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"{file}: cannot read it: {exc}") from None
        found.append((parse(text, str(file)), text))
    return found


def apply(conn: Connection, programme: Programme, source: str, now: datetime) -> Applied:
    """Store a programme, or a new version of it when its definition changed."""
    definition = programme.model_dump(mode="json")
    checksum = hashlib.sha256(json.dumps(definition, sort_keys=True).encode()).hexdigest()
    row = repo.programme(conn, programme.key)
    if row is None:
        repo.add_programme(
            conn,
            {
                "key": programme.key,
                "currency": programme.currency.value,
                "version": 1,
                "checksum": checksum,
                "definition": definition,
                "source": source,
                "created_at": now,
                "updated_at": now,
            },
        )
        return Applied(programme.key, 1, "created")
    if row.checksum == checksum:
        return Applied(programme.key, row.version, "unchanged")
    if row.currency != programme.currency.value:
        raise InvalidInput(
            f"currency: {programme.key} counts {row.currency}; a ledger cannot change what it "
            "counts (start a new programme)"
        )
    repo.replace_programme(
        conn,
        row.id,
        {
            "version": row.version + 1,
            "checksum": checksum,
            "definition": definition,
            "source": source,
            "updated_at": now,
        },
    )
    return Applied(programme.key, row.version + 1, "updated")
