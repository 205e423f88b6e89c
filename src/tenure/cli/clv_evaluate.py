"""What ``tenure clv evaluate`` does, apart from parsing options."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, cast

import numpy as np
import polars as pl

from tenure.cli import context
from tenure.cli.clv import read_transactions
from tenure.cli.clv_run import guarded, model_named, summarize_log

UNIT_LABELS = {"D": "Day", "W": "Week", "M": "Month"}


@dataclass(frozen=True)
class EvaluateRequest:
    """Everything ``tenure clv evaluate`` was asked to do."""

    file: Path
    customer_col: str
    date_col: str
    model: str
    unit: str
    calibration_end: date
    observation_end: date | None
    out: Path
    columns: str | None
    date_format: str | None


def run_evaluate(req: EvaluateRequest, as_json: bool) -> None:
    """Fit on calibration, compare with the holdout, and draw the papers' figures."""
    from tenure.analytics.clv.evaluate import (
        by_frequency,
        cumulative_tracking,
        holdout_errors,
        occasions_of,
    )
    from tenure.cli.clv_figures import frequency_figure, tracking_figure

    frame = guarded(lambda: read_transactions(req.file, req.columns, req.date_col, req.date_format))
    summary = summarize_log(
        frame,
        req.customer_col,
        req.date_col,
        None,
        req.calibration_end,
        req.observation_end,
        req.unit,
    )
    if "duration_holdout" not in summary.columns:
        context.fail("no holdout: the observation end must come after the calibration end")
    model = guarded(lambda: model_named(req.model).fit(summary))
    errors = holdout_errors(model, summary)
    table = by_frequency(model, summary)
    occasions = occasions_of(frame, req.customer_col, req.date_col)
    start = cast(date, occasions["day"].min())
    end = req.observation_end or cast(date, occasions["day"].max())
    tracking = cumulative_tracking(model, occasions, start=start, end=end, unit=req.unit)
    req.out.mkdir(parents=True, exist_ok=True)
    from tenure.analytics.clv.summary import unit_days

    calibration = (req.calibration_end - start).days / unit_days(req.unit)
    name = type(model).__name__
    figures = tracking_figure(
        tracking,
        calibration,
        UNIT_LABELS[req.unit.upper()],
        req.out,
        f"{name}: cumulative repeat purchases",
    )
    figures += frequency_figure(
        table, req.out, f"{name}: holdout purchases by calibration frequency"
    )
    report = {
        "model": model.summary(),
        "holdout": errors.as_dict(),
        "by_frequency": table.to_dicts(),
        "figures": [str(p) for p in figures],
    }
    if as_json:
        context.print_json(report)
        return
    _print_evaluation(report, table, np.asarray(tracking["actual"])[-1])


def _print_evaluation(report: dict[str, Any], table: pl.DataFrame, total: float) -> None:
    from rich.table import Table

    hold = report["holdout"]
    console = context.console
    console.print(
        f"{report['model']['model']}: holdout repeat purchases expected "
        f"{hold['predicted']:,.1f}, actual {hold['actual']:,.0f} "
        f"({hold['percent_error']:+.1f}%); per customer MAE {hold['mae']:.3f}, "
        f"RMSE {hold['rmse']:.3f}"
    )
    rich_table = Table(
        "calibration purchases", "customers", "holdout actual (mean)", "holdout expected (mean)"
    )
    for row in table.iter_rows(named=True):
        rich_table.add_row(
            row["frequency"],
            f"{row['customers']:,}",
            f"{row['actual']:.3f}",
            f"{row['predicted']:.3f}",
        )
    console.print(rich_table)
    console.print(f"Cumulative repeat purchases at the end: {total:,.0f} actual")
    console.print("Figures: " + ", ".join(report["figures"]))
