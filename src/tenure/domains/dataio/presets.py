"""Built-in column mappings for exports of common systems (listed in docs/import.md)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Preset:
    """A named mapping of a known export's columns onto Tenure's fields."""

    name: str
    entity: str
    description: str
    columns: dict[str, str]
    timezone: str | None = None  # the zone of times written without one
    extra_choices: dict[str, dict[str, str]] = field(default_factory=dict)


SHOPIFY_ORDERS = Preset(
    name="shopify-orders",
    entity="orders",
    description="Shopify admin → Orders → Export (one row per line item)",
    columns={
        "Name": "order_id",
        "Email": "customer_id",
        "Created at": "ordered_at",
        "Total": "amount",
        "Financial Status": "status",
        "Discount Amount": "discount",
        "Currency": "currency",
        "Source": "channel",
        "Lineitem sku": "product_id",
        "Lineitem name": "product_name",
        "Lineitem quantity": "quantity",
        "Lineitem price": "unit_price",
    },
    # A partially refunded order still stands as a purchase.
    extra_choices={"status": {"partially_refunded": "paid", "partially_paid": "paid"}},
)

STRIPE_PAYMENTS = Preset(
    name="stripe-payments",
    entity="orders",
    description="Stripe dashboard → Payments → Export (unified payments CSV)",
    columns={
        "id": "order_id",
        "Customer ID": "customer_id",
        "Created date (UTC)": "ordered_at",
        "Amount": "amount",
        "Currency": "currency",
        "Status": "status",
        "Description": "product_name",
    },
    timezone="UTC",
    extra_choices={"status": {"partially refunded": "paid"}},
)

PRESETS: dict[str, Preset] = {p.name: p for p in (SHOPIFY_ORDERS, STRIPE_PAYMENTS)}
