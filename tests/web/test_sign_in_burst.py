"""A burst of simultaneous sign-ins for one email checks at most the limit of passwords.

Against the real app served over loopback, on SQLite and PostgreSQL (issue 13: 40 at once had
20 passwords checked on SQLite and 12 on PostgreSQL against a limit of 5).
"""

from __future__ import annotations

import re
import threading
from collections import Counter

import httpx
from sqlalchemy import Engine, func, select

from tenure.domains.registry import metadata
from tenure.domains.users import service as users
from tenure.domains.users import sessions
from tenure.kit.settings import Settings
from tenure.web.app import create_app
from tests.conftest import served

BURST = 40


def test_forty_simultaneous_sign_ins_check_at_most_five_passwords(
    committed_store: Engine,
) -> None:
    with committed_store.begin() as conn:
        users.create_user(conn, "Target", "target@burst.test", "viewer")
        users.set_password(conn, "target@burst.test", "the real password, long")
    settings = Settings()
    settings.server.threads = BURST  # every request in at once, none queued behind another
    with served(create_app(committed_store, settings)) as base:
        form = httpx.get(f"{base}/login")
        token = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert token is not None
        cookies = dict(form.cookies)
        start = threading.Barrier(BURST)
        statuses: list[int] = []
        lock = threading.Lock()

        def attempt() -> None:
            with httpx.Client(base_url=base, cookies=cookies, timeout=120) as client:
                start.wait()
                answer = client.post(
                    "/login",
                    data={"email": "target@burst.test", "password": "a guess", "csrf": token[1]},
                )
            with lock:
                statuses.append(answer.status_code)

        threads = [threading.Thread(target=attempt) for _ in range(BURST)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
    counted = Counter(statuses)
    # 401: the password was checked and wrong; 429: refused before any check
    assert sum(counted.values()) == BURST and set(counted) <= {401, 429}, counted
    assert counted[401] == sessions.PER_EMAIL, counted
    attempts = metadata().tables["login_attempts"]
    with committed_store.connect() as conn:
        stored = conn.execute(
            select(func.count()).where(attempts.c.email == "target@burst.test")
        ).scalar_one()
    assert stored == sessions.PER_EMAIL
