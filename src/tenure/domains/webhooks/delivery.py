"""Send the deliveries that are due: signed, with a timeout, retried on a fixed schedule.

A pass (``deliver_due``) is what the worker does each tick. Every attempt is claimed in a
committed transaction first (the delivery is marked ``delivering`` until a lease runs out),
then sent, then recorded in another: a worker killed mid-call leaves the delivery to be sent
again once the lease has run out. Webhooks are therefore delivered *at least once*; the
receiver drops repeats by ``webhook-id``, which is the same on every attempt.

Deliveries go out on ``webhooks.concurrency`` threads, each with a per-request timeout, so
one slow or dead endpoint holds up no other.
"""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
from sqlalchemy import Connection, Engine

from tenure import __version__
from tenure.domains.webhooks import repository, signing
from tenure.domains.webhooks.models import DeliveryStatus
from tenure.domains.webhooks.repository import Claimed
from tenure.domains.webhooks.safety import Unresolvable, UnsafeUrl, check_url
from tenure.kit.clock import Clock
from tenure.kit.settings import Settings, WebhookSettings, get_settings
from tenure.storage.engine import write_transaction

# The wait after the 1st, 2nd … failed attempt: fixed (no jitter), so tests and people can
# tell when the next one comes. Attempts beyond the list wait as long as the last entry.
BACKOFF = (
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(hours=1),
    timedelta(hours=6),
    timedelta(hours=24),
)
RETRIED_STATUSES = frozenset({408, 429})


def backoff(attempt: int) -> timedelta:
    """Return how long after failed attempt number ``attempt`` (from 1) the next one is due."""
    return BACKOFF[min(max(attempt, 1), len(BACKOFF)) - 1]


@dataclass
class DeliveryReport:
    """What a pass did: the ids delivered, scheduled for another attempt, and given up."""

    delivered: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Outcome:
    """How one attempt ended."""

    delivered: bool
    retry: bool
    status_code: int | None = None
    error: str | None = None


def body_of(claimed: Claimed) -> str:
    """Return the JSON body: the same bytes on every attempt of a delivery."""
    envelope = {
        "type": claimed.event_type,
        "timestamp": claimed.created_at.isoformat(),
        "data": claimed.payload,
    }
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":"))


def deliver_due(
    engine: Engine,
    clock: Clock,
    *,
    limit: int = 100,
    client: httpx.Client | None = None,
    settings: Settings | None = None,
) -> DeliveryReport:
    """Send up to ``limit`` deliveries due at ``clock.now()``; return what became of them.

    ``settings`` default to the process's (``webhooks.*`` and ``environment``). ``client``
    lets a caller share a connection pool; redirects are never followed whatever it says.
    """
    config = settings or get_settings()
    hooks = config.webhooks
    report = DeliveryReport()
    if limit < 1:
        return report
    with engine.connect() as conn:
        if not repository.any_due(conn, clock.now()):
            return report
    secret = _secret(engine, hooks, clock.now())
    http = client or httpx.Client(follow_redirects=False, timeout=hooks.timeout_seconds)
    sender = _Sender(engine, clock, http, hooks, secret, config, limit, report)
    try:
        with ThreadPoolExecutor(max_workers=min(hooks.concurrency, limit)) as pool:
            for done in [pool.submit(sender.run) for _ in range(min(hooks.concurrency, limit))]:
                done.result()
    finally:
        if client is None:
            http.close()
    return report


def _secret(engine: Engine, hooks: WebhookSettings, now: datetime) -> str:
    if hooks.secret:
        return hooks.secret
    with engine.connect() as conn:
        kept = repository.stored_secret(conn)
    if kept is not None:
        return kept
    with write_transaction(engine) as conn:
        return signing.signing_secret(conn, None, now)


