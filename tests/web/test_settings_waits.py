"""Saving settings waits for the store's write lock on a thread: the server answers others."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import cast

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tenure.kit.settings import Settings
from tenure.web.app import create_app
from tests.conftest import served
from tests.storage.locks import LockHolder
from tests.web.conftest import sign_in


def test_a_save_waiting_for_the_write_lock_does_not_hold_up_other_requests(
    demo_engine: Engine,
) -> None:
    store = Path(str(demo_engine.url.database))
    with served(create_app(demo_engine, Settings())) as url, httpx.Client(base_url=url) as http:
        csrf = sign_in(cast(TestClient, http), "manager")
        saved: list[httpx.Response] = []
        form = {"csrf": csrf, "weight_p_alive": "1", "green_from": "65", "red_below": "35"}
        with LockHolder(store) as holder:  # an import, say, writing for a while
            saver = threading.Thread(
                target=lambda: saved.append(http.post("/settings/health", data=form)),
            )
            saver.start()
            time.sleep(0.5)  # the save now waits for the lock
            started = time.perf_counter()
            with httpx.Client(base_url=url) as other:
                health = other.get("/healthz", timeout=10)
                page = other.get("/login", timeout=10)
            answered_in = time.perf_counter() - started
            assert not saved  # still waiting
            holder.release.set()
        saver.join(60)
        http.post("/settings/health", data={"csrf": csrf, "reset": "1"})
    assert health.status_code == 200 and page.status_code == 200
    assert answered_in < 2  # the lock is held 30 s: a blocked event loop would answer after
    assert saved[0].status_code == 303 and "saved=health" in saved[0].headers["location"]
