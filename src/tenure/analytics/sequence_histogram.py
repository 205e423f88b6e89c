"""The sequence pairs counted with integer codes and lag histograms instead of a self-join.

The figures are those of ``tenure.analytics.sequences`` (its docstring defines them); only the
way of counting differs. A customer's pairs are (A first bought on day a, B first bought on a
later day b), so all that matters per customer is the first day of each item. Sorted by
customer and day, the pairs of a customer are the rows i < j of the same customer with a later
day: taking j = i + 1, i + 2, … over the whole array at once enumerates every pair in as many
vectorised steps as the largest basket has items, and each step only adds codes to counters:

    pair counts       (A, B) → customers who bought B after A
    within            the same, for first A at least W days old and a lag of at most W days
    lag histograms    (A, B, lag) → customers, for the quartiles (linear interpolation, as
                      DuckDB's quantile_cont and numpy's quantile compute them)
    later counts      (A, n) → A buyers with n items first bought after A: the expectation
                      Σ_c 1 − (1 − p_B)^n_c needs nothing more

No row per customer × pair is kept and no item name is touched until the pairs are found.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy.stats import poisson

DENSE_CELLS = 1 << 25  # counters up to this many cells are plain arrays (256 MiB of int64)
FLUSH_KEYS = 1 << 23  # pair keys buffered before they are counted into a large histogram


class _Counter:
    """Counts integer keys below ``cells``: a dense array when it fits, else sorted unique."""

    def __init__(self, cells: int) -> None:
        self.cells = cells
        self.dense = cells <= DENSE_CELLS
        self.counts = np.zeros(cells if self.dense else 0, dtype=np.int64)
        self.keys: list[np.ndarray] = []
        self.found: list[tuple[np.ndarray, np.ndarray]] = []
        self.buffered = 0

    def add(self, keys: np.ndarray) -> None:
        self.keys.append(keys)
        self.buffered += keys.size
        # a dense bincount costs the whole array: only worth it for enough keys at once
        if self.buffered >= max(FLUSH_KEYS, self.cells // 8 if self.dense else 0):
            self.flush()

    def flush(self) -> None:
        if not self.keys:
            return
        keys = np.concatenate(self.keys)
        self.keys, self.buffered = [], 0
        if self.dense:
            self.counts += np.bincount(keys, minlength=self.cells)
        else:
            self.found.append(np.unique(keys, return_counts=True))

    def sparse(self) -> tuple[np.ndarray, np.ndarray]:
        """Return the keys seen (sorted) and their counts."""
        self.flush()
        if self.dense:
            keys = np.flatnonzero(self.counts)
            return keys, self.counts[keys]
        if not self.found:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        keys, where = np.unique(np.concatenate([k for k, _ in self.found]), return_inverse=True)
        counts = np.bincount(where, weights=np.concatenate([c for _, c in self.found]))
        return keys, counts.astype(np.int64)


def _steps(customer: np.ndarray) -> tuple[np.ndarray, int]:
    """Return the rows followed by one of the same customer, and the largest basket."""
    same = np.flatnonzero(customer[1:] == customer[:-1])
    sizes = np.diff(np.flatnonzero(np.r_[True, customer[1:] != customer[:-1], True]))
    return same, int(sizes.max()) if sizes.size else 0


def count_pairs(
    customer: np.ndarray,
    code: np.ndarray,
    day: np.ndarray,
    items: int,
    lag_cells: int,
    within_from_day: int,
    window: int,
    min_support: int,
) -> dict[str, np.ndarray]:
    """Count every pair (A before B) of the rows grouped by customer, latest day first.

    Returns ``pair`` (A·items + B of the pairs with at least ``min_support`` customers, sorted),
    ``after``, ``within``, and the lag histograms as ``lag_key`` (pair index · lag_cells + lag,
    sorted) and ``lag_count``.
    """
    pairs = items * items
    after = _Counter(pairs)
    within = _Counter(pairs)
    # single pass with full lag histograms when they fit; else two passes (supported first)
    full = pairs * lag_cells <= DENSE_CELLS
    hist = _Counter(pairs * lag_cells) if full else None
    rows, longest = _steps(customer)
    for step in range(1, longest):
        if step > 1:
            ahead = rows + step
            rows = rows[ahead < customer.size]
            rows = rows[customer[rows + step] == customer[rows]]
        earlier = rows + step  # latest first: the row step places on came earlier
        lag = day[rows] - day[earlier]
        keep = lag > 0
        first, then, lag = earlier[keep], rows[keep], lag[keep]
        pair = code[first] * items + code[then]
        after.add(pair)
        within.add(pair[(lag <= window) & (day[first] <= within_from_day)])
        if hist is not None:
            hist.add(pair * lag_cells + lag)
    keys, counts = after.sparse()
    supported = counts >= min_support
    keys, counts = keys[supported], counts[supported]
    if keys.size == 0:
        none = np.zeros(0, dtype=np.int64)
        return {k: none for k in ("pair", "after", "within", "lag_key", "lag_count")}
    in_keys, in_counts = within.sparse()
    where = np.searchsorted(keys, in_keys)
    hit = (where < keys.size) & (keys[np.minimum(where, keys.size - 1)] == in_keys)
    within_counts = np.zeros(keys.size, dtype=np.int64)
    within_counts[where[hit]] = in_counts[hit]
    if hist is not None:
        hist.flush()
        rows_of = hist.counts.reshape(pairs, lag_cells)[keys]
        lag_key = np.flatnonzero(rows_of)
        lag_count = rows_of.reshape(-1)[lag_key]
    else:
        lag_key, lag_count = _supported_histograms(customer, code, day, items, lag_cells, keys)
    return {
        "pair": keys,
        "after": counts,
        "within": within_counts,
        "lag_key": lag_key,
        "lag_count": lag_count,
    }


def _supported_histograms(
    customer: np.ndarray,
    code: np.ndarray,
    day: np.ndarray,
    items: int,
    lag_cells: int,
    keys: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Count the lag histograms of the supported pairs only (large catalogues' 2nd pass)."""
    hist = _Counter(max(keys.size, 1) * lag_cells)
    rows, longest = _steps(customer)
    for step in range(1, longest):
        if step > 1:
            rows = rows[rows + step < customer.size]
            rows = rows[customer[rows + step] == customer[rows]]
        earlier = rows + step
        lag = day[rows] - day[earlier]
        pair = code[earlier] * items + code[rows]
        where = np.searchsorted(keys, pair)
        hit = (lag > 0) & (where < keys.size)
        hit[hit] = keys[where[hit]] == pair[hit]
        hist.add(where[hit] * lag_cells + lag[hit])
    return hist.sparse()


