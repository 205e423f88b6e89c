"""Read playbook files: YAML in, a checked ``Playbook`` out, or every mistake with its line.

A person fixing a playbook wants "win-back.yaml, line 14, steps[2].create_task.due_in_days:
must be at least 0", not a traceback: the YAML is composed once for its line marks and once
for its data, and each validation error's path is walked down the node tree to the line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from tenure.domains.automation.definition import Playbook
from tenure.kit.errors import InvalidInput

SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Mistake:
    """One thing wrong in a playbook file."""

    file: str
    line: int
    field: str
    message: str

    def describe(self) -> str:
        """Return the mistake as one line: file, line, field, what is wrong."""
        where = f"{self.file}, line {self.line}"
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


class PlaybookInvalid(InvalidInput):
    """A playbook file that cannot be used; ``mistakes`` lists each with its line."""

    def __init__(self, mistakes: Sequence[Mistake]) -> None:
        self.mistakes = list(mistakes)
        super().__init__("\n".join(m.describe() for m in self.mistakes))


@dataclass(frozen=True)
class Loaded:
    """A checked playbook and the text it came from (kept with its published version)."""

    playbook: Playbook
    source: str
    file: str


def _line_of(node: yaml.Node | None, path: Sequence[int | str]) -> int:
    """Return the 1-based line of the deepest node ``path`` reaches."""
    if node is None:
        return 1
    line = node.start_mark.line + 1
    for part in path:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                    child = value
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if 0 <= part < len(node.value):
                child = node.value[part]
        if child is None:
            break
        node, line = child, child.start_mark.line + 1
    return line


def _field(path: Sequence[int | str]) -> str:
    shown = ""
    for part in path:
        shown += f"[{part}]" if isinstance(part, int) else (f".{part}" if shown else str(part))
    return shown


def parse(text: str, file: str) -> Loaded:
    """Check a playbook's YAML text; raise ``PlaybookInvalid`` naming each mistake's line."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise PlaybookInvalid([Mistake(file, line, "", f"not valid YAML: {problem}")]) from None
    if not isinstance(data, dict):
        raise PlaybookInvalid(
            [Mistake(file, 1, "", "a playbook is a mapping: name, title, trigger, steps …")]
        )
    try:
        playbook = Playbook.model_validate(data, context={"publishing": True})
    except ValidationError as exc:
        mistakes = []
        for error in exc.errors(include_url=False):
            path = [p for p in error["loc"] if isinstance(p, int | str)]
            # a union's member names ("function-after[...]") are no field a person wrote
            path = [p for p in path if not (isinstance(p, str) and "[" in p)]
            message = error["msg"].removeprefix("Value error, ")
            # a rule over a list names the item it found wrong: point at that item's line
            named = re.match(r"(\w+)\[(\d+)\] ", message)
            if named and path and path[-1] == named.group(1):
                path.append(int(named.group(2)))
            # a rule over a mapping's keys names the key first: point at that key's line
            keyed = re.match(r"([a-z_]+): ", message)
            if keyed and path and path[-1] in ("set_fields", "measure"):
                path.append(keyed.group(1))
            mistakes.append(Mistake(file, _line_of(node, path), _field(path), message))
        raise PlaybookInvalid(mistakes) from None
    return Loaded(playbook, text, file)


def line_of(source: str, path: Sequence[int | str]) -> int:
    """Return the 1-based line of ``path`` (e.g. ``["steps", 2, "send_email"]``) in YAML text."""
    try:
        return _line_of(yaml.compose(source, Loader=yaml.SafeLoader), path)
    except yaml.YAMLError:
        return 1


def read(path: Path) -> Loaded:
    """Read and check one playbook file."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise PlaybookInvalid(
            [Mistake(str(path), 1, "", f"not UTF-8 text (byte {exc.start}); save it as UTF-8")]
        ) from None
    except OSError as exc:
        raise PlaybookInvalid([Mistake(str(path), 1, "", exc.strerror or str(exc))]) from None
    return parse(text, str(path))


def read_all(path: Path) -> list[Loaded]:
    """Read a playbook file, or every ``*.yaml`` / ``*.yml`` of a folder (sorted by name).

    Every file is checked before any is returned: the mistakes of all files come together,
    and two files may not give the same name.
    """
    files = sorted(p for p in path.iterdir() if p.suffix in SUFFIXES) if path.is_dir() else [path]
    if not files:
        raise InvalidInput(f"{path}: no playbook files (*.yaml) here")
    loaded: list[Loaded] = []
    mistakes: list[Mistake] = []
    for file in files:
        try:
            loaded.append(read(file))
        except PlaybookInvalid as exc:
            mistakes += exc.mistakes
    seen: dict[str, str] = {}
    for item in loaded:
        name = item.playbook.name
        if name in seen:
            mistakes.append(
                Mistake(item.file, 1, "name", f"{name!r} is also the name in {seen[name]}")
            )
        seen.setdefault(name, item.file)
    if mistakes:
        raise PlaybookInvalid(mistakes)
    return loaded
