"""Queueing: idempotent by key, rendered in the customer's language, refused with a reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Connection, func, select, update
from sqlalchemy.orm import Session

from tenure.domains.customers.models import Customer
from tenure.domains.messaging import service
from tenure.domains.messaging.models import Message
from tenure.kit.errors import InvalidInput, NotFound
from tenure.kit.settings import BusinessSettings, MessagingSettings, Settings
from tests.domains.messaging.queueing import queue
from tests.factories import make_customer

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SETTINGS = Settings(messaging=MessagingSettings(unsubscribe_base_url="https://crm.shop.test/"))


def _customer(session: Session, *, consent: bool = True, email: str | None = "x") -> int:
    made = make_customer(session)
    made.name = "Ann Lee"
    made.email_consent = consent
    if email is None:
        made.email = None
    session.flush()
    return made.id


def _queue(conn: Connection, customer_id: int, key: str, **extra: object) -> service.QueuedEmail:
    return queue(conn, customer_id, key, **({"now": NOW, "settings": SETTINGS} | extra))


def test_queueing_renders_now_and_is_idempotent_by_key(conn: Connection, session: Session) -> None:
    cid = _customer(session)
    first = _queue(conn, cid, f"enrollment:{cid}:step:offer:1")
    assert (first.status, first.reason) == ("queued", None)
    again = _queue(conn, cid, f"enrollment:{cid}:step:offer:1", template="thank-you")
    assert again == first
    message = service.show(conn, first.message_id)
    assert message["template"] == "win-back-offer"
    assert message["language"] == "en"
    assert message["subject"] == "We miss you, Ann — an offer for you"
    assert message["source"] == "playbook:win-back"
    assert message["next_attempt_at"] == NOW
    token = service.unsubscribe_token(cid, SETTINGS)
    assert message["unsubscribe_url"] == f"https://crm.shop.test/unsubscribe/{token}"
    assert message["unsubscribe_url"] in message["text"]
    count = conn.execute(select(func.count()).where(Message.customer_id == cid)).scalar_one()
    assert count == 1


def test_the_business_locale_chooses_the_language(conn: Connection, session: Session) -> None:
    cid = _customer(session)
    chinese = Settings(business=BusinessSettings(locale="zh"))
    queued = _queue(conn, cid, f"zh-{cid}", settings=chinese)
    message = service.show(conn, queued.message_id)
    assert (message["language"], message["subject"]) == ("zh", "好久不见，给您准备了一份礼遇")


def test_a_customer_s_own_language_comes_first(conn: Connection, session: Session) -> None:
    chinese = Settings(business=BusinessSettings(locale="zh"))
    spoken = {}
    for said in ("zh-CN", "en", "EN-gb", "fr", None):
        cid = _customer(session)
        made = session.get(Customer, cid)
        assert made is not None
        made.attributes = {"preferred_language": said} if said else {"tier": "gold"}
        session.flush()
        queued = _queue(conn, cid, f"own-{cid}", settings=chinese)
        spoken[said] = service.show(conn, queued.message_id)["language"]
    # their own language where Tenure writes it; else the business's (here 中文)
    assert spoken == {"zh-CN": "zh", "en": "en", "EN-gb": "en", "fr": "zh", None: "zh"}


def test_no_address_and_no_consent_are_skipped_with_reasons(
    conn: Connection, session: Session
) -> None:
    without_address = _customer(session, email=None)
    without_consent = _customer(session, consent=False)
    skipped = _queue(conn, without_address, f"a-{without_address}")
    assert (skipped.status, skipped.reason) == ("skipped", "no_address")
    refused = _queue(conn, without_consent, f"c-{without_consent}")
    assert (refused.status, refused.reason) == ("skipped", "no_consent")
    # service mail does not need marketing consent, and carries no unsubscribe header
    service_mail = _queue(
        conn, without_consent, f"s-{without_consent}", template="thank-you", category="service"
    )
    assert (service_mail.status, service_mail.reason) == ("queued", None)
    assert service.show(conn, service_mail.message_id)["unsubscribe_url"] is None
    # a skipped key stays skipped: asking again changes nothing
    assert _queue(conn, without_consent, f"c-{without_consent}") == refused


def test_the_frequency_cap_counts_marketing_mail_in_its_window(
    conn: Connection, session: Session
) -> None:
    cid = _customer(session)
    # three marketing emails in a week are allowed (two days apart) …
    for day in range(3):
        queued = _queue(conn, cid, f"cap-{cid}-{day}", now=NOW + timedelta(days=2 * day))
        assert queued.status == "queued"
    # … service mail is neither counted nor capped …
    thanks = _queue(conn, cid, f"cap-{cid}-svc", template="thank-you", category="service", now=NOW)
    assert thanks.status == "queued"
    # … the fourth within 7 days of the first is refused …
    fourth = _queue(conn, cid, f"cap-{cid}-3", now=NOW + timedelta(days=5))
    assert (fourth.status, fourth.reason) == ("skipped", "frequency_cap")
    # … and a skipped or failed one does not count: once the first leaves the window, one more
    conn.execute(update(Message).where(Message.key == f"cap-{cid}-1").values(status="failed"))
    later = _queue(conn, cid, f"cap-{cid}-4", now=NOW + timedelta(days=6))
    assert later.status == "queued"


def test_mistakes_are_named(conn: Connection, session: Session) -> None:
    cid = _customer(session)
    with pytest.raises(InvalidInput, match="category must be marketing or service"):
        _queue(conn, cid, "bad-category", category="promo")
    with pytest.raises(NotFound, match="no email template 'nope'"):
        _queue(conn, cid, "bad-template", template="nope")
    with pytest.raises(NotFound, match="no customer"):
        _queue(conn, 10**9, "nobody")
    assert conn.execute(select(func.count()).where(Customer.id == 10**9)).scalar_one() == 0


def test_preview_uses_scores_and_an_explicit_language(conn: Connection, session: Session) -> None:
    cid = _customer(session)
    rendered = service.preview(conn, "referral-invitation", cid, lang="zh", settings=SETTINGS)
    assert rendered.language == "zh"
    assert rendered.subject == "感谢您的好评，邀请朋友一起来吧"


def test_unsubscribe_tokens_are_signed(session: Session) -> None:
    token = service.unsubscribe_token(42, SETTINGS)
    assert service.customer_of_token(token, SETTINGS) == 42
    assert service.customer_of_token("43" + token[2:], SETTINGS) is None
    assert service.customer_of_token(token[:-1], SETTINGS) is None
    assert service.customer_of_token("garbage", SETTINGS) is None
    other = Settings(messaging=MessagingSettings(secret="another secret"))  # noqa: S106
    assert service.customer_of_token(token, other) is None