class _Sender:
    """One pass's threads: each claims, sends and records deliveries until none is due."""

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        http: httpx.Client,
        hooks: WebhookSettings,
        secret: str,
        config: Settings,
        limit: int,
        report: DeliveryReport,
    ) -> None:
        self.engine, self.clock, self.http, self.hooks = engine, clock, http, hooks
        self.secret, self.report, self.left = secret, report, limit
        self.allow_private = hooks.private_allowed(config.environment)
        self.lock = threading.Lock()

    def _take(self) -> bool:
        with self.lock:
            self.left -= 1
            return self.left >= 0

    def run(self) -> None:
        """Deliver until nothing is due or the pass's limit is reached."""
        lease = timedelta(seconds=self.hooks.lease_seconds)
        while self._take():
            with write_transaction(self.engine) as conn:
                claimed = repository.claim_next(
                    conn, self.clock.now(), lease, self.hooks.max_attempts
                )
            if claimed is None:
                return
            outcome = self.attempt(claimed)
            with write_transaction(self.engine) as conn:
                status = self.record(conn, claimed, outcome)
            if status is None:
                continue
            with self.lock:
                {
                    DeliveryStatus.DELIVERED: self.report.delivered,
                    DeliveryStatus.QUEUED: self.report.retrying,
                    DeliveryStatus.FAILED: self.report.failed,
                }[status].append(claimed.id)

    def attempt(self, claimed: Claimed) -> Outcome:
        """POST the delivery once, signed; never follow a redirect, never read a large body."""
        try:
            check_url(claimed.url, allow_private=self.allow_private)
        except Unresolvable:
            return Outcome(delivered=False, retry=True, error="the host does not resolve")
        except UnsafeUrl as exc:
            return Outcome(delivered=False, retry=False, error=exc.message[:300])
        body = body_of(claimed)
        headers = {
            "content-type": "application/json",
            "user-agent": f"Tenure-Webhooks/{__version__}",
            **signing.signed_headers(self.secret, claimed.key, self.clock.now(), body),
        }
        timeout = self.hooks.timeout_seconds
        try:
            with self.http.stream(
                "POST",
                claimed.url,
                content=body.encode("utf-8"),
                headers=headers,
                timeout=timeout,
                follow_redirects=False,
            ) as response:
                return classify(response.status_code)
        except httpx.TimeoutException:
            return Outcome(delivered=False, retry=True, error=f"timed out after {timeout:g} s")
        except httpx.TransportError as exc:
            return Outcome(
                delivered=False, retry=True, error=f"no connection ({type(exc).__name__})"
            )

    def record(self, conn: Connection, claimed: Claimed, outcome: Outcome) -> DeliveryStatus | None:
        """Record an attempt: delivered, queued again after the backoff, or failed.

        None if the delivery is no longer this attempt's (its lease ran out meanwhile and
        another worker took it over).
        """
        now = self.clock.now()
        if outcome.delivered:
            status, due = DeliveryStatus.DELIVERED, now
        elif outcome.retry and claimed.attempt < self.hooks.max_attempts:
            status, due = DeliveryStatus.QUEUED, now + backoff(claimed.attempt)
        else:
            status, due = DeliveryStatus.FAILED, now
        kept = repository.record(
            conn,
            claimed,
            status=status,
            next_attempt_at=due,
            status_code=outcome.status_code,
            error=outcome.error,
            delivered_at=now if outcome.delivered else None,
        )
        return status if kept else None


def classify(code: int) -> Outcome:
    """Decide from the status: 2xx delivered; 408, 429 and 5xx retried; anything else failed."""
    if 200 <= code < 300:
        return Outcome(delivered=True, retry=False, status_code=code)
    if 300 <= code < 400:
        error = f"answered {code} (a redirect): redirects are not followed, give the final URL"
        return Outcome(delivered=False, retry=False, status_code=code, error=error)
    retry = code in RETRIED_STATUSES or code >= 500
    return Outcome(delivered=False, retry=retry, status_code=code, error=f"answered {code}")
