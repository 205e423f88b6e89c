"""What a template may say about its reader, the reader's language, and unsubscribe links.

The values handed to Liquid are plain (text, numbers, lists and dicts of them): a template
reads them and nothing else.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from tenure.domains.crosssell import service as cross_sell
from tenure.domains.customers.models import Customer
from tenure.domains.segments import fields
from tenure.kit.errors import ConfigurationError, NotFound
from tenure.kit.settings import Settings
from tenure.kit.timeutil import utcnow

CUSTOMER_FIELDS = (
    "name",
    "email",
    "external_id",
    "phone",
    "company",
    "industry",
    "company_size",
    "region",
    "country",
    "city",
    "acquisition_channel",
    "attributes",
)
_TOKEN_BYTES = 16  # 128 bits of signature: unguessable, short enough for a link


LANGUAGE_KEYS = ("preferred_language", "language", "locale")  # in a customer's attributes


def language_for(settings: Settings) -> str:
    """Return the business's language (zh or en): for customers who have none of their own."""
    return "zh" if settings.business.locale.lower().startswith("zh") else "en"


def language_of(conn: Connection, customer_id: int, settings: Settings) -> str:
    """Return the language to write to a customer in: their own, else the business's.

    A customer's language is an attribute imported with them (``preferred_language``, as the
    demo's files have it, or ``language`` / ``locale``): zh… is Chinese, en… English; any
    other language gets the business's (templates exist in en and zh).
    """
    attributes = conn.execute(
        select(Customer.attributes).where(Customer.id == customer_id)
    ).scalar_one_or_none()
    for key in LANGUAGE_KEYS:
        value = str((attributes or {}).get(key) or "").strip().lower()
        if value.startswith("zh"):
            return "zh"
        if value.startswith("en"):
            return "en"
    return language_for(settings)


def company_name(settings: Settings) -> str:
    """Return the business's name for templates (there is no such setting yet: "Tenure")."""
    return str(getattr(settings.business, "name", None) or "Tenure")


OFFER_FIELDS = ("item", "level", "category", "score", "source", "from_item")


def offer_variables(
    conn: Connection, customer_id: int, lang: str, now: datetime
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """Return the customer's top offer and all their offers, as a template reads them.

    Each: ``name`` (the item), ``item``, ``level``, ``category``, ``reason`` (in ``lang``),
    ``due`` (the day, ISO), ``due_now``, ``score``, ``source``, ``from_item``. The top offer is
    the best product, else the best category (docs/cross-sell.md); dismissed ones are left out.
    """
    found = cross_sell.customer_offers(conn, customer_id, now, lang)["offers"]
    offers = [
        {
            "name": o["item"],
            **{k: _plain(o.get(k)) for k in OFFER_FIELDS},
            "reason": o["reason"],
            "due": _plain(o["due_on"]),
            "due_now": bool(o["due_now"]),
        }
        for o in found
    ]
    return (offers[0] if offers else None), offers


def variables(
    conn: Connection,
    customer_id: int,
    settings: Settings,
    lang: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Return a customer's personalisation: ``customer``, ``scores``, ``offer``, the link.

    ``lang``: the language of the offer's reason (the customer's when not given).
    """
    row = (
        conn.execute(
            select(*(getattr(Customer, f) for f in CUSTOMER_FIELDS)).where(
                Customer.id == customer_id
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"no customer with id {customer_id}")
    customer = {name: _plain(row[name]) for name in CUSTOMER_FIELDS}
    name = (row["name"] or "").strip()
    customer["first_name"] = name.split()[0] if name else None
    found = fields.record(conn, customer_id) or {}
    scores = {k: _plain(found.get(k)) for k in ("stage", *fields.SCORE_FIELDS)}
    language = lang or language_of(conn, customer_id, settings)
    offer, offers = offer_variables(conn, customer_id, language, now or utcnow())
    return {
        "customer": customer,
        "scores": scores,
        "offer": offer,
        "offers": offers,
        "company": company_name(settings),
        "unsubscribe_url": unsubscribe_url(customer_id, settings),
    }


def _plain(value: Any) -> Any:
    """Return ``value`` as Liquid should see it: money and numbers as numbers, dates as text."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _secret(settings: Settings) -> bytes:
    configured = settings.messaging.secret
    if configured:
        return configured.encode()
    if settings.environment == "production":
        raise ConfigurationError(
            "set messaging.secret (TENURE_MESSAGING__SECRET): unsubscribe links are signed "
            "with it, and production does not use the default derived from the database URL"
        )
    return hashlib.sha256(b"tenure-unsubscribe:" + settings.database.url.encode()).digest()


def sign(text: str, settings: Settings) -> str:
    """Return the signature of ``text`` for a link: 128 bits of HMAC-SHA256, URL-safe."""
    digest = hmac.new(_secret(settings), text.encode(), "sha256")
    return base64.urlsafe_b64encode(digest.digest()[:_TOKEN_BYTES]).decode().rstrip("=")


def _signature(customer_id: int, settings: Settings) -> str:
    return sign(f"unsubscribe:{customer_id}", settings)


def unsubscribe_token(customer_id: int, settings: Settings) -> str:
    """Return the signed token of a customer's unsubscribe link (it does not expire)."""
    return f"{customer_id}.{_signature(customer_id, settings)}"


def customer_of_token(token: str, settings: Settings) -> int | None:
    """Return the customer a token was made for, or None if it is not one of ours."""
    head, _, signature = token.partition(".")
    if not head.isdigit() or not signature:
        return None
    customer_id = int(head)
    expected = _signature(customer_id, settings)
    return customer_id if hmac.compare_digest(expected, signature) else None


def unsubscribe_url(customer_id: int, settings: Settings) -> str:
    """Return the customer's one-click unsubscribe link."""
    base = settings.messaging.unsubscribe_base_url.rstrip("/")
    return f"{base}/unsubscribe/{unsubscribe_token(customer_id, settings)}"
