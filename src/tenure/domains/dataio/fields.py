"""What each importable entity looks like: its fields, their kinds, and its unique key."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from tenure.domains.events.models import SystemEventType


class Kind(StrEnum):
    """How a text cell is parsed."""

    TEXT = "text"
    INT = "int"
    MONEY = "money"
    DATETIME = "datetime"
    DATE = "date"
    BOOL = "bool"
    CHOICE = "choice"
    TAGS = "tags"
    TIMEZONE = "timezone"


@dataclass(frozen=True)
class FieldSpec:
    """One field of an import file: canonical name, kind, and where it goes in the store."""

    name: str
    kind: Kind = Kind.TEXT
    required: bool = False
    column: str | None = None  # the store column, when it differs from ``name``
    aliases: tuple[str, ...] = ()
    max_len: int | None = None
    # canonical value -> accepted spellings (compared case-insensitively)
    choices: dict[str, tuple[str, ...]] = field(default_factory=dict)
    minimum: int | None = None
    maximum: int | None = None
    default: str | None = None
    # values only Tenure itself may write (e.g. the feed's system event types)
    reserved: tuple[str, ...] = ()

    @property
    def store_column(self) -> str:
        """Return the column of the store table this field is written to."""
        return self.column or self.name


@dataclass(frozen=True)
class EntitySpec:
    """An importable entity: its fields, the key that makes re-imports idempotent, and extras."""

    name: str
    table: str
    key_field: str | None
    fields: tuple[FieldSpec, ...]
    refers_to_customer: bool = True
    extras_column: str | None = None  # unmapped columns are kept here as JSON
    stamped: bool = True
    line_fields: tuple[FieldSpec, ...] = ()

    def field(self, name: str) -> FieldSpec:
        """Return the field called ``name`` (lines included)."""
        for spec in self.fields + self.line_fields:
            if spec.name == name:
                return spec
        raise KeyError(name)

    @property
    def all_fields(self) -> tuple[FieldSpec, ...]:
        """Return the entity's fields followed by its line fields."""
        return self.fields + self.line_fields


CUSTOMER_ID = FieldSpec(
    "customer_id",
    required=True,
    max_len=128,
    aliases=("customer", "customer_external_id", "client_id", "客户id", "客户编号"),
)

STATUS_CHOICES = {
    "paid": ("paid", "completed", "complete", "succeeded", "success", "captured", "fulfilled"),
    "refunded": ("refunded", "refund", "returned"),
    "cancelled": ("cancelled", "canceled", "voided", "void", "failed"),
}

CUSTOMERS = EntitySpec(
    name="customers",
    table="customers",
    key_field="customer_id",
    extras_column="attributes",
    refers_to_customer=False,
    fields=(
        FieldSpec(
            "customer_id",
            required=True,
            column="external_id",
            max_len=128,
            aliases=("id", "external_id", "client_id", "客户id", "客户编号"),
        ),
        FieldSpec("name", max_len=200, aliases=("full_name", "customer_name", "姓名", "名称")),
        FieldSpec("email", max_len=320, aliases=("email_address", "e_mail", "邮箱")),
        FieldSpec("phone", max_len=64, aliases=("phone_number", "mobile", "手机", "电话")),
        FieldSpec("company", max_len=200, aliases=("company_name", "公司")),
        FieldSpec("industry", max_len=100, aliases=("行业",)),
        FieldSpec("company_size", max_len=32, aliases=("employees", "公司规模")),
        FieldSpec("region", max_len=100, aliases=("地区",)),
        FieldSpec("country", max_len=100, aliases=("国家",)),
        FieldSpec("city", max_len=100, aliases=("城市",)),
        FieldSpec("timezone", Kind.TIMEZONE, aliases=("time_zone", "tz", "时区")),
        FieldSpec("birthday", Kind.DATE, aliases=("birth_date", "date_of_birth", "生日")),
        FieldSpec("gender", max_len=32, aliases=("sex", "性别")),
        FieldSpec("acquisition_channel", max_len=64, aliases=("channel", "source", "渠道")),
        FieldSpec(
            "acquired_at",
            Kind.DATETIME,
            aliases=("signup_date", "signed_up_at", "first_seen", "created_at"),
        ),
        FieldSpec("owner_email", column="owner_id", max_len=320, aliases=("owner",)),
        FieldSpec("tags", Kind.TAGS, aliases=("labels", "标签")),
        FieldSpec(
            "email_consent",
            Kind.BOOL,
            default="false",
            aliases=("accepts_email_marketing", "email_opt_in"),
        ),
        FieldSpec(
            "sms_consent",
            Kind.BOOL,
            default="false",
            aliases=("accepts_sms_marketing", "sms_opt_in"),
        ),
    ),
)

