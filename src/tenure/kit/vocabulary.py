"""Tenure's own words for the keys its data carries, in English and 简体中文: one catalogue.

The web app's interface text lives in gettext catalogues (tenure.web.i18n); what comes from
data and code — a stage rule's name, a health band, an event type, a channel, an RFM segment,
a role, a run's status, an audit action — is a key stored in the store, and this catalogue
gives each its label in both languages, for the web app and the CLI alike. A key nobody
labelled shows as itself (a customer's own event types, channels of their own naming). A test
fails while any key the code can produce lacks either language.
"""

from __future__ import annotations

Labels = dict[str, dict[str, str]]


def _l(en: str, zh: str) -> dict[str, str]:
    return {"en": en, "zh": zh}


# the lifecycle stages, by the web app's names (潜在客户 …); English as the CLI writes them
STAGES: Labels = {
    "potential": _l("potential", "潜在客户"),
    "new": _l("new", "新客户"),
    "growing": _l("growing", "成长客户"),
    "mature": _l("mature", "成熟客户"),
    "declining": _l("declining", "衰退客户"),
    "churned": _l("churned", "流失客户"),
    "won_back": _l("won back", "挽回客户"),
}

STAGE_RULES: Labels = {
    # ecommerce
    "never_bought": _l("no paid purchase yet", "尚无付款购买"),
    "gone_quiet": _l("gone quiet: unlikely to be alive", "已沉寂：很可能已流失"),
    "silent_too_long": _l("silent too long", "沉寂过久"),
    "unlikely_alive": _l("unlikely to be still a customer", "不太可能仍是客户"),
    "came_back": _l("came back after a long silence", "长期沉寂后回归"),
    "first_purchase_recent": _l("first purchase recently", "近期首次购买"),
    "no_repeat": _l("no repeat purchase", "没有复购"),
    "overdue": _l("overdue against their own rhythm", "超出自身购买节奏"),
    "unhealthy": _l("health turned red", "健康度转红"),
    "activity_fading": _l("activity fading", "活跃度下降"),
    "established": _l("established buyer", "稳定客户"),
    "repeat_buyer": _l("repeat buyer", "复购客户"),
    # subscriptions
    "never_subscribed": _l("no contract yet", "尚无合同"),
    "all_cancelled": _l("every contract cancelled", "所有合同均已取消"),
    "resubscribed": _l("subscribed again after cancelling", "取消后重新订阅"),
    "new_contract": _l("first contract recently", "近期首份合同"),
    "usage_fading": _l("usage fading or complaints", "使用下降或有投诉"),
    "long_standing": _l("long-standing contract", "长期合同"),
    "active_contract": _l("an active contract", "有效合同"),
}

HEALTH_BANDS: Labels = {
    "green": _l("green", "绿色"),
    "yellow": _l("yellow", "黄色"),
    "red": _l("red", "红色"),
}

LEAD_BANDS: Labels = {"hot": _l("hot", "热"), "warm": _l("warm", "温"), "cold": _l("cold", "冷")}

ORDER_STATUSES: Labels = {
    "paid": _l("paid", "已付款"),
    "refunded": _l("refunded", "已退款"),
    "cancelled": _l("cancelled", "已取消"),
}

EVENT_TYPES: Labels = {
    "login": _l("login", "登录"),
    "page_view": _l("page view", "页面浏览"),
    "feature_use": _l("feature used", "功能使用"),
    "email_open": _l("email opened", "打开邮件"),
    "email_click": _l("email link clicked", "点击邮件链接"),
    "support_ticket": _l("support ticket", "支持工单"),
    "complaint": _l("complaint", "投诉"),
    "subscription_started": _l("subscription started", "订阅开始"),
    "subscription_renewed": _l("subscription renewed", "订阅续订"),
    "subscription_cancelled": _l("subscription cancelled", "订阅取消"),
    # Tenure's own
    "stage_changed": _l("stage changed", "阶段变化"),
    "score_crossed": _l("score crossed a line", "评分跨越阈值"),
    "cross_sell_due": _l("due for a cross-sell offer", "交叉销售推荐到期"),
    "task_completed": _l("task completed", "任务完成"),
    "message_sent": _l("email sent", "邮件已发送"),
    "survey_answered": _l("survey answered", "回答了调查"),
    "tier_changed": _l("tier changed", "会员等级变化"),
    "segment_changed": _l("segment changed", "分群变化"),
}

