"""Churn reasons in words, in 简体中文 and English (the CLI's report and the customer 360).

The web app's own messages are gettext catalogues (tenure.web.i18n).
"""

from __future__ import annotations

import re

# Why a customer is at risk, in words: one template per churn-model feature ({v} is the value;
# "none" when the customer has no value for it, e.g. never answered a survey).
REASONS: dict[str, dict[str, str]] = {
    "frequency": {"en": "only {v:.0f} repeat purchases", "zh": "仅复购 {v:.0f} 次"},
    "tenure_days": {"en": "a customer for {v:.0f} days", "zh": "成为客户 {v:.0f} 天"},
    "days_since_last": {"en": "no purchase for {v:.0f} days", "zh": "已 {v:.0f} 天未购买"},
    "typical_gap_days": {
        "en": "usually buys every {v:.0f} days",
        "zh": "通常每 {v:.0f} 天购买一次",
    },
    "overdue_ratio": {
        "en": "{v:.1f}× their usual gap since the last purchase",
        "zh": "距上次购买已是平时间隔的 {v:.1f} 倍",
    },
    "revenue_total": {"en": "{v:,.0f} spent in all", "zh": "累计消费 {v:,.0f}"},
    "average_order_value": {"en": "average order {v:,.0f}", "zh": "平均订单 {v:,.0f}"},
    "revenue_30": {"en": "{v:,.0f} spent in 30 days", "zh": "近 30 天消费 {v:,.0f}"},
    "revenue_90": {"en": "{v:,.0f} spent in 90 days", "zh": "近 90 天消费 {v:,.0f}"},
    "revenue_365": {"en": "{v:,.0f} spent in a year", "zh": "近一年消费 {v:,.0f}"},
    "orders_30": {
        "en": "{v:.0f} orders in 30 days",
        "en_one": "1 order in 30 days",
        "zh": "近 30 天 {v:.0f} 笔订单",
    },
    "orders_90": {
        "en": "{v:.0f} orders in 90 days",
        "en_one": "1 order in 90 days",
        "zh": "近 90 天 {v:.0f} 笔订单",
    },
    "orders_365": {
        "en": "{v:.0f} orders in a year",
        "en_one": "1 order in a year",
        "zh": "近一年 {v:.0f} 笔订单",
    },
    "events_30": {"en": "{v:.0f} activity events in 30 days", "zh": "近 30 天仅 {v:.0f} 次活跃"},
    "events_prior_30": {
        "en": "{v:.0f} activity events the month before",
        "zh": "前一个月 {v:.0f} 次活跃",
    },
    "activity_trend": {
        "en": "activity at {v:.0%} of the month before",
        "zh": "活跃度为上月的 {v:.0%}",
    },
    "days_since_event": {"en": "not seen for {v:.0f} days", "zh": "已 {v:.0f} 天无任何活动"},
    "days_since_active_event": {
        "en": "no visit or use for {v:.0f} days",
        "zh": "已 {v:.0f} 天未访问或使用",
    },
    "engagement": {"en": "low engagement ({v:.1f})", "zh": "参与度低（{v:.1f}）"},
    "complaints_90": {
        "en": "{v:.0f} complaints in 90 days",
        "en_one": "1 complaint in 90 days",
        "zh": "近 90 天投诉 {v:.0f} 次",
    },
    "tickets_90": {
        "en": "{v:.0f} support tickets in 90 days",
        "en_one": "1 support ticket in 90 days",
        "zh": "近 90 天工单 {v:.0f} 个",
    },
    "last_nps": {"en": "last NPS answer {v:.0f}", "zh": "最近一次 NPS 评分 {v:.0f}"},
    "refunds": {
        "en": "{v:.0f} refunded orders",
        "en_one": "1 refunded order",
        "zh": "{v:.0f} 笔退款订单",
    },
    "active_subscriptions": {
        "en": "{v:.0f} active subscriptions",
        "zh": "{v:.0f} 个有效订阅",
    },
    "email_consent": {"en": "email consent {v:.0f}", "zh": "邮件授权 {v:.0f}"},
}
MISSING_REASONS: dict[str, dict[str, str]] = {
    "last_nps": {"en": "never answered a survey", "zh": "从未回答问卷"},
    "days_since_event": {"en": "no activity in 90 days", "zh": "90 天内无任何活动"},
    "days_since_active_event": {
        "en": "no visit or use in 90 days",
        "zh": "90 天内未访问或使用",
    },
    "activity_trend": {"en": "no activity to compare", "zh": "没有可比较的活跃记录"},
    "typical_gap_days": {"en": "bought only once", "zh": "仅购买过一次"},
    "overdue_ratio": {"en": "bought only once", "zh": "仅购买过一次"},
    "revenue_30": {"en": "nothing bought in 30 days", "zh": "近 30 天无消费"},
    "revenue_90": {"en": "nothing bought in 90 days", "zh": "近 90 天无消费"},
    "revenue_365": {"en": "nothing bought in a year", "zh": "近一年无消费"},
    "orders_30": {"en": "no order in 30 days", "zh": "近 30 天无订单"},
    "orders_90": {"en": "no order in 90 days", "zh": "近 90 天无订单"},
    "orders_365": {"en": "no order in a year", "zh": "近一年无订单"},
    "engagement": {"en": "no engagement in 90 days", "zh": "90 天内无互动"},
}


def reason_text(feature: str, value: float | None, lang: str) -> str:
    """Say a churn reason in words: ``days_since_last``, 143 → "no purchase for 143 days"."""
    if value is None:
        entry = MISSING_REASONS.get(feature, {"en": f"no {feature}", "zh": f"无 {feature}"})
        return entry.get(lang) or entry["en"]
    template = REASONS.get(feature)
    if template is None:
        return f"{feature} = {value:g}"
    if (
        lang == "en" and round(value) == 1 and "en_one" in template
    ):  # "1 complaint", not "1 complaints"
        return template["en_one"]
    return (template.get(lang) or template["en"]).format(v=value)


# Sentences the analytics core says in English (why a model was not fitted), in 中文: the
# pattern of the English sentence, and the Chinese with the same named parts.
SENTENCES: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(
            r"the snapshot of (?P<day>\S+) has (?P<yes>\d+) churned and (?P<no>\d+) retained "
            r"buyers; at least (?P<need>\d+) of each are needed"
        ),
        "{day} 的快照中有 {yes} 位流失买家和 {no} 位留存买家；两类各至少需要 {need} 位",
    ),
    (
        re.compile(
            r"the leads of (?P<day>\S+) hold (?P<yes>\d+) who bought within (?P<days>\d+) days "
            r"and (?P<no>\d+) who did not; at least (?P<need>\d+) of each are needed"
        ),
        "{day} 的潜在客户中有 {yes} 位在 {days} 天内购买、{no} 位未购买；两类各至少需要 {need} 位",
    ),
]


def sentence(text: str | None, lang: str) -> str:
    """Say one of the analytics core's English sentences in ``lang`` (unknown ones as they are)."""
    if not text or lang != "zh":
        return text or ""
    for pattern, zh in SENTENCES:
        found = pattern.fullmatch(text.strip())
        if found:
            return zh.format(**found.groupdict())
    return text
