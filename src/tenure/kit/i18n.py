"""Two languages, 简体中文 and English: choose one per request and translate messages.

A small in-code catalogue serves until the web app's Babel catalogues arrive.
"""

from __future__ import annotations

LANGUAGES = ("en", "zh")

MESSAGES: dict[str, dict[str, str]] = {
    "title": {"en": "Tenure", "zh": "Tenure 客户生命周期"},
    "overview": {"en": "What the store holds", "zh": "数据概览"},
    "empty": {
        "en": "The store is empty. Load the demo company with `tenure demo`, or your own data "
        "with `tenure import customers FILE` and `tenure import orders FILE`.",
        "zh": "数据库还是空的。运行 `tenure demo` 载入演示公司，或用 "
        "`tenure import customers 文件` 和 `tenure import orders 文件` 导入自己的数据。",
    },
    "customers": {"en": "Customers", "zh": "客户"},
    "orders": {"en": "Orders", "zh": "订单"},
    "order_lines": {"en": "Order lines", "zh": "订单明细"},
    "events": {"en": "Events", "zh": "行为事件"},
    "survey_responses": {"en": "Survey answers", "zh": "问卷回答"},
    "marketing_spend": {"en": "Spend records", "zh": "营销花费记录"},
    "subscriptions": {"en": "Subscriptions", "zh": "订阅合同"},
    "users": {"en": "Users", "zh": "用户"},
    "revenue_by_month": {"en": "Paid revenue by month", "zh": "每月已付收入"},
    "channels": {"en": "Acquisition channels", "zh": "获客渠道"},
    "channel": {"en": "Channel", "zh": "渠道"},
    "buyers": {"en": "Buyers", "zh": "购买客户"},
    "conversion": {"en": "Conversion", "zh": "转化率"},
    "spend": {"en": "Spend", "zh": "花费"},
    "cac": {"en": "Cost per buyer", "zh": "每位购买客户成本"},
    "period": {
        "en": "Orders from {first} to {last}; paid revenue {revenue}",
        "zh": "订单期间 {first} 至 {last}；已付收入 {revenue}",
    },
    "next": {
        "en": "Churn risk, KPIs and cohorts, and playbooks join in coming releases; per-customer "
        "value, segments, health and lead scores are in `tenure report` and the store.",
        "zh": "流失风险、KPI 与同期群、自动化剧本将在后续版本提供；客户价值、分群、健康度与"
        "线索评分已可通过 `tenure report` 与数据库查看。",
    },
    "stages": {"en": "Lifecycle stages", "zh": "生命周期阶段"},
    "stages_as_of": {"en": "as of {day}", "zh": "截至 {day}"},
    "stage": {"en": "Stage", "zh": "阶段"},
    "share": {"en": "Share", "zh": "占比"},
    "no_stages": {
        "en": "No scoring run yet: run `tenure score` to place every customer in a lifecycle "
        "stage.",
        "zh": "尚未评分：运行 `tenure score` 为每位客户划分生命周期阶段。",
    },
    "stage_potential": {"en": "Potential", "zh": "潜在客户"},
    "stage_new": {"en": "New", "zh": "新客户"},
    "stage_growing": {"en": "Growing", "zh": "成长客户"},
    "stage_mature": {"en": "Mature", "zh": "成熟客户"},
    "stage_declining": {"en": "Declining", "zh": "衰退客户"},
    "stage_churned": {"en": "Churned", "zh": "流失客户"},
    "stage_won_back": {"en": "Won back", "zh": "挽回客户"},
    "switch": {"en": "中文", "zh": "English"},
}

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
    "orders_30": {"en": "{v:.0f} orders in 30 days", "zh": "近 30 天 {v:.0f} 笔订单"},
    "orders_90": {"en": "{v:.0f} orders in 90 days", "zh": "近 90 天 {v:.0f} 笔订单"},
    "orders_365": {"en": "{v:.0f} orders in a year", "zh": "近一年 {v:.0f} 笔订单"},
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
    "engagement": {"en": "low engagement ({v:.1f})", "zh": "参与度低（{v:.1f}）"},
    "complaints_90": {"en": "{v:.0f} complaints in 90 days", "zh": "近 90 天投诉 {v:.0f} 次"},
    "tickets_90": {"en": "{v:.0f} support tickets in 90 days", "zh": "近 90 天工单 {v:.0f} 个"},
    "last_nps": {"en": "last NPS answer {v:.0f}", "zh": "最近一次 NPS 评分 {v:.0f}"},
    "refunds": {"en": "{v:.0f} refunded orders", "zh": "{v:.0f} 笔退款订单"},
    "active_subscriptions": {
        "en": "{v:.0f} active subscriptions",
        "zh": "{v:.0f} 个有效订阅",
    },
    "email_consent": {"en": "email consent {v:.0f}", "zh": "邮件授权 {v:.0f}"},
}
MISSING_REASONS: dict[str, dict[str, str]] = {
    "last_nps": {"en": "never answered a survey", "zh": "从未回答问卷"},
    "days_since_event": {"en": "no activity in 90 days", "zh": "90 天内无任何活动"},
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
    return (template.get(lang) or template["en"]).format(v=value)


def pick_language(query: str | None, accept_language: str | None, default: str = "en") -> str:
    """Choose the language: an explicit ?lang= first, then the browser's Accept-Language."""
    if query in LANGUAGES:
        return query
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh"
        if tag.startswith("en"):
            return "en"
    return default if default in LANGUAGES else "en"


def translate(key: str, lang: str, **values: object) -> str:
    """Return message ``key`` in ``lang`` (English when missing), with values filled in."""
    entry = MESSAGES.get(key, {})
    text = entry.get(lang) or entry.get("en") or key
    return text.format(**values) if values else text
