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
