"""Every query of the surveys domain: definitions, invitations, answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from tenure.domains.customers.models import Customer
from tenure.domains.customers.reach import Owners, owned, visible
from tenure.domains.surveys.models import (
    InvitationStatus,
    Survey,
    SurveyAnswer,
    SurveyInvitation,
    SurveyResponse,
)
from tenure.storage.rows import plain_row


def survey_by_key(conn: Connection, key: str) -> dict[str, Any] | None:
    """Return a survey's row by its key."""
    row = conn.execute(select(Survey.__table__).where(Survey.key == key)).mappings().first()
    return None if row is None else plain_row(row)


def survey_by_id(conn: Connection, survey_id: int) -> dict[str, Any] | None:
    """Return a survey's row by its id."""
    row = conn.execute(select(Survey.__table__).where(Survey.id == survey_id)).mappings().first()
    return None if row is None else plain_row(row)


def surveys(conn: Connection) -> list[dict[str, Any]]:
    """Return every survey, by key."""
    rows = conn.execute(select(Survey.__table__).order_by(Survey.key)).mappings()
    return [plain_row(r) for r in rows]


def insert_survey(conn: Connection, values: dict[str, Any]) -> int:
    """Store a new survey; return its id."""
    return int(conn.execute(insert(Survey).values(values).returning(Survey.id)).scalar_one())


def update_survey(conn: Connection, survey_id: int, values: dict[str, Any]) -> None:
    """Change a survey's row."""
    conn.execute(update(Survey).where(Survey.id == survey_id).values(values))


def invitation_by_key(conn: Connection, key: str) -> dict[str, Any] | None:
    """Return the invitation made under an idempotency key."""
    query = select(SurveyInvitation.__table__).where(SurveyInvitation.key == key)
    row = conn.execute(query).mappings().first()
    return None if row is None else plain_row(row)


def invitation(conn: Connection, invitation_id: int) -> dict[str, Any] | None:
    """Return an invitation by its id."""
    query = select(SurveyInvitation.__table__).where(SurveyInvitation.id == invitation_id)
    row = conn.execute(query).mappings().first()
    return None if row is None else plain_row(row)


def last_invited(
    conn: Connection, customer_id: int, since: datetime, survey_id: int | None = None
) -> datetime | None:
    """Return when the customer was last invited (to ``survey_id``, else to any) since ``since``."""
    query = select(func.max(SurveyInvitation.created_at)).where(
        SurveyInvitation.customer_id == customer_id,
        SurveyInvitation.status == InvitationStatus.INVITED.value,
        SurveyInvitation.created_at >= since,
    )
    if survey_id is not None:
        query = query.where(SurveyInvitation.survey_id == survey_id)
    found: datetime | None = conn.execute(query).scalar_one_or_none()
    return found


def insert_invitation(conn: Connection, values: dict[str, Any]) -> int:
    """Store an invitation; return its id."""
    query = insert(SurveyInvitation).values(values).returning(SurveyInvitation.id)
    return int(conn.execute(query).scalar_one())


def set_invitation(conn: Connection, invitation_id: int, values: dict[str, Any]) -> None:
    """Change an invitation's row."""
    conn.execute(
        update(SurveyInvitation).where(SurveyInvitation.id == invitation_id).values(values)
    )


def answer_of_invitation(conn: Connection, invitation_id: int) -> dict[str, Any] | None:
    """Return the answer given through an invitation."""
    query = select(SurveyAnswer.__table__).where(SurveyAnswer.invitation_id == invitation_id)
    row = conn.execute(query).mappings().first()
    return None if row is None else plain_row(row)


def answer(conn: Connection, answer_id: int) -> dict[str, Any] | None:
    """Return an answer by its id."""
    query = select(SurveyAnswer.__table__).where(SurveyAnswer.id == answer_id)
    row = conn.execute(query).mappings().first()
    return None if row is None else plain_row(row)


def answer_of_sender(conn: Connection, survey_id: int, sender_id: str) -> dict[str, Any] | None:
    """Return the answer another system sent under its own id."""
    query = select(SurveyAnswer.__table__).where(
        SurveyAnswer.survey_id == survey_id, SurveyAnswer.sender_id == sender_id
    )
    row = conn.execute(query).mappings().first()
    return None if row is None else plain_row(row)


def insert_answer(conn: Connection, values: dict[str, Any]) -> int:
    """Store an answer; return its id."""
    return int(
        conn.execute(insert(SurveyAnswer).values(values).returning(SurveyAnswer.id)).scalar_one()
    )


