"""The words of ``tenure report …`` in English and 简体中文, and its figures written by CLDR.

English is the source language: a report writes ``w("customers")`` and ZH gives its Chinese.
The keys a report shows (stages, bands, channels, segments, statuses) take their labels from
the one catalogue, tenure.kit.vocabulary; numbers, money, shares and days are written by Babel
in the reader's language (tenure.web.i18n.Formatter, the web app's own). ``--lang`` picks the
language; without it LC_ALL, LC_MESSAGES or LANG starting with ``zh`` choose 中文.
JSON and CSV stay keyed by the stored keys: they are for programs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import typer

from tenure.kit import vocabulary

LANGS = ("en", "zh")

# every phrase a report prints, English → 中文 (a test reads the reports' source for w("…"))
ZH: dict[str, str] = {
    # column headers
    "stage": "阶段",
    "customers": "客户数",
    "share": "占比",
    "from": "从",
    "to": "到",
    "segment": "分群",
    "mean CLV": "平均 CLV",
    "total CLV": "CLV 合计",
    "run": "运行",
    "as of": "截至",
    "status": "状态",
    "moved": "移动",
    "seconds": "秒",
    "value model": "价值模型",
    "LL": "对数似然",
    "equity": "客户资产",
    "churn AUC": "流失 AUC",
    "score": "评分",
    "customer": "客户",
    "risk": "风险",
    "CLV": "CLV",
    "why": "原因",
    "KPI": "指标",
    "change": "变化",
    "value": "数值",
    "NPS": "NPS",
    "answers": "回答数",
    "month": "月份",
    "new": "新增",
    "active": "活跃",
    "lapsed": "流失（无付款订单）",
    "won back": "挽回",
    "churn": "流失率",
    "revenue": "收入",
    "AOV": "客单价",
    "returning": "回头客占比",
    "cohort": "同期群",
    "m{k}": "第 {k} 月",
    "channel": "渠道",
    "spend": "投放花费",
    "new customers": "新客户",
    "CAC": "获客成本",
    "revenue to date": "至今收入",
    "ROI": "投资回报率",
    # titles and sentences
    "Stages as of {day} (run {run})": "截至 {day} 的阶段分布（运行 {run}）",
    "Moves since the previous run": "自上次运行以来的阶段变化",
    "(first seen)": "（首次出现）",
    "RFM segments as of {day} (run {run})": "截至 {day} 的 RFM 分群（运行 {run}）",
    "Value × loyalty as of {day} (run {run})": "截至 {day} 的价值 × 忠诚度（运行 {run}）",
    "Scoring runs": "评分运行",
    "Stage flow from run {first} to run {second}": "从运行 {first} 到运行 {second} 的阶段流转",
    "Only one run so far: score another day to see the flow.": (
        "目前只有一次运行：再为另一天评分即可看到流转。"
    ),
    "Churn in the next {days} days — learned as of {train}, tested as of {test} "
    "({buyers} buyers, {rate} churned)": (
        "未来 {days} 天的流失 — 截至 {train} 学习，截至 {test} 检验（{buyers} 位买家，{rate} 流失）"
    ),
    "churn model": "流失模型",
    "days since last purchase": "距上次购买天数",
    "1 − P(alive), transaction model": "1 − 存活概率（交易模型）",
    "Riskiest {top} customers": "风险最高的 {top} 位客户",
    "The last 30 days (run {run}, as of {day})": "最近 30 天（运行 {run}，截至 {day}）",
    "The customer base as of {day}": "截至 {day} 的客户基础",
    "Stages and their NPS": "各阶段及其 NPS",
    "churned is a stage, decided by the stage rules (docs/stages.md); its count may differ "
    "from the lapsed customers above, who are every buyer without a recent paid order "
    "(docs/metrics.md).": (
        "“流失客户”是一个阶段，由阶段规则决定（docs/stages.md）；其人数可能与上面的"
        "“流失（无付款订单）”客户不同，后者是近期没有付款订单的所有买家（docs/metrics.md）。"
    ),
    "Month by month (* = partial; all columns: --csv)": "逐月（* = 未满月；全部列：--csv）",
    "{value} ({answers} answers)": "{value}（{answers} 个回答）",
    "Cohort retention as of {day} (share buying k months after the first)": (
        "截至 {day} 的同期群留存（首次购买后第 k 个月仍购买的占比）"
    ),
    "Acquisition channels, all months to {day}": "获客渠道，截至 {day} 的所有月份",
    "By channel and month": "按渠道和月份",
    # errors
    "nothing has been scored yet: run `tenure score` (or `tenure demo`)": (
        "尚未评分：请运行 `tenure score`（或 `tenure demo`）"
    ),
    "no churn model in run {run}: {why}": "运行 {run} 没有流失模型：{why}",
    "no paid orders yet: there are no cohorts to show": "尚无付款订单：没有可显示的同期群",
    # KPI rows
    "revenue (paid)": "收入（已付款）",
    "orders": "订单数",
    "buyers": "买家数",
    "average order value": "客单价",
    "lapsed ({days} days since their last paid order)": "流失（距上次付款订单已 {days} 天）",
    "active customers at the end": "期末活跃客户",
    "customers (leads included)": "客户（含潜在客户）",
    "active customers": "活跃客户",
    "lapsed customers (no paid order in {days} days)": "流失客户（{days} 天内无付款订单）",
    "lead → customer conversion": "潜在客户 → 客户转化率",
    "median days to convert": "转化天数中位数",
    "buyers who bought before their acquisition day": "获客日之前已购买的买家",
    "first → second purchase in 90 days": "90 天内首购 → 复购",
    "repurchase rate": "复购率",
    "average order value, 365 days": "客单价（365 天）",
    "orders per buyer, 365 days": "每位买家订单数（365 天）",
    "won back, 90 days": "挽回客户（90 天）",
    "win-back rate, 90 days": "挽回率（90 天）",
    "complaint rate, 90 days": "投诉率（90 天）",
    "cross-sell rate": "交叉销售率",
    "revenue share of the top 20%": "前 20% 客户的收入占比",
    "paid revenue so far, total": "至今付款收入合计",
    "paid revenue so far, per buyer": "至今每位买家付款收入",
    "gross margin so far, total": "至今毛利合计",
    "gross margin so far, per buyer": "至今每位买家毛利",
    "predictive CLV, total": "预测 CLV 合计",
    "predictive CLV, mean": "预测 CLV 平均",
    "customer equity": "客户资产",
    "NPS (latest answer per customer, 365 days)": "NPS（每位客户最近一次回答，365 天）",
    # tenure report cross-sell
    "no cross-sell in run {run}": "运行 {run} 未计算交叉销售",
    "within {days} days": "{days} 天内",
    "median lag, days": "中位间隔（天）",
    "quartiles": "四分位",
    "Strongest sequences of {level} as of {day} ({due} customers due now)": (
        "截至 {day} 最强的{level}购买序列（{due} 位客户现在到期）"
    ),
    "products": "商品",
    "categories": "品类",
    "method": "方法",
    "precision@{k}": "精确率@{k}",
    "recall@{k}": "召回率@{k}",
    "hit rate": "命中率",
    "Offers learned as of {day}, tested on the next {days} days ({buyers} buyers)": (
        "推荐截至 {day} 学习，在之后 {days} 天检验（{buyers} 位买家）"
    ),
    "next best offer": "下一最佳推荐",
    "most popular": "最受欢迎",
    "sequence only": "仅序列",
    # tenure loyalty report
    "outcome": "指标",
    "members": "会员",
    "comparable non-members": "可比非会员",
    "difference (95% interval)": "差值（95% 区间）",
    "Members beside comparable non-members as of {day}": "截至 {day} 会员与可比非会员对比",
    "repurchase within 90 days": "90 天内复购率",
    "spend since joining (historical CLV)": "入会以来消费（历史 CLV）",
    "predicted CLV": "预测 CLV",
    "{matched} of {members} members matched with {others} of {non_members} "
    "non-members in {strata} strata": (
        "{members} 位会员中 {matched} 位与 {non_members} 位非会员中的 {others} 位"
        "在 {strata} 个分层中匹配"
    ),
    "comparable non-members — not a causal effect": "可比非会员 — 并非因果效应",
    "the programme has no tiers": "该计划没有等级",
    "no tier": "无等级",
    "Tier migration from {start} to {end}": "{start} 至 {end} 的等级迁移",
    "total": "合计",
    # tenure playbooks simulate
    "replaying days": "正在回放天数",
    "Dry run of {name}, {first} to {last}": "{name} 的历史试运行，{first} 至 {last}",
    "An observation of history, not the playbook's effect.": "这是对历史的观察，不是剧本的效果。",
    "entered": "进入",
    "treated": "执行组",
    "holdout": "对照组",
    "declared": "设定",
    "global control": "全局对照组",
    "set off": "触发",
    "failed conditions": "不满足条件",
    "still enrolled": "仍在剧本中",
    "enrolled once": "已进入过",
    "too soon": "间隔太短",
    "Entries per week": "每周进入人数",
    "emails sent": "发送邮件",
    "no consent": "未同意接收",
    "over the frequency cap": "超出频率上限",
    "tasks": "任务",
    "emails": "邮件",
    "Workload per owner": "每位负责人的工作量",
    "busiest week": "最忙一周",
    "{points} points": "{points} 个百分点",
    "Also enrolled in another playbook at entry": "进入时已在其他剧本中",
    "Goal met within {days} days (observed, not caused)": "{days} 天内达成目标（观察值，非因果）",
    "all": "全部",
    "not replayed": "未回放",
    "sequences and popular": "序列与热门",
}


def default_lang(environ: Mapping[str, str] | None = None) -> str:
    """Return the locale's language: zh when LC_ALL, LC_MESSAGES or LANG starts with zh."""
    env = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "")
        if value:  # the first one set decides, as POSIX says
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def lang_option() -> Any:
    """Return the ``--lang`` option every report takes."""
    return typer.Option(
        None,
        "--lang",
        help="Language of the report: en or zh (default: zh when LC_ALL / LANG start with zh).",
        show_default=False,
    )


