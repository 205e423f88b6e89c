"""The fast paths give the same answers as the plain ones."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tenure.analytics.clv.base import CustomerBaseModel, Prepared, jacobian
from tenure.analytics.clv.bgnbd import BetaGeo
from tenure.analytics.clv.collapse import collapse
from tenure.analytics.clv.gammagamma import GammaGamma
from tenure.analytics.clv.simulate import simulate_gammagamma


@given(
    st.lists(
        st.tuples(st.integers(0, 5), st.integers(0, 40), st.sampled_from([0.1, 1 / 3])),
        min_size=1,
        max_size=60,
    )
)
@settings(max_examples=200)
def test_collapse_maps_every_row_to_its_twin(rows: list[tuple[int, int, float]]) -> None:
    x = np.array([r[0] for r in rows], dtype=float)
    days = np.array([r[1] for r in rows], dtype=float) / 7  # on the weekly grid: counted
    odd = np.array([r[1] * r[2] for r in rows])  # off any grid: sorted
    for columns in ((x, days), (x, odd), (days,)):
        c = collapse(*columns)
        assert c.weights.sum() == len(rows)
        for i in range(len(rows)):
            assert all(
                col[c.inverse[i]] == orig[i] for col, orig in zip(c.columns, columns, strict=True)
            )
        assert len({tuple(col[j] for col in c.columns) for j in range(c.size)}) == c.size


def _per_row(
    model: CustomerBaseModel, params: np.ndarray, prepared: Prepared
) -> tuple[float, np.ndarray]:
    rows = model._log_likelihood_rows(params, prepared.arrays)
    grads = model._gradient_rows(params, prepared.arrays)
    return float(prepared.weights @ rows), prepared.weights @ grads


def test_fused_bgnbd_equals_per_row_sums(cdnow: pl.DataFrame) -> None:
    model = BetaGeo()
    captured: list[Prepared] = []
    model._fit_prepared = captured.append  # type: ignore[method-assign]
    model.fit(cdnow)
    params = np.array([0.3, 4.0, 0.9, 2.0])
    fused = model._value_and_gradient(params, captured[0])
    plain = _per_row(model, params, captured[0])
    assert fused[0] == pytest.approx(plain[0], rel=1e-12)
    np.testing.assert_allclose(fused[1], plain[1], rtol=1e-10)


def test_gammagamma_hessian_is_the_derivative_of_its_gradient(cdnow: pl.DataFrame) -> None:
    model = GammaGamma()
    captured: list[Prepared] = []
    model._fit_prepared = captured.append  # type: ignore[method-assign]
    model.fit(cdnow)
    prepared, params = captured[0], np.array([6.0, 3.5, 15.0])
    fused = model._value_and_gradient(params, prepared)
    plain = _per_row(model, params, prepared)
    assert fused[0] == pytest.approx(plain[0], rel=1e-12)
    np.testing.assert_allclose(fused[1], plain[1], rtol=1e-10)
    numeric = jacobian(lambda p: model._value_and_gradient(p, prepared)[1], params)
    np.testing.assert_allclose(model._hessian(params, prepared), numeric, rtol=1e-5)


def test_newton_on_large_data_lands_where_the_plain_optimiser_does() -> None:
    frequency = np.random.default_rng(3).integers(1, 40, 150_000)
    data = simulate_gammagamma(frequency, p=5.0, q=4.0, v=20.0, seed=9)
    data = data.with_columns(pl.col("monetary_value").round(2))  # money: whole cents
    fast = GammaGamma().fit(data)
    assert fast.iterations_ < 10  # the Newton path was taken
    plain = GammaGamma()
    plain._subsample = lambda prepared: None  # type: ignore[method-assign]
    plain.fit(data)
    for name in ("p", "q", "v"):
        assert fast.params_[name] == pytest.approx(plain.params_[name], rel=1e-6)
        assert fast.standard_errors_[name] == pytest.approx(plain.standard_errors_[name], rel=1e-3)


def test_a_fit_that_cannot_converge_says_so_with_a_hint(cdnow: pl.DataFrame) -> None:
    from tenure.analytics.clv import ConvergenceError

    class Broken(BetaGeo):
        """A likelihood that cannot be evaluated: the optimiser gets nowhere."""

        def _value_and_gradient(
            self, params: np.ndarray, prepared: Prepared
        ) -> tuple[float, np.ndarray]:
            return float("nan"), np.full(4, np.nan)

    with pytest.raises(ConvergenceError, match="did not converge.*Try a penalizer"):
        Broken().fit(cdnow)
