"""What ``tenure clv fit`` does, apart from parsing options; helpers ``clv evaluate`` shares."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from tenure.cli import context
from tenure.cli.clv import read_transactions

MIN_SPEND_CUSTOMERS = 3  # Gamma-Gamma has three parameters


@dataclass(frozen=True)
class FitRequest:
    """Everything ``tenure clv fit`` was asked to do."""

    file: Path
    customer_col: str
    date_col: str
    amount_col: str | None
    model: str
    unit: str
    calibration_end: date | None
    observation_end: date | None
    margin: float
    discount_rate: float
    horizon: int
    predictions: Path | None
    columns: str | None
    date_format: str | None
    penalizer: float


def model_named(name: str, penalizer: float = 0.0) -> Any:
    """Return an unfitted model of the family named on the command line."""
    from tenure.analytics import clv

    classes = {
        "bgnbd": clv.BetaGeo,
        "mbgnbd": clv.ModifiedBetaGeo,
        "paretonbd": clv.ParetoNBD,
        "bgbb": clv.BetaGeoBetaBinom,
    }
    return classes[name](penalizer=penalizer)


def guarded(action: Any) -> Any:
    """Run ``action``; a Tenure error becomes a clean exit with its message."""
    from tenure.kit.errors import TenureError

    try:
        return action()
    except TenureError as exc:
        context.fail(exc.message)


def summarize_log(
    frame: Any,
    customer_col: str,
    date_col: str,
    amount_col: str | None,
    calibration_end: date | None,
    observation_end: date | None,
    unit: str,
) -> pl.DataFrame:
    """Summarise the log per customer, turning bad input into a clean error."""
    from tenure.analytics.clv.summary import summarize

    summary: pl.DataFrame = guarded(
        lambda: summarize(
            frame,
            customer_col=customer_col,
            date_col=date_col,
            amount_col=amount_col,
            calibration_end=calibration_end,
            observation_end=observation_end,
            unit=unit,
        )
    )
    return summary


def run_fit(req: FitRequest, as_json: bool) -> None:
    """Fit, predict, print and (optionally) write the per-customer predictions."""
    from tenure.analytics.clv.summary import summarize_discrete, unit_days

    frame = guarded(lambda: read_transactions(req.file, req.columns, req.date_col, req.date_format))
    if req.model == "bgbb":
        summary = guarded(
            lambda: summarize_discrete(
                frame,
                customer_col=req.customer_col,
                date_col=req.date_col,
                calibration_end=req.calibration_end,
                unit=req.unit,
            )
        )
    else:
        summary = summarize_log(
            frame,
            req.customer_col,
            req.date_col,
            req.amount_col,
            req.calibration_end,
            req.observation_end,
            req.unit,
        )
    model = guarded(lambda: model_named(req.model, req.penalizer).fit(summary))
    spend, not_fitted = None, None
    if req.amount_col and req.model != "bgbb":
        spend, not_fitted = _fit_spend(summary, req.penalizer)
    periods = req.horizon * 30.4375 / unit_days(req.unit)
    table = _predict(model, spend, summary, req, periods)
    report = _fit_report(model, spend, table, req)
    if not_fitted is not None:
        report["spend_not_fitted"] = not_fitted
    if req.predictions is not None:
        _write(table, req.predictions)
        report["predictions"] = str(req.predictions)
    if as_json:
        context.print_json(report)
    else:
        _print_fit(report)


def _fit_spend(summary: pl.DataFrame, penalizer: float) -> tuple[Any, dict[str, Any] | None]:
    """Gamma-Gamma on the repeat buyers with positive spend, or why it was not fitted."""
    from tenure.analytics.clv import GammaGamma
    from tenure.analytics.clv.gammagamma import left_out

    x, m = summary["frequency"].to_numpy(), summary["monetary_value"].to_numpy()
    usable = int(((x > 0) & (m > 0)).sum())
    if usable < MIN_SPEND_CUSTOMERS:
        return None, {
            "reason": f"{usable} repeat buyers with a positive spend; Gamma-Gamma needs "
            f"at least {MIN_SPEND_CUSTOMERS}",
            "left_out": left_out(x, m),
        }
    return guarded(lambda: GammaGamma(penalizer=penalizer).fit(summary)), None


def _predict(
    model: Any, spend: Any, summary: pl.DataFrame, req: FitRequest, periods: float
) -> pl.DataFrame:
    from tenure.analytics.clv import customer_lifetime_value

    out = summary.clone()
    if req.model == "bgbb":
        steps = math.ceil(periods)
        out = out.with_columns(
            pl.Series("p_alive", model.probability_alive(summary)),
            pl.Series(
                "expected_purchases_horizon", model.conditional_expected_purchases(steps, summary)
            ),
        )
        return out
    out = out.with_columns(pl.Series("p_alive", model.probability_alive(summary)))
    if "duration_holdout" in summary.columns:
        holdout = float(summary["duration_holdout"][0])
        out = out.with_columns(
            pl.Series(
                "expected_purchases_holdout", model.conditional_expected_purchases(holdout, summary)
            )
        )
    out = out.with_columns(
        pl.Series(
            "expected_purchases_horizon", model.conditional_expected_purchases(periods, summary)
        )
    )
    if spend is not None:
        out = out.with_columns(
            pl.Series("expected_spend", spend.conditional_expected_spend(summary)),
            pl.Series(
                "clv",
                customer_lifetime_value(
                    model,
                    spend,
                    summary,
                    margin=req.margin,
                    discount_rate=req.discount_rate,
                    horizon_months=req.horizon,
                    unit=req.unit,
                ),
            ),
        )
    return out


def _fit_report(model: Any, spend: Any, table: pl.DataFrame, req: FitRequest) -> dict[str, Any]:
    report: dict[str, Any] = {
        "file": str(req.file),
        "unit": req.unit,
        "transaction_model": model.summary(),
        "customers": table.height,
        "repeat_buyers": int((table["frequency"] > 0).sum()),
        "mean_p_alive": float(table["p_alive"].mean()),  # type: ignore[arg-type]
        "expected_purchases_horizon": float(table["expected_purchases_horizon"].sum()),
        "horizon_months": req.horizon,
    }
    if "expected_purchases_holdout" in table.columns:
        report["holdout"] = {
            "expected": float(table["expected_purchases_holdout"].sum()),
            "actual": float(table["frequency_holdout"].sum()),
        }
    if spend is not None:
        report["spend_model"] = spend.summary()
        report["customer_equity"] = float(table["clv"].sum())
        report["clv_settings"] = {"margin": req.margin, "monthly_discount_rate": req.discount_rate}
    return report


def _print_fit(report: dict[str, Any]) -> None:
    from rich.table import Table

    console = context.console
    for key in ("transaction_model", "spend_model"):
        if key not in report:
            continue
        fitted = report[key]
        table = Table(
            "parameter",
            "estimate",
            "std. error",
            title=f"{fitted['model']} — LL {fitted['log_likelihood']:.2f}, "
            f"{'converged' if fitted['converged'] else 'NOT converged'} in "
            f"{fitted['iterations']} iterations, {fitted['customers']:,} customers",
        )
        for name, value in fitted["params"].items():
            table.add_row(name, f"{value:.4f}", f"{fitted['standard_errors'][name]:.4f}")
        console.print(table)
    _print_left_out(report)
    console.print(
        f"{report['customers']:,} customers, {report['repeat_buyers']:,} repeat "
        f"buyers; mean P(alive) {report['mean_p_alive']:.3f}"
    )
    console.print(
        f"Expected purchases in the next {report['horizon_months']} months: "
        f"{report['expected_purchases_horizon']:,.1f}"
    )
    if "holdout" in report:
        hold = report["holdout"]
        console.print(f"Holdout: expected {hold['expected']:,.1f}, actual {hold['actual']:,.0f}")
    if "customer_equity" in report:
        console.print(
            f"Customer equity ({report['horizon_months']} months, margin "
            f"{report['clv_settings']['margin']:.0%}): {report['customer_equity']:,.2f}"
        )
    if "predictions" in report:
        console.print(f"Predictions per customer: {report['predictions']}")


LEFT_OUT_LABELS = {
    "no_repeat_purchase": "customers without a repeat purchase",
    "zero_spend": "repeat buyers whose repeat purchases were all zero-valued",
}


def _print_left_out(report: dict[str, Any]) -> None:
    """Say which customers the spend fit could not use, why, and what they are predicted."""
    notes: dict[str, str] = {}
    if "spend_model" in report:
        fitted = report["spend_model"]
        p, q, v = (fitted["params"][k] for k in ("p", "q", "v"))
        prior = f", {p * v / (q - 1):,.2f}" if q > 1 else ""
        notes = {
            "no_repeat_purchase": f" (predicted the population mean spend{prior})",
            "zero_spend": " (predicted pγ/(px+q−1), less the more free orders they had)",
        }
        counts, intro = fitted["left_out"], "Left out of the spend fit"
    elif "spend_not_fitted" in report:
        counts = report["spend_not_fitted"]["left_out"]
        intro = f"No spend model and no CLV: {report['spend_not_fitted']['reason']}. Left out"
    else:
        return
    parts = [
        f"{counts[key]:,} {label}{notes.get(key, '')}"
        for key, label in LEFT_OUT_LABELS.items()
        if counts[key]
    ]
    if parts:
        context.console.print(f"{intro}: {' and '.join(parts)}.")


def _write(table: pl.DataFrame, path: Path) -> None:
    if path.suffix.lower() in (".parquet", ".pq"):
        table.write_parquet(path)
    else:
        table.write_csv(path)