def histogram_quantiles(
    lag_key: np.ndarray,
    lag_count: np.ndarray,
    total: np.ndarray,
    lag_cells: int,
    quantiles: tuple[float, ...],
) -> list[np.ndarray]:
    """Return each pair's quantiles of the lags in its histogram.

    ``lag_key`` (pair index · lag_cells + lag, sorted) and ``lag_count``: the histograms'
    non-empty cells; ``total``: each pair's count. Linear interpolation between the order
    statistics ⌊(n − 1)q⌋ and the next, as DuckDB's ``quantile_cont`` and numpy's default
    ``quantile`` do.
    """
    cum = np.cumsum(lag_count)
    base = np.cumsum(total) - total  # the pairs before each pair, in the running count
    lag = (lag_key % lag_cells).astype(np.float64)
    out = []
    for q in quantiles:
        position = (total - 1) * q
        low = np.floor(position)
        high = np.minimum(low + 1, total - 1)
        # order statistic r of a pair: the first cell whose running count exceeds base + r
        x_low = lag[np.searchsorted(cum, base + low, side="right")]
        x_high = lag[np.searchsorted(cum, base + high, side="right")]
        out.append(x_low + (x_high - x_low) * (position - low))
    return out


def later_counts(customer: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Return each row's number of the customer's rows on a later day.

    Rows are grouped by customer, latest day first: the later rows are those before the
    row's run of equal days.
    """
    n = customer.size
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    new_customer = np.r_[True, customer[1:] != customer[:-1]]
    new_day = new_customer | np.r_[True, day[1:] != day[:-1]]
    customer_start = np.flatnonzero(new_customer)[np.cumsum(new_customer) - 1]
    day_start = np.flatnonzero(new_day)[np.cumsum(new_day) - 1]
    return (day_start - customer_start).astype(np.int64)


def histogram_pairs(
    firsts: pl.DataFrame,
    as_of_day: int,
    min_support: int,
    window_days: int,
) -> pl.DataFrame:
    """Return the pairs with at least ``min_support`` buyers, sorted by a and b.

    Columns: a, b, a_category, b_category, buyers_a, buyers_b, buyers_after, share,
    share_within, lag_q1, lag_median, lag_q3, lift, expected, z, p_value (an empty frame when
    no pair has the support). ``firsts``: customer_id, item, category, day
    (``sequences.first_purchases``) of one level.
    """
    if firsts.is_empty():
        return pl.DataFrame()
    customer = firsts["customer_id"].to_numpy()
    day = firsts["day"].to_numpy().astype(np.int64)
    same = customer[1:] == customer[:-1]
    grouped = bool(np.all(same | (customer[1:] > customer[:-1])))
    if not (grouped and bool(np.all(~same | (day[1:] <= day[:-1])))):
        firsts = firsts.sort("customer_id", "day", descending=[False, True])
        customer = firsts["customer_id"].to_numpy()
        day = firsts["day"].to_numpy().astype(np.int64)
    code, names = item_codes(firsts["item"])
    items = names.len()
    category = firsts["category"].gather(first_rows(code, items))
    first_day = int(day.min())
    lag_cells = int(day.max()) - first_day + 1
    counted = count_pairs(
        customer,
        code,
        day - first_day,
        items,
        lag_cells,
        as_of_day - window_days - first_day,
        window_days,
        min_support,
    )
    if counted["pair"].size == 0:
        return pl.DataFrame()
    a, b = counted["pair"] // items, counted["pair"] % items
    buyers = np.bincount(code, minlength=items)
    observable = np.bincount(code[day <= as_of_day - window_days], minlength=items)
    customers = int(np.count_nonzero(np.r_[True, customer[1:] != customer[:-1]]))
    after = counted["after"]
    q1, median, q3 = histogram_quantiles(
        counted["lag_key"], counted["lag_count"], after, lag_cells, (0.25, 0.5, 0.75)
    )
    share = after / buyers[a]
    # the expectation: A buyers grouped by their number of later items
    later = later_counts(customer, day)
    spread = int(later.max()) + 1
    by_later = np.bincount(code * spread + later, minlength=items * spread).reshape(items, spread)
    p_b = buyers[b] / (code.size - buyers[a])
    powers = np.arange(spread)
    expected = (by_later[a] * (1 - (1 - p_b[:, None]) ** powers[None, :])).sum(axis=1)
    floor = np.maximum(expected, 1e-12)
    with np.errstate(divide="ignore", invalid="ignore"):
        share_within = np.where(observable[a] > 0, counted["within"] / observable[a], np.nan)
    return pl.DataFrame(
        {
            "a": names.gather(a),
            "b": names.gather(b),
            "a_category": category.gather(a),
            "b_category": category.gather(b),
            "buyers_a": buyers[a],
            "buyers_b": buyers[b],
            "buyers_after": after,
            "share": share,
            "share_within": pl.Series(share_within).fill_nan(None),
            "lag_q1": q1,
            "lag_median": median,
            "lag_q3": q3,
            "lift": share / (buyers[b] / customers),
            "expected": expected,
            "z": (after - floor) / np.sqrt(floor),
            "p_value": poisson.sf(after - 1, floor),
        }
    )


def first_rows(code: np.ndarray, items: int) -> np.ndarray:
    """Return the first row of each code (every code below ``items`` occurs)."""
    first = np.full(items, code.size, dtype=np.int64)
    np.minimum.at(first, code, np.arange(code.size))
    return first


def _sorted(keys: np.ndarray) -> np.ndarray:
    """Return the keys sorted (Polars' sort: faster than numpy's on many threads)."""
    return pl.Series(keys).sort().to_numpy()


def item_codes(names: pl.Series) -> tuple[np.ndarray, pl.Series]:
    """Return each value's code in the sorted distinct values, and those values."""
    categorical = names.cast(pl.Categorical)
    distinct = categorical.unique().drop_nulls()
    ordered = distinct.cast(pl.String).sort()
    physical = distinct.to_physical().to_numpy()
    lookup = np.zeros(int(physical.max()) + 1 if physical.size else 1, dtype=np.int64)
    lookup[physical] = (
        pl.Series(distinct.cast(pl.String)).rank("ordinal").to_numpy().astype(np.int64) - 1
    )
    return lookup[categorical.to_physical().to_numpy()], ordered


def item_firsts(
    purchases: pl.DataFrame, item: str, max_items: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Return (firsts, repeats) of the ``item`` column; see ``sequences.firsts_and_repeats``.

    Customer, item code and day are packed into one integer and sorted once: the first and
    last line of each customer's item are then its first and last day.
    """
    frame = purchases.select(
        "customer_id", "day", pl.col(item).alias("item"), pl.col("category").alias("line_category")
    ).filter(pl.col("item").is_not_null())
    firsts_schema = {"customer_id": pl.Int64, "item": pl.String, "category": pl.String}
    if frame.is_empty():
        return (
            pl.DataFrame(schema={**firsts_schema, "day": pl.Int32}),
            pl.DataFrame(schema={"item": pl.String, "repeat_share": pl.Float64}),
        )
    code, names = item_codes(frame["item"])
    items = names.len()
    day = frame["day"].to_numpy().astype(np.int64)
    first_day = int(day.min())
    day_bits = (int(day.max()) - first_day).bit_length()
    item_bits = max(items - 1, 0).bit_length()
    customer_ids = frame["customer_id"].to_numpy().astype(np.int64, copy=False)
    low = int(customer_ids.min())
    dense_ids: np.ndarray | None = None
    if (int(customer_ids.max()) - low).bit_length() + item_bits + day_bits <= 62:
        customer = customer_ids - low
    else:  # ids too far apart to pack: number them densely first
        dense_ids, customer = np.unique(customer_ids, return_inverse=True)
    # customer | item | day in one integer: one sort groups each customer's item by day
    key = _sorted((customer << (item_bits + day_bits)) | (code << day_bits) | (day - first_day))
    group = key >> day_bits
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    ends = np.r_[starts[1:], key.size] - 1
    day_mask = (1 << day_bits) - 1
    buyer = group[starts] >> item_bits
    bought = group[starts] & ((1 << item_bits) - 1)
    firsts_day = key[starts] & day_mask
    repeated = (key[ends] & day_mask) > firsts_day
    buyers = np.bincount(bought, minlength=items)
    repeats = pl.DataFrame(
        {
            "item": names.gather(np.flatnonzero(buyers)),
            "repeat_share": np.bincount(bought, weights=repeated, minlength=items)[buyers > 0]
            / buyers[buyers > 0],
        }
    )
    # latest first, then by item (customer | days before the last | item, sorted); only each
    # customer's max_items latest stay
    latest = _sorted(
        (buyer << (day_bits + item_bits)) | ((day_mask - firsts_day) << item_bits) | bought
    )
    buyer = latest >> (day_bits + item_bits)
    firsts_day = day_mask - ((latest >> item_bits) & day_mask)
    bought = latest & ((1 << item_bits) - 1)
    new = np.r_[True, buyer[1:] != buyer[:-1]]
    starts_at = np.flatnonzero(new)
    if np.diff(np.r_[starts_at, buyer.size]).max() > max_items:  # someone is over the cap
        kept = np.arange(buyer.size) - starts_at[np.cumsum(new) - 1] < max_items
        buyer, bought, firsts_day = buyer[kept], bought[kept], firsts_day[kept]
    # each item's category: that of its first line (lines of one item should agree)
    category = frame["line_category"].gather(first_rows(code, items))
    ids = buyer + low if dense_ids is None else dense_ids[buyer]
    firsts = pl.DataFrame(
        {
            "customer_id": ids,
            "item": names.gather(bought),
            "category": category.gather(bought),
            "day": (firsts_day + first_day).astype(np.int32),
        },
        schema={**firsts_schema, "day": pl.Int32},
    )
    return firsts, repeats
