"""The playbook pages: the list, a playbook's flow with counts, editing its source, pause and
resume; the customer 360's playbooks card — in both languages."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text

from tenure.domains.audit import service as audit
from tenure.domains.audit.models import AuditEntry
from tenure.domains.automation import service
from tenure.domains.automation.loading import parse
from tenure.domains.automation.models import Enrollment
from tenure.domains.automation.models import PlaybookRecord as PlaybookRow
from tenure.domains.customers.models import Customer
from tenure.storage.engine import write_transaction
from tests import journeys
from tests.web.conftest import JOURNEY, sign_in, table_rows


def _boxes(page: str) -> dict[str, tuple[int, int]]:
    found = re.findall(
        r'data-step="([^"]+)".*?data-ran="(\d+)".*?data-waiting="(\d+)"', page, re.DOTALL
    )
    return {step: (int(ran), int(waiting)) for step, ran, waiting in found}


def test_the_list_of_playbooks_in_both_languages(
    app_client: TestClient, journeys_store: dict[str, Any], demo_engine: Engine
) -> None:
    sign_in(app_client, "viewer")
    page = app_client.get("/playbooks")
    assert page.status_code == 200
    assert '<a href="/playbooks" class="active"' in page.text
    rows = {r[0]: r for r in table_rows(page.text, "playbooks")}  # title, then name
    save = rows["Save a declining customerweb-save"]
    assert save[1] == "Running" and save[2] == "1" and save[3] == "Enters DecliningEnrolled by hand"
    # other tests on the shared store may decline customers too, and so enroll them: the
    # fixture's own five are counted on their own, the page against every enrollment
    own = journeys.enrollments_by_status(demo_engine, JOURNEY, journeys_store["customers"])
    assert own == {"active": 3, "exited": 2}  # two past the wait (exited), three waiting
    every = journeys.enrollments_by_status(demo_engine, JOURNEY)
    assert save[4:8] == [  # enrolled, in progress, converted, holdout
        str(sum(every.values())),
        str(every.get("active", 0)),
        str(every.get("converted", 0)),
        "0",
    ]
    if not every.get("converted"):
        assert save[8] == "0%"  # some finished (exited), none converted
    win_back = rows["Win back a declining customerwin-back"]
    assert win_back[1] == "Paused" and win_back[8] == "—"  # none finished: no rate
    assert "Health becomes red" in win_back[3]
    zh = app_client.get("/playbooks?lang=zh").text
    assert "<h1>剧本</h1>" in zh and "挽回衰退客户" in zh and "进入「衰退客户」阶段" in zh
    assert "已暂停" in zh


def test_a_playbook_page_draws_the_flow_with_each_steps_counts(
    app_client: TestClient, journeys_store: dict[str, Any], demo_engine: Engine
) -> None:
    sign_in(app_client, "csm")
    name = journeys_store["name"]
    page = app_client.get(f"/playbooks/{name}").text
    own = journeys_store["customers"]
    assert journeys.runs_by_step(demo_engine, name, own) == {
        "mark": 5,
        "step-2": 5,
        "step-3": 2,
        "done": 2,
    }
    # the page counts every enrollment, the fixture's and any another test made
    ran = journeys.runs_by_step(demo_engine, name)  # counted straight from step_runs
    waiting = journeys.enrollments_by_status(demo_engine, name).get("active", 0)
    assert _boxes(page) == {
        "mark": (ran["mark"], 0),
        "step-2": (ran["step-2"], waiting),  # the active ones wait out the two days
        "step-3": (ran.get("step-3", 0), 0),
        "done": (ran.get("done", 0), 0),
    }
    assert f"Add the tags {name}" in page and "Wait 2 days" in page
    assert "If city = Atlantis → done, else → done" in page and "End the enrollment" in page
    assert 'id="source-text"' in page and "add_tags: [web-save]" in page
    assert "<textarea" not in page and "/pause" not in page  # a csm reads, does not manage
    rows = {  # the fixture's customers' rows, by the customer each links to
        int(i): row
        for i, row in re.findall(
            r'<tr data-enrollment="\d+"><td><a href="/customers/(\d+)">(.*?)</tr>', page, re.DOTALL
        )
        if int(i) in own
    }
    # the latest 20 are listed: another test's enrollments may push some of the five out
    assert rows and all(("waits at step-2" in row) == (i in own[2:]) for i, row in rows.items())
    zh = app_client.get(f"/playbooks/{name}?lang=zh").text
    assert f"添加标签 {name}" in zh and "等待 2 天" in zh and "结束本次参与" in zh
    assert _boxes(zh) == _boxes(page)
    win_back = app_client.get("/playbooks/win-back").text
    assert (
        "Create a task for the owner: Win back this customer (due in 3 days)" in win_back
        and "arrived → churned-yet, else → done" in win_back
        and "If stage = churned → second-offer, else → still-declining" in win_back
        and "If stage = declining → wait-for-churn, else → done" in win_back
    )
    win_back_zh = app_client.get("/playbooks/win-back?lang=zh").text
    assert "为负责人创建任务：挽回该客户（3 天内到期）" in win_back_zh
    assert app_client.get("/playbooks/no-such-one").status_code == 404


def test_editing_pausing_and_resuming_a_playbook(
    app_client: TestClient, journeys_store: dict[str, Any], demo_engine: Engine
) -> None:
    csrf = sign_in(app_client, "viewer")
    forged = app_client.post("/playbooks/win-back/pause", data={"csrf": csrf})
    assert forged.status_code == 403
    app_client.cookies.clear()
    csrf = sign_in(app_client, "marketing")
    page = app_client.get("/playbooks/win-back").text
    assert "<textarea" in page and 'id="playbook-resume"' in page
    source = re.search(r'<textarea name="source"[^>]*>(.*?)</textarea>', page, re.DOTALL)
    assert source is not None
    text = source[1].replace("&#34;", '"').replace("&#39;", "'").replace("&amp;", "&")
    broken = text.replace("due_in_days: 3", "due_in_days: soon")
    line = broken.splitlines().index("      due_in_days: soon") + 1
    answer = app_client.post("/playbooks/win-back/source", data={"csrf": csrf, "source": broken})
    assert answer.status_code == 422
    assert f'data-line="{line}"' in answer.text
    assert "steps[0].create_task.due_in_days" in answer.text
    assert "due_in_days: soon" in answer.text  # the draft is kept for fixing
    done = app_client.post(
        "/playbooks/win-back/source",
        data={"csrf": csrf, "source": text.replace("days: 60", "days: 50")},
        follow_redirects=False,
    )
    assert done.status_code == 303 and "published=2" in done.headers["location"]
    shown = app_client.get(done.headers["location"]).text
    assert "Published as version 2." in shown and "Wait up to 50 days" in shown
    assert app_client.post("/playbooks/win-back/resume", data={"csrf": csrf}).status_code == 200
    assert 'id="playbook-pause"' in app_client.get("/playbooks/win-back").text
    app_client.post("/playbooks/win-back/pause", data={"csrf": csrf})
    with demo_engine.connect() as conn:
        entries, _ = audit.entries(conn, entity="playbooks", limit=500)
    assert [(e["action"], e["via"]) for e in entries[:3]] == [
        ("playbook.pause", "web"),
        ("playbook.resume", "web"),
        ("playbook.publish", "web"),
    ]


def test_the_customer_360_lists_the_playbooks_of_the_customer(
    app_client: TestClient, journeys_store: dict[str, Any], demo_engine: Engine
) -> None:
    sign_in(app_client, "sales")
    early = journeys_store["customers"][0]
    page = app_client.get(f"/customers/{early}").text
    card = page[page.index('id="playbooks"') :]
    assert "Save a declining customer" in card and "Exited" in card
    assert card.count("<li><time>") >= 4  # tag, wait, branch, exit
    assert "Add tags" in card and "condition failed" in card
    zh = app_client.get(f"/customers/{early}?lang=zh").text
    assert "挽回衰退客户" in zh and "已退出" in zh
    # a customer in no playbook and within the salesperson's reach (theirs or nobody's): the
    # shared demo store gains enrollments and owners from other tests
    with demo_engine.connect() as conn:
        free = conn.execute(
            text(
                "SELECT MIN(id) FROM customers WHERE id NOT IN "
                "(SELECT customer_id FROM enrollments) AND (owner_id IS NULL OR owner_id = "
                "(SELECT id FROM users WHERE email = 'sales@web.test'))"
            )
        ).scalar_one()
    other = app_client.get(f"/customers/{free}").text
    assert 'id="no-playbooks"' in other


def test_the_customer_360_timeline_shows_each_playbook_step(
    app_client: TestClient, journeys_store: dict[str, Any]
) -> None:
    sign_in(app_client, "sales")
    early = journeys_store["customers"][0]
    page = app_client.get(f"/customers/{early}").text
    lines = re.findall(
        r'<li class="kind-playbook" data-playbook="web-save" data-what="(\w+)">(.*?)</li>',
        page[page.index('id="timeline"') :],
        re.DOTALL,
    )
    # newest first: left (an exit step), the tag it was given, enrolled
    assert [what for what, _ in lines] == ["finished", "step", "enrolled"]
    assert "Left “Save a declining customer”: Exited" in lines[0][1]
    assert "an exit step" in lines[0][1]
    assert "Add tags" in lines[1][1] and "mark" in lines[1][1]
    assert "Enrolled in “Save a declining customer”" in lines[2][1]
    zh = app_client.get(f"/customers/{early}?lang=zh").text
    zh_lines = re.findall(r'<li class="kind-playbook"[^>]*>(.*?)</li>', zh, re.DOTALL)
    assert (
        "离开“挽回衰退客户”：已退出" in zh_lines[0] or "离开“挽回衰退客户”: 已退出" in zh_lines[0]
    )
    assert "加入“挽回衰退客户”" in zh_lines[-1]


BY_HAND = """\
name: web-by-hand
title: {en: A call by hand, zh: 人工致电}
trigger: {manual: true}
enrollment: {holdout: 0}
steps:
  - add_tags: [called]
  - exit: true
