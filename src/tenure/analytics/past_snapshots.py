"""Learning from the store's own past: what the churn and lead-conversion models share.

With a horizon of H days and the run's day d, both models label two earlier snapshots by what
happened in the H days after each:

    snapshot at d − 2H   → training (the model that is evaluated)
    snapshot at d − H    → test: the model against its baselines
    both together        → the model that scores day d

and both need enough of each label in each snapshot to learn anything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import polars as pl

from tenure.analytics.boosting import stable_key


class NotEnoughHistory(Exception):
    """The store's past is too short or too one-sided to learn from."""


@dataclass(frozen=True)
class Split:
    """The two past snapshots a model learns and is tested on."""

    horizon_days: int
    train_day: date
    test_day: date

    @classmethod
    def before(cls, as_of: date, horizon_days: int) -> Split:
        """Return the snapshots one and two horizons before ``as_of``."""
        horizon = timedelta(days=horizon_days)
        return cls(horizon_days, as_of - 2 * horizon, as_of - horizon)

    def diagnostics(self) -> dict[str, Any]:
        """Return the split as the run record keeps it."""
        return {
            "horizon_days": self.horizon_days,
            "train_as_of": self.train_day.isoformat(),
            "test_as_of": self.test_day.isoformat(),
        }

    def labelled(
        self, label_at: Callable[[date], pl.DataFrame]
    ) -> tuple[pl.DataFrame, pl.DataFrame]:
        """Return the (training, test) snapshots labelled by ``label_at``.

        ``label_at`` raises NotEnoughHistory when a snapshot cannot teach the model.
        """
        return label_at(self.train_day), label_at(self.test_day)


def enough_of_each(
    labelled: pl.DataFrame,
    column: str,
    min_per_class: int,
    explain: Callable[[int, int], str],
) -> pl.DataFrame:
    """Return ``labelled`` if its 0/1 ``column`` holds ``min_per_class`` of each value.

    Otherwise raise NotEnoughHistory with ``explain(ones, zeros)`` as the reason.
    """
    ones = int(labelled[column].sum())
    if min(ones, labelled.height - ones) < min_per_class:
        raise NotEnoughHistory(explain(ones, labelled.height - ones))
    return labelled


def at_most(frame: pl.DataFrame, rows: int) -> pl.DataFrame:
    """Return a stable sample of at most ``rows`` rows (by a hash of the customer id)."""
    if frame.height <= rows:
        return frame
    key = pl.Series("_key", stable_key(frame["customer_id"]))
    return frame.with_columns(key).sort("_key").head(rows).drop("_key")
