"""The catalogue's words for Settings and the analytics core's sentences, in both languages."""

from __future__ import annotations

from tenure.kit.i18n import sentence
from tenure.kit.settings.stages import StageSettings
from tenure.kit.vocabulary import HEALTH_SIGNALS, STAGE_SETTINGS, STAGES, label
from tenure.web.pages.settings import SIGNALS, STAGE_FIELDS


def test_every_stage_setting_and_health_signal_has_its_words() -> None:
    assert set(STAGE_SETTINGS) == set(STAGE_FIELDS)
    for name in STAGE_FIELDS:
        # the English is the field's own description, word for word
        assert STAGE_SETTINGS[name]["en"] == StageSettings.model_fields[name].description, name
    assert set(HEALTH_SIGNALS) == set(SIGNALS)
    assert label("health_signal", "p_alive", "zh") == "存活概率"
    assert set(STAGES) == {
        "potential", "new", "growing", "mature", "declining", "churned", "won_back",
    }  # fmt: skip


def test_the_reason_a_model_was_skipped_in_chinese() -> None:
    said = (
        "the snapshot of 2025-10-02 has 13 churned and 114 retained buyers; "
        "at least 50 of each are needed"
    )
    assert sentence(said, "zh") == (
        "2025-10-02 的快照中有 13 位流失买家和 114 位留存买家；两类各至少需要 50 位"
    )
    assert sentence(said, "en") == said
    assert sentence("something else entirely", "zh") == "something else entirely"
    leads = (
        "the leads of 2026-01-01 hold 3 who bought within 30 days and 40 who did not; "
        "at least 20 of each are needed"
    )
    assert sentence(leads, "zh").startswith("2026-01-01 的潜在客户中有 3 位在 30 天内购买")
