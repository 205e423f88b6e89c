"""Surveys: store their definitions, invite customers with personal links, read the links back.

An invitation is made once per idempotency key (a playbook step's key, an API client's).
It is held back (stored ``skipped`` with the reason) when the survey is paused
(``inactive``), when the customer falls outside the survey's sample (``sampled_out``: a
stable draw per survey and customer), or was asked this survey within its
``cooldown_days`` (``cooldown``) or any survey within ``any_cooldown_days``
(``cooldown_any``).

Asking a customer whose link to the survey still works makes no new invitation: it is a
reminder of that link (reason ``reminder``), or nothing when they have answered (skipped,
``answered``). That is how a playbook's wait + send_survey reminds.

The personal link carries the invitation's id and an HMAC of it (``messaging.secret``): it
cannot be guessed or changed into another customer's. It works until the invitation's
``expires_at`` (``link_days`` after it was made).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection

from tenure.domains.messaging import personal
from tenure.domains.surveys import repository
from tenure.domains.surveys.definition import SurveySpec
from tenure.domains.surveys.models import InvitationStatus
from tenure.kit.errors import InvalidInput, NotFound
from tenure.kit.settings import Settings
from tenure.kit.timeutil import as_utc

CHANNELS = ("email", "link", "api")


@dataclass(frozen=True)
class StoredSurvey:
    """A survey as stored: its id, key, definition and whether it is asked."""

    id: int
    key: str
    spec: SurveySpec
    active: bool


def parse(data: dict[str, Any]) -> SurveySpec:
    """Return a survey definition from plain data; ``InvalidInput`` names the field."""
    try:
        return SurveySpec.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "survey"
        raise InvalidInput(f"{where}: {first['msg']}") from None


def _stored(row: dict[str, Any]) -> StoredSurvey:
    return StoredSurvey(
        id=int(row["id"]),
        key=str(row["key"]),
        spec=SurveySpec.model_validate(row["spec"]),
        active=bool(row["active"]),
    )


def apply(conn: Connection, spec: SurveySpec, now: datetime) -> tuple[StoredSurvey, bool]:
    """Store a survey's definition, new or changed; return it and whether it was new."""
    values = {"kind": spec.kind, "spec": spec.model_dump(mode="json"), "updated_at": now}
    found = repository.survey_by_key(conn, spec.key)
    if found is None:
        survey_id = repository.insert_survey(
            conn, {"key": spec.key, "active": True, "created_at": now, **values}
        )
    else:
        survey_id = int(found["id"])
        repository.update_survey(conn, survey_id, values)
    return get(conn, spec.key), found is None


def set_active(conn: Connection, key: str, active: bool, now: datetime) -> StoredSurvey:
    """Pause (no new invitations) or resume a survey."""
    repository.update_survey(conn, get(conn, key).id, {"active": active, "updated_at": now})
    return get(conn, key)


def get(conn: Connection, key: str) -> StoredSurvey:
    """Return the survey ``key``; ``NotFound`` if there is none."""
    row = repository.survey_by_key(conn, key)
    if row is None:
        raise NotFound(f"no survey {key!r}")
    return _stored(row)


def by_id(conn: Connection, survey_id: int) -> StoredSurvey:
    """Return the survey with this id."""
    row = repository.survey_by_id(conn, survey_id)
    if row is None:
        raise NotFound(f"no survey with id {survey_id}")
    return _stored(row)


def listing(conn: Connection) -> list[StoredSurvey]:
    """Return every survey, by key."""
    return [_stored(row) for row in repository.surveys(conn)]


@dataclass(frozen=True)
class Invited:
    """What inviting did: the invitation, its status (invited or skipped), why, and the link."""

    invitation_id: int
    status: str
    reason: str | None
    url: str | None
    expires_at: datetime


