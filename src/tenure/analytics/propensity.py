"""Learned propensity: implicit-feedback matrix factorisation of who bought what.

The customer × item matrix of purchase days r (how many days a customer bought an item on) is
factorised by alternating least squares with confidence weights (Hu, Koren & Volinsky 2008,
"Collaborative filtering for implicit feedback datasets", ICDM):

    minimise  Σ_{u,i} c_ui (p_ui − x_uᵀ y_i)² + λ (Σ‖x_u‖² + Σ‖y_i‖²)
    p_ui = 1 if r_ui > 0 else 0,   c_ui = 1 + α r_ui

(the ``implicit`` library's CPU solver, one thread unless told). A customer's propensity for
item i is x_uᵀ y_i: not a probability, a rank.

Bayesian personalised ranking (Rendle, Freudenthaler, Gantner & Schmidt-Thieme 2009, "BPR:
Bayesian personalized ranking from implicit feedback", UAI) fits the same factors (plus an
item bias) to the order instead: for a customer u, an item i they bought and an item j they
did not, maximise Σ ln σ(x_uᵀ y_i − x_uᵀ y_j) − λ‖θ‖² by stochastic gradient ascent. The
stored score of a learned offer is σ(x_uᵀ y_i): the model's chance that u prefers i to an item
drawn at random — a propensity to rank by, not a chance of buying.

On the demo's later split (benchmarks/implicit_offers_eval.py, 50,000 customers) BPR beats
the sequence offers at product level and ALS does not reliably; at category level neither
does. So the run uses BPR at product level (``blend``), with the sequences' reasons where they
apply, and sequence offers already due first. The reason of any other learned offer is the
customer's item most like B (cosine of the item factors): "customers who buy A also tend to
buy B".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy import sparse

from tenure.analytics.offers import OFFER_SCHEMA, OfferParams

_BATCH = 50_000  # customers scored at once: the dense scores stay small


@dataclass(frozen=True)
class PropensityParams:
    """The factorisation's size and weights."""

    model: str = "bpr"  # bpr or als
    factors: int = 32
    iterations: int = 200  # BPR's epochs (100 and 1,500 lose to the sequences); ALS: about 15
    learning_rate: float = 0.01  # BPR's step
    regularization: float = 0.05
    alpha: float = 10.0  # ALS: confidence per purchase day (BPR reads only who bought what)
    seed: int = 7
    threads: int = 1  # the run pins its threads; the library would take every core


@dataclass(frozen=True)
class Factors:
    """A fitted factorisation: customer and item ids beside their factor rows."""

    customers: np.ndarray
    items: list[str]
    customer_factors: np.ndarray
    item_factors: np.ndarray


def purchase_days(purchases: pl.DataFrame, item: str) -> pl.DataFrame:
    """Return customer_id, item, days: on how many days each customer bought each item."""
    return (
        purchases.filter(pl.col(item).is_not_null())
        .group_by("customer_id", pl.col(item).alias("item"))
        .agg(pl.col("day").n_unique().alias("days"))
    )


def fit(days: pl.DataFrame, params: PropensityParams | None = None) -> Factors:
    """Factorise ``days`` (``purchase_days``) and return the factors."""
    from implicit.cpu.als import AlternatingLeastSquares  # a heavy import, only when fitted
    from implicit.cpu.bpr import BayesianPersonalizedRanking

    params = params or PropensityParams()
    customers = days["customer_id"].unique().sort()
    items = days["item"].unique().sort()
    row = customers.to_frame().with_row_index("row")
    col = items.to_frame("item").with_row_index("col")
    coded = days.join(row, on="customer_id").join(col, on="item")
    matrix = sparse.csr_matrix(
        (
            (1.0 if params.model == "bpr" else params.alpha) * coded["days"].to_numpy(),
            (coded["row"].to_numpy(), coded["col"].to_numpy()),
        ),
        shape=(customers.len(), items.len()),
        dtype=np.float32,
    )
    if params.model == "bpr":
        model: AlternatingLeastSquares | BayesianPersonalizedRanking = BayesianPersonalizedRanking(
            factors=params.factors,
            iterations=params.iterations,
            learning_rate=params.learning_rate,
            regularization=params.regularization,
            random_state=params.seed,
            num_threads=params.threads,
        )
    elif params.model == "als":
        model = AlternatingLeastSquares(
            factors=params.factors,
            iterations=params.iterations,
            regularization=params.regularization,
            random_state=params.seed,
            num_threads=params.threads,
            calculate_training_loss=False,
        )
    else:
        raise ValueError(f"model: als or bpr, not {params.model!r}")
    model.fit(matrix, show_progress=False)
    return Factors(
        customers=customers.to_numpy(),
        items=items.to_list(),
        customer_factors=np.asarray(model.user_factors),
        item_factors=np.asarray(model.item_factors),
    )


