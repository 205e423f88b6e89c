# ruff: noqa: E501  (a catalogue of sentences: one pair a line reads best)
"""Error sentences in 中文: one catalogue from the English sentence patterns to Chinese.

The code raises its errors in English (``kit.errors``); the API's ``detail``, the web app's
error page and the CLI's ``error:`` line answer in the caller's language through ``say``.
A pattern is the sentence as the source writes it, each ``{…}`` of its f-string written
``{}``; the Chinese puts the values back by position, ``{0}``, ``{1}``, …. What fills a
placeholder (a field name, a value, a list of choices) stays as it was.
tests/kit/test_error_words.py reads every error sentence off the source and checks that it
has a Chinese form here.
"""

from __future__ import annotations

import functools
import re

ZH: dict[str, str] = {
    # access and tokens (api/auth.py, domains/users)
    "send an API token: Authorization: Bearer TOKEN": "请发送 API 令牌：Authorization: Bearer TOKEN",
    "this token (role {}, scopes {}) may not {}": "此令牌（角色 {0}，范围 {1}）无权 {2}",
    "the API token is unknown or revoked": "API 令牌不存在或已撤销",
    "the API token's user {} still has a one-time password: they must sign in and choose a new "
    "password (or an admin sets one: tenure users password {}) before their tokens work": (
        "API 令牌的用户 {0} 仍在使用一次性密码：须先登录并设置新密码"
        "（或由管理员设置：tenure users password {1}），其令牌才能使用"
    ),
    "{} is not yours: the role {} may change only their own ([access] {} = {})": (
        "{0} 不属于您：角色 {1} 只能修改自己的记录（[access] {2} = {3}）"
    ),
    "{} is not yours: the role {} may change only their own or their team's ([access] {} = {})": (
        "{0} 不属于您：角色 {1} 只能修改自己或本团队的记录（[access] {2} = {3}）"
    ),
    "no user with the email {}": "没有邮箱为 {0} 的用户",
    "no user with id {}": "没有 id 为 {0} 的用户",
    "{} is not an email address": "{0} 不是邮箱地址",
    "a user with the email {} exists already": "邮箱为 {0} 的用户已存在",
    "password: {}": "密码：{0}",
    "a password needs at least {} characters": "密码至少需要 {0} 个字符",
    "a password has at most {} characters": "密码最多 {0} 个字符",
    "scopes must be some of {}; got {}": "范围必须取自 {0}；收到 {1}",
    "no active API token with id {}": "没有 id 为 {0} 的有效 API 令牌",
    "team: {} is not a team name: lower-case letters, digits and hyphens, e.g. success or "
    "sales-east": "team：{0} 不是团队名称：只能用小写字母、数字和连字符，例如 success 或 sales-east",
    "you cannot deactivate yourself; ask another admin": "不能停用自己；请另一位管理员操作",
    "unknown role {}; roles: {}": "未知角色 {0}；可用角色：{1}",
    "{} is not a user id": "{0} 不是用户 id",
    # survey teams, routing and follow-ups (domains/surveys, api/surveys.py, cli/surveys.py)
    "survey: the file routes another survey than {}": "survey：该文件路由的是另一个问卷，而不是 {0}",
    "--lead: no user {}": "--lead：没有用户 {0}",
    "no answer with id {}": "没有 id 为 {0} 的回答",
    "task {} is not a survey follow-up": "任务 {0} 不是问卷跟进任务",
    "outcome: one of {}, not {}": "outcome：须为 {0} 之一，而不是 {1}",
    "ask: the routing rule {} names no check survey to send": "ask：路由规则 {0} 没有指定要发送的回访问卷",
    "key: a team needs a key, e.g. support": "key：团队需要一个标识，例如 support",
    "{}: not a field of a team": "{0}：不是团队的字段",
    "no team {}": "没有团队 {0}",
    "assign: one of {}, not {}": "assign：须为 {0} 之一，而不是 {1}",
    "sla_hours: a whole number of hours from 1 to {}": "sla_hours：1 到 {0} 之间的整数小时",
    "{}: 1–100 characters": "{0}：1–100 个字符",
    "lead_id: no active user with id {}": "lead_id：没有 id 为 {0} 的在职用户",
    # loyalty API (api/loyalty.py)
    "key: the body's key and the Idempotency-Key header differ": "key：请求体中的 key 与 Idempotency-Key 请求头不一致",
    "key: give an idempotency key (Idempotency-Key header or key)": "key：请提供幂等键（Idempotency-Key 请求头或 key 字段）",
    "customer_id: no customer {}": "customer_id：没有客户 {0}",
    "reward: give a reward or an amount (one of them)": "reward：请给出奖励或数量（二者之一）",
    # cross-sell (domains/crosssell)
    "level: must be one of {}, not {}": "level：须为 {0} 之一，而不是 {1}",
    "min_share: must be between 0 and 1": "min_share：须在 0 到 1 之间",
    "item: give the offered item (1–128 characters)": "item：请给出推荐的商品（1–128 个字符）",
    "item: give the item B the customers are due for (1–128 characters)": (
        "item：请给出客户到期应推荐的商品 B（1–128 个字符）"
    ),
    "name: give the segment a name": "name：请为分群命名",
    # customers
    "customer: no customer with external id {}; create it first (POST /api/v1/customers)": (
        "customer：没有外部 id 为 {0} 的客户；请先创建（POST /api/v1/customers）"
    ),
    "no customer with id {}": "没有 id 为 {0} 的客户",
    "customer_id: no customer with id {}": "customer_id：没有 id 为 {0} 的客户",
    "no customer {}": "没有客户 {0}",
    "customer: no customer has the external id {}": "customer：没有外部 id 为 {0} 的客户",
    "customer_external_id: no customer {}": "customer_external_id：没有客户 {0}",
    "owner_id: no user with id {}": "owner_id：没有 id 为 {0} 的用户",
    "external_id: a customer needs the id your own systems know them by": (
        "external_id：客户需要一个您自己系统中使用的 id"
    ),
    "external_id {} belongs to customer {} already": "external_id {0} 已属于客户 {1}",
    "external_id: a customer's external id never changes": "external_id：客户的外部 id 不可更改",
    "sort: one of {}, not {}": "sort：须为 {0} 之一，而不是 {1}",
    "after: {} is not a cursor this list gave out": "after：{0} 不是此列表给出的游标",
    "{}: holds a NUL character (\\0)": "{0}：含有 NUL 字符（\\0）",
    "customer {} was erased already": "客户 {0} 已被删除",
    "confirm: type the customer's id {} to erase them": "confirm：请输入客户 id {0} 以确认删除",
    # playbooks and enrollments
    "send the playbook as YAML (Content-Type: text/yaml), not {}": (
        "请以 YAML 发送剧本（Content-Type: text/yaml），而不是 {0}"
    ),
    "name: a playbook called {} exists; PUT /playbooks/{} edits it": (
        "name：名为 {0} 的剧本已存在；用 PUT /playbooks/{1} 修改它"
    ),
    "playbook {} is paused: resume it first": "剧本 {0} 已暂停：请先恢复",
    "customer {}: does not meet the playbook's conditions": "客户 {0}：不符合剧本的条件",
    "customer {}: in the suppression segment {}": "客户 {0}：在排除分群 {1} 中",
    "customer {}: already enrolled in {}, or enrolled before and the playbook enrolls once (or "
    "not again so soon)": "客户 {0}：已加入 {1}，或曾加入而该剧本只加入一次（或间隔未到）",
    "{}: no playbook files (*.yaml) here": "{0}：此处没有剧本文件（*.yaml）",
    "playbook: no playbook called {}": "playbook：没有名为 {0} 的剧本",
    "playbook: choose the playbook to enroll the customer in": "playbook：请选择要加入的剧本",
    "playbook: give a playbook or a source, not both": "playbook：请给出剧本或来源，不能同时给出",
    "no dry run of {} yet": "{0} 还没有历史试运行",
    "{}: {} is not a day; write it as YYYY-MM-DD": "{0}：{1} 不是日期；请写成 YYYY-MM-DD",
    "give a playbook's name or --file PATH (one of them)": "请给出剧本名称或 --file PATH（二选一）",
    "{}: {} is after to ({})": "{0}：{1} 晚于结束日（{2}）",
    "{}: the store holds no customers yet, so no history": "{0}：存储中还没有客户，没有可回放的历史",
    "{}: {} is not after the first day of history ({})": "{0}：{1} 不晚于历史的第一天（{2}）",
    "{}: {} is in the future; history ends today ({})": "{0}：{1} 在未来；历史截至今天（{2}）",
    "{}: at most {} days at once, not {}": "{0}：一次最多 {1} 天，而不是 {2} 天",
    "no playbook called {}; playbooks: {}": "没有名为 {0} 的剧本；现有剧本：{1}",
    "version: {} has no version {}; its versions are 1 to {}": (
        "version：{0} 没有版本 {1}；其版本为 1 到 {2}"
    ),
    "version: a version number (1, 2, …), not {}": "version：须为版本号（1、2、…），而不是 {0}",
    "window_days: {} is not between 1 and 730": "window_days：{0} 不在 1 到 730 之间",
    "global_control_share: {} is not between 0 and 0.5": "global_control_share：{0} 不在 0 到 0.5 之间",
    "detectable_difference: {} is not in (0, 0.5]": "detectable_difference：{0} 不在 (0, 0.5] 内",
    "language: en or zh, not {}": "language：须为 en 或 zh，而不是 {0}",
    "playbook {} sends no email": "剧本 {0} 不发送邮件",
    "template: {} sends {}, not {}": "template：{0} 发送的是 {1}，而不是 {2}",
    # messages
    "status must be one of {}, not {}": "status 须为 {0} 之一，而不是 {1}",
    "no message {}": "没有消息 {0}",
    "category must be marketing or service, not {}": "category 须为 marketing 或 service，而不是 {0}",
    "no email template {} (looked in {})": "没有邮件模板 {0}（已查找 {1}）",
    "channel must be one of {}, not {}": "channel 须为 {0} 之一，而不是 {1}",
    # runs, settings, segments
    "no scoring run yet: run `tenure score`": "还没有评分运行：请运行 `tenure score`",
    "no scoring run yet: run `tenure score` (or `tenure demo`) first": (
        "还没有评分运行：请先运行 `tenure score`（或 `tenure demo`）"
    ),
    "run {} scored none of the customers in this truth file": "运行 {0} 未给此真值文件中的任何客户评分",
    "no scoring run {}: `tenure report runs` lists them": "没有评分运行 {0}：`tenure report runs` 可列出全部",
    "no run request with id {}": "没有 id 为 {0} 的运行请求",
    "as_of: {} is not a date written YYYY-MM-DD": "as_of：{0} 不是 YYYY-MM-DD 格式的日期",
    "unknown settings group {}; groups: {}": "未知设置组 {0}；设置组：{1}",
    "red_below: must not be above green_from": "red_below：不能高于 green_from",
    "cold_below: must not be above hot_from": "cold_below：不能高于 hot_from",
    "weights: each weight is a number ≥ 0": "weights：每个权重须为 ≥ 0 的数字",
    "fit_rules.{}.op: one of {}": "fit_rules.{0}.op：须为 {1} 之一",
    'filter must be a JSON object, e.g. {"field": "clv", "op": ">", "value": 500}': (
        'filter 须为 JSON 对象，例如 {"field": "clv", "op": ">", "value": 500}'
    ),
    "a segment named {} exists; delete it first or choose another name": (
        "名为 {0} 的分群已存在；请先删除或换一个名称"
    ),
    "no segment named {}; segments: {}": "没有名为 {0} 的分群；现有分群：{1}",
    "a segment needs a name and at least one filter": "分群需要名称和至少一个筛选条件",
    "filter is not JSON: {} at line {}, column {}": "filter 不是 JSON：{0}，位于第 {1} 行第 {2} 列",
    "filter: nested too deeply": "filter：嵌套过深",
    "body: nested too deeply": "body：嵌套过深",
    # filters (kit/filters.py)
    "filter leaf {} needs a 'field'": "筛选条件 {0} 需要 'field'",
    "filter on {}: unknown operator {}; use one of {}": "对 {0} 的筛选：未知运算符 {1}；请使用 {2} 之一",
    "filter on unknown field {}; fields: {}": "筛选了未知字段 {0}；可用字段：{1}",
    "{}: operator {} needs a 'value'": "{0}：运算符 {1} 需要 'value'",
    "filter: nested deeper than {} levels": "filter：嵌套超过 {0} 层",
    "filter: each node must be an object, not {}": "filter：每个节点须为对象，而不是 {0}",
    "filter refers to parameter {}, which is not set; known: {}": "筛选引用了未设置的参数 {0}；已知参数：{1}",
    "{}: a parameter is named by text": "{0}：参数须以文本命名",
    "{}: the value must be a whole number, not {}": "{0}：值须为整数，而不是 {1}",
    "{}: {} is beyond what the field holds": "{0}：{1} 超出该字段的范围",
    "{}: the value must be {}, not {}": "{0}：值须为 {1}，而不是 {2}",
    "{}: operator {} needs a list of values": "{0}：运算符 {1} 需要一组值",
    "{}: a yes/no field compares with = or != only, not {}": "{0}：是/否字段只能用 = 或 != 比较，不能用 {1}",
    "{}: 'between' needs two values [low, high], not {}": "{0}：'between' 需要两个值 [下限, 上限]，而不是 {1} 个",
    "{}: {} is beyond a 64-bit integer": "{0}：{1} 超出 64 位整数范围",
    "filter: {} needs a list of nodes": "filter：{0} 需要一组节点",
    "{}: the value must be a finite number": "{0}：值须为有限数字",
    "{}: the value must be text, a number or true/false, not {}": "{0}：值须为文本、数字或 true/false，而不是 {1}",
    "{}: the value holds a NUL character": "{0}：值含有 NUL 字符",
    "{}: only a per-item field takes an 'item'": "{0}：只有按商品的字段才接受 'item'",
    "{}: 'item' names an item (1–{} characters)": "{0}：'item' 须为商品名称（1–{1} 个字符）",
    "{}: a set compares with {}, not {}": "{0}：集合字段只能用 {1} 比较，不能用 {2}",
    "{}: unknown time zone {} (use an IANA name such as Asia/Shanghai)": (
        "{0}：未知时区 {1}（请使用 IANA 名称，例如 Asia/Shanghai）"
    ),
    # surveys
    "answers.{}: {}": "answers.{0}：{1}",
    "this survey link is not valid": "此问卷链接无效",
    "this survey link has expired": "此问卷链接已过期",
    "this answer can no longer be changed": "此回答已不能修改",
    "id: give the sender's id of the answer (1–200 characters)": "id：请给出发送方的回答 id（1–200 个字符）",
    "no survey {}": "没有问卷 {0}",
    "no survey with id {}": "没有 id 为 {0} 的问卷",
    # tasks
    "assignee: a user id or `me`, not {}": "assignee：须为用户 id 或 `me`，而不是 {0}",
    "assignee_id: no active user with id {}": "assignee_id：没有 id 为 {0} 的在职用户",
    "title: a task needs a title, e.g. “Call about the renewal”": "title：任务需要标题，例如“致电商谈续约”",
    "no task with id {}": "没有 id 为 {0} 的任务",
    "{}: not a field a task update may change": "{0}：不是任务更新可修改的字段",
    "task {} is done; a completed task is not changed": "任务 {0} 已完成；已完成的任务不可修改",
    "outcome: say what came of it, e.g. “Called; renewing next week”": "outcome：请说明结果，例如“已致电；下周续约”",
    "root_cause: one of {}, not {}": "root_cause：须为 {0} 之一，而不是 {1}",
    "task {} was completed already": "任务 {0} 已完成",
    "root_cause: task {} asks why; one of {}": "root_cause：任务 {0} 需要说明原因；须为 {1} 之一",
    "item: task {} has {} checklist step(s)": "item：任务 {0} 有 {1} 个清单步骤",
    "due: one of {}, not {}": "due：须为 {0} 之一，而不是 {1}",
    "due: needs today's date": "due：需要今天的日期",
    "due: {} is not a date": "due：{0} 不是日期",
    # webhooks
    "no webhook delivery with id {}": "没有 id 为 {0} 的 webhook 投递",
    "unknown status {}; statuses: {}": "未知状态 {0}；可用状态：{1}",
    "webhook delivery {} is {}; only a failed one is retried": "webhook 投递 {0} 的状态为 {1}；只有失败的投递可重试",
    "webhook {}: 1 to {} characters, got {}": "webhook {0}：须为 1 到 {1} 个字符，收到 {2}",
    "webhook payload is not JSON: {}": "webhook 内容不是 JSON：{0}",
    # loyalty
    "key: {} was used for another entry ({} {}); use a new idempotency key": (
        "key：{0} 已用于另一条记录（{1} {2}）；请使用新的幂等键"
    ),
    "amount: {} is more than the spendable balance {}": "amount：{0} 超过可用余额 {1}",
    "header: the file needs the column(s) {}": "header：文件需要列 {0}",
    "amount: an opening balance is more than 0": "amount：期初余额须大于 0",
    "{}, line 1: a programme is a mapping: key, name, earn, …": "{0}，第 1 行：计划须为映射：key、name、earn、…",
    "{}: no programme files (*.yaml) here": "{0}：此处没有计划文件（*.yaml）",
    "currency: {} counts {}; a ledger cannot change what it counts (start a new programme)": (
        "currency：{0} 计的是 {1}；账本不能更改计量单位（请新建计划）"
    ),
    "{}, line {}: not valid YAML: {}": "{0}，第 {1} 行：不是有效的 YAML：{2}",
    "{}: cannot read it: {}": "{0}：无法读取：{1}",
    "programme: no loyalty programme {} (known: {})": "programme：没有会员计划 {0}（已知：{1}）",
    "amount: a refund is more than 0 (got {})": "amount：退还须大于 0（收到 {0}）",
    "amount: an award is more than 0 (got {})": "amount：奖励须大于 0（收到 {0}）",
    "amount: give a reward or an amount of more than 0": "amount：请给出奖品或大于 0 的数量",
    "reason: an adjustment needs a reason": "reason：调整需要原因",
    "amount: an adjustment is not 0": "amount：调整不能为 0",
    "reward: no reward {} in this programme (known: {})": "reward：此计划中没有奖品 {0}（已知：{1}）",
    "quantity: at least 1 (got {})": "quantity：至少为 1（收到 {0}）",
    # loyalty referrals (on main since this catalogue was begun)
    "{}: no customer with the id {}": "{0}：没有 id 为 {1} 的客户",
    "programme: {} has no referral section; add `referral:` with referrer_points to its file (docs/loyalty.md)": (
        "programme：{0} 没有推荐设置；请在其文件中加入带 referrer_points 的 `referral:`（docs/loyalty.md）"
    ),
    "code: no member of {} has the code {}": "code：{0} 中没有会员使用推荐码 {1}",
    "friend: this customer was referred already (a friend counts once)": "friend：此客户已被推荐过（每位朋友只计一次）",
    "note: say why (it is kept with the referral and in the audit log)": "note：请说明原因（与推荐记录一起保存并写入审计日志）",
    "referral: no referral {} in {}": "referral：{1} 中没有推荐 {0}",
    "referral: {} is {}, not waiting for review": "referral：{0} 的状态为 {1}，不在待审核中",
    # loyalty membership and KPIs
    "as_of: {} is in the future (today is {})": "as_of：{0} 在未来（今天是 {1}）",
    "months: from 1 to 120 (got {})": "months：应在 1 到 120 之间（收到 {0}）",
    "customer: {} has not joined {}, an opt-in programme (tenure loyalty join, or POST …/loyalty/membership)": (
        "customer：{0} 尚未加入需主动入会的计划 {1}（tenure loyalty join，或 POST …/loyalty/membership）"
    ),
    "customer: no customer {}": "customer：没有客户 {0}",
    # import and export
    "{}: no such file": "{0}：文件不存在",
    "{}: column {}, row {}: {} is not a date (give --date-format, e.g. %d/%m/%Y)": (
        "{0}：第 {1} 列第 {2} 行：{3} 不是日期（请给出 --date-format，例如 %d/%m/%Y）"
    ),
    "{}: rows do not all have {} fields": "{0}：并非每行都有 {1} 个字段",
    "{}: no demo truth here (tenure demo writes it; pass --truth FOLDER)": (
        "{0}：此处没有演示真值（由 tenure demo 写出；请传入 --truth FOLDER）"
    ),
    "cannot export {}; choose from {}": "无法导出 {0}；请从 {1} 中选择",
    "{}: export writes .csv or .parquet files": "{0}：导出只写 .csv 或 .parquet 文件",
    "{}: 'columns' must be a table of COLUMN = FIELD": "{0}：'columns' 须为 COLUMN = FIELD 的表",
    "unknown preset {}; known presets: {}": "未知预设 {0}；已知预设：{1}",
    "preset {} is for {}, not {}": "预设 {0} 用于 {1}，而不是 {2}",
    "no column for required field(s) {}; the file's columns are: {}. Name the column with --map "
    "COLUMN={}": "必填字段 {0} 没有对应的列；文件的列为：{1}。请用 --map COLUMN={2} 指定列",
    "--map {}: write COLUMN=FIELD (or COLUMN=- to ignore it)": "--map {0}：请写成 COLUMN=FIELD（或 COLUMN=- 忽略该列）",
    "{}: cannot read the mapping file: {}": "{0}：无法读取映射文件：{1}",
    "the mapping names column {}, which the file does not have; its columns are: {}": (
        "映射指定了列 {0}，但文件中没有；文件的列为：{1}"
    ),
    "column {} is mapped to {}, which {} do not have; fields: {}": "列 {0} 映射到 {1}，但 {2} 没有该字段；字段：{3}",
    "columns {} and {} are both mapped to {}": "列 {0} 和 {1} 都映射到了 {2}",
    "{}: is a folder; name a file in it": "{0}：是文件夹；请指定其中的文件",
    "{}: the file is empty (0 bytes): expected a header row and data": "{0}：文件为空（0 字节）：应有表头行和数据",
    "{}: row {}: the file ends in the middle of a {} character (cut short while copying?)": (
        "{0}：第 {1} 行：文件在一个 {2} 字符中间结束（复制时被截断？）"
    ),
    "{}: not a readable {} file: {}": "{0}：不是可读的 {1} 文件：{2}",
    "{}: not a readable .xlsx workbook: {}": "{0}：不是可读的 .xlsx 工作簿：{1}",
    "{}: {}: cannot be read: {}": "{0}：{1}：无法读取：{2}",
    "{}: cannot read as {}: {}{}": "{0}：无法按 {1} 读取：{2}{3}",
    "{}: unknown file type {}: use one of {}": "{0}：未知文件类型 {1}：请使用 {2} 之一",
    "{}: row {}: byte {} is not valid {} text. Save the file as UTF-8, or name its encoding with "
    "--encoding (e.g. --encoding gbk for files from Chinese Excel, latin-1 for older Western "
    "ones).": (
        "{0}：第 {1} 行：字节 {2} 不是有效的 {3} 文本。请将文件另存为 UTF-8，或用 --encoding "
        "指定编码（例如中文 Excel 文件用 --encoding gbk，较旧的西文文件用 latin-1）。"
    ),
    "{}: column {} holds {}: an import reads one plain value per cell": "{0}：第 {1} 列含有 {2}：导入时每个单元格只读一个普通值",
    "cannot import {}; choose from {}": "无法导入 {0}；请从 {1} 中选择",
    "{}: {} is not in {}": "{0}：{1} 不在 {2} 中",
    "{}: {} is not a number": "{0}：{1} 不是数字",
    "reading {} into Arrow failed: {}": "将 {0} 读入 Arrow 失败：{1}",
    "{}: no {}; the spark engine reads the import files that `tenure export` or `tenure demo "
    "--out` write": "{0}：没有 {1}；spark 引擎读取 `tenure export` 或 `tenure demo --out` 写出的导入文件",
    "{}: no orders.parquet": "{0}：没有 orders.parquet",
    # analytics input checks (CLI)
    "column {} must be one-dimensional": "列 {0} 须为一维",
    "column {} must be {}; row {} is not": "列 {0} 须为 {1}；第 {2} 行不是",
    "the {} has no column {}; its columns are: {}": "{0} 没有列 {1}；其列为：{2}",
    "Gamma-Gamma has nothing to fit: no customer has a repeat purchase with monetary_value > 0 "
    "({} without a repeat purchase, {} whose repeat purchases were all zero-valued)": (
        "Gamma-Gamma 无可拟合的数据：没有客户有 monetary_value > 0 的复购"
        "（{0} 位没有复购，{1} 位的复购金额全为 0）"
    ),
    "column {}: row {} is not a date (value {})": "列 {0}：第 {1} 行不是日期（值为 {2}）",
    "column {}: row {} {}": "列 {0}：第 {1} 行 {2}",
    "the transactions are empty": "交易数据为空",
    "calibration end {} is after observation end {}": "校准期结束 {0} 晚于观察期结束 {1}",
    "unit must be D (days), W (weeks) or M (months), not {}": "unit 须为 D（天）、W（周）或 M（月），而不是 {0}",
    "cannot read the transactions as a table: {}": "无法将交易数据读作表格：{0}",
    "the transactions have no column {}; their columns are: {}": "交易数据没有列 {0}；其列为：{1}",
    # what FastAPI / pydantic say about a request (api/errors.py)
    "Field required": "缺少此字段",
    "Input should be a valid integer, unable to parse string as an integer": "应为有效整数，无法将文本解析为整数",
    "Input should be a valid integer": "应为有效整数",
    "Input should be a valid number, unable to parse string as a number": "应为有效数字，无法将文本解析为数字",
    "Input should be a valid number": "应为有效数字",
    "Input should be a valid string": "应为有效文本",
    "Input should be a valid boolean": "应为有效的 true/false",
    "Input should be a valid date": "应为有效日期",
    "Input should be a valid dictionary": "应为对象",
    "Input should be a valid list": "应为列表",
    "Extra inputs are not permitted": "不允许额外的字段",
    "Not Found": "未找到",
    "Method Not Allowed": "不允许此方法",
}

