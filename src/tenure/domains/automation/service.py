"""Publish playbooks from their files, list them, pause and resume them; audited.

Applying a file publishes a new immutable version only when what it says changed (comments
and layout do not count): applying the same folder twice changes nothing.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from tenure.domains.audit import service as audit
from tenure.domains.automation import crossings, loading
from tenure.domains.automation import repository as repo
from tenure.domains.automation.definition import Playbook
from tenure.domains.automation.enrollment import Version, consumer, enroll_by_hand
from tenure.domains.automation.loading import Loaded, Mistake, PlaybookInvalid
from tenure.domains.automation.models import PlaybookStatus
from tenure.domains.customers.models import Customer
from tenure.domains.events import feed
from tenure.domains.messaging import templates
from tenure.domains.scoring import repository as scoring
from tenure.domains.segments.models import Segment
from tenure.kit.errors import InvalidInput, NotFound
from tenure.kit.timeutil import utcnow


@dataclass(frozen=True)
class Applied:
    """What applying one playbook did: created, updated (a new version) or unchanged."""

    name: str
    version: int
    outcome: str
    file: str


def definition_of(playbook: Playbook) -> dict[str, Any]:
    """Return the playbook as plain data, the way it is stored and compared."""
    return playbook.model_dump(mode="json", by_alias=True, exclude_none=True)


def checksum(definition: dict[str, Any]) -> str:
    """Return a fingerprint of what a playbook says (not how its file is laid out)."""
    text = json.dumps(definition, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Templates:
    """The email templates a playbook may send: the store's folder, then the shipped ones."""

    folder: Path | None = None

    def names(self) -> set[str]:
        """Return the name of every template there is."""
        return set(templates.names(self.folder))


def _template_mistakes(item: Loaded, known: Templates) -> list[Mistake]:
    """Name each send_email or send_survey step whose template is missing or does not parse."""
    names = known.names()
    ids = item.playbook.step_ids()
    mistakes = []
    for index, step in enumerate(item.playbook.steps):
        email = step.send_email or step.send_survey
        if email is None:
            continue
        action = "send_email" if step.send_email is not None else "send_survey"
        field = f"steps[{index}].{action}.template"
        line = loading.line_of(item.source, ["steps", index, action, "template"])
        if email.template not in names:
            shown = ", ".join(sorted(names)) or "none"
            problem = f"no email template is called {email.template!r}; templates: {shown}"
            mistakes.append(Mistake(item.file, line, field, problem))
            continue
        for bad in templates.problems(email.template, known.folder):
            where = f"{bad.path.name}, line {bad.line}" if bad.line else bad.path.name
            problem = (
                f"step {ids[index]}: the template {email.template!r} does not parse: "
                f"{where}: {bad.problem}"
            )
            mistakes.append(Mistake(item.file, line, field, problem))
    return mistakes


def _check_against_store(
    conn: Connection, loaded: list[Loaded], known_templates: Templates | None
) -> None:
    """Refuse playbooks naming saved segments or email templates that do not exist (or parse)."""
    known = set(conn.execute(select(Segment.name)).scalars())
    mistakes = []
    for item in loaded:
        playbook = item.playbook
        if known_templates is not None:
            mistakes += _template_mistakes(item, known_templates)
        named = [("enrollment.suppress_segment", playbook.enrollment.suppress_segment)]
        named += [
            (f"trigger[{n}].segment", t.segment.entered or t.segment.left)
            for n, t in enumerate(playbook.trigger)
            if t.segment is not None
        ]
        for field, segment in named:
            if segment is not None and segment not in known:
                mistakes.append(
                    Mistake(
                        item.file,
                        1,
                        field,
                        f"no saved segment is called {segment!r}; "
                        f"saved: {', '.join(sorted(known)) or 'none'}",
                    )
                )
    if mistakes:
        raise PlaybookInvalid(mistakes)


def apply(
    conn: Connection,
    actor: audit.Actor,
    loaded: list[Loaded],
    *,
    paused: bool = False,
    templates: Templates | None = None,
) -> list[Applied]:
    """Publish each playbook whose definition changed; new ones start active (or paused).

    ``templates``, when given, are where the email templates are: a playbook sending one that
    does not exist, or does not parse, is refused with the step and the template's line.
    """
    _check_against_store(conn, loaded, templates)
    now = utcnow()
    done = []
    for item in loaded:
        definition = definition_of(item.playbook)
        fingerprint = checksum(definition)
        existing = repo.find(conn, item.playbook.name)
        if existing is not None and existing.checksum == fingerprint:
            done.append(Applied(existing.name, existing.version, "unchanged", item.file))
            continue
        if existing is None:
            status = PlaybookStatus.PAUSED if paused else PlaybookStatus.ACTIVE
            playbook_id = repo.create(conn, item.playbook.name, status, now)
            # it reacts to what happens from now on, not to the feed's history
            feed.subscribe(conn, consumer(item.playbook.name))
            latest = scoring.latest_run(conn)
            if latest is not None:  # and to the runs after this one
                crossings.mark_seen(conn, item.playbook.name, latest, now)
        else:
            playbook_id = existing.id
        version = repo.publish(
            conn, playbook_id, definition, item.source, fingerprint, now, actor.user_id
        )
        outcome = "created" if existing is None else "updated"
        audit.record(
            conn,
            actor,
            f"playbook.{'create' if existing is None else 'publish'}",
            "playbooks",
            playbook_id,
            before=None if existing is None else {"version": existing.version},
            after={"name": item.playbook.name, "version": version, "checksum": fingerprint},
        )
        done.append(Applied(item.playbook.name, version, outcome, item.file))
    return done