def update_answer(conn: Connection, answer_id: int, values: dict[str, Any]) -> None:
    """Change an answer's row."""
    conn.execute(update(SurveyAnswer).where(SurveyAnswer.id == answer_id).values(values))


def write_response(
    conn: Connection, customer_id: int, survey: str, score: int, comment: str | None, at: datetime
) -> None:
    """Keep an NPS score in ``survey_responses`` too, where the NPS figures and features read."""
    found = conn.execute(
        select(SurveyResponse.id).where(
            SurveyResponse.customer_id == customer_id,
            SurveyResponse.survey == survey,
            SurveyResponse.answered_at == at,
        )
    ).scalar_one_or_none()
    values = {"score": score, "comment": comment}
    if found is None:
        conn.execute(
            insert(SurveyResponse).values(
                customer_id=customer_id, survey=survey, answered_at=at, **values
            )
        )
    else:
        conn.execute(update(SurveyResponse).where(SurveyResponse.id == found).values(values))


def answers_page(
    conn: Connection,
    survey_id: int,
    *,
    band: str | None = None,
    customer_id: int | None = None,
    commented: bool = False,
    after: int | None = None,
    limit: int = 50,
    owners: Owners = None,
) -> list[dict[str, Any]]:
    """Return a survey's answers, newest first (below id ``after``), with their customer.

    ``owners``: only the customers the caller reaches ([access]; None: all).
    """
    query = (
        select(
            SurveyAnswer.id,
            SurveyAnswer.customer_id,
            Customer.external_id.label("customer_external_id"),
            Customer.name.label("customer_name"),
            SurveyAnswer.invitation_id,
            SurveyAnswer.sender_id,
            SurveyAnswer.answers,
            SurveyAnswer.score,
            SurveyAnswer.band,
            SurveyAnswer.comment,
            SurveyAnswer.language,
            SurveyAnswer.source,
            SurveyAnswer.answered_at,
            SurveyAnswer.changed_at,
        )
        .join(Customer, Customer.id == SurveyAnswer.customer_id)
        .where(SurveyAnswer.survey_id == survey_id, owned(owners))
        .order_by(SurveyAnswer.id.desc())
        .limit(limit)
    )
    if band is not None:
        query = query.where(SurveyAnswer.band == band)
    if customer_id is not None:
        query = query.where(SurveyAnswer.customer_id == customer_id)
    if commented:
        query = query.where(SurveyAnswer.comment.is_not(None))
    if after is not None:
        query = query.where(SurveyAnswer.id < after)
    return [plain_row(r) for r in conn.execute(query).mappings()]


def invitations_page(
    conn: Connection,
    survey_id: int,
    *,
    status: str | None = None,
    after: int | None = None,
    limit: int = 50,
    owners: Owners = None,
) -> list[dict[str, Any]]:
    """Return a survey's invitations, newest first (below id ``after``; ``owners``: whose)."""
    query = (
        select(SurveyInvitation.__table__)
        .where(
            SurveyInvitation.survey_id == survey_id,
            visible(owners, SurveyInvitation.customer_id),
        )
        .order_by(SurveyInvitation.id.desc())
        .limit(limit)
    )
    if status is not None:
        query = query.where(SurveyInvitation.status == status)
    if after is not None:
        query = query.where(SurveyInvitation.id < after)
    return [plain_row(r) for r in conn.execute(query).mappings()]


def customer_id_of(conn: Connection, external_id: str) -> int | None:
    """Return the id of the customer known as ``external_id``."""
    found: int | None = conn.execute(
        select(Customer.id).where(Customer.external_id == external_id)
    ).scalar_one_or_none()
    return found


def customer_exists(conn: Connection, customer_id: int) -> bool:
    """Return whether there is a customer with this id."""
    return conn.execute(select(Customer.id).where(Customer.id == customer_id)).first() is not None


def open_invitation(
    conn: Connection, survey_id: int, customer_id: int, now: datetime
) -> dict[str, Any] | None:
    """Return the customer's latest invitation to a survey whose link still works."""
    query = (
        select(SurveyInvitation.__table__)
        .where(
            SurveyInvitation.survey_id == survey_id,
            SurveyInvitation.customer_id == customer_id,
            SurveyInvitation.status == InvitationStatus.INVITED.value,
            SurveyInvitation.expires_at > now,
        )
        .order_by(SurveyInvitation.created_at.desc(), SurveyInvitation.id.desc())
        .limit(1)
    )
    row = conn.execute(query).mappings().first()
    return None if row is None else plain_row(row)
