"""The outbox pages: the list with status chips, counts, filters and pages; one message with its
headers, text and sandboxed HTML; the warning on "unknown" messages — in both languages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests import outbox
from tests.web.conftest import sign_in, table_rows

PLAYBOOK = "web-mail"


@pytest.fixture(scope="module")
def filled(demo_engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> outbox.Filled:
    folder: Path = tmp_path_factory.mktemp("templates")
    return outbox.fill(demo_engine, PLAYBOOK, folder, skip=50)


def _ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr data-message="(\d+)"', page)]


def test_the_outbox_with_its_status_chips_and_filters(
    app_client: TestClient, filled: outbox.Filled
) -> None:
    sign_in(app_client, "viewer")
    page = app_client.get(f"/messages?playbook={PLAYBOOK}")
    assert page.status_code == 200
    assert '<a href="/messages" class="active"' in page.text  # in the menu, after Playbooks
    assert page.text.index('href="/playbooks"') < page.text.index('href="/messages"')
    every = sorted((i for ids in filled.by_status.values() for i in ids), reverse=True)
    assert _ids(page.text) == every
    counts = dict(re.findall(r'data-count="(\w+)">(\d+)<', page.text))
    assert counts == {
        "queued": "2",
        "sending": "0",
        "sent": "2",
        "failed": "0",
        "unknown": "1",
        "skipped": "1",
    }
    rows = table_rows(page.text, "messages")
    assert sum("Unknown" in r[1] for r in rows) == 1
    assert any("Skipped" in r[1] and "no email consent" in r[1] for r in rows)
    assert 'id="unknown-note"' in page.text and "review them before resending" in page.text
    assert f'href="/playbooks/{PLAYBOOK}"' in page.text
    assert (
        '<tr data-message="{}" data-status="unknown" class="unknown">'.format(
            filled.by_status["unknown"][0]
        )
        in page.text
    )

    unknown = app_client.get(f"/messages?playbook={PLAYBOOK}&status=unknown").text
    assert _ids(unknown) == filled.by_status["unknown"]
    assert 'id="unknown-note"' not in unknown  # the list is the review
    older = app_client.get(f"/messages?playbook={PLAYBOOK}&after={every[2]}").text
    assert _ids(older) == every[3:] and 'id="newest"' in older
    customer = filled.customer_ids[0]
    theirs = app_client.get(f"/messages?customer_id={customer}").text
    assert _ids(theirs) and 'id="customer-filter"' in theirs
    assert set(re.findall(r'href="/customers/(\d+)"', theirs)) == {str(customer)}
    assert app_client.get("/messages?status=lost").status_code == 422
    assert app_client.get("/messages?customer_id=x").status_code == 422

    zh = app_client.get(f"/messages?playbook={PLAYBOOK}&lang=zh").text
    assert "<h1>邮件</h1>" in zh and "已发送" in zh and "未知" in zh and "已跳过" in zh
    assert "重发前请先核实" in zh and "未同意接收邮件" in zh


def test_a_message_page_shows_headers_text_and_the_html_in_a_sandbox(
    app_client: TestClient, filled: outbox.Filled
) -> None:
    sign_in(app_client, "sales")
    sent_id = filled.by_status["sent"][1]  # its template's HTML carries a script
    page = app_client.get(f"/messages/{sent_id}")
    assert page.status_code == 200
    text = page.text
    frame = re.search(r"<iframe [^>]*>", text)
    assert frame is not None and 'sandbox=""' in frame[0] and "srcdoc=" in frame[0]
    assert "<script>parent" not in text  # escaped into srcdoc, never part of the page
    assert "&lt;script&gt;parent.document.title" in frame[0]
    assert "A plain note." in text and 'id="message-text"' in text
    assert f'href="/customers/{filled.customer_ids[1]}"' in text
    assert f'href="/playbooks/{PLAYBOOK}"' in text
    start = text.index('id="message-headers"')
    table = text[start : text.index("</table>", start)]
    assert re.findall(r"<tr><th>([\w-]+)</th>", table) == ["To", "Subject"]  # service mail
    assert 'id="unknown-warning"' not in text

    unknown = app_client.get(f"/messages/{filled.by_status['unknown'][0]}").text
    assert 'id="unknown-warning"' in unknown and "may or may not have been sent" in unknown
    assert "List-Unsubscribe" in unknown and "the sender stopped while sending it" in unknown
    zh = app_client.get(f"/messages/{filled.by_status['unknown'][0]}?lang=zh").text
    assert "这封邮件可能已发送，也可能未发送" in zh and "重发前" in zh
    assert app_client.get("/messages/999999").status_code == 404


def test_the_customer_360_links_to_the_customers_email(
    app_client: TestClient, filled: outbox.Filled
) -> None:
    sign_in(app_client, "csm")
    customer = filled.customer_ids[2]
    page = app_client.get(f"/customers/{customer}").text
    assert f'href="/messages?customer_id={customer}" id="customer-messages"' in page
