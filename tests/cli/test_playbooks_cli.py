"""``tenure playbooks``: --json everywhere, pause and resume say what is held, old versions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import typer.main

from tenure.cli.playbooks import app

PLAYBOOK = """\
name: cli-held
title: {en: Held}
trigger: {manual: true}
steps:
  - wait: {days: 2}
  - add_tags: [held]
"""


def tenure(
    *args: str, url: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "TENURE_DATABASE_URL": url, "COLUMNS": "120", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "tenure", *args],
        capture_output=True,
        text=True,
        env={**environment, **(env or {})},
        cwd=cwd,
        timeout=300,
        check=False,
    )


def test_every_playbooks_command_takes_json() -> None:
    group = typer.main.get_group(app)
    lacking = [
        name
        for name, command in group.commands.items()
        if not any("--json" in getattr(p, "opts", []) for p in command.params)
    ]
    assert sorted(group.commands) == [
        "apply",
        "enroll",
        "enrollments",
        "list",
        "pause",
        "presets",
        "report",
        "resume",
        "schema",
        "show",
        "simulate",
    ]
    assert lacking == []


def test_pause_resume_and_old_versions(tmp_path: Path, empty_sqlite_url: str) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return tenure(*args, url=empty_sqlite_url, cwd=tmp_path)

    (tmp_path / "p.yaml").write_text(PLAYBOOK)
    assert run("playbooks", "apply", "p.yaml").returncode == 0
    (tmp_path / "p.yaml").write_text(PLAYBOOK.replace("days: 2", "days: 5"))
    assert "version 2 (updated)" in run("playbooks", "apply", "p.yaml").stdout

    paused = run("playbooks", "pause", "cli-held", "--json")
    assert paused.returncode == 0, paused.stderr
    assert json.loads(paused.stdout) == {
        "name": "cli-held",
        "status": "paused",
        "changed": True,
        "active": 0,
        "held": 0,
    }
    again = run("playbooks", "pause", "cli-held")
    assert "paused (already); 0 enrollment(s) in progress held" in " ".join(again.stdout.split())
    resumed = run("playbooks", "resume", "cli-held", "--json")
    assert json.loads(resumed.stdout)["status"] == "active"
    assert json.loads(resumed.stdout)["changed"] is True

    first = run("playbooks", "show", "cli-held", "--version", "1", "--json")
    assert first.returncode == 0, first.stderr
    shown = json.loads(first.stdout)
    assert (shown["version"], shown["current"], shown["current_version"]) == (1, False, 2)
    assert shown["source"] == PLAYBOOK and shown["definition"]["steps"][0]["wait"]["days"] == 2
    assert [v["version"] for v in shown["versions"]] == [2, 1]
    source = run("playbooks", "show", "cli-held", "--version", "1", "--source")
    assert source.stdout == PLAYBOOK
    current = json.loads(run("playbooks", "show", "cli-held", "--json").stdout)
    assert (current["version"], current["current"]) == (2, True)
    assert "days: 5" in current["source"]
    human = run("playbooks", "show", "cli-held", "--version", "1")
    assert "version 1 of 2 (current is 2)" in " ".join(human.stdout.split())
    missing = run("playbooks", "show", "cli-held", "--version", "9")
    assert missing.returncode == 1 and "has no version 9" in missing.stderr
    assert "Traceback" not in missing.stderr
    zero = run("playbooks", "show", "cli-held", "--version", "0")
    assert zero.returncode == 2 and "--version" in zero.stderr

    presets = run("playbooks", "presets", "pb", "--json")
    copied = json.loads(presets.stdout)
    assert {c["outcome"] for c in copied} == {"copied"} and len(copied) == len(
        list((tmp_path / "pb").glob("*.yaml"))
    )
    schema = run("playbooks", "schema", "--json")
    assert json.loads(schema.stdout)["title"] == "Tenure playbook"


def test_apply_refuses_an_email_template_that_does_not_parse(
    tmp_path: Path, empty_sqlite_url: str
) -> None:
    folder = tmp_path / "templates"
    folder.mkdir()
    for part, text in (("subject", "Hi\n"), ("txt", "Hi\n"), ("html", "<p>\n{% iff x %}\n")):
        (folder / f"cli-offer.en.{part}.liquid").write_text(text)
    (tmp_path / "p.yaml").write_text(
        PLAYBOOK.replace(
            "  - add_tags: [held]\n", "  - id: offer\n    send_email:\n      template: cli-offer\n"
        )
    )
    refused = tenure(
        "playbooks",
        "apply",
        "p.yaml",
        url=empty_sqlite_url,
        cwd=tmp_path,
        env={"TENURE_MESSAGING__TEMPLATES_DIR": str(folder)},
    )
    said = " ".join(refused.stderr.split())
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "p.yaml, line 8: steps[1].send_email.template: step offer:" in said
    assert "cli-offer.en.html.liquid, line 2: unexpected tag 'iff'" in said