def learned_offers(
    factors: Factors,
    firsts: pl.DataFrame,
    repeats: pl.DataFrame,
    as_of_day: int,
    per_customer: int = 3,
    repeat_from: float = 0.5,
) -> pl.DataFrame:
    """Return each customer's ``per_customer`` items of highest propensity (OFFER_SCHEMA).

    Items the customer bought are left out unless they repeat; each offer's reason is the
    customer's item most like it (``from_item``, ``from_day``: its first purchase); due today.
    """
    item_index = {name: j for j, name in enumerate(factors.items)}
    row_of = pl.DataFrame({"customer_id": factors.customers}).with_row_index("row")
    again = set(repeats.filter(pl.col("repeat_share") >= repeat_from)["item"].to_list())
    owned = (
        firsts.join(row_of, on="customer_id")
        .with_columns(col=pl.col("item").replace_strict(item_index, default=None))
        .drop_nulls("col")
    )
    barred = owned.filter(~pl.col("item").is_in(list(again)))
    k = min(per_customer, len(factors.items))
    chosen = []
    for lo in range(0, len(factors.customers), _BATCH):
        hi = min(lo + _BATCH, len(factors.customers))
        scores = factors.customer_factors[lo:hi] @ factors.item_factors.T
        inside = barred.filter(pl.col("row").is_between(lo, hi - 1))
        scores[inside["row"].to_numpy() - lo, inside["col"].to_numpy()] = -np.inf
        top = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        best = np.take_along_axis(scores, top, axis=1)
        chosen.append(
            pl.DataFrame(
                {
                    "row": np.repeat(np.arange(lo, hi, dtype=np.uint32), k),
                    "rank": np.tile(np.arange(1, k + 1, dtype=np.int32), hi - lo),
                    "col": top.ravel().astype(np.int64),
                    "score": best.ravel().astype(np.float64),
                }
            ).filter(pl.col("score").is_finite())
        )
    if not chosen:
        return pl.DataFrame(schema=OFFER_SCHEMA)
    offered = pl.concat(chosen).with_columns(
        pl.col("rank").rank("ordinal").over("row").cast(pl.Int32)
    )
    return _with_reasons(offered, owned, row_of, factors, as_of_day)


