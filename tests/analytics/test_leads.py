"""Lead score: fit by ideal-customer rules, engagement that decays, hot/warm/cold bands."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from tenure.analytics.features import compute_features, day_number
from tenure.analytics.leads import LeadParams, lead_scores

AS_OF = date(2025, 6, 30)


def lead(
    channel: str, consent: bool, size: str | None, events: list[tuple[int, str]]
) -> dict[str, object]:
    """One lead with the given attributes and events (days ago, type)."""
    frames = {
        "customers": pl.DataFrame(
            {
                "customer_id": [1],
                "acquired_day": [day_number(AS_OF - timedelta(days=60))],
                "acquisition_channel": [channel],
                "email_consent": [consent],
                "company_size": [size],
            }
        ),
        "events": pl.DataFrame(
            {
                "customer_id": [1] * len(events),
                "day": [day_number(AS_OF - timedelta(days=n)) for n, _ in events],
                "type": [t for _, t in events],
            },
            schema={"customer_id": pl.Int64, "day": pl.Int32, "type": pl.String},
        ),
    }
    return lead_scores(compute_features(frames, AS_OF), LeadParams()).row(0, named=True)


def test_a_fitting_engaged_lead_is_hot() -> None:
    clicks = [(n, "email_click") for n in range(1, 6)] + [(2, "page_view")] * 4
    row = lead("referral", True, "201-1000", clicks)
    assert row["lead_fit"] == 100.0
    assert row["lead_engagement"] > 80
    assert row["lead_band"] == "hot"


def test_a_poor_fit_without_activity_is_cold() -> None:
    row = lead("social", False, None, [])
    assert (row["lead_fit"], row["lead_engagement"], row["lead_band"]) == (0.0, 0.0, "cold")


def test_engagement_fades_with_time() -> None:
    recent = lead("social", False, None, [(1, "email_click")] * 3)
    old = lead("social", False, None, [(56, "email_click")] * 3)  # four half-lives ago
    assert recent["lead_engagement"] > 4 * old["lead_engagement"] > 0


def test_buyers_have_no_lead_score() -> None:
    features = pl.DataFrame(
        {
            "customer_id": [1],
            "purchase_days": [2],
            "engagement": [5.0],
            "acquisition_channel": ["referral"],
            "email_consent": [True],
            "company_size": [None],
        },
        schema_overrides={"company_size": pl.String},
    )
    row = lead_scores(features, LeadParams()).row(0, named=True)
    assert row["lead_score"] is None and row["lead_band"] is None