ORDERS = EntitySpec(
    name="orders",
    table="orders",
    key_field="order_id",
    fields=(
        FieldSpec(
            "order_id",
            required=True,
            column="external_id",
            max_len=128,
            aliases=("order", "order_number", "订单号"),
        ),
        CUSTOMER_ID,
        FieldSpec(
            "ordered_at",
            Kind.DATETIME,
            required=True,
            aliases=("order_date", "date", "created_at", "下单时间"),
        ),
        FieldSpec("amount", Kind.MONEY, required=True, aliases=("total", "order_total", "金额")),
        FieldSpec("status", Kind.CHOICE, default="paid", choices=STATUS_CHOICES),
        FieldSpec("cost", Kind.MONEY, aliases=("cogs",)),
        FieldSpec("margin", Kind.MONEY, column="cost", aliases=("gross_margin", "profit")),
        FieldSpec("discount", Kind.MONEY, default="0", aliases=("discount_amount",)),
        FieldSpec("currency", max_len=3, aliases=("currency_code",)),
        FieldSpec("channel", max_len=64, aliases=("sales_channel", "source")),
    ),
    line_fields=(
        FieldSpec("product_id", max_len=128, aliases=("sku",)),
        FieldSpec("product_name", max_len=300, aliases=("product", "item")),
        FieldSpec("category", max_len=100, aliases=("product_category",)),
        FieldSpec(
            "quantity", Kind.INT, minimum=0, maximum=1_000_000, default="1", aliases=("qty",)
        ),
        FieldSpec("unit_price", Kind.MONEY, aliases=("price",)),
    ),
)

EVENTS = EntitySpec(
    name="events",
    table="events",
    key_field="event_id",
    extras_column="properties",
    stamped=False,
    fields=(
        # Without an event_id the key is a hash of the row, so re-imports stay idempotent.
        FieldSpec("event_id", column="external_id", max_len=128, aliases=("id",)),
        CUSTOMER_ID,
        FieldSpec(
            "occurred_at",
            Kind.DATETIME,
            required=True,
            aliases=("timestamp", "time", "event_time", "date"),
        ),
        FieldSpec(
            "type",
            required=True,
            max_len=64,
            aliases=("event", "event_type", "name"),
            reserved=tuple(kind.value for kind in SystemEventType),
        ),
    ),
)

SPEND = EntitySpec(
    name="spend",
    table="marketing_spend",
    key_field=None,
    refers_to_customer=False,
    fields=(
        FieldSpec("channel", required=True, max_len=64, aliases=("source", "渠道")),
        FieldSpec("period_start", Kind.DATE, required=True, aliases=("start", "from", "month")),
        FieldSpec("period_end", Kind.DATE, required=True, aliases=("end", "to")),
        FieldSpec("amount", Kind.MONEY, required=True, aliases=("spend", "cost", "金额")),
        FieldSpec("currency", max_len=3),
    ),
)

SURVEYS = EntitySpec(
    name="surveys",
    table="survey_responses",
    key_field=None,
    stamped=False,
    fields=(
        CUSTOMER_ID,
        FieldSpec("survey", max_len=64, default="nps", aliases=("survey_name",)),
        FieldSpec(
            "score",
            Kind.INT,
            required=True,
            minimum=0,
            maximum=10,
            aliases=("nps", "rating", "评分"),
        ),
        FieldSpec("comment", max_len=10_000, aliases=("feedback", "评论")),
        FieldSpec(
            "answered_at",
            Kind.DATETIME,
            required=True,
            aliases=("submitted_at", "date", "responded_at"),
        ),
    ),
)

SUBSCRIPTIONS = EntitySpec(
    name="subscriptions",
    table="subscriptions",
    key_field="subscription_id",
    fields=(
        FieldSpec(
            "subscription_id",
            required=True,
            column="external_id",
            max_len=128,
            aliases=("id", "contract_id"),
        ),
        CUSTOMER_ID,
        FieldSpec("plan", required=True, max_len=64),
        FieldSpec(
            "billing_period",
            Kind.CHOICE,
            required=True,
            choices={"monthly": ("monthly", "month"), "annual": ("annual", "yearly", "year")},
        ),
        FieldSpec(
            "status",
            Kind.CHOICE,
            required=True,
            choices={
                "trial": ("trial", "trialing"),
                "active": ("active",),
                "past_due": ("past_due", "past due", "unpaid"),
                "cancelled": ("cancelled", "canceled", "ended"),
            },
        ),
        FieldSpec("mrr", Kind.MONEY, required=True, aliases=("monthly_revenue",)),
        FieldSpec("started_at", Kind.DATETIME, required=True, aliases=("start_date",)),
        FieldSpec("cancelled_at", Kind.DATETIME, aliases=("canceled_at", "ended_at")),
    ),
)

ENTITIES: dict[str, EntitySpec] = {
    spec.name: spec for spec in (CUSTOMERS, ORDERS, EVENTS, SPEND, SURVEYS, SUBSCRIPTIONS)
}

# Unique keys in the store for entities without an external id.
NATURAL_KEYS: dict[str, tuple[str, ...]] = {
    "spend": ("channel", "period_start", "period_end"),
    "surveys": ("customer_id", "survey", "answered_at"),
}
