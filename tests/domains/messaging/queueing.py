"""Queueing a playbook's marketing email with only what a test changes spelt out."""

from __future__ import annotations

from sqlalchemy import Connection

from tenure.domains.messaging import service


def queue(conn: Connection, customer_id: int, key: str, **extra: object) -> service.QueuedEmail:
    """A win-back offer from the win-back playbook; ``extra`` overrides any argument (``now`` and
    ``settings`` are the caller's)."""
    args: dict[str, object] = {
        "key": key,
        "customer_id": customer_id,
        "template": "win-back-offer",
        "category": "marketing",
        "source": "playbook:win-back",
    } | extra
    return service.queue_email(conn, **args)  # type: ignore[arg-type]
