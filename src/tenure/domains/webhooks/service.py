"""Queue webhooks, list them, send a failed one again, and tell the signing secret.

Services take a connection and never commit: a delivery is queued in the caller's
transaction (a playbook step's), so it exists exactly when the step that asked for it does.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from tenure.domains.customers.models import Customer
from tenure.domains.segments import fields
from tenure.domains.webhooks import repository, signing
from tenure.domains.webhooks.models import DeliveryStatus
from tenure.domains.webhooks.repository import Delivery
from tenure.domains.webhooks.safety import Unresolvable, check_url
from tenure.kit.errors import Conflict, InvalidInput
from tenure.kit.settings import Settings, get_settings

LIMITS = {"key": 255, "event_type": 64, "source": 100}


def private_allowed(settings: Settings | None = None) -> bool:
    """Whether webhooks may go to private addresses under ``settings`` (the process's if None)."""
    config = settings or get_settings()
    return config.webhooks.private_allowed(config.environment)


def queue(
    conn: Connection,
    *,
    key: str,
    url: str,
    event_type: str,
    payload: dict[str, Any],
    source: str,
    customer_id: int | None,
    now: datetime,
    allow_private: bool | None = None,
) -> int:
    """Queue a webhook to ``url`` due ``now``; return its id. Idempotent by ``key``.

    ``key`` is the caller's idempotency key (e.g. ``enrollment:12:step:notify:1``) and becomes
    the ``webhook-id`` receivers de-duplicate by; queuing the same key again returns the first
    delivery's id and changes nothing. A URL that is not http(s), or (unless
    ``allow_private``; None: the settings decide, see ``private_allowed``) resolves to a
    private, loopback or link-local address, is refused with ``UnsafeUrl``. A host that does
    not resolve now is accepted: each attempt checks again, and retries.
    """
    for name, value in (("key", key), ("event_type", event_type), ("source", source)):
        if not value or len(value) > LIMITS[name]:
            raise InvalidInput(f"webhook {name}: 1 to {LIMITS[name]} characters, got {value!r}")
    try:
        json.dumps(payload)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"webhook payload is not JSON: {exc}") from None
    allowed = private_allowed() if allow_private is None else allow_private
    try:
        check_url(url, allow_private=allowed)
    except Unresolvable:
        pass
    row = {
        "key": key,
        "url": url,
        "event_type": event_type,
        "payload": payload,
        "status": DeliveryStatus.QUEUED.value,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
        "source": source,
        "customer_id": customer_id,
    }
    return repository.insert(conn, row)


def listing(conn: Connection, status: str | None = None, limit: int = 100) -> list[Delivery]:
    """Return deliveries, newest first, of one status (queued, delivering, delivered, failed)."""
    if status is not None and status not in set(DeliveryStatus):
        statuses = ", ".join(DeliveryStatus)
        raise InvalidInput(f"unknown status {status!r}; statuses: {statuses}")
    return repository.listing(conn, status, limit)


def retry(conn: Connection, delivery_id: int, now: datetime) -> Delivery:
    """Put a failed delivery back in the queue, due now, with its attempts counted afresh."""
    current = repository.get(conn, delivery_id)
    if not repository.requeue(conn, delivery_id, now):
        raise Conflict(
            f"webhook delivery {delivery_id} is {current.status}; only a failed one is retried"
        )
    return repository.get(conn, delivery_id)


def secret(conn: Connection, settings: Settings, now: datetime) -> str:
    """Return the signing secret receivers verify with (made and kept on first use)."""
    return signing.signing_secret(conn, settings.webhooks.secret, now)


def customer_payload(conn: Connection, customer_id: int) -> dict[str, Any]:
    """Return what a webhook says of a customer: ids, name, email, stage and main scores."""
    record = fields.record(conn, customer_id) or {}
    external = conn.execute(
        select(Customer.external_id, Customer.name, Customer.email).where(
            Customer.id == customer_id
        )
    ).first()
    kept = ("stage", "clv", "p_alive", "churn_risk", "health_band", "lead_band", "owner_id")
    return {
        "id": customer_id,
        "external_id": None if external is None else external.external_id,
        "name": None if external is None else external.name,
        "email": None if external is None else external.email,
        **{key: record.get(key) for key in kept},
    }
