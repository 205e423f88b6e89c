"""Predictive CLV: the discounted sum of monthly expected margin."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from tenure.analytics.clv.bgnbd import BetaGeo
from tenure.analytics.clv.gammagamma import GammaGamma
from tenure.analytics.clv.paretonbd import ParetoNBD
from tenure.analytics.clv.value import customer_equity, customer_lifetime_value


@pytest.mark.parametrize("model_class", [BetaGeo, ParetoNBD])
def test_clv_is_the_discounted_monthly_sum(
    cdnow: pl.DataFrame, model_class: type[BetaGeo] | type[ParetoNBD]
) -> None:
    model = model_class().fit(cdnow)
    spend = GammaGamma().fit(cdnow)
    clv = customer_lifetime_value(
        model, spend, cdnow, margin=0.3, discount_rate=0.01, horizon_months=12, unit="W"
    )
    weeks = 30.4375 / 7
    cumulative = [np.zeros(cdnow.height)] + [
        model.conditional_expected_purchases(k * weeks, cdnow) for k in range(1, 13)
    ]
    expected = sum((cumulative[k] - cumulative[k - 1]) / 1.01**k for k in range(1, 13))
    np.testing.assert_allclose(
        clv, 0.3 * spend.conditional_expected_spend(cdnow) * expected, rtol=1e-12
    )
    assert customer_equity(clv) == pytest.approx(clv.sum())
    # no discount and a longer horizon can only add value
    longer = customer_lifetime_value(
        model, spend, cdnow, margin=0.3, discount_rate=0.0, horizon_months=24, unit="W"
    )
    assert np.all(longer >= clv)


def test_clv_refuses_impossible_arguments(cdnow: pl.DataFrame) -> None:
    model, spend = BetaGeo().fit(cdnow), GammaGamma().fit(cdnow)
    with pytest.raises(ValueError, match="margin"):
        customer_lifetime_value(model, spend, cdnow, margin=1.5)
    with pytest.raises(ValueError, match="horizon"):
        customer_lifetime_value(model, spend, cdnow, horizon_months=0)
