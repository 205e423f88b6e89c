"""Every command's --help reads as prose at a terminal's 80 columns, and says all it was given.

The docstrings are wrapped at the source's width; the help must reflow them to the terminal's
(a line broken where the source broke it, then again at 80 columns, reads as a ragged column
of half lines), and rendering must not swallow words (markdown's emphasis, say).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from typing import Any

import typer
from typer.testing import CliRunner

from tenure.cli.main import app

BOX = re.compile(r"^\s*[╭│╰]")


def _commands(group: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for name, command in sorted(group.commands.items()):
        yield (*path, name)
        if hasattr(command, "commands"):  # a group (Typer carries its own click)
            yield from _commands(command, (*path, name))


def _words(text: str) -> list[str]:
    return re.findall(r"[\w./()'-]+", text.replace("`", ""))


def test_every_help_reflows_its_paragraphs_and_keeps_every_word() -> None:
    root = typer.main.get_command(app)
    runner = CliRunner()
    checked = 0
    for path in _commands(root):
        command: Any = root
        for name in path:
            command = command.commands[name]
        shown = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "80"}, terminal_width=80)
        assert shown.exit_code == 0, (path, shown.output)
        lines = shown.output.splitlines()
        start = next(i for i, line in enumerate(lines) if line.strip().startswith("Usage:")) + 1
        prose = []
        for line in lines[start:]:
            if BOX.match(line):
                break
            prose.append(line.rstrip())
        for line, after in zip(prose, prose[1:], strict=False):
            # a short line followed by more of its paragraph: broken where the source broke
            assert not (line and after and len(line) < 50), (path, line, after)
        given = inspect.cleandoc(command.help or "").partition("\f")[0]
        assert _words(given) == _words("\n".join(prose)), path
        # every option's help says all its words too (markdown may take "<id>" for a tag)
        shown_words = set(_words(shown.output))
        for param in command.params:
            said = {w for w in _words(getattr(param, "help", None) or "") if len(w) < 30}
            lost = said - shown_words  # (a longer token may be cut with … in a narrow column)
            assert not lost, (path, param.name, lost)
        checked += 1
    assert checked > 60
