"""The 360's Personal data card: an administrator downloads a person's data and erases them."""

from __future__ import annotations

import io
import json
import re
import zipfile

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tenure.domains.audit.service import Actor
from tenure.domains.customers import changes
from tenure.storage.engine import write_transaction
from tests.web.conftest import sign_in


def test_an_admin_exports_and_erases_a_person_after_typing_their_id(
    app_client: TestClient, demo_engine: Engine
) -> None:
    with write_transaction(demo_engine) as conn:
        person = changes.create_customer(
            conn, Actor(None, "cli"), {"external_id": "P-900", "name": "Ada Privacy"}
        )
    sign_in(app_client, "sales")
    assert 'id="erase-form"' not in app_client.get(f"/customers/{person}").text
    assert app_client.get(f"/customers/{person}/export").status_code == 403
    csrf = sign_in(app_client, "admin")
    page = app_client.get(f"/customers/{person}").text
    assert 'id="erase-form"' in page and "P-900" in page
    copy = app_client.get(f"/customers/{person}/export")
    assert copy.status_code == 200
    whole = json.loads(zipfile.ZipFile(io.BytesIO(copy.content)).read("person.json"))
    assert whole["profile"][0]["name"] == "Ada Privacy"
    wrong = app_client.post(f"/customers/{person}/erase", data={"csrf": csrf, "confirm": "P-9"})
    assert wrong.status_code == 422 and "confirm" in wrong.text
    done = app_client.post(
        f"/customers/{person}/erase",
        data={"csrf": csrf, "confirm": "P-900"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    after = app_client.get(f"/customers/{person}?lang=zh").text
    assert 'id="erased"' in after and "Ada Privacy" not in after
    assert re.search(r'id="erase-form"', after) is None
