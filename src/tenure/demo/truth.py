"""The demo company's truth as of a day: who had bought, who was truly alive, what they were worth.

The truth files (``truth.parquet`` per customer, ``truth.json`` for the population) hold every
customer's latent purchase and dropout rates and the instants they left and came back. From
them, for any day of the history:

    bought     the first purchase happened by the end of the day
    alive      bought, and inside a life: before leaving, or back and not yet gone again
    gone       bought and not alive (a customer who left and will come back is gone meanwhile)
    true_clv   margin · E[paid revenue per order] · Σ_k (expected purchases in month k) / (1+d)^k
               for the alive, from their own λ, μ and the season; 0 for the gone

Time is in days since the start of the history, as in the generator.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from tenure.demo.config import DemoConfig, Latent
from tenure.demo.purchases import expected_paid_share
from tenure.demo.timeline import DAY_US, season, start_of_history
from tenure.kit.errors import InvalidInput

DAYS_PER_MONTH = 30.4375


@dataclass(frozen=True)
class Truth:
    """The truth files, read."""

    customers: pl.DataFrame
    config: DemoConfig
    sequences: tuple[dict[str, Any], ...] = ()  # planted (tenure.demo.sequences)

    @classmethod
    def read(cls, folder: Path) -> Truth:
        """Read ``truth.parquet`` and ``truth.json`` from ``folder``."""
        table, about = folder / "truth.parquet", folder / "truth.json"
        for path in (table, about):
            if not path.is_file():
                raise InvalidInput(
                    f"{path}: no demo truth here (tenure demo writes it; pass --truth FOLDER)"
                )
        parameters: dict[str, Any] = json.loads(about.read_text())
        config = DemoConfig(
            customers=int(parameters["customers"]),
            seed=int(parameters["seed"]),
            profile=parameters["profile"],
            end=date.fromisoformat(parameters["end"]),
            days=int(parameters["days"]),
            future_days=int(parameters.get("future_days", 0)),
            latent=Latent(**parameters["latent"]),
        )
        planted = tuple(parameters.get("sequences") or ())
        return cls(pl.read_parquet(table), config, planted)

    def day_index(self, day: date) -> float:
        """Return the end of ``day`` in days since the start of the history."""
        return float((day - start_of_history(self.config).date()).days + 1)

    def _t(self, column: str) -> np.ndarray:
        """Return a timestamp column as days since the start (NaN where null)."""
        start_us = int(start_of_history(self.config).timestamp() * 1_000_000)
        micros = self.customers[column].dt.epoch("us").cast(pl.Float64).to_numpy()
        return np.asarray((micros - start_us) / DAY_US)

    def state(self, day: date) -> pl.DataFrame:
        """Return external_id, bought, alive, gone (and for how many days) at the end of ``day``."""
        t = self.day_index(day)
        first, left = self._t("first_purchase_at"), self._t("left_at")
        back, again = self._t("won_back_at"), self._t("left_again_at")
        bought = self.customers["buyer"].to_numpy() & (first <= t)
        first_life = np.isnan(left) | (left > t)
        second_life = (back <= t) & (np.isnan(again) | (again > t))
        alive = bought & (first_life | second_life)
        gone = bought & ~alive
        # how long ago the latest life ended (the second's if it began by then)
        ended = np.where(back <= t, again, left)
        return pl.DataFrame(
            {
                "external_id": self.customers["customer_id"],
                "bought": bought,
                "alive": alive,
                "gone": gone,
                "second_life": alive & ~first_life,
                "gone_days": np.where(gone, t - ended, np.nan),
            }
        )

    def next_active_day(self) -> pl.Series | None:
        """Return each customer's first activity after the history (None if not simulated)."""
        if "next_active_at" not in self.customers.columns or not self.config.future_days:
            return None
        return pl.Series("next_active", self._t("next_active_at"))

    def expected_value(
        self, day: date, margin: float, monthly_discount_rate: float, horizon_months: int
    ) -> pl.Series:
        """Return every customer's true expected discounted margin after ``day`` (0 if gone).

        Alive customers buy at λ (80% of it in a second life) times the season, and stay alive
        with probability e^(−μ·s) after s days; each order pays the mean order value times the
        expected paid share (discounts, refunds and cancellations of the generator).
        """
        state = self.state(day)
        t0 = self.day_index(day)
        steps = np.arange(0.5, horizon_months * DAYS_PER_MONTH, 1.0)  # mid-day of each day
        month = np.floor(steps / DAYS_PER_MONTH) + 1
        weight = season(t0 + steps, self.config) / (1 + monthly_discount_rate) ** month
        lam = self.customers["purchase_rate_per_day"].to_numpy()
        lam = lam * np.where(state["second_life"].to_numpy(), 0.8, 1.0)
        mu = self.customers["dropout_rate_per_day"].to_numpy()
        per_order = self.customers["mean_order_value"].to_numpy() * expected_paid_share(
            self.config.latent
        )
        alive = state["alive"].to_numpy()
        value = np.zeros(lam.size)
        for chunk in np.array_split(np.flatnonzero(alive), max(1, alive.sum() // 50_000)):
            survive = np.exp(-np.outer(mu[chunk], steps))
            value[chunk] = lam[chunk] * (survive @ weight) * per_order[chunk] * margin
        return pl.Series("true_clv", value)
