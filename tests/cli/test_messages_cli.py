"""``tenure messages``: preview, list, deliver and show, as real processes on a SQLite file."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from tenure.domains.messaging import service
from tenure.kit.settings import Settings
from tenure.storage.engine import make_engine, write_transaction
from tenure.storage.migrate import upgrade
from tests.cli.test_cli import tenure
from tests.factories import make_customer


def test_preview_list_deliver_show(tmp_path: Path, empty_sqlite_url: str) -> None:
    engine = make_engine(empty_sqlite_url)
    upgrade(engine)
    with Session(engine) as session:
        customer = make_customer(session, external_id="C-1", email="ann@shop.test")
        customer.name = "Ann Lee"
        customer.email_consent = True
        session.commit()
        customer_id = customer.id
    settings = Settings()
    settings.database.url = empty_sqlite_url
    with write_transaction(engine) as conn:
        service.queue_email(
            conn,
            key="cli:1",
            customer_id=customer_id,
            template="win-back-offer",
            category="marketing",
            source="playbook:win-back",
            now=datetime.now(UTC),
            settings=settings,
            send_window=False,  # the real clock: due now at any hour of the day
        )
    engine.dispose()

    shown = tenure(
        "messages",
        "preview",
        "win-back-offer",
        "C-1",
        "--lang",
        "zh",
        url=empty_sqlite_url,
        cwd=tmp_path,
    )
    assert shown.returncode == 0, shown.stderr
    assert "好久不见，给您准备了一份礼遇" in shown.stdout
    assert "Ann Lee，您好" in shown.stdout
    missing = tenure(
        "messages", "preview", "win-back-offer", "C-404", url=empty_sqlite_url, cwd=tmp_path
    )
    assert missing.returncode == 1
    assert "no customer 'C-404'" in missing.stderr

    queued = tenure(
        "messages", "list", "--status", "queued", "--json", url=empty_sqlite_url, cwd=tmp_path
    )
    assert [m["key"] for m in json.loads(queued.stdout)] == ["cli:1"]

    delivered = tenure("messages", "deliver", "--json", url=empty_sqlite_url, cwd=tmp_path)
    assert delivered.returncode == 0, delivered.stderr
    report = json.loads(delivered.stdout)
    assert len(report["sent"]) == 1  # the outbox transport: no mail server needed

    one = tenure("messages", "show", str(report["sent"][0]), url=empty_sqlite_url, cwd=tmp_path)
    assert one.returncode == 0, one.stderr
    assert "status: sent" in one.stdout
    assert "Subject: We miss you, Ann — an offer for you" in one.stdout
    assert "Hi Ann," in one.stdout
    bad = tenure("messages", "list", "--status", "lost", url=empty_sqlite_url, cwd=tmp_path)
    assert bad.returncode == 1
    assert "status must be one of" in bad.stderr