_SLOT = re.compile(r"\{(\d+)\}")


def _letters(pattern: str) -> int:
    return sum(ch.isalpha() for ch in pattern.replace("{}", ""))


@functools.cache
def _patterns() -> list[tuple[re.Pattern[str], str]]:
    # the most specific first: a longer fixed text wins over a shorter one that also matches
    found = []
    for english, chinese in sorted(ZH.items(), key=lambda kv: -_letters(kv[0])):
        parts = [re.escape(part) for part in english.split("{}")]
        found.append((re.compile("(.+?)".join(parts), re.DOTALL), chinese))
    return found


def _fill(chinese: str, values: tuple[str, ...]) -> str:
    # a value that is itself a sentence (``password: {why}``) is said in Chinese too
    said = [say(value, "zh") if " " in value else value for value in values]
    return _SLOT.sub(lambda slot: said[int(slot.group(1))], chinese)


def _one(sentence: str) -> str | None:
    for pattern, chinese in _patterns():
        matched = pattern.fullmatch(sentence)
        if matched is not None:
            return _fill(chinese, matched.groups())
    return None


def choose(*candidates: str | None, accept_language: str | None = None) -> str:
    """Return the first candidate that is en or zh, else the Accept-Language header's choice."""
    for candidate in candidates:
        if candidate in ("en", "zh"):
            return candidate
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith(("zh", "en")):
            return tag[:2]
    return "en"


def say(message: str, lang: str | None) -> str:
    """Return ``message`` in ``lang`` (zh: the catalogue's Chinese; else as it is).

    A message the catalogue lacks is tried in parts: sentences joined by ``; `` (a request's
    several problems), then ``where: what`` with ``what`` translated. Still unknown: English.
    """
    if lang != "zh" or not message:
        return message
    whole = _one(message)
    if whole is not None:
        return whole
    if "; " in message:
        return "；".join(say(part, lang) for part in message.split("; "))
    where, colon, what = message.partition(": ")
    if colon and what:
        inner = say(what, lang)
        if inner != what:
            return f"{where}：{inner}"
    return message
