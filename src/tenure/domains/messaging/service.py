"""Queue email in the caller's transaction, preview it, read the outbox, unsubscribe.

Services take a connection and never commit: a playbook step queues its email in the step's
own transaction, so the message exists exactly when the step is recorded as done. Sending is
``delivery.deliver_due``'s job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from tenure.domains.audit import service as audit
from tenure.domains.customers.reach import Owners, reaches
from tenure.domains.customers.zones import zone_of
from tenure.domains.messaging import personal, repository, templates
from tenure.domains.messaging.models import MessageCategory, MessageStatus
from tenure.domains.messaging.templates import Rendered
from tenure.domains.messaging.window import SendWindow
from tenure.kit.errors import InvalidInput, NotFound
from tenure.kit.settings import Settings, get_settings
from tenure.kit.timeutil import as_utc


@dataclass(frozen=True)
class QueuedEmail:
    """What queueing did: the message's id, its status (queued or skipped) and why."""

    message_id: int
    status: str
    reason: str | None


def queue_email(
    conn: Connection,
    *,
    key: str,
    customer_id: int,
    template: str,
    category: str,
    source: str | None,
    now: datetime,
    settings: Settings | None = None,
    priority: int | None = None,
    send_window: bool | None = None,
    extra: dict[str, Any] | None = None,
) -> QueuedEmail:
    """Queue template ``template`` for a customer under the idempotency ``key``.

    A second call with the same key returns the first call's message. The email is rendered
    now, in the customer's language. It is stored ``skipped`` (with the reason) when the
    customer has no email address (``no_address``), or, for marketing mail, no email consent
    (``no_consent``) or ``marketing_cap`` messages in the last ``cap_days`` (``frequency_cap``)
    — unless one of those is still queued from a playbook of lower ``priority``: that one is
    skipped instead (``displaced_by:<source>``) and this one queued.
    A template that does not exist or does not parse raises (``NotFound``, ``TemplateInvalid``).

    ``extra`` adds variables for the template (a survey's ``survey.url``, say).

    It goes at ``now`` or, when it keeps to the send window (``send_window``; None: marketing
    mail does, service mail does not), at the window's next opening in the customer's zone.
    """
    config = settings or get_settings()
    kind = _category(category)
    now = as_utc(now)
    stored = repository.message_by_key(conn, key)
    if stored is not None:
        return QueuedEmail(stored.id, stored.status, stored.reason)
    who = repository.recipient(conn, customer_id)
    if who is None:
        raise NotFound(f"no customer with id {customer_id}")
    language = personal.language_of(conn, customer_id, config)
    rendered = preview(
        conn, template, customer_id, lang=language, settings=config, extra=extra, now=now
    )
    reason = _refusal(conn, who, kind, now, config, priority, source)
    marketing = kind is MessageCategory.MARKETING
    keeps_window = marketing if send_window is None else send_window
    goes_at = _send_at(conn, customer_id, now, config) if keeps_window else now
    repository.insert_message(
        conn,
        {
            "key": key,
            "customer_id": customer_id,
            "channel": "email",
            "category": kind.value,
            "template": template,
            "language": rendered.language,
            "to_address": who.email,
            "subject": rendered.subject,
            "html": rendered.html,
            "text": rendered.text,
            "unsubscribe_url": personal.unsubscribe_url(customer_id, config) if marketing else None,
            "status": (MessageStatus.SKIPPED if reason else MessageStatus.QUEUED).value,
            "reason": reason,
            "attempts": 0,
            "next_attempt_at": None if reason else goes_at,
            "created_at": now,
            "source": source,
            "priority": priority,
        },
    )
    stored = repository.message_by_key(conn, key)
    if stored is None:  # pragma: no cover - the insert or a concurrent one left a row
        raise RuntimeError(f"message {key!r} was not stored")
    return QueuedEmail(stored.id, stored.status, stored.reason)


def _category(category: str) -> MessageCategory:
    try:
        return MessageCategory(category)
    except ValueError:
        raise InvalidInput(f"category must be marketing or service, not {category!r}") from None


def _send_at(conn: Connection, customer_id: int, now: datetime, settings: Settings) -> datetime:
    """Return the send window's next opening from ``now`` on the customer's clock."""
    config = settings.messaging
    window = SendWindow(config.send_window_start, config.send_window_end, config.send_window_days)
    return window.next_moment(now, zone_of(conn, customer_id, settings.business.timezone))


def _refusal(
    conn: Connection,
    who: repository.Recipient,
    kind: MessageCategory,
    now: datetime,
    settings: Settings,
    priority: int | None,
    source: str | None,
) -> str | None:
    """Return why this email must not go (a short code), or None."""
    if not who.email or "@" not in who.email:
        return "no_address"
    if kind is MessageCategory.SERVICE:
        return None  # service mail (an order, an account) needs no marketing consent
    if not who.email_consent:
        return "no_consent"
    since = now - timedelta(days=settings.messaging.cap_days)
    if repository.marketing_count(conn, who.id, since) < settings.messaging.marketing_cap:
        return None
    if priority is not None and _displace(conn, who.id, since, priority, source):
        return None
    return "frequency_cap"


