"""Every stage rule on tiny hand-made timelines (a comment per day), e-commerce and SaaS."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from tenure.analytics.features import compute_features, day_number
from tenure.analytics.stages import assign_stages, policy, stage_counts, transitions
from tenure.kit.settings import StageSettings

AS_OF = date(2025, 6, 30)
SETTINGS = StageSettings()  # new 90, churn 180, won back 90, overdue 3× & 45 d, mature 6 & 365


def day(days_ago: int) -> int:
    return day_number(AS_OF - timedelta(days=days_ago))


def timeline(
    orders: list[tuple[int, str]] | None = None,
    events: list[tuple[int, str]] | None = None,
    subscriptions: list[tuple[int, int | None]] | None = None,
    acquired_days_ago: int = 800,
) -> pl.DataFrame:
    """One customer; orders (days ago, status), events (days ago, type), contracts."""
    frames = {
        "customers": pl.DataFrame({"customer_id": [1], "acquired_day": [day(acquired_days_ago)]}),
        "orders": pl.DataFrame(
            {
                "customer_id": [1] * len(orders or []),
                "day": [day(n) for n, _ in orders or []],
                "status": [s for _, s in orders or []],
                "amount": [10.0] * len(orders or []),
            },
            schema={
                "customer_id": pl.Int64,
                "day": pl.Int32,
                "status": pl.String,
                "amount": pl.Float64,
            },
        ),
        "events": pl.DataFrame(
            {
                "customer_id": [1] * len(events or []),
                "day": [day(n) for n, _ in events or []],
                "type": [t for _, t in events or []],
            },
            schema={"customer_id": pl.Int64, "day": pl.Int32, "type": pl.String},
        ),
        "subscriptions": pl.DataFrame(
            {
                "customer_id": [1] * len(subscriptions or []),
                "started_day": [day(a) for a, _ in subscriptions or []],
                "cancelled_day": [None if c is None else day(c) for _, c in subscriptions or []],
            },
            schema={"customer_id": pl.Int64, "started_day": pl.Int32, "cancelled_day": pl.Int32},
        ),
    }
    return compute_features(frames, AS_OF)


def stage_of(features: pl.DataFrame, preset: str = "ecommerce") -> tuple[str, str]:
    result = assign_stages(features, policy(preset, SETTINGS.params())).row(0, named=True)
    return result["stage"], result["rule"]


PAID = "paid"


@pytest.mark.parametrize(
    ("orders", "expected"),
    [
        ([], ("potential", "never_bought")),  # a lead, never bought
        ([(300, "refunded")], ("potential", "never_bought")),  # a refund is no purchase
        ([(0, PAID)], ("new", "first_purchase_recent")),  # first purchase on the as-of day
        ([(89, PAID)], ("new", "first_purchase_recent")),  # day 89 of the 90-day window
        ([(120, PAID)], ("declining", "no_repeat")),  # window passed, no second purchase
        ([(200, PAID)], ("churned", "silent_too_long")),  # silent 200 > 180 days
        (
            [
                (400, PAID),
                (360, PAID),
                (320, PAID),
                (280, PAID),
                (240, PAID),
                (200, PAID),
                (150, PAID),
            ],
            ("declining", "overdue"),
        ),  # 40-day rhythm, silent 150 days
        ([(30, PAID), (20, PAID), (10, PAID)], ("growing", "repeat_buyer")),  # buying every 10 days
        (
            [(400, PAID), (330, PAID), (260, PAID), (190, PAID), (120, PAID), (50, PAID)],
            ("mature", "established"),
        ),  # 6 purchase days over 400 days
        ([(500, PAID), (80, PAID)], ("won_back", "came_back")),  # 420 silent days, back 80 ago
        (
            [(500, PAID), (100, PAID)],
            ("growing", "repeat_buyer"),
        ),  # back 100 > 90 days ago: growing
        ([(500, PAID), (60, PAID), (59, PAID)], ("won_back", "came_back")),  # back 60 days ago
    ],
)
def test_ecommerce_rules(orders: list[tuple[int, str]], expected: tuple[str, str]) -> None:
    assert stage_of(timeline(orders)) == expected


def test_same_day_purchases_are_one_occasion() -> None:
    # two orders on the same day 10 days ago: still a first purchase, not a repeat
    assert stage_of(timeline([(10, PAID), (10, PAID)])) == ("new", "first_purchase_recent")


def test_activity_fading_marks_an_active_buyer_declining() -> None:
    orders = [(40, PAID), (30, PAID), (20, PAID)]
    busy_before = [(35 + i, "login") for i in range(8)]  # 8 logins 35–42 days ago
    quiet_now = [(5, "login")]  # one login in the last 30 days
    assert stage_of(timeline(orders, busy_before + quiet_now)) == ("declining", "activity_fading")
    steady = busy_before + [(5 + i, "login") for i in range(8)]
    assert stage_of(timeline(orders, steady)) == ("growing", "repeat_buyer")


def test_recent_purchases_outweigh_fading_activity() -> None:
    """Five orders in the last seven days: never declining for logins that dropped."""
    orders = [(7, PAID), (6, PAID), (4, PAID), (2, PAID), (1, PAID)]
    busy_before = [(35 + i, "login") for i in range(8)]
    assert stage_of(timeline(orders, busy_before)) == ("growing", "repeat_buyer")
    doubted = timeline(orders, busy_before).with_columns(
        pl.lit(0.05).alias("p_alive"), pl.lit("red").alias("health_band")
    )
    assert stage_of(doubted) == ("growing", "repeat_buyer")  # within the rhythm: no rule fires


def test_a_slow_buyers_rhythm_does_not_hide_strong_signs_of_leaving() -> None:
    """A 49-day rhythm, last bought 48 days ago, but the model gives P(alive) 10%."""
    orders = [(97, PAID), (48, PAID)]
    assert stage_of(timeline(orders)) == ("growing", "repeat_buyer")
    doubted = timeline(orders).with_columns(pl.lit(0.1).alias("p_alive"))
    assert stage_of(doubted) == ("declining", "unlikely_alive")
    faded = timeline(orders, [(50 + i, "login") for i in range(8)])  # logins stopped 50 days ago
    assert stage_of(faded) == ("growing", "repeat_buyer")  # activity alone: not within the rhythm


def test_a_recent_one_time_buyer_is_protected_for_recent_purchase_days() -> None:
    doubted = timeline([(10, PAID)]).with_columns(pl.lit(0.05).alias("p_alive"))
    assert stage_of(doubted) == ("new", "first_purchase_recent")  # 10 ≤ 14 days
    later = timeline([(30, PAID)]).with_columns(pl.lit(0.05).alias("p_alive"))
    assert stage_of(later) == ("declining", "unlikely_alive")  # a new buyer gone quiet


def test_activity_keeps_a_slow_buyer_out_of_churned() -> None:
    silent = [(200, PAID), (220, PAID)]  # a 20-day rhythm, then 200 days without a purchase
    assert stage_of(timeline(silent)) == ("churned", "silent_too_long")
    visiting = timeline(silent, [(10, "login")])  # no purchase for 200 days, but visits
    assert stage_of(visiting) == ("declining", "overdue")
    opens_only = timeline(silent, [(10, "email_open"), (9, "email_click")])  # not activity
    assert stage_of(opens_only) == ("churned", "silent_too_long")


def test_churned_needs_a_low_p_alive_when_the_model_has_one() -> None:
    orders = [(200, PAID), (220, PAID)]
    likely = timeline(orders).with_columns(pl.lit(0.6).alias("p_alive"))
    assert stage_of(likely) == ("declining", "overdue")  # the model says alive: not churned
    unlikely = timeline([(70, PAID), (90, PAID)]).with_columns(pl.lit(0.05).alias("p_alive"))
    assert stage_of(unlikely) == ("churned", "gone_quiet")  # silent 70 > 60 days, P 5%
    learned = timeline(orders).with_columns(
        pl.lit(0.3).alias("p_alive"), pl.lit(True).alias("p_alive_learned")
    )
    assert stage_of(learned) == ("declining", "unlikely_alive")  # silence alone: not churned
    recent = timeline([(50, PAID), (90, PAID)]).with_columns(pl.lit(0.05).alias("p_alive"))
    assert stage_of(recent) == ("declining", "unlikely_alive")  # bought 50 ≤ 60 days ago


def test_a_customer_returning_after_churning_goes_won_back_then_growing() -> None:
    """Same customer, three as-of days: churned → won back → growing again."""
    orders = [(700, PAID), (650, PAID), (200, PAID), (190, PAID), (100, PAID)]
    # as of today: back 200 days ago (after a 450-day silence) - beyond won_back_days, and
    # buying since: growing
    assert stage_of(timeline(orders)) == ("growing", "repeat_buyer")
    frames_then = [(n - 150, s) for n, s in orders if n >= 150]  # as if 150 days earlier
    assert stage_of(timeline(frames_then)) == ("won_back", "came_back")
    frames_before = [(n - 300, s) for n, s in orders if n >= 300]  # silent 350 days by then
    assert stage_of(timeline(frames_before)) == ("churned", "silent_too_long")


@pytest.mark.parametrize(
    ("subscriptions", "events", "expected"),
    [
        ([], [], ("potential", "never_subscribed")),  # a lead
        ([(400, 100)], [], ("churned", "all_cancelled")),  # cancelled 100 days ago
        ([(400, 300), (50, None)], [], ("won_back", "resubscribed")),  # back 50 days ago
        ([(30, None)], [], ("new", "new_contract")),  # signed 30 days ago
        ([(200, None)], [(10, "complaint"), (20, "complaint")], ("declining", "usage_fading")),
        ([(500, None)], [], ("mature", "long_standing")),  # 500 days on contract
        ([(200, None)], [], ("growing", "active_contract")),
        ([(400, None)], [(1, "login")] * 0, ("mature", "long_standing")),
    ],
)
def test_saas_rules(
    subscriptions: list[tuple[int, int | None]],
    events: list[tuple[int, str]],
    expected: tuple[str, str],
) -> None:
    assert stage_of(timeline(events=events, subscriptions=subscriptions), "saas") == expected


def test_cancellation_after_the_as_of_day_does_not_count() -> None:
    # cancelled 10 days *after* the as-of day: as of that day the contract was active
    features = timeline(subscriptions=[(200, -10)])
    assert stage_of(features, "saas") == ("growing", "active_contract")


def test_transitions_and_counts() -> None:
    before = pl.DataFrame({"customer_id": [1, 2], "stage": ["new", "growing"]})
    after = pl.DataFrame(
        {
            "customer_id": [1, 2, 3],
            "stage": ["growing", "growing", "new"],
            "rule": ["repeat_buyer", "repeat_buyer", "first_purchase_recent"],
            "numbers": ["{}", "{}", "{}"],
        }
    )
    moved = transitions(before, after)
    assert moved.select("customer_id", "from_stage", "to_stage").rows() == [
        (1, "new", "growing"),
        (3, None, "new"),
    ]
    assert stage_counts(after)["growing"] == 2
    assert list(stage_counts(after)) == [
        "potential",
        "new",
        "growing",
        "mature",
        "declining",
        "churned",
        "won_back",
    ]


def test_numbers_that_fired_the_rule_are_recorded() -> None:
    result = assign_stages(timeline([(200, PAID)]), policy("ecommerce", SETTINGS.params()))
    assert result["numbers"][0] == '{"days_since_last":200,"days_since_active":200}'


def test_a_low_p_alive_marks_a_repeat_buyer_declining() -> None:
    features = timeline([(60, PAID), (50, PAID), (40, PAID)])  # on rhythm: growing…
    assert stage_of(features) == ("growing", "repeat_buyer")
    unlikely = features.with_columns(pl.lit(0.1).alias("p_alive"))  # …unless the model doubts
    assert stage_of(unlikely) == ("declining", "unlikely_alive")


def test_red_health_marks_a_repeat_buyer_declining() -> None:
    features = timeline([(60, PAID), (50, PAID), (40, PAID)])
    red = features.with_columns(pl.lit("red").alias("health_band"))
    assert stage_of(red) == ("declining", "unhealthy")