def _with_reasons(
    offered: pl.DataFrame,
    owned: pl.DataFrame,
    row_of: pl.DataFrame,
    factors: Factors,
    as_of_day: int,
) -> pl.DataFrame:
    """Name each offer's item, its category, and the owned item most like it."""
    unit = factors.item_factors / np.maximum(
        np.linalg.norm(factors.item_factors, axis=1, keepdims=True), 1e-12
    )
    n = len(factors.items)
    similar = pl.DataFrame(
        {
            "col": np.repeat(np.arange(n, dtype=np.int64), n),
            "a_col": np.tile(np.arange(n, dtype=np.int64), n),
            "cosine": (unit @ unit.T).ravel().astype(np.float64),
        }
    )
    reasons = (
        offered.select("row", "col")
        .join(owned.select("row", pl.col("col").alias("a_col"), "item", "day"), on="row")
        .filter(pl.col("a_col") != pl.col("col"))
        .join(similar, on=["col", "a_col"])
        .sort("row", "col", "cosine", "item", descending=[False, False, True, False])
        .unique(["row", "col"], keep="first")
        .select("row", "col", pl.col("item").alias("from_item"), pl.col("day").alias("from_day"))
    )
    names = pl.DataFrame({"col": np.arange(n, dtype=np.int64), "item": factors.items})
    categories = owned.select("item", "category").unique("item")
    return (
        offered.join(names, on="col")
        .join(row_of, on="row")
        .join(reasons, on=["row", "col"], how="left")
        .join(categories, on="item", how="left")
        .select(
            "customer_id",
            "rank",
            "item",
            "category",
            "score",
            pl.lit("learned").alias("source"),
            "from_item",
            "from_day",
            pl.lit(None, pl.Float64).alias("share"),
            pl.lit(None, pl.Float64).alias("share_within"),
            pl.lit(None, pl.Float64).alias("lag_median"),
            pl.lit(as_of_day, pl.Int32).alias("due_day"),
        )
        .sort("customer_id", "rank")
        .cast(OFFER_SCHEMA)  # type: ignore[arg-type]
    )


def blend(learned: pl.DataFrame, sequence: pl.DataFrame, as_of_day: int, k: int) -> pl.DataFrame:
    """Return each customer's k offers: their due sequence offers, then the learned ones.

    A sequence offer already due (its due day has come) keeps its place first, so the due
    lists and the ``cross_sell_due`` trigger see every one of them; the other places go to the
    learned model's items in its order. A learned item the sequences offer the same customer
    keeps that offer's source, reason, due day and score (its chance of buying); the others
    score σ(x_uᵀ y_i). On the demo's split, due first is as good as the learned order alone.
    """
    kept = sequence.filter(pl.col("source") == "sequence")
    due = kept.filter(pl.col("due_day") <= as_of_day).with_columns(place=pl.lit(0))
    mine = learned.with_columns((1 / (1 + (-pl.col("score")).exp())).alias("score"))
    matched = mine.select("customer_id", "rank", "item").join(
        kept.drop("rank"), on=["customer_id", "item"], how="inner"
    )
    alone = mine.join(kept.select("customer_id", "item"), on=["customer_id", "item"], how="anti")
    rest = pl.concat([matched.select(list(OFFER_SCHEMA)), alone.select(list(OFFER_SCHEMA))])
    rest = rest.join(due.select("customer_id", "item"), on=["customer_id", "item"], how="anti")
    columns = [c for c in OFFER_SCHEMA if c != "rank"]
    return (
        pl.concat(
            [
                due.select("customer_id", "place", "rank", *columns[1:]),
                rest.with_columns(place=pl.lit(1)).select(
                    "customer_id", "place", "rank", *columns[1:]
                ),
            ],
            how="vertical_relaxed",
        )
        .sort("customer_id", "place", "rank")
        .with_columns(rank=pl.int_range(1, pl.len() + 1).over("customer_id"))
        .filter(pl.col("rank") <= k)
        .select(list(OFFER_SCHEMA))
        .cast(OFFER_SCHEMA)  # type: ignore[arg-type]
    )


def learned_ranking(
    purchases: pl.DataFrame,
    firsts: pl.DataFrame,
    repeats: pl.DataFrame,
    sequence: pl.DataFrame,
    as_of_day: int,
    params: PropensityParams,
    offer_params: OfferParams,
    item: str,
) -> pl.DataFrame:
    """Fit the model on ``purchases`` (column ``item``) and blend its offers with ``sequence``."""
    factors = fit(purchase_days(purchases, item), params)
    learned = learned_offers(
        factors,
        firsts,
        repeats,
        as_of_day,
        offer_params.per_customer,
        offer_params.repeat_from,
    )
    return blend(learned, sequence, as_of_day, offer_params.per_customer)