"""


def test_a_person_enrolls_a_customer_from_the_customer_360(
    app_client: TestClient, journeys_store: dict[str, Any], demo_engine: Engine
) -> None:
    with write_transaction(demo_engine) as conn:
        service.apply(conn, journeys.PERSON, [parse(BY_HAND, "web-by-hand.yaml")])
    customer = journeys_store["customers"][0]
    csrf = sign_in(app_client, "sales")  # sales read playbooks: no form for them
    page = app_client.get(f"/customers/{customer}").text
    assert 'id="enroll-form"' not in page
    refused = app_client.post(
        f"/customers/{customer}/playbooks", data={"playbook": "web-by-hand", "csrf": csrf}
    )
    assert refused.status_code == 403
    csrf = sign_in(app_client, "marketing")
    page = app_client.get(f"/customers/{customer}").text
    form = page[page.index('id="enroll-form"') :]
    form = form[: form.index("</form>")]
    assert '<option value="web-by-hand">A call by hand</option>' in form
    assert 'value="win-back"' not in form  # paused: nobody is enrolled in it by hand
    zh = app_client.get(f"/customers/{customer}?lang=zh").text
    assert "人工致电" in zh and "加入剧本" in zh
    done = app_client.post(
        f"/customers/{customer}/playbooks",
        data={"playbook": "web-by-hand", "csrf": csrf},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"].endswith("#playbooks")
    with demo_engine.connect() as conn:
        [(status, trigger)] = conn.execute(
            select(Enrollment.status, Enrollment.trigger)
            .join(PlaybookRow, PlaybookRow.id == Enrollment.playbook_id)
            .where(PlaybookRow.name == "web-by-hand", Enrollment.customer_id == customer)
        ).all()
        logged = conn.execute(
            select(AuditEntry.after).where(AuditEntry.action == "playbook.enroll")
        ).scalars()
    assert (status, trigger) == ("active", "manual")
    assert {"playbook": "web-by-hand", "customer_id": customer, "version": 1} in list(logged)
    card = app_client.get(f"/customers/{customer}").text
    card = card[card.index('id="playbooks"') :]
    assert "A call by hand" in card
    offered = card[card.index('id="enroll-form"') :] if 'id="enroll-form"' in card else ""
    assert 'value="web-by-hand"' not in offered[: offered.find("</form>")]  # in it now
    again = app_client.post(
        f"/customers/{customer}/playbooks", data={"playbook": "web-by-hand", "csrf": csrf}
    )
    assert again.status_code == 409 and "already enrolled" in again.text
    nothing = app_client.post(f"/customers/{customer}/playbooks", data={"csrf": csrf})
    assert nothing.status_code == 422 and "playbook" in nothing.text


def test_a_playbook_s_email_is_previewed_for_a_chosen_customer(
    app_client: TestClient, journeys_store: dict[str, Any], demo_engine: Engine
) -> None:
    sign_in(app_client, "sales")
    page = app_client.get("/playbooks/win-back").text
    assert 'href="/playbooks/win-back/preview?template=win-back-offer"' in page
    assert 'href="/playbooks/win-back/preview?template=win-back-second-offer"' in page
    with demo_engine.connect() as conn:
        someone = conn.execute(
            select(Customer.external_id, Customer.name)
            .where(Customer.email.is_not(None), Customer.name.is_not(None))
            .order_by(Customer.id)
            .limit(1)
        ).one()
    first_name = someone.name.split()[0]
    shown = app_client.get(
        f"/playbooks/win-back/preview?template=win-back-offer&customer={someone.external_id}&language=en"
    )
    assert shown.status_code == 200
    subject = re.search(r'id="preview-subject">([^<]+)<', shown.text)
    assert subject is not None and subject[1] == f"We miss you, {first_name} — an offer for you"
    frame = re.search(r'<iframe class="email-html" id="preview-html" sandbox="" [^>]*>', shown.text)
    assert frame is not None and 'srcdoc="&lt;' in frame[0]  # escaped HTML, run by nothing
    zh = app_client.get(
        f"/playbooks/win-back/preview?template=win-back-offer&customer={someone.external_id}"
        "&language=zh&lang=zh"
    ).text
    assert "好久不见" in zh and 'data-language="zh"' in zh and "邮件预览" in zh
    page_only = app_client.get(
        f"/playbooks/win-back/preview?customer={someone.external_id}&language=en&lang=zh"
    ).text  # the page in 中文, the email in English
    assert "邮件预览" in page_only and 'data-language="en"' in page_only
    default = app_client.get("/playbooks/win-back/preview").text  # a sample customer
    assert 'id="preview-subject"' in default
    wrong = app_client.get("/playbooks/win-back/preview?template=thank-you")
    assert wrong.status_code == 422 and "template:" in wrong.text
    nobody = app_client.get("/playbooks/win-back/preview?customer=NOBODY-404")
    assert nobody.status_code == 404
    lang = app_client.get("/playbooks/win-back/preview?language=fr")
    assert lang.status_code == 422 and "language:" in lang.text
    silent = app_client.get(f"/playbooks/{journeys_store['name']}/preview")
    assert silent.status_code == 404 and "sends no email" in silent.text


VERSIONED = """\
name: web-versions
title: {en: Versions, zh: 版本}
trigger: {manual: true}
enrollment: {holdout: 0}
steps:
  - wait: {days: 2}
  - id: tag
    add_tags: [web-versions]
