"""Publish one playbook from YAML text sent by a person (the web app) or a client (the API).

The same checks as ``tenure playbooks apply`` (``loading.parse``, then ``service.apply``),
with the playbook's name standing for the file in each mistake, and two more: the text must
name the playbook it is sent for, and may not use YAML aliases (a few lines of aliases can
expand into millions of nodes to check).
"""

from __future__ import annotations

import re

import yaml
from sqlalchemy import Connection

from tenure.domains.audit.service import Actor
from tenure.domains.automation import loading, service
from tenure.domains.automation import repository as repo
from tenure.domains.automation.loading import Mistake, PlaybookInvalid
from tenure.kit.errors import Conflict

MAX_BYTES = 256 * 1024  # a playbook is a page of YAML; the shipped ones are under 3 KiB


def decode(body: bytes, name: str) -> str:
    """Return a sent playbook as text, or raise ``PlaybookInvalid`` saying why it is not."""
    if len(body) > MAX_BYTES:
        raise PlaybookInvalid(
            [Mistake(name, 1, "", f"longer than {MAX_BYTES // 1024} KiB: not a playbook")]
        )
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PlaybookInvalid(
            [Mistake(name, 1, "", f"not UTF-8 text (byte {exc.start}); send it as UTF-8")]
        ) from None


def _no_aliases(text: str, name: str) -> None:
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                line = event.start_mark.line + 1 if event.start_mark else 1
                raise PlaybookInvalid(
                    [Mistake(name, line, "", "YAML aliases (*name) are not allowed here")]
                )
    except yaml.YAMLError:
        return  # ``loading.parse`` names the mistake with its line


def publish(
    conn: Connection,
    actor: Actor,
    name: str,
    text: str,
    templates: service.Templates | None = None,
) -> service.Applied:
    """Check ``text`` as the playbook ``name`` and publish it if it changed; audited.

    Its email templates are checked too (they exist and parse), in ``templates``' folder.
    """
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise PlaybookInvalid(
            [Mistake(name, 1, "", f"longer than {MAX_BYTES // 1024} KiB: not a playbook")]
        )
    _no_aliases(text, name)
    loaded = loading.parse(text, name)
    if loaded.playbook.name != name:
        found = re.search(r"^name\s*:", text, re.MULTILINE)
        line = text.count("\n", 0, found.start()) + 1 if found else 1
        raise PlaybookInvalid(
            [
                Mistake(
                    name,
                    line,
                    "name",
                    f"this text names {loaded.playbook.name!r}, but it was sent for {name!r}",
                )
            ]
        )
    [applied] = service.apply(conn, actor, [loaded], templates=templates or service.Templates())
    return applied


def create(
    conn: Connection, actor: Actor, text: str, templates: service.Templates | None = None
) -> service.Applied:
    """Publish ``text`` as a new playbook, named by its own ``name``; Conflict if it exists."""
    _no_aliases(text, "playbook")
    loaded = loading.parse(text, "playbook")
    name = loaded.playbook.name
    if repo.find(conn, name) is not None:
        raise Conflict(f"name: a playbook called {name!r} exists; PUT /playbooks/{name} edits it")
    return publish(conn, actor, name, text, templates)
