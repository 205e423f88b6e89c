"""Customers with identical summaries share every number a model computes for them.

Real transaction logs are kept by day, so (frequency, recency, T) takes far fewer distinct
values than there are customers: a million CDNOW-like customers have a few tens of thousands of
distinct summaries. Fits weigh each distinct summary by its count; predictions are computed once
per distinct summary and spread back to the customers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Collapsed:
    """Distinct rows of some columns, their counts, and where each original row went."""

    columns: tuple[np.ndarray, ...]  # distinct values, one array per column
    weights: np.ndarray  # how many original rows each distinct row stands for
    inverse: np.ndarray  # original row i is distinct row inverse[i]

    @property
    def size(self) -> int:
        """Return the number of distinct rows."""
        return int(self.weights.size)

    def expand(self, values: np.ndarray) -> np.ndarray:
        """Spread per-distinct-row values back to the original rows."""
        return values[self.inverse]


def collapse(*columns: np.ndarray) -> Collapsed:
    """Group identical rows of the given equally long columns."""
    n = columns[0].size
    if n == 0:
        empty = tuple(np.empty(0) for _ in columns)
        return Collapsed(empty, np.empty(0), np.empty(0, dtype=np.intp))
    stacked = np.column_stack(columns)
    # Sorting a structured view keeps this O(n log n) without building Python tuples.
    view = np.ascontiguousarray(stacked).view(
        np.dtype((np.void, stacked.dtype.itemsize * stacked.shape[1]))
    )
    _, first, inverse, counts = np.unique(
        view, return_index=True, return_inverse=True, return_counts=True
    )
    distinct = stacked[first]
    return Collapsed(
        tuple(distinct[:, i].copy() for i in range(len(columns))),
        counts.astype(np.float64),
        inverse.reshape(n),
    )