"""


def test_old_versions_held_enrollments_and_broken_templates_on_the_playbook_page(
    app_client: TestClient, demo_engine: Engine, tmp_path: Path
) -> None:
    from datetime import timedelta

    from tenure.domains.automation.models import PlaybookStatus
    from tenure.kit.settings import Settings
    from tenure.kit.timeutil import utcnow
    from tenure.web.app import create_app

    second = VERSIONED.replace("days: 2", "days: 3")
    with write_transaction(demo_engine) as conn:
        service.apply(conn, journeys.PERSON, [parse(VERSIONED, "v.yaml")])
        service.apply(conn, journeys.PERSON, [parse(second, "v.yaml")])
        external = conn.execute(select(Customer.external_id).limit(1)).scalar_one()
        # enrolled four days ago: its first step is due, and held while the playbook is paused
        service.enroll(conn, journeys.PERSON, "web-versions", external, utcnow() - timedelta(4))
        service.set_status(conn, journeys.PERSON, "web-versions", PlaybookStatus.PAUSED)
    app_client.cookies.clear()
    csrf = sign_in(app_client, "sales")  # sales reads playbooks
    page = app_client.get("/playbooks/web-versions").text
    assert 'data-held="1"' in page and "Held while paused: 1 enrollment(s)" in page
    links = re.findall(r'href="(/playbooks/web-versions/versions/\d+)"', page)
    assert links == ["/playbooks/web-versions/versions/2", "/playbooks/web-versions/versions/1"]
    old = app_client.get(links[1]).text
    shown = re.search(r'<pre class="source" id="version-source">(.*?)</pre>', old, re.DOTALL)
    assert shown is not None and shown[1] == VERSIONED.replace('"', "&#34;")
    assert "Version 1" in old and "current" not in old.split("<h1")[1].split("</h1>")[0]
    assert "版本 1" in app_client.get(f"{links[1]}?lang=zh").text
    assert app_client.get("/playbooks/web-versions/versions/9").status_code == 404
    assert app_client.get("/playbooks/web-versions/versions/x").status_code == 422
    assert csrf

    # saving a playbook whose email template does not parse: the form names step and line
    for lang in ("en", "zh"):
        for part, body in (("subject", "Hi\n"), ("txt", "Hi\n"), ("html", "<p>\n{% iff x %}\n")):
            (tmp_path / f"web-offer.{lang}.{part}.liquid").write_text(body)
    strict = TestClient(create_app(demo_engine, Settings(messaging={"templates_dir": tmp_path})))
    csrf = sign_in(strict, "marketing")
    mailing = second + "  - id: offer\n    send_email: {template: web-offer}\n"
    answer = strict.post("/playbooks/web-versions/source", data={"csrf": csrf, "source": mailing})
    assert answer.status_code == 422
    assert 'data-line="10"' in answer.text and "steps[2].send_email.template" in answer.text
    assert "step offer: the template" in answer.text
    assert "web-offer.en.html.liquid, line 2: unexpected tag" in answer.text
    with demo_engine.connect() as conn:
        assert service.get(conn, "web-versions").version == 2  # nothing was published
