"""Queuing: idempotent by key, in the caller's transaction; unsafe URLs refused at once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Connection, func, select

from tenure.domains.webhooks import repository, service
from tenure.domains.webhooks.models import WebhookDelivery
from tenure.domains.webhooks.safety import UnsafeUrl, check_url
from tenure.kit.errors import InvalidInput
from tenure.kit.settings import Settings, WebhookSettings

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)


def _queue(conn: Connection, **changes: object) -> int:
    values: dict[str, object] = {
        "key": "enrollment:12:step:notify:1",
        "url": "http://127.0.0.1:9/hook",
        "event_type": "playbook.step",
        "payload": {"customer": {"id": 1}},
        "source": "playbook:win-back",
        "customer_id": None,
        "now": NOW,
        "allow_private": True,
        **changes,
    }
    return service.queue(conn, **values)  # type: ignore[arg-type]


def test_queue_is_idempotent_by_key(conn: Connection) -> None:
    first = _queue(conn)
    again = _queue(conn, url="http://127.0.0.1:9/other", payload={"changed": True})
    assert again == first
    assert conn.execute(select(func.count()).select_from(WebhookDelivery)).scalar_one() == 1
    row = repository.get(conn, first)
    assert (row.status, row.attempts, row.next_attempt_at) == ("queued", 0, NOW)
    assert row.url == "http://127.0.0.1:9/hook"
    payload = select(WebhookDelivery.payload).where(WebhookDelivery.id == first)
    assert conn.execute(payload).scalar_one() == {"customer": {"id": 1}}
    assert _queue(conn, key="enrollment:12:step:notify:2") != first


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://[::ffff:192.168.0.1]/hook",
        "https://0.0.0.0/hook",
    ],
)
def test_private_addresses_are_refused_at_queue_time(conn: Connection, url: str) -> None:
    with pytest.raises(UnsafeUrl, match="private, loopback or link-local"):
        _queue(conn, url=url, allow_private=False)


@pytest.mark.parametrize("url", ["ftp://example.com/x", "file:///etc/passwd", "example.com/x"])
def test_only_http_and_https(conn: Connection, url: str) -> None:
    with pytest.raises(UnsafeUrl, match="only http:// and https://"):
        _queue(conn, url=url, allow_private=True)


def test_the_error_does_not_show_the_url_s_secrets() -> None:
    with pytest.raises(UnsafeUrl) as refused:
        check_url("http://user:pw@127.0.0.1/hook?token=abc", allow_private=False)
    assert "pw" not in refused.value.message and "abc" not in refused.value.message


def test_an_unresolvable_host_is_queued_and_checked_again_when_sent(conn: Connection) -> None:
    assert _queue(conn, url="https://no-such-host.invalid/hook", allow_private=False) > 0


def test_bad_input_is_named(conn: Connection) -> None:
    with pytest.raises(InvalidInput, match="webhook key"):
        _queue(conn, key="")
    with pytest.raises(InvalidInput, match="not JSON"):
        _queue(conn, payload={"when": NOW})


def test_private_addresses_are_allowed_by_default_only_in_development_and_test() -> None:
    assert service.private_allowed(Settings(environment="development"))
    assert service.private_allowed(Settings(environment="test"))
    assert not service.private_allowed(Settings(environment="production"))
    explicit = WebhookSettings(allow_private=True)
    assert service.private_allowed(Settings(environment="production", webhooks=explicit))


def test_settings_refuse_a_secret_that_is_not_one() -> None:
    with pytest.raises(ValueError, match="whsec_"):
        WebhookSettings(secret="hunter2")  # noqa: S106 - a wrong one on purpose
    with pytest.raises(ValueError, match="lease_seconds"):
        WebhookSettings(timeout_seconds=30, lease_seconds=20)
