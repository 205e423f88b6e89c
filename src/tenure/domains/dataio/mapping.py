"""Decide which file column feeds which field: by name, alias, preset, mapping file or --map."""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tenure.domains.dataio.fields import EntitySpec
from tenure.domains.dataio.presets import PRESETS, Preset
from tenure.kit.errors import InvalidInput

IGNORE = "-"


def normalise(name: str) -> str:
    """Compare column names loosely: case, spaces, dashes and dots do not matter."""
    return re.sub(r"[\s\-./]+", "_", name.strip().lower()).strip("_")


@dataclass
class ColumnMapping:
    """The outcome: field → column, the columns left over, and file-wide options."""

    fields: dict[str, str]
    unmapped: list[str]
    timezone: str | None = None
    extra_choices: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass
class MappingRequest:
    """What the user asked for: a preset, a mapping file and ``--map`` pairs."""

    preset: str | None = None
    mapping_file: Path | None = None
    pairs: list[str] = field(default_factory=list)


def _parse_pairs(pairs: list[str]) -> dict[str, str]:
    explicit: dict[str, str] = {}
    for pair in pairs:
        column, sep, target = pair.rpartition("=")
        if not sep or not column.strip():
            raise InvalidInput(f"--map {pair!r}: write COLUMN=FIELD (or COLUMN=- to ignore it)")
        explicit[column.strip()] = target.strip()
    return explicit


def _read_mapping_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
        data: dict[str, Any] = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (OSError, ValueError) as exc:
        raise InvalidInput(f"{path}: cannot read the mapping file: {exc}") from exc
    if "columns" not in data:
        data = {"columns": data}
    if not isinstance(data["columns"], dict):
        raise InvalidInput(f"{path}: 'columns' must be a table of COLUMN = FIELD")
    return data


def _preset(name: str, spec: EntitySpec) -> Preset:
    preset = PRESETS.get(name)
    if preset is None:
        raise InvalidInput(f"unknown preset {name!r}; known presets: {', '.join(PRESETS)}")
    if preset.entity != spec.name:
        raise InvalidInput(f"preset {name!r} is for {preset.entity}, not {spec.name}")
    return preset


def resolve(columns: list[str], spec: EntitySpec, request: MappingRequest) -> ColumnMapping:
    """Map the file's ``columns`` onto ``spec``'s fields, or say precisely what is wrong."""
    explicit: dict[str, str] = {}
    timezone = None
    extra_choices: dict[str, dict[str, str]] = {}
    if request.preset:
        preset = _preset(request.preset, spec)
        explicit.update({c: f for c, f in preset.columns.items() if c in columns})
        timezone, extra_choices = preset.timezone, dict(preset.extra_choices)
    if request.mapping_file:
        data = _read_mapping_file(request.mapping_file)
        if data.get("preset"):
            preset = _preset(str(data["preset"]), spec)
            explicit.update({c: f for c, f in preset.columns.items() if c in columns})
            timezone, extra_choices = preset.timezone, dict(preset.extra_choices)
        explicit.update({str(k): str(v) for k, v in data["columns"].items()})
        timezone = data.get("timezone", timezone)
    explicit.update(_parse_pairs(request.pairs))

    known = {f.name for f in spec.all_fields}
    mapped: dict[str, str] = {}
    for column, target in explicit.items():
        if column not in columns:
            raise InvalidInput(
                f"the mapping names column {column!r}, which the file does not have; "
                f"its columns are: {', '.join(columns)}"
            )
        if target == IGNORE:
            continue
        if target not in known:
            raise InvalidInput(
                f"column {column!r} is mapped to {target!r}, which {spec.name} do not have; "
                f"fields: {', '.join(sorted(known))}"
            )
        if target in mapped:
            raise InvalidInput(
                f"columns {mapped[target]!r} and {column!r} are both mapped to {target!r}"
            )
        mapped[target] = column

    taken = set(explicit)
    for spec_field in spec.all_fields:
        if spec_field.name in mapped:
            continue
        names = {normalise(spec_field.name), *(normalise(a) for a in spec_field.aliases)}
        for column in columns:
            if column not in taken and normalise(column) in names:
                mapped[spec_field.name] = column
                taken.add(column)
                break

    missing = [f.name for f in spec.fields if f.required and f.name not in mapped]
    if missing:
        raise InvalidInput(
            f"no column for required field(s) {', '.join(missing)}; the file's columns are: "
            f"{', '.join(columns)}. Name the column with --map COLUMN={missing[0]}"
        )
    unmapped = [c for c in columns if c not in taken]
    return ColumnMapping(mapped, unmapped, timezone, extra_choices)
