"""Each customer's k best offers, scored with sparse matrices: no row per customer × pair.

The figures are those of ``tenure.analytics.offers`` (its docstring defines p(A, B) and the
score); only the way of computing them differs. p(A, B) depends on the customer only through
the days since A, so it is computed once per pair and day A was first bought on:

    X   customers × (A, day)     1 where the customer first bought A on that day
    W   (A, day) × B             log(1 − p(A, B)) after that many days

and X·W sums log(1 − p) over each customer's items: 1 − exp(X·W) is the chance that any of
them leads to B, 1 − Π(1 − p). Customers are taken in chunks, the chunk's scores laid out as
a dense customers × items array, the items the customer may not be offered again struck out,
the popular fallback laid beside them, and only each customer's k best (ties kept) leave the
chunk. The reason (the pair most likely to lead to B; on a tie the first A by item) is looked
up for those k only. "Sequence only" (``timing`` off) scores by the largest share instead of
a product, which no matrix product gives: its chunks add each item's pairs one by one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy import sparse

from tenure.analytics.sequence_histogram import item_codes

CHUNK_CELLS = 1 << 22  # customers × offerable items scored at once (32 MiB per array)
NONE = -np.inf  # no candidate


@dataclass(frozen=True)
class Ranking:
    """How the offers are ranked (``offers.OfferParams``' share of it)."""

    per_customer: int
    timing: bool
    fill_popular: bool


def lag_cdf(elapsed: np.ndarray, q1: np.ndarray, q2: np.ndarray, q3: np.ndarray) -> np.ndarray:
    """F(elapsed) of each pair, piecewise linear through the lag quartiles.

    0 → 0, q1 → ¼, median → ½, q3 → ¾, q3 + 2·(q3 − q1) + 1 → 1, as ``offers`` defines it.
    """
    end = q3 + 2 * (q3 - q1) + 1

    def segment(x0: np.ndarray, x1: np.ndarray, y0: float) -> np.ndarray:
        width = np.maximum(x1 - x0, 1e-9)
        return y0 + 0.25 * np.clip((elapsed - x0) / width, 0.0, 1.0)

    return np.select(
        [elapsed <= 0, elapsed <= q1, elapsed <= q2, elapsed <= q3],
        [
            np.zeros_like(elapsed),
            0.25 * elapsed / np.maximum(q1, 1e-9),
            segment(q1, q2, 0.25),
            segment(q2, q3, 0.5),
        ],
        segment(q3, end, 0.75),
    )


class _Edges:
    """The strong pairs, coded: sorted by A, then B."""

    def __init__(self, strong: pl.DataFrame, code_of: pl.DataFrame, items: int) -> None:
        coded = (
            strong.join(code_of.rename({"item": "a", "code": "a_code"}), on="a")
            .join(code_of.rename({"item": "b", "code": "b_code"}), on="b")
            .sort("a_code", "b_code")
        )
        self.items = items
        self.a = coded["a_code"].to_numpy().astype(np.int64)
        self.b = coded["b_code"].to_numpy().astype(np.int64)
        self.key = self.a * items + self.b
        self.share = coded["share"].to_numpy().astype(np.float64)
        self.q = [
            coded[c].to_numpy().astype(np.float64) for c in ("lag_q1", "lag_median", "lag_q3")
        ]
        self.table: np.ndarray | None = None  # edge by A·items + B, for small catalogues
        # the edges of A are start[A] … start[A + 1]
        self.start = np.searchsorted(self.a, np.arange(items + 1))

    def find(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Return the edge of each (A, B), -1 where the pair is not strong."""
        key = a * self.items + b
        if self.items * self.items <= 1 << 24:
            if self.table is None:
                self.table = np.full(self.items * self.items, -1, dtype=np.int64)
                self.table[self.key] = np.arange(self.key.size)
            return self.table[key]
        where = np.minimum(np.searchsorted(self.key, key), max(self.key.size - 1, 0))
        return np.where((self.key.size > 0) & (self.key[where] == key), where, -1)

    def p(self, edge: np.ndarray, elapsed: np.ndarray, timing: bool) -> np.ndarray:
        """p(A, B) of the edges after ``elapsed`` days (the share alone without timing)."""
        share = self.share[edge]
        if not timing:
            return share
        cdf = lag_cdf(elapsed.astype(np.float64), *(q[edge] for q in self.q))
        # past the end of the lags none is still to come (also when every A buyer bought B)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(cdf >= 1, 0.0, share * (1 - cdf) / (1 - share * cdf))

    def of(self, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return, for each A given, the index of the A and the edges, one row per edge."""
        counts = self.start[a + 1] - self.start[a]
        owner = np.repeat(np.arange(a.size), counts)
        first = np.repeat(self.start[a] - np.r_[0, np.cumsum(counts)[:-1]], counts)
        return owner, first + np.arange(owner.size)


def rank_offers(
    customer: np.ndarray,
    code: np.ndarray,
    day: np.ndarray,
    edges: _Edges,
    barred_items: np.ndarray,
    popular: tuple[np.ndarray, np.ndarray],
    as_of_day: int,
    ranking: Ranking,
) -> dict[str, np.ndarray]:
    """Return every customer's k best offers, by row (customer index) and rank.

    Arrays: row, code, score, sequence (bool), rank, from_code and from_day (-1 for popular
    offers). ``customer``, ``code``, ``day``: the first purchases, ``customer`` numbered 0… and
    non-decreasing; ``barred_items``: True for the items not offered again to their buyers;
    ``popular``: the fallback's codes and scores.
    """
    items = edges.items
    rows = int(customer[-1]) + 1 if customer.size else 0
    indptr = np.searchsorted(customer, np.arange(rows + 1))
    has_edges = edges.start[code + 1] > edges.start[code]
    # the offerable items, in code order (so ties break by item): B of a pair, or popular
    offerable = np.unique(np.r_[edges.b, popular[0] if ranking.fill_popular else []]).astype(
        np.int64
    )
    if offerable.size == 0 or rows == 0:  # no pair and no fallback: nothing to offer
        none = np.zeros(0, dtype=np.int64)
        return {
            k: none for k in ("row", "code", "score", "sequence", "rank", "from_code", "from_day")
        }
    column = np.full(items, -1, dtype=np.int64)
    column[offerable] = np.arange(offerable.size)
    # the (A, day) combinations bought, numbered; X in CSR: customer rows, combination columns
    first_day = int(day.min()) if day.size else 0
    span = int(day.max()) - first_day + 1 if day.size else 1
    combo_key = code[has_edges] * span + (day[has_edges] - first_day)
    combos, combo_of = _numbered(combo_key, items * span)
    combo_a, combo_day = combos // span, combos % span + first_day
    x_indptr = np.r_[0, np.cumsum(np.bincount(customer[has_edges], minlength=rows))]
    x = sparse.csr_matrix((np.ones(combo_of.size), combo_of, x_indptr), shape=(rows, combos.size))
    # W: one row per combination, one entry per pair of its A (in the pairs' order)
    owner, edge = edges.of(combo_a)
    p = edges.p(edge, as_of_day - combo_day[owner], ranking.timing)
    w_indptr = np.r_[0, np.cumsum(np.bincount(owner, minlength=combos.size))]
    w_column = column[edges.b[edge]]
    shape = (combos.size, offerable.size)
    with np.errstate(divide="ignore"):
        w = sparse.csr_matrix((np.log1p(-p), w_column, w_indptr), shape=shape)
    # the existence of a candidate, for customers short of k positive ones
    exists = sparse.csr_matrix((np.ones(edge.size), w_column, w_indptr), shape=shape)
    popular_columns = column[popular[0]] if ranking.fill_popular else np.zeros(0, np.int64)
    popular_scores = popular[1] if ranking.fill_popular else np.zeros(0)
    found: list[dict[str, np.ndarray]] = []
    size = max(1, CHUNK_CELLS // offerable.size)
    for lo in range(0, rows, size):
        hi = min(rows, lo + size)
        lines = slice(indptr[lo], indptr[hi])
        chunk_code, chunk_row = code[lines], customer[lines] - lo
        bar = barred_items[chunk_code] & (column[chunk_code] >= 0)
        barred = (chunk_row[bar], column[chunk_code[bar]])
        chunk_x = x[lo:hi]
        if ranking.timing:
            sums = chunk_x @ w  # only sums below 0 are stored: any p > 0
            seq = np.full((hi - lo, offerable.size), NONE)
            seq[np.repeat(np.arange(hi - lo), np.diff(sums.indptr)), sums.indices] = 1 - np.exp(
                sums.data
            )
        else:
            seq = _largest(chunk_x, w_indptr, w_column, p, offerable.size)
        seq[barred] = NONE
        short = np.flatnonzero((seq > NONE).sum(axis=1) < ranking.per_customer)
        if short.size:  # candidates of score 0 (all their pairs long past) count for these
            zero = (chunk_x[short] @ exists).toarray() > 0
            at = np.full(hi - lo, -1)
            at[short] = np.arange(short.size)
            barred_short = at[barred[0]] >= 0
            zero[at[barred[0][barred_short]], barred[1][barred_short]] = False
            zero &= seq[short] == NONE
            seq[short] = np.where(zero, 0.0, seq[short])
        found.append(
            _top(seq, barred, popular_columns, popular_scores, offerable, lo, ranking.per_customer)
        )
    out = {
        name: np.concatenate([f[name] for f in found]) if found else np.zeros(0, np.int64)
        for name in ("row", "code", "score", "sequence", "rank")
    }
    out["from_code"], out["from_day"] = _reasons(out, x, combo_a, combo_day, edges, w_indptr, p)
    return out


def _numbered(keys: np.ndarray, cells: int) -> tuple[np.ndarray, np.ndarray]:
    """Return the distinct keys (sorted) and each key's index among them."""
    if cells > 1 << 26:
        return np.unique(keys, return_inverse=True)
    present = np.zeros(cells, dtype=bool)
    present[keys] = True
    distinct = np.flatnonzero(present)
    index = np.cumsum(present) - 1
    return distinct, index[keys]


def _kth(values: np.ndarray, k: int) -> np.ndarray:
    """Return each row's k-th largest value (ties counted), NONE when it has fewer."""
    columns = values.shape[1]
    if columns < k:
        return np.full(values.shape[0], NONE)
    return np.partition(values, columns - k, axis=1)[:, columns - k]


def _top(
    seq: np.ndarray,
    barred: tuple[np.ndarray, np.ndarray],
    popular_columns: np.ndarray,
    popular_scores: np.ndarray,
    offerable: np.ndarray,
    lo: int,
    k: int,
) -> dict[str, np.ndarray]:
    """Return a chunk's k best offers.

    The sequence's k best (ties kept) meet the popular fallback's base rates; an item both
    offer keeps the higher score (a tie: the sequence's). ``seq``: the chunk's sequence
    scores (NONE: no candidate; changed in place).
    """
    seq[seq < _kth(seq, k)[:, None]] = NONE
    # the fallback's few columns beside the sequence's scores of the same items
    fallback = np.broadcast_to(popular_scores, (seq.shape[0], popular_columns.size)).copy()
    slot = np.full(seq.shape[1], -1)
    slot[popular_columns] = np.arange(popular_columns.size)
    on_popular = slot[barred[1]] >= 0
    fallback[barred[0][on_popular], slot[barred[1][on_popular]]] = NONE
    sequence_there = seq[:, popular_columns]
    keeps_sequence = (sequence_there > NONE) & (sequence_there >= fallback)
    seq[:, popular_columns] = np.where(keeps_sequence, sequence_there, fallback)
    pick = seq >= _kth(seq, k)[:, None]
    pick &= seq > NONE
    at_row, at_column = np.nonzero(pick)  # by row, then column: code order
    values = seq[at_row, at_column]
    order = np.lexsort((at_column, -values, at_row))
    at_row, at_column, values = at_row[order], at_column[order], values[order]
    new = np.r_[True, at_row[1:] != at_row[:-1]]
    rank = np.arange(at_row.size) - np.flatnonzero(new)[np.cumsum(new) - 1] + 1
    top = rank <= k
    at_row, at_column = at_row[top], at_column[top]
    is_popular = slot[at_column] >= 0
    sequence = np.ones(at_row.size, dtype=bool)
    sequence[is_popular] = keeps_sequence[at_row[is_popular], slot[at_column[is_popular]]]
    return {
        "row": at_row + lo,
        "code": offerable[at_column],
        "score": values[top],
        "sequence": sequence,
        "rank": rank[top],
    }


def _largest(
    chunk_x: sparse.csr_matrix,
    w_indptr: np.ndarray,
    w_column: np.ndarray,
    p: np.ndarray,
    columns: int,
) -> np.ndarray:
    """Return the chunk's largest p per customer and item (NONE where no pair leads to it)."""
    combo_counts = np.diff(chunk_x.indptr)
    row = np.repeat(np.arange(chunk_x.shape[0]), combo_counts)
    combo = chunk_x.indices
    counts = w_indptr[combo + 1] - w_indptr[combo]
    owner = np.repeat(np.arange(combo.size), counts)
    entry = np.repeat(w_indptr[combo] - np.r_[0, np.cumsum(counts)[:-1]], counts) + np.arange(
        owner.size
    )
    best = np.full((chunk_x.shape[0], columns), NONE)
    np.maximum.at(best, (row[owner], w_column[entry]), p[entry])
    return best


def _reasons(
    offered: dict[str, np.ndarray],
    x: sparse.csr_matrix,
    combo_a: np.ndarray,
    combo_day: np.ndarray,
    edges: _Edges,
    w_indptr: np.ndarray,
    p: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Return the reason of each sequence offer and its day (-1 for popular offers).

    The reason is the A most likely to lead to B (ties: the first A by item); its p is read
    from W's entries (``p``, W's values before the logarithm), not computed again.
    """
    from_code = np.full(offered["row"].size, -1, dtype=np.int64)
    from_day = np.full(offered["row"].size, -1, dtype=np.int64)
    which = np.flatnonzero(offered["sequence"])
    if which.size == 0:
        return from_code, from_day
    row, b = offered["row"][which], offered["code"][which]
    # every item A of the customer against the offered B, grouped by offer
    counts = x.indptr[row + 1] - x.indptr[row]
    owner = np.repeat(np.arange(which.size), counts)
    starts = np.repeat(x.indptr[row] - np.r_[0, np.cumsum(counts)[:-1]], counts)
    combo = x.indices[starts + np.arange(owner.size)]
    a = combo_a[combo]
    edge = edges.find(a, b[owner])
    hit = edge >= 0
    owner, a, combo, edge = owner[hit], a[hit], combo[hit], edge[hit]
    chance = p[w_indptr[combo] + edge - edges.start[a]]
    # every offer has a pair: its entries are a run; the largest p, then the smallest A
    first = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
    best = np.maximum.reduceat(chance, first)
    candidate = chance == np.repeat(best, np.diff(np.r_[first, owner.size]))
    smallest = np.minimum.reduceat(np.where(candidate, a, edges.items), first)
    chosen = np.flatnonzero(
        candidate & (a == np.repeat(smallest, np.diff(np.r_[first, owner.size])))
    )
    from_code[which[owner[chosen]]] = a[chosen]
    from_day[which[owner[chosen]]] = combo_day[combo[chosen]]
    return from_code, from_day


RANKED_SCHEMA = {
    "customer_id": pl.Int64,
    "rank": pl.Int32,
    "item": pl.String,
    "score": pl.Float64,
    "source": pl.String,
    "from_item": pl.String,
    "from_day": pl.Int32,
}


def ranked_offers(
    firsts: pl.DataFrame,
    strong: pl.DataFrame,
    again: pl.Series,
    popular: pl.DataFrame,
    as_of_day: int,
    ranking: Ranking,
) -> pl.DataFrame:
    """Return each customer's k best offers (RANKED_SCHEMA), by customer and rank.

    ``firsts``: customer_id, item, day of one level; ``strong``: the pairs that are evidence;
    ``again``: the items that may be offered again to their buyers; ``popular``: item, score
    of the fallback.
    """
    if firsts.is_empty():
        return pl.DataFrame(schema=RANKED_SCHEMA)
    ids = firsts["customer_id"].to_numpy()
    if not bool(np.all(ids[1:] >= ids[:-1])):
        firsts = firsts.sort("customer_id")
        ids = firsts["customer_id"].to_numpy()
    local, bought = item_codes(firsts["item"])
    names = pl.concat([bought, strong["a"], strong["b"]]).unique().sort()
    code = names.search_sorted(bought).to_numpy().astype(np.int64)[local]
    code_of = names.to_frame("item").with_row_index("code")
    new = np.r_[True, ids[1:] != ids[:-1]]
    barred_items = ~names.is_in(again.implode()).to_numpy()
    chosen = popular.join(code_of, on="item")
    found = rank_offers(
        np.cumsum(new) - 1,
        code,
        firsts["day"].to_numpy().astype(np.int64),
        _Edges(strong, code_of, names.len()),
        barred_items,
        (chosen["code"].to_numpy().astype(np.int64), chosen["score"].to_numpy()),
        as_of_day,
        ranking,
    )
    is_reason = found["from_code"] >= 0
    return pl.DataFrame(
        {
            "customer_id": ids[new][found["row"]],
            "rank": found["rank"],
            "item": names.gather(found["code"]),
            "score": found["score"],
            "source": np.where(found["sequence"], "sequence", "popular"),
            "from_item": names.gather(np.where(is_reason, found["from_code"], 0)).zip_with(
                pl.Series(is_reason), pl.Series([None], dtype=pl.String)
            ),
            "from_day": pl.Series(found["from_day"]).zip_with(
                pl.Series(is_reason), pl.Series([None], dtype=pl.Int64)
            ),
        }
    ).cast(RANKED_SCHEMA)  # type: ignore[arg-type]