class Words:
    """A report's words, labels and formats in one language."""

    def __init__(self, lang: str, currency: str) -> None:
        from tenure.web.i18n import Formatter

        self.lang = lang
        self.fmt = Formatter(lang, currency)

    def __call__(self, text: str, **values: object) -> str:
        """Return ``text`` in this language, ``{name}`` filled in with ``values``."""
        said = ZH.get(text, text) if self.lang == "zh" else text
        return said.format(**values) if values else said

    def stage(self, key: str | None) -> str:
        """Return a stage's name: ``won_back`` → "won back" / "挽回客户"."""
        return vocabulary.label("stage", key, self.lang)

    def label(self, kind: str, key: str | None) -> str:
        """Return the catalogue's label of ``key``."""
        return vocabulary.label(kind, key, self.lang)

    def number(self, value: float | int | Decimal | None, digits: int = 0) -> str:
        """Write a number by CLDR."""
        return self.fmt.number(value, digits)

    def money(self, value: float | Decimal | None, digits: int = 2) -> str:
        """Write money in the business's currency by CLDR."""
        return self.fmt.money(value, digits)

    def percent(self, value: float | None, digits: int = 1) -> str:
        """Write a share by CLDR."""
        return self.fmt.percent(value, digits)

    def day(self, value: date | datetime | str | None) -> str:
        """Write a day (or a YYYY-MM month) by CLDR."""
        return self.fmt.day(value)


def words(lang: str | None) -> Words:
    """Return the words of ``--lang`` (None: the locale's); refuse a language we do not speak."""
    from tenure.cli import context

    chosen = default_lang() if lang is None else lang.strip().lower()
    if chosen not in LANGS:
        context.fail(f"--lang: {lang!r} is not a language Tenure speaks; use en or zh")
    context.LANGUAGE = chosen
    return Words(chosen, context.settings().business.currency)