def get(conn: Connection, name: str) -> repo.Published:
    """Return one playbook with its current version; NotFound names the known ones."""
    found = repo.find(conn, name)
    if found is None:
        known = ", ".join(p.name for p in repo.all_published(conn)) or "none yet"
        raise NotFound(f"no playbook called {name!r}; playbooks: {known}")
    return found


def listing(conn: Connection) -> list[repo.Published]:
    """Return every playbook with its current version."""
    return repo.all_published(conn)


@dataclass(frozen=True)
class StatusChange:
    """A playbook paused or resumed: its enrollments in progress, and those with a step due.

    While a playbook is paused its enrollments are held: none runs a step, the due ones wait
    (``held``) and continue when it is resumed.
    """

    name: str
    status: str
    changed: bool
    active: int
    held: int

    def as_dict(self) -> dict[str, Any]:
        """Return the change as plain data."""
        return {
            "name": self.name,
            "status": self.status,
            "changed": self.changed,
            "active": self.active,
            "held": self.held,
        }


def set_status(
    conn: Connection,
    actor: audit.Actor,
    name: str,
    status: PlaybookStatus,
    now: datetime | None = None,
) -> StatusChange:
    """Pause a playbook (nobody new enrolls, no step runs: its enrollments are held) or resume it.

    Audited; returns the enrollments in progress and those whose step is due by ``now``.
    """
    found = get(conn, name)
    now = now or utcnow()
    active, due = repo.in_progress(conn, found.id, now)
    if found.status == status.value:
        return StatusChange(name, status.value, False, active, due)
    repo.set_status(conn, found.id, status, now)
    audit.record(
        conn,
        actor,
        f"playbook.{'pause' if status is PlaybookStatus.PAUSED else 'resume'}",
        "playbooks",
        found.id,
        before={"status": found.status},
        after={"status": status.value},
    )
    return StatusChange(name, status.value, True, active, due)


def versions(conn: Connection, name: str) -> list[dict[str, Any]]:
    """Return a playbook's published versions, newest first."""
    return repo.versions(conn, get(conn, name).id)


def version(conn: Connection, name: str, number: int) -> repo.VersionRecord:
    """Return one published version of a playbook; NotFound names the versions there are."""
    found = get(conn, name)
    record = repo.version(conn, found.id, number)
    if record is None:
        raise NotFound(
            f"version: {name!r} has no version {number}; its versions are 1 to {found.versions}"
        )
    return record


@dataclass(frozen=True)
class Enrolled:
    """A customer enrolled by hand."""

    id: int
    playbook: str
    version: int
    customer_id: int


def enroll(
    conn: Connection,
    actor: audit.Actor,
    name: str,
    external_id: str,
    now: datetime,
    *,
    global_control: float = 0.0,
    offer: str | None = None,
) -> Enrolled:
    """Enroll a customer, named by their external id, in a playbook now; audited.

    The playbook's conditions, suppression segment and re-enrollment policy still apply
    (``enrollment.enroll_by_hand`` says which refused). The API, the CLI and the customer
    page all enroll through here. ``global_control``: the share of the global control group
    (``automation.global_control_share``); a member enrolled in a marketing playbook is
    recorded as such and gets no step. ``offer``: the offered item the enrollment answers
    (the 360's next-best-offer card), kept in the audit entry.
    """
    found = get(conn, name)
    customer_id = conn.execute(
        select(Customer.id).where(Customer.external_id == external_id.strip())
    ).scalar_one_or_none()
    if customer_id is None:
        raise InvalidInput(f"customer: no customer has the external id {external_id!r}")
    version = Version(
        found.id,
        found.name,
        found.version,
        found.status,
        Playbook.model_validate(found.definition),
        global_control,
    )
    made = enroll_by_hand(conn, version, int(customer_id), now)
    audit.record(
        conn,
        actor,
        "playbook.enroll",
        "enrollments",
        made,
        after={
            "playbook": name,
            "customer_id": customer_id,
            "version": found.version,
            **({"offer": offer} if offer else {}),
        },
    )
    return Enrolled(made, name, found.version, int(customer_id))