CHANNELS: Labels = {
    "search_ads": _l("search ads", "搜索广告"),
    "social": _l("social media", "社交媒体"),
    "content_seo": _l("content and SEO", "内容与搜索优化"),
    "referral": _l("referral", "推荐"),
    "events": _l("events", "活动"),
    "partners": _l("partners", "合作伙伴"),
    "direct": _l("direct", "直接访问"),
    "web": _l("web shop", "网店"),
    "app": _l("app", "应用"),
    "store": _l("store", "门店"),
}

RFM_SEGMENTS: Labels = {
    "champions": _l("champions", "冠军客户"),
    "loyal": _l("loyal", "忠诚客户"),
    "potential_loyalists": _l("potential loyalists", "潜在忠诚客户"),
    "new": _l("new", "新客户"),
    "promising": _l("promising", "有潜力客户"),
    "need_attention": _l("need attention", "需要关注"),
    "about_to_sleep": _l("about to sleep", "即将沉睡"),
    "cant_lose": _l("can't lose them", "不能失去"),
    "at_risk": _l("at risk", "有风险"),
    "hibernating": _l("hibernating", "休眠"),
    "lost": _l("lost", "已流失"),
}

VALUE_QUADRANTS: Labels = {
    "high_value_loyal": _l("high value, loyal", "高价值·忠诚"),
    "high_value_occasional": _l("high value, occasional", "高价值·偶尔购买"),
    "low_value_loyal": _l("low value, loyal", "低价值·忠诚"),
    "low_value_occasional": _l("low value, occasional", "低价值·偶尔购买"),
}

ROLES: Labels = {
    "admin": _l("administrator", "管理员"),
    "manager": _l("manager", "经理"),
    "marketing": _l("marketing", "市场"),
    "sales": _l("sales", "销售"),
    "csm": _l("customer success", "客户成功"),
    "viewer": _l("viewer", "只读"),
}

RUN_STATUSES: Labels = {
    "queued": _l("queued", "排队中"),
    "running": _l("running", "运行中"),
    "done": _l("done", "已完成"),
    "failed": _l("failed", "失败"),
}

TASK_STATUSES: Labels = {"open": _l("open", "待办"), "done": _l("done", "已完成")}

REFERRAL_STATUSES: Labels = {
    "waiting": _l("waiting for the first order", "等待首单"),
    "review": _l("waiting for review", "待审核"),
    "rewarded": _l("rewarded", "已奖励"),
    "rejected": _l("rejected", "已拒绝"),
}
REFERRAL_REASONS: Labels = {
    "self_referral": _l("referred themselves", "推荐了自己"),
    "already_customer": _l("already a customer before", "此前已是客户"),
    "duplicate_email": _l("email of another customer", "与其他客户邮箱相同"),
    "duplicate_phone": _l("phone of another customer", "与其他客户电话相同"),
    "similar_email": _l("email like the referrer's", "邮箱与推荐人相似"),
    "burst": _l("many referrals in one week", "一周内推荐过多"),
    "referrer_contact": _l("shares the referrer's phone", "与推荐人电话相同"),
    "first_order_refunded": _l("first order refunded", "首单已退款"),
    "first_order_small": _l("first order below the minimum", "首单低于最低金额"),
}
LOYALTY_ENTRIES: Labels = {
    "earn": _l("earned", "获得"),
    "redeem": _l("redeemed", "兑换"),
    "expire": _l("expired", "过期"),
    "reverse": _l("taken back after a refund", "退款扣回"),
    "adjust": _l("adjusted", "调整"),
}

