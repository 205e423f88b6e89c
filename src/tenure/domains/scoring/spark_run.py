"""A scoring run on Apache Spark: Parquet files in, Parquet files out, no store involved.

Spark computes the features from the import files (``tenure.analytics.spark``); value,
segments, health, lead scores and stages follow on the driver from the per-customer features
(one row per customer), exactly as in the embedded run. The churn and lead-conversion models,
which learn from past snapshots, and the KPIs run in the embedded engine only.

Output (``--output DIR``): ``scores.parquet`` (value, segment, health and lead columns),
``stages.parquet`` (stage, rule and the numbers behind it), ``segments.parquet`` (RFM scores,
named segment, value × loyalty), ``features.parquet``, ``sequence_pairs.parquet`` (the
cross-sell sequences, ``tenure.analytics.spark_sequences``: the columns of the store's
``sequence_pairs``) and ``run.json`` (as-of, counts, timings, model diagnostics). Customers
are keyed by their external id (``customer_id`` of the files).
"""

from __future__ import annotations

import json
import time
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from tenure.analytics.features import FeatureParams
from tenure.analytics.spark import default_as_of, session, spark_features
from tenure.analytics.spark_sequences import spark_sequence_pairs
from tenure.analytics.stages import stage_counts
from tenure.domains.crosssell.compute import pair_rows, sequence_params
from tenure.domains.scoring import pipeline
from tenure.kit.settings import Settings

SEGMENT_COLUMNS = ("r_score", "f_score", "m_score", "rfm_segment", "value_quadrant")


def run_on_spark(
    input_dir: Path, output_dir: Path, as_of: date | None, settings: Settings
) -> dict[str, Any]:
    """Score the customers in ``input_dir`` as of ``as_of``; write Parquet to ``output_dir``."""
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    spark = session(settings.business.timezone)
    timings["spark_start"] = time.perf_counter() - clock
    day = as_of or default_as_of(spark, input_dir)
    clock = time.perf_counter()
    features = spark_features(
        spark,
        input_dir,
        day,
        FeatureParams(
            churn_after_days=settings.stages.churn_after_days,
            engagement_half_life_days=settings.leads.engagement_half_life_days,
        ),
    )
    timings["features"] = time.perf_counter() - clock
    clock = time.perf_counter()
    value, diagnostics = pipeline.customer_scores(features, settings)
    stages = pipeline.stages_of(features, value, settings)
    timings["scores_and_stages"] = time.perf_counter() - clock
    clock = time.perf_counter()
    output_dir.mkdir(parents=True, exist_ok=True)
    value.drop(*SEGMENT_COLUMNS).write_parquet(output_dir / "scores.parquet")
    value.select("customer_id", *SEGMENT_COLUMNS).write_parquet(output_dir / "segments.parquet")
    stages.write_parquet(output_dir / "stages.parquet")
    features.write_parquet(output_dir / "features.parquet")
    timings["write"] = time.perf_counter() - clock
    cross_sell: dict[str, Any] = {}
    if settings.cross_sell.enabled:
        clock = time.perf_counter()
        pairs = spark_sequence_pairs(
            spark, input_dir, day, sequence_params(settings.cross_sell), settings.cross_sell.levels
        )
        # the columns of the store's sequence_pairs, less the run (there is no store here)
        pair_rows(0, pairs).drop("run_id").write_parquet(output_dir / "sequence_pairs.parquet")
        cross_sell = {
            level: pairs.filter(pl.col("level") == level).height
            for level in settings.cross_sell.levels
        }
        timings["sequences"] = time.perf_counter() - clock
    record = {
        "engine": "spark",
        "as_of": day.isoformat(),
        "input": str(input_dir),
        "customers": stages.height,
        "stages": stage_counts(stages),
        "seconds": {k: round(v, 3) for k, v in timings.items()},
        "value": diagnostics,
        "sequence_pairs": cross_sell,
    }
    (output_dir / "run.json").write_text(json.dumps(record, indent=2, default=str))
    return record
