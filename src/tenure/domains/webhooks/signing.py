"""Sign webhooks the Standard Webhooks way (https://www.standardwebhooks.com).

Each request carries ``webhook-id`` (the delivery's key, the same on every retry, so a
receiver drops duplicates), ``webhook-timestamp`` (Unix seconds, when this attempt was signed)
and ``webhook-signature`` (``v1,`` and the base64 HMAC-SHA256 of ``id.timestamp.body`` under
the secret). We sign with the ``standardwebhooks`` library rather than our own HMAC code
because receivers verify with any Standard Webhooks library, in any language, with nothing
Tenure-specific to get wrong: ``Webhook(secret).verify(body, headers)``.

The secret is ``webhooks.secret`` if set; otherwise one is generated on first use and kept in
the store (``stored_settings``, group ``webhooks``), so every worker signs with the same one
and ``tenure webhooks secret`` can print it for receivers.
"""

from __future__ import annotations

import base64
import secrets
from datetime import datetime
from math import floor

from sqlalchemy import Connection
from standardwebhooks.webhooks import Webhook

from tenure.domains.webhooks import repository

SECRET_BYTES = 32


def generate_secret() -> str:
    """Return a new random secret, ``whsec_`` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def signing_secret(conn: Connection, configured: str | None, now: datetime) -> str:
    """Return the secret to sign with: the configured one, else the store's (made if none)."""
    if configured:
        return configured
    kept = repository.stored_secret(conn)
    if kept is not None:
        return kept
    return repository.store_secret(conn, generate_secret(), now)


def signed_headers(secret: str, webhook_id: str, timestamp: datetime, body: str) -> dict[str, str]:
    """Return the three Standard Webhooks headers for ``body`` sent as ``webhook_id`` now."""
    signature = Webhook(secret).sign(msg_id=webhook_id, timestamp=timestamp, data=body)
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(floor(timestamp.timestamp())),
        "webhook-signature": signature,
    }
