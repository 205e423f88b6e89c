"""The demo company hears its customers: an NPS survey, the teams that act on it, the routing.

Set up before the history is replayed (``set_up``): the ``nps`` survey the shipped
``nps-survey`` playbook sends, a ``resolved`` CSAT survey ("did we resolve it?") that closing a
follow-up may send, four teams (support, product, billing, sales) with their leads, and the
routing rules giving detractors' answers to them. Besides the playbook's own trigger (the
first order's anniversary), the company sends a relationship wave: each week of the replay,
about an eighth of its recent buyers are enrolled in ``nps-survey`` by hand (``enroll_wave``), as a
person would from a segment. The customers' answers and the teams' work on them are
``tenure.demo.listening``'s.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import Connection, func, select

from tenure.domains.audit.service import SYSTEM
from tenure.domains.automation import enrollment
from tenure.domains.automation.definition import Playbook
from tenure.domains.automation.service import get as get_playbook
from tenure.domains.orders.models import Order, OrderStatus
from tenure.domains.surveys import routing, service, teams
from tenure.domains.users.models import User

PLAYBOOK = "nps-survey"
NPS = "nps"
RESOLVED = "resolved"
WAVE_SHARE = 0.12  # of the recent buyers, asked in the relationship wave (a stable draw)
WAVE_WEEKS = 4  # the wave is sent in this many weekly parts
RECENT_DAYS = 365  # a recent buyer: a paid order within this many days of the replay's start

SURVEYS = (
    {
        "key": NPS,
        "kind": "nps",
        "title": {"en": "How are we doing?", "zh": "我们做得怎么样？"},
        "thanks": {
            "en": "Thank you: every answer is read by the team it concerns.",
            "zh": "谢谢您：每条回答都会由相关团队阅读。",
        },
        "link_days": 14,
        "edit_hours": 48,
        "cooldown_days": 90,
        "any_cooldown_days": 14,
    },
    {
        "key": RESOLVED,
        "kind": "csat",
        "title": {"en": "Did we resolve it?", "zh": "问题解决了吗？"},
        "link_days": 14,
        "edit_hours": 48,
        "cooldown_days": 0,
        "any_cooldown_days": 0,
    },
)

# key, English and Chinese names, the lead's email, the SLA in hours
TEAMS = (
    ("support", "Support", "客服", "casey@tenure.example", 48),
    ("product", "Product", "产品", "lin@tenure.example", 72),
    ("billing", "Billing", "账务", "morgan@tenure.example", 24),
    ("sales", "Sales", "销售", "morgan@tenure.example", 48),
)

# First match wins: a price or invoice complaint to billing, a product complaint to product,
# a valued (mature) customer's to their owner in sales, any other detractor to support, who
# ask "did we resolve it?" when they close it.
ROUTING = """\
survey: nps
rules:
  - name: billing-words
    when: {band: [detractor], keywords: [price, expensive, invoice, refund, 价格, 太贵, 发票]}
    team: billing
    check: {survey: resolved, template: survey-invitation}
  - name: product-words
    when: {band: [detractor], keywords: [product, quality, expected, 产品, 质量, 预期]}
    team: product
    check: {survey: resolved, template: survey-invitation}
  - name: valued-customers
    when: {band: [detractor], stage: [mature]}
    team: sales
    assign: owner
    check: {survey: resolved, template: survey-invitation}
  - name: detractors
    when: {band: [detractor]}
    team: support
    check: {survey: resolved, template: survey-invitation}
"""


def set_up(conn: Connection, now: datetime) -> None:
    """Store the surveys, the teams with their leads, and the routing of NPS answers."""
    for data in SURVEYS:
        service.apply(conn, service.parse(data), now)
    leads = dict(conn.execute(select(User.email, User.id)).all())
    for key, name_en, name_zh, lead, sla in TEAMS:
        values = {"name_en": name_en, "name_zh": name_zh, "lead_id": leads.get(lead)}
        teams.put(conn, SYSTEM, key, {**values, "sla_hours": sla}, now)
    routing.apply(conn, ROUTING, "nps.routing.yaml", now)


def in_wave(customer_id: int, week: int) -> bool:
    """Whether a recent buyer is asked in week ``week`` of the wave (a stable draw)."""
    digest = hashlib.sha256(f"demo-nps-wave:{customer_id}".encode()).digest()
    share = int.from_bytes(digest[:8], "big") / 2**64
    return share < WAVE_SHARE and int(share / WAVE_SHARE * WAVE_WEEKS) == week


def enroll_wave(conn: Connection, week: int, since: datetime, now: datetime) -> int:
    """Enroll this week's part of the wave in ``nps-survey`` by hand; return how many.

    ``since``: the replay's start; a recent buyer paid an order within ``RECENT_DAYS`` of it.
    The playbook's own conditions and re-enrollment policy apply, as to one enrolled by hand.
    """
    recent = conn.execute(
        select(Order.customer_id)
        .where(Order.status == OrderStatus.PAID.value)
        .group_by(Order.customer_id)
        .having(func.max(Order.ordered_at) >= since - timedelta(days=RECENT_DAYS))
    ).scalars()
    chosen = [int(c) for c in recent if in_wave(int(c), week)]
    found = get_playbook(conn, PLAYBOOK)
    version = enrollment.Version(
        found.id,
        found.name,
        found.version,
        found.status,
        Playbook.model_validate(found.definition),
    )
    return len(enrollment.admit(conn, version, dict.fromkeys(chosen, ("manual", None)), now))
