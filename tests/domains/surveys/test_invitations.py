"""Invitations: idempotent by key, held back by cooldowns, sample and pause; signed links."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from tenure.domains.surveys import service
from tests.domains.surveys.helpers import NOW, SETTINGS, customer, survey


def _invite(
    conn: Connection, cid: int, key: str, at: object = NOW, name: str = "nps"
) -> service.Invited:
    return service.invite(
        conn,
        survey_key=name,
        customer_id=cid,
        key=key,
        now=at,
        settings=SETTINGS,  # type: ignore[arg-type]
    )


def test_an_invitation_is_made_once_per_key_with_a_signed_expiring_link(
    conn: Connection, session: Session
) -> None:
    survey(conn, link_days=10)
    cid = customer(session, lang="zh")
    first = _invite(conn, cid, "step:1")
    again = _invite(conn, cid, "step:1", NOW + timedelta(days=1))
    assert first == again
    assert (first.status, first.reason) == ("invited", None)
    assert first.expires_at == NOW + timedelta(days=10)
    assert first.url is not None and first.url.startswith("https://crm.shop.test/survey/")
    token = first.url.rsplit("/", 1)[1]
    assert service.invitation_of_token(token, SETTINGS) == first.invitation_id
    # another invitation's id under this signature, a cut signature, junk: not ours
    other = f"{first.invitation_id + 1}.{token.split('.')[1]}"
    for forged in (other, token[:-2], "x.y", "", "12"):
        assert service.invitation_of_token(forged, SETTINGS) is None


def test_cooldown_per_survey_and_across_surveys(conn: Connection, session: Session) -> None:
    survey(conn, cooldown_days=90, any_cooldown_days=14)
    survey(conn, key="csat", kind="csat", any_cooldown_days=14)
    cid = customer(session)
    assert _invite(conn, cid, "a").status == "invited"
    # day 5: another survey is held back by the cross-survey cooldown
    assert _invite(conn, cid, "b", NOW + timedelta(days=5), "csat").reason == "cooldown_any"
    # day 30: the cross-survey cooldown is over, but this survey's own is not
    assert _invite(conn, cid, "c", NOW + timedelta(days=30)).reason == "cooldown"
    assert _invite(conn, cid, "d", NOW + timedelta(days=30), "csat").status == "invited"
    # day 91: asked again (a skipped invitation does not restart the cooldown)
    assert _invite(conn, cid, "e", NOW + timedelta(days=91)).status == "invited"


def test_sampling_asks_about_the_share_and_the_same_customers_each_time(
    conn: Connection, session: Session
) -> None:
    survey(conn, sample=0.3, cooldown_days=0, any_cooldown_days=0)
    ids = [customer(session) for _ in range(300)]
    first = [_invite(conn, cid, f"one:{cid}").status == "invited" for cid in ids]
    second = [_invite(conn, cid, f"two:{cid}").status == "invited" for cid in ids]
    assert first == second  # a stable draw per customer
    assert 60 <= sum(first) <= 120  # 90 expected; binomial sd ≈ 8


def test_a_paused_survey_invites_nobody(conn: Connection, session: Session) -> None:
    survey(conn)
    service.set_active(conn, "nps", False, NOW)
    made = _invite(conn, customer(session), "k")
    assert (made.status, made.reason, made.url) == ("skipped", "inactive", None)