AUDIT_ACTIONS: Labels = {
    "customer.create": _l("customer created", "创建客户"),
    "customer.update": _l("customer changed", "修改客户"),
    "customer.erase": _l("customer erased", "删除客户个人数据"),
    "offer.dismiss": _l("offer dismissed for 30 days", "暂不推荐此商品 30 天"),
    "events.ingest": _l("events received", "接收事件"),
    "loyalty.adjust": _l("points adjusted by hand", "手动调整积分"),
    "loyalty.opening": _l("opening balances imported", "导入期初积分余额"),
    "loyalty.referral_approve": _l("referral approved after review", "审核通过推荐"),
    "loyalty.referral_reject": _l("referral rejected after review", "审核拒绝推荐"),
    "playbook.create": _l("playbook created", "创建剧本"),
    "playbook.publish": _l("playbook published", "发布剧本"),
    "playbook.pause": _l("playbook paused", "暂停剧本"),
    "playbook.resume": _l("playbook resumed", "恢复剧本"),
    "playbook.enroll": _l("customer enrolled by hand", "手动加入剧本"),
    "playbook.dry_run": _l("dry run on history asked for", "请求历史试运行"),
    "run.request": _l("scoring run requested", "请求评分运行"),
    "segment.create": _l("segment saved", "保存分群"),
    "segment.delete": _l("segment deleted", "删除分群"),
    "settings.save": _l("settings saved", "保存设置"),
    "settings.reset": _l("settings reset", "恢复设置"),
    "task.create": _l("task created", "创建任务"),
    "task.update": _l("task changed", "修改任务"),
    "task.complete": _l("task completed", "完成任务"),
    "task.check": _l("checklist step ticked", "勾选清单步骤"),
    "task.uncheck": _l("checklist step unticked", "取消勾选清单步骤"),
    "task.reopen": _l("task reopened", "重新打开任务"),
    "team.create": _l("team created", "创建团队"),
    "team.update": _l("team changed", "修改团队设置"),
    "survey.escalate": _l("follow-up escalated to the team lead", "跟进已升级给团队负责人"),
    "survey.close": _l("follow-up closed", "跟进已结束"),
    "token.create": _l("API token issued", "签发 API 令牌"),
    "token.revoke": _l("API token revoked", "撤销 API 令牌"),
    "unsubscribe": _l("unsubscribed from email", "退订邮件"),
    "user.create": _l("user added", "添加用户"),
    "user.password": _l("password set", "设置密码"),
    "user.password_reset": _l("password reset (one-time password)", "重置密码（一次性密码）"),
    "user.role": _l("role changed", "修改角色"),
    "user.team": _l("team changed", "修改团队"),
    "user.active": _l("access stopped or restored", "停用或恢复访问"),
}

# the figures a stage rule reads, named (the rule's numbers on the 360 and in reports)
FIGURES: Labels = {
    "acquired_days": _l("days since they arrived", "自到来起的天数"),
    "p_alive": _l("P(alive)", "存活概率"),
    "days_since_last": _l("days since the last purchase", "距上次购买天数"),
    "days_since_active": _l("days since the last visit or use", "距上次访问或使用天数"),
    "days_since_comeback": _l("days since they came back", "回归以来天数"),
    "tenure_days": _l("days a customer", "成为客户天数"),
    "typical_gap_days": _l("usual days between purchases", "通常购买间隔天数"),
    "overdue_ratio": _l("times their usual gap", "为平时间隔的倍数"),
    "health_band": _l("health", "健康度"),
    "events_30": _l("events in the last 30 days", "近 30 天事件数"),
    "events_prior_30": _l("events in the 30 days before", "此前 30 天事件数"),
    "activity_trend": _l("activity against the month before", "与上月相比的活跃度"),
    "purchase_days": _l("days with a purchase", "有购买的天数"),
    "frequency": _l("repeat purchases", "复购次数"),
    "active_subscriptions": _l("active contracts", "有效合同数"),
    "complaints_90": _l("complaints in 90 days", "近 90 天投诉数"),
    "days_since_resubscribed": _l("days since they subscribed again", "重新订阅以来天数"),
    "ever_subscribed": _l("ever subscribed", "曾经订阅"),
    "subscribed_days": _l("days subscribed", "订阅天数"),
}

# the signals a health score weighs (Settings → Health score)
HEALTH_SIGNALS: Labels = {
    "p_alive": _l("P(alive)", "存活概率"),
    "recency": _l("recency", "最近购买"),
    "activity": _l("activity", "活跃度"),
    "nps": _l("NPS", "NPS 评分"),
    "complaints": _l("complaints", "投诉"),
}

