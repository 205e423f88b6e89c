"""Publishing playbooks on both databases: versions only when a file changed, pause, resume."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Connection, select

from tenure.domains.audit.models import AuditEntry
from tenure.domains.audit.service import Actor
from tenure.domains.automation import service
from tenure.domains.automation.loading import PlaybookInvalid, parse, read_all
from tenure.domains.automation.models import PlaybookStatus
from tenure.domains.automation.presets import FOLDER
from tenure.kit.errors import NotFound

ACTOR = Actor(None, "cli")
TEXT = """\
name: call-the-decliners
title: {en: Call the decliners}
trigger: {stage_entered: {to: [declining]}}
steps:
  - create_task: {title: {en: Call them}}
"""


def test_applying_twice_publishes_once_and_an_edit_is_a_new_version(conn: Connection) -> None:
    first = service.apply(conn, ACTOR, read_all(FOLDER))
    assert {a.outcome for a in first} == {"created"} and len(first) == 6
    again = service.apply(conn, ACTOR, read_all(FOLDER))
    assert {(a.outcome, a.version) for a in again} == {("unchanged", 1)}
    # layout and comments are no change; a due day is
    relaid = parse("# a comment\n" + TEXT.replace("{en: Call them}", "{ en: Call them }"), "x")
    assert service.apply(conn, ACTOR, [parse(TEXT, "x")])[0].outcome == "created"
    assert service.apply(conn, ACTOR, [relaid])[0].outcome == "unchanged"
    edited = parse(TEXT.replace("{en: Call them}}", "{en: Call them}, due_in_days: 3}"), "x")
    [applied] = service.apply(conn, ACTOR, [edited])
    assert (applied.outcome, applied.version) == ("updated", 2)
    current = service.get(conn, "call-the-decliners")
    assert current.version == 2 and current.versions == 2
    assert current.definition["steps"][0]["create_task"]["due_in_days"] == 3
    assert current.source == edited.source  # the YAML as written, comments and all
    assert [v["version"] for v in service.versions(conn, "call-the-decliners")] == [2, 1]
    actions = conn.execute(
        select(AuditEntry.action).where(AuditEntry.entity == "playbooks")
    ).scalars()
    assert sorted(set(actions)) == ["playbook.create", "playbook.publish"]


def test_pause_and_resume(conn: Connection) -> None:
    service.apply(conn, ACTOR, [parse(TEXT, "x")], paused=True)
    assert service.get(conn, "call-the-decliners").status == "paused"
    service.set_status(conn, ACTOR, "call-the-decliners", PlaybookStatus.ACTIVE)
    assert service.get(conn, "call-the-decliners").status == "active"
    with pytest.raises(NotFound, match="no playbook called 'nope'; playbooks: call-the"):
        service.get(conn, "nope")


def test_a_playbook_naming_a_segment_the_store_lacks_is_refused(conn: Connection) -> None:
    text = TEXT + "enrollment: {suppress_segment: do-not-contact}\n"
    with pytest.raises(PlaybookInvalid, match="no saved segment is called 'do-not-contact'"):
        service.apply(conn, ACTOR, [parse(text, "x.yaml")])
    assert service.listing(conn) == []


def test_presets_ship_with_the_package() -> None:
    assert sorted(p.name for p in Path(FOLDER).glob("*.yaml")) == [
        "lead-welcome.yaml",
        "new-customer-onboarding.yaml",
        "nps-detractors.yaml",
        "nps-promoters.yaml",
        "nps-survey.yaml",
        "win-back.yaml",
    ]
