"""Reading columns from plain data (pandas, Polars, dicts of arrays) with clear errors."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from tenure.kit.errors import InvalidInput

FloatArray = np.ndarray


def column(data: Any, name: str, *, what: str = "summary") -> FloatArray:
    """Return column ``name`` of ``data`` as a float array, or say which column is missing."""
    try:
        values = data[name]
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        available = (
            list(data.keys()) if isinstance(data, Mapping) else list(getattr(data, "columns", []))
        )
        raise InvalidInput(
            f"the {what} has no column {name!r}; its columns are: {', '.join(map(str, available))}"
        ) from exc
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise InvalidInput(f"column {name!r} must be one-dimensional")
    return array


def check(condition: np.ndarray, name: str, rule: str) -> None:
    """Raise with the first offending row when ``condition`` fails anywhere."""
    bad = ~condition
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InvalidInput(f"column {name!r} must be {rule}; row {row} is not")


def as_array(value: Any) -> FloatArray:
    """Turn a scalar or sequence into a float array (at least one-dimensional)."""
    return np.atleast_1d(np.asarray(value, dtype=np.float64))