def in_sample(survey_key: str, customer_id: int, share: float) -> bool:
    """Return whether a customer falls in a survey's sample: a stable draw, not a coin per call."""
    if share >= 1:
        return True
    digest = hashlib.sha256(f"sample:{survey_key}:{customer_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


def _held_back(
    conn: Connection, survey: StoredSurvey, customer_id: int, now: datetime, asked: bool = False
) -> str | None:
    """Return why this customer is not to be asked now, or None.

    ``asked``: the question answers a conversation the customer just had (a follow-up's
    "did we resolve it?"): no sample, no cooldown, only a paused survey holds it back.
    """
    spec = survey.spec
    if not survey.active:
        return "inactive"
    if asked:
        return None
    if not in_sample(survey.key, customer_id, spec.sample):
        return "sampled_out"
    if spec.cooldown_days and repository.last_invited(
        conn, customer_id, now - timedelta(days=spec.cooldown_days), survey.id
    ):
        return "cooldown"
    if spec.any_cooldown_days and repository.last_invited(
        conn, customer_id, now - timedelta(days=spec.any_cooldown_days)
    ):
        return "cooldown_any"
    return None


def invite(
    conn: Connection,
    *,
    survey_key: str,
    customer_id: int,
    key: str,
    now: datetime,
    settings: Settings,
    channel: str = "email",
    source: str | None = None,
    asked: bool = False,
) -> Invited:
    """Invite a customer to a survey under the idempotency ``key`` (again: the first one).

    ``asked``: a follow-up's own question, past the sample and the cooldowns.
    """
    if channel not in CHANNELS:
        raise InvalidInput(f"channel must be one of {', '.join(CHANNELS)}, not {channel!r}")
    now = as_utc(now)
    found = repository.invitation_by_key(conn, key)
    if found is None:
        survey = get(conn, survey_key)
        still_open = repository.open_invitation(conn, survey.id, customer_id, now)
        if still_open is not None:
            return _again(still_open, settings)
        reason = _held_back(conn, survey, customer_id, now, asked)
        invitation_id = repository.insert_invitation(
            conn,
            {
                "key": key,
                "survey_id": survey.id,
                "customer_id": customer_id,
                "status": (InvitationStatus.SKIPPED if reason else InvitationStatus.INVITED).value,
                "reason": reason,
                "channel": channel,
                "source": source,
                "language": personal.language_of(conn, customer_id, settings),
                "created_at": now,
                "expires_at": now + timedelta(days=survey.spec.link_days),
            },
        )
        found = repository.invitation(conn, invitation_id)
        if found is None:  # pragma: no cover - just inserted
            raise RuntimeError(f"invitation {key!r} was not stored")
    invited = found["status"] == InvitationStatus.INVITED.value
    return Invited(
        invitation_id=int(found["id"]),
        status=str(found["status"]),
        reason=found["reason"],
        url=link(int(found["id"]), settings) if invited else None,
        expires_at=found["expires_at"],
    )


def _again(found: dict[str, Any], settings: Settings) -> Invited:
    """Return a reminder of a link that still works, or why none is sent (answered already)."""
    invitation_id = int(found["id"])
    if found["answered_at"] is not None:
        return Invited(
            invitation_id, InvitationStatus.SKIPPED.value, "answered", None, found["expires_at"]
        )
    url = link(invitation_id, settings)
    return Invited(
        invitation_id, InvitationStatus.INVITED.value, "reminder", url, found["expires_at"]
    )


def token(invitation_id: int, settings: Settings) -> str:
    """Return the signed token of an invitation's personal link."""
    return f"{invitation_id}.{personal.sign(f'survey:{invitation_id}', settings)}"


def invitation_of_token(value: str, settings: Settings) -> int | None:
    """Return the invitation a token was made for, or None if it is not one of ours."""
    head, _, signature = value.partition(".")
    if not head.isdigit() or not signature or len(head) > 12:
        return None
    expected = personal.sign(f"survey:{int(head)}", settings)
    return int(head) if hmac.compare_digest(expected, signature) else None


def link(invitation_id: int, settings: Settings) -> str:
    """Return an invitation's personal link (the public answer page)."""
    base = settings.messaging.unsubscribe_base_url.rstrip("/")
    return f"{base}/survey/{token(invitation_id, settings)}"


def customer_of(conn: Connection, customer_id: int | None, external_id: str | None) -> int:
    """Return the customer meant by Tenure's id or the external one; ``InvalidInput`` names it."""
    if customer_id is not None:
        if not repository.customer_exists(conn, customer_id):
            raise InvalidInput(f"customer_id: no customer with id {customer_id}")
        return customer_id
    found = repository.customer_id_of(conn, external_id or "")
    if found is None:
        raise InvalidInput(f"customer_external_id: no customer {external_id!r}")
    return found


def answers(conn: Connection, key: str, **filters: Any) -> list[dict[str, Any]]:
    """Return a page of a survey's answers, newest first (filters: ``answers_page``)."""
    return repository.answers_page(conn, get(conn, key).id, **filters)


def invitations(conn: Connection, key: str, **filters: Any) -> list[dict[str, Any]]:
    """Return a page of a survey's invitations, newest first."""
    return repository.invitations_page(conn, get(conn, key).id, **filters)


def embed_code(url: str, title: str) -> str:
    """Return the HTML a website pastes to show a survey link in a frame."""
    src = escape(f"{url}?embed=1", quote=True)
    return (
        f'<iframe src="{src}" title="{escape(title, quote=True)}" width="100%" height="640" '
        'style="border:0" loading="lazy"></iframe>'
    )