# the stage thresholds of Settings, said in words (English: the field's own description)
STAGE_SETTINGS: Labels = {
    "new_window_days": _l(
        "A first purchase (or first contract) stays 'new' this long without a repeat.",
        "首次购买（或首份合同）后未复购时，保持“新客户”的天数。",
    ),
    "churn_after_days": _l("Silent longer than this: churned.", "沉寂超过此天数：流失客户。"),
    "won_back_days": _l(
        "A customer back after churning stays 'won back' this long.",
        "流失后回归的客户保持“挽回客户”的天数。",
    ),
    "overdue_multiple": _l(
        "Silent for this many times the customer's own typical gap: declining.",
        "沉寂时间达到客户自身通常购买间隔的此倍数：衰退客户。",
    ),
    "overdue_min_days": _l(
        "…but only once silent at least this long.", "……但前提是至少已沉寂这么多天。"
    ),
    "activity_min_events": _l(
        "Activity trend counts only with at least this many events in the prior 30 days.",
        "前 30 天至少有这么多事件时，才计算活跃度趋势。",
    ),
    "activity_drop": _l(
        "Last 30 days' activity below this share of the 30 days before: declining.",
        "最近 30 天的活跃度低于此前 30 天的此比例：衰退客户。",
    ),
    "complaints_alarm": _l(
        "Complaints in 90 days that mark a subscription customer as declining.",
        "90 天内达到此投诉次数的订阅客户记为衰退客户。",
    ),
    "mature_min_purchases": _l(
        "Purchase days needed to be mature.", "成为成熟客户所需的购买天数。"
    ),
    "mature_min_tenure_days": _l(
        "Days since the first purchase (or contract) needed to be mature.",
        "成为成熟客户所需的自首次购买（或首份合同）以来的天数。",
    ),
    "declining_p_alive": _l(
        "A buyer whose probability of being alive is below this (and who has not bought "
        "within their rhythm): declining; at or above it, never churned.",
        "存活概率低于此值（且未按自身节奏购买）的买家：衰退客户；达到或高于此值的买家不会被记为流失客户。",
    ),
    "churned_p_alive": _l(
        "A buyer whose probability of being alive is below this, silent for "
        "churned_min_days: churned.",
        "存活概率低于此值、且沉寂达 churned_min_days 天的买家：流失客户。",
    ),
    "churned_min_days": _l(
        "No customer who bought within this many days is churned.",
        "在这么多天内有购买的客户不会被记为流失客户。",
    ),
    "recent_purchase_days": _l(
        "A purchase within this many days (or within the customer's own usual gap) "
        "keeps a customer out of declining.",
        "在这么多天内（或客户自身通常间隔内）有购买的客户不会被记为衰退客户。",
    ),
}

SURVEY_BANDS: Labels = {
    "promoter": _l("promoter", "推荐者"),
    "passive": _l("passive", "被动者"),
    "detractor": _l("detractor", "贬损者"),
    "satisfied": _l("satisfied", "满意"),
    "neutral": _l("neutral", "一般"),
    "unsatisfied": _l("unsatisfied", "不满意"),
}
ROOT_CAUSES: Labels = {
    "product": _l("product", "产品"),
    "service": _l("service", "服务"),
    "price": _l("price", "价格"),
    "other": _l("other", "其他"),
}

VOCABULARIES: dict[str, Labels] = {
    "stage": STAGES,
    "stage_rule": STAGE_RULES,
    "health_band": HEALTH_BANDS,
    "lead_band": LEAD_BANDS,
    "order_status": ORDER_STATUSES,
    "event_type": EVENT_TYPES,
    "channel": CHANNELS,
    "rfm_segment": RFM_SEGMENTS,
    "value_quadrant": VALUE_QUADRANTS,
    "role": ROLES,
    "run_status": RUN_STATUSES,
    "task_status": TASK_STATUSES,
    "audit_action": AUDIT_ACTIONS,
    "figure": FIGURES,
    "health_signal": HEALTH_SIGNALS,
    "stage_setting": STAGE_SETTINGS,
    "referral_status": REFERRAL_STATUSES,
    "referral_reason": REFERRAL_REASONS,
    "band": SURVEY_BANDS,
    "root_cause": ROOT_CAUSES,
    "loyalty_entry": LOYALTY_ENTRIES,
}


def label(vocabulary: str, key: str | None, lang: str) -> str:
    """Return ``key``'s label in ``lang`` (en or zh); a key nobody labelled shows as itself."""
    if key is None:
        return "—"
    found = VOCABULARIES[vocabulary].get(str(key))
    if found is None:
        return str(key)
    return found.get(lang) or found["en"]


def figures_text(numbers: dict[str, object] | None, lang: str) -> str:
    """Say the figures a stage rule read in words people read.

    E.g. ``overdue_ratio`` 3.28 → "3.3× their usual gap since the last purchase", instead of
    ``overdue_ratio = 3.2755…``.
    """
    from tenure.kit.i18n import REASONS, reason_text

    said = []
    for key, value in (numbers or {}).items():
        if key in REASONS and (value is None or isinstance(value, int | float)):
            said.append(reason_text(key, None if value is None else float(value), lang))
        elif key in ("health_band",):
            said.append(f"{label('figure', key, lang)}: {label('health_band', str(value), lang)}")
        elif isinstance(value, float):
            shown = f"{value:.0%}" if key == "p_alive" else f"{value:,.1f}"
            said.append(f"{label('figure', key, lang)}: {shown}")
        else:
            said.append(f"{label('figure', key, lang)}: {value}")
    return ("；" if lang == "zh" else "; ").join(said)
