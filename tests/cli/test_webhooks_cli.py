"""`tenure webhooks`: list, deliver, retry and the secret, as a person types them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from standardwebhooks.webhooks import Webhook

from tenure.domains.webhooks import service
from tenure.kit.timeutil import utcnow
from tenure.storage.engine import make_engine
from tenure.storage.migrate import upgrade
from tests.cli.test_cli import tenure
from tests.domains.webhooks.conftest import Receiver, receiver  # noqa: F401 - a fixture


@pytest.fixture
def store(empty_sqlite_url: str) -> Iterator[Engine]:
    engine = make_engine(empty_sqlite_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def test_deliver_list_retry_and_the_secret(
    tmp_path: Path,
    empty_sqlite_url: str,
    store: Engine,
    receiver: Receiver,  # noqa: F811 - the fixture
) -> None:
    receiver.plans["/hook"] = [410]
    with store.begin() as conn:
        for key, path in (("a", "/hook"), ("b", "/other")):
            service.queue(
                conn,
                key=key,
                url=receiver.url(path),
                event_type="playbook.step",
                payload={"n": key},
                source="playbook:win-back",
                customer_id=None,
                now=utcnow(),
            )  # the default environment (development) allows loopback
    ran = tenure("webhooks", "deliver", "--json", url=empty_sqlite_url, cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    done = json.loads(ran.stdout)
    assert len(done["delivered"]) == 1 and len(done["failed"]) == 1
    secret = tenure("webhooks", "secret", url=empty_sqlite_url, cwd=tmp_path).stdout.strip()
    assert secret.startswith("whsec_")
    for got in receiver.received:
        Webhook(secret).verify(got.body, got.headers)
    failed = tenure(
        "webhooks", "list", "--status", "failed", "--json", url=empty_sqlite_url, cwd=tmp_path
    )
    (row,) = json.loads(failed.stdout)
    assert (row["key"], row["last_status_code"], row["last_error"]) == ("a", 410, "answered 410")
    listed = tenure("webhooks", "list", url=empty_sqlite_url, cwd=tmp_path)
    assert "delivered" in listed.stdout and "failed" in listed.stdout
    again = tenure("webhooks", "retry", str(row["id"]), url=empty_sqlite_url, cwd=tmp_path)
    assert again.returncode == 0 and "queued again" in again.stdout
    twice = tenure("webhooks", "retry", str(row["id"]), url=empty_sqlite_url, cwd=tmp_path)
    assert twice.returncode == 1 and "only a failed one" in twice.stderr
    wrong = tenure("webhooks", "list", "--status", "lost", url=empty_sqlite_url, cwd=tmp_path)
    assert wrong.returncode == 1 and "unknown status" in wrong.stderr
