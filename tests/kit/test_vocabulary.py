"""One catalogue of Tenure's keys: every key the code can produce has both languages."""

from __future__ import annotations

import re
from pathlib import Path

from tenure.analytics.segments import RFM_SEGMENTS
from tenure.analytics.stages import PRESETS
from tenure.demo.config import CHANNELS
from tenure.demo.purchases import SALES_CHANNELS
from tenure.domains.events.models import EventType, SystemEventType
from tenure.domains.loyalty.models import ReferralStatus
from tenure.domains.loyalty.referrals import REASONS
from tenure.domains.orders.models import OrderStatus
from tenure.domains.tasks.models import TaskStatus
from tenure.domains.users.models import Role
from tenure.kit import vocabulary
from tenure.kit.vocabulary import VOCABULARIES, label

SRC = Path(vocabulary.__file__).parents[1]
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_label_has_english_and_chinese() -> None:
    for name, labels in VOCABULARIES.items():
        for key, words in labels.items():
            assert words.get("en", "").strip(), f"{name}.{key} has no English"
            assert CJK.search(words.get("zh", "")), f"{name}.{key} has no 中文"


def _audit_actions() -> set[str]:
    """Every action an audit entry is written with, read off the source."""
    found: set[str] = set()
    call = re.compile(r'audit\.record(?:_many)?\(\s*\w+,\s*[\w.()]+,\s*f?"([^"]+)"')
    for path in SRC.rglob("*.py"):
        for action in call.findall(path.read_text(encoding="utf-8")):
            # f"playbook.{'pause' if … else 'resume'}" stands for both
            options = re.findall(r"'([a-z_]+)'", action)
            stem = action.split("{")[0]
            found |= {stem + o for o in options} if options else {action}
    return found


def test_every_key_the_code_produces_is_in_the_catalogue() -> None:
    expected = {
        "stage_rule": {r.key for rules in PRESETS.values() for r in rules},
        "figure": {f for rules in PRESETS.values() for r in rules for f in r.explain},
        "rfm_segment": {name for name, _ in RFM_SEGMENTS},
        "role": {r.value for r in Role},
        "event_type": {t.value for t in EventType} | {t.value for t in SystemEventType},
        "order_status": {s.value for s in OrderStatus},
        "task_status": {s.value for s in TaskStatus},
        "channel": {c.key for c in CHANNELS} | set(SALES_CHANNELS),
        "audit_action": _audit_actions(),
        "referral_status": {s.value for s in ReferralStatus},
        "referral_reason": set(REASONS),
    }
    assert len(expected["audit_action"]) > 20  # the reader of the source found them
    for name, keys in expected.items():
        missing = keys - set(VOCABULARIES[name])
        assert not missing, f"{name}: no label for {sorted(missing)}"


def test_a_label_in_each_language_and_unknown_keys_as_themselves() -> None:
    assert label("health_band", "red", "zh") == "红色"
    assert label("health_band", "red", "en") == "red"
    assert label("channel", "tiktok_live", "zh") == "tiktok_live"
    assert label("role", None, "zh") == "—"