def _displace(
    conn: Connection, customer_id: int, since: datetime, priority: int, source: str | None
) -> bool:
    """Skip one not-yet-sent message of a lower-priority playbook to make room under the cap.

    Only queued ones give way: what was sent (or is being sent) cannot be taken back, and
    equal priorities keep first come, first served.
    """
    reason = f"displaced_by:{source or 'priority'}"
    for message_id in repository.displaceable(conn, customer_id, since, below=priority):
        if repository.displace(conn, message_id, reason):
            return True
    return False


def preview(
    conn: Connection,
    template: str,
    customer_id: int,
    *,
    lang: str | None = None,
    settings: Settings | None = None,
    extra: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> Rendered:
    """Render ``template`` for a customer as it would be sent (in ``lang``, if given).

    ``now`` decides which offers are dismissed (``offer``, ``offers``); the clock's if not given.
    """
    config = settings or get_settings()
    language = lang or personal.language_of(conn, customer_id, config)
    context = personal.variables(conn, customer_id, config, language, now) | (extra or {})
    return templates.render(
        template,
        language,
        context,
        templates_dir=config.messaging.templates_dir,
    )


def customer_by_external_id(conn: Connection, external_id: str) -> int:
    """Return the id of the customer ``external_id``; ``NotFound`` if there is none."""
    found = repository.customer_id_of(conn, external_id)
    if found is None:
        raise NotFound(f"no customer {external_id!r}")
    return found


STATUSES = tuple(s.value for s in MessageStatus)
PLAYBOOK_SOURCE = "playbook:"  # a playbook's messages have the source ``playbook:<name>``


def _status(status: str | None) -> str | None:
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(STATUSES)}, not {status!r}")
    return status


def listing(
    conn: Connection, *, status: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """Return the newest messages (of ``status``), without their bodies."""
    return repository.messages(conn, status=_status(status), limit=limit)


def source_of(playbook: str | None, source: str | None) -> str | None:
    """Return the source to filter on: ``source`` as given, or the playbook's."""
    if playbook is not None and source is not None:
        raise InvalidInput("playbook: give a playbook or a source, not both")
    if playbook is not None:
        return PLAYBOOK_SOURCE + playbook
    return source


def playbook_of(source: str | None) -> str | None:
    """Return the name of the playbook a message came from, if one did."""
    if source is not None and source.startswith(PLAYBOOK_SOURCE):
        return source[len(PLAYBOOK_SOURCE) :]
    return None


@dataclass(frozen=True)
class Outbox:
    """A page of the outbox: the messages, the next page's cursor, the count in each status."""

    items: list[dict[str, Any]]
    next: int | None
    counts: dict[str, int]


def outbox(
    conn: Connection,
    *,
    status: str | None = None,
    customer_id: int | None = None,
    source: str | None = None,
    after: int | None = None,
    limit: int = 50,
    owners: Owners = None,
) -> Outbox:
    """Return a page of messages, newest first, and how many there are in each status.

    The counts are of every message the customer and source filters keep (the status filter
    picks one of them).
    """
    items, cursor = repository.page(
        conn,
        status=_status(status),
        customer_id=customer_id,
        source=source,
        after=after,
        limit=limit,
        owners=owners,
    )
    for item in items:
        item["playbook"] = playbook_of(item["source"])
    counts = repository.status_counts(conn, customer_id=customer_id, source=source, owners=owners)
    return Outbox(items, cursor, counts)


def sources(conn: Connection) -> list[str]:
    """Return every source messages came from, sorted."""
    return repository.sources(conn)


def show(conn: Connection, message_id: int, owners: Owners = None) -> dict[str, Any]:
    """Return one message with its rendered subject, HTML and text, and its customer.

    A message to a customer out of the caller's reach (``owners``) is an unknown one.
    """
    found = repository.message(conn, message_id)
    if found is None or not reaches(conn, owners, int(found["customer_id"])):
        raise NotFound(f"no message {message_id}")
    who = repository.customer_names(conn, int(found["customer_id"]))
    return {**found, **who, "playbook": playbook_of(found["source"]), "headers": headers(found)}


def headers(message: dict[str, Any]) -> dict[str, str]:
    """Return the headers the message goes (or went) with, as the SMTP transport writes them.

    Marketing mail carries the RFC 8058 one-click unsubscribe headers; service mail none.
    """
    found = {"To": message["to_address"] or "", "Subject": message["subject"] or ""}
    if message["category"] == MessageCategory.MARKETING.value and message["unsubscribe_url"]:
        found["List-Unsubscribe"] = f"<{message['unsubscribe_url']}>"
        found["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return found


def unsubscribe_token(customer_id: int, settings: Settings | None = None) -> str:
    """Return the signed token of a customer's unsubscribe link."""
    return personal.unsubscribe_token(customer_id, settings or get_settings())


def customer_of_token(token: str, settings: Settings | None = None) -> int | None:
    """Return the customer an unsubscribe token was made for, or None if it is not valid."""
    return personal.customer_of_token(token, settings or get_settings())


def unsubscribe(conn: Connection, customer_id: int, actor: audit.Actor) -> bool:
    """Withdraw a customer's email consent (audited); return whether it was given before."""
    if repository.recipient(conn, customer_id) is None:
        raise NotFound(f"no customer with id {customer_id}")
    before = repository.set_email_consent(conn, customer_id, False)
    if before:
        audit.record(
            conn,
            actor,
            "unsubscribe",
            "customer",
            customer_id,
            before={"email_consent": True},
            after={"email_consent": False},
        )
    return before
