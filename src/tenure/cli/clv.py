"""``tenure clv fit|evaluate FILE``: customer-base models on a transaction log."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import typer

from tenure.cli import context

app = typer.Typer(
    rich_markup_mode="markdown",
    help="Fit BG/NBD, MBG/NBD, Pareto/NBD or BG/BB with Gamma-Gamma spend on a transaction log "
    "(CSV, TSV, whitespace-separated text or Parquet): P(alive), expected purchases, CLV. "
    "See docs/clv.md.",
    no_args_is_help=True,
)
MODELS = ("bgnbd", "mbgnbd", "paretonbd", "bgbb")


def _date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        context.fail(f"{option} {value!r} is not a date written YYYY-MM-DD")


def read_transactions(
    path: Path, columns: str | None, date_col: str, date_format: str | None
) -> Any:
    """Read a transaction log; headerless files get their names from ``columns``."""
    import polars as pl

    from tenure.kit.errors import InvalidInput

    if not path.is_file():
        raise InvalidInput(f"{path}: no such file")
    names = [c.strip() for c in columns.split(",")] if columns else None
    if path.suffix.lower() in (".parquet", ".pq"):
        frame = pl.read_parquet(path)
    else:
        with path.open("rb") as handle:
            head = handle.readline()
        if b"," in head or b"\t" in head:
            separator = "\t" if head.count(b"\t") > head.count(b",") else ","
            frame = pl.read_csv(
                path,
                separator=separator,
                has_header=names is None,
                new_columns=names,
                infer_schema=False,
            )
        else:  # whitespace-separated (the CDNOW sample)
            rows = [line.split() for line in path.read_text().splitlines() if line.strip()]
            if names is None:
                names, rows = rows[0], rows[1:]
            if any(len(row) != len(names) for row in rows):
                raise InvalidInput(f"{path}: rows do not all have {len(names)} fields")
            frame = pl.DataFrame(rows, schema=names, orient="row")
    if date_col in frame.columns and frame.schema[date_col] == pl.String:
        text = frame[date_col]
        fmt = date_format or ("%Y%m%d" if text.str.contains(r"^\d{8}$").all() else None)
        parsed = text.str.to_date(fmt, strict=False) if fmt else text.str.to_date(strict=False)
        if parsed.null_count() > text.null_count():
            bad = int(parsed.is_null().arg_true()[0])
            raise InvalidInput(
                f"{path}: column {date_col!r}, row {bad + 1}: {text[bad]!r} is "
                "not a date (give --date-format, e.g. %d/%m/%Y)"
            )
        frame = frame.with_columns(parsed.alias(date_col))
    return frame


@app.command("fit")
def fit(
    file: Path = typer.Argument(..., help="Transaction log: one row per purchase."),
    customer_col: str = typer.Option("customer_id", "--customer-col", help="Customer column."),
    date_col: str = typer.Option("date", "--date-col", help="Purchase date column."),
    amount_col: str | None = typer.Option(
        None, "--amount-col", help="Amount column (for spend and CLV)."
    ),
    model: str = typer.Option("bgnbd", "--model", help="bgnbd, mbgnbd, paretonbd or bgbb."),
    spend_model: str = typer.Option("gammagamma", "--spend-model", help="gammagamma."),
    unit: str = typer.Option(
        "W",
        "--unit",
        help="Time unit: D (days), W (weeks), M "
        "(months); for bgbb, the length of one purchase opportunity.",
    ),
    calibration_end: str | None = typer.Option(
        None, "--calibration-end", help="Last day used to fit (default: the last purchase)."
    ),
    observation_end: str | None = typer.Option(
        None,
        "--observation-end",
        help="Last day observed; after the calibration end it makes a holdout.",
    ),
    margin: float = typer.Option(0.3, "--margin", help="Share of revenue kept, for CLV."),
    discount_rate: float = typer.Option(0.01, "--discount-rate", help="Monthly discount rate."),
    horizon: int = typer.Option(12, "--horizon", help="CLV horizon in months."),
    predictions: Path | None = typer.Option(
        None, "--predictions", help="Write one row per customer to this CSV or Parquet file."
    ),
    columns: str | None = typer.Option(
        None, "--columns", help="Names for a file without a header, comma-separated."
    ),
    date_format: str | None = typer.Option(
        None, "--date-format", help="strftime format of the dates when not YYYY-MM-DD or YYYYMMDD."
    ),
    penalizer: float = typer.Option(0.0, "--penalizer", help="L2 penalty on the parameters."),
    as_json: bool = typer.Option(False, "--json", help="Print the results as JSON."),
) -> None:
    """Fit a customer-base model to a transaction log and predict every customer's future.

    Example (the CDNOW sample, as in Fader, Hardie & Lee 2005):

        tenure clv fit CDNOW_sample.txt --columns master,customer_id,date,cds,amount
          --amount-col amount --unit W --calibration-end 1997-09-30
          --observation-end 1998-06-30 --predictions cdnow_predictions.csv
    """
    from tenure.cli.clv_run import FitRequest, run_fit

    if model not in MODELS:
        context.fail(f"--model must be one of {', '.join(MODELS)}, not {model!r}")
    if spend_model != "gammagamma":
        context.fail("--spend-model must be gammagamma")
    request = FitRequest(
        file=file,
        customer_col=customer_col,
        date_col=date_col,
        amount_col=amount_col,
        model=model,
        unit=unit,
        calibration_end=_date(calibration_end, "--calibration-end"),
        observation_end=_date(observation_end, "--observation-end"),
        margin=margin,
        discount_rate=discount_rate,
        horizon=horizon,
        predictions=predictions,
        columns=columns,
        date_format=date_format,
        penalizer=penalizer,
    )
    run_fit(request, as_json)


@app.command("evaluate")
def evaluate(
    file: Path = typer.Argument(..., help="Transaction log: one row per purchase."),
    calibration_end: str = typer.Option(
        ..., "--calibration-end", help="Last day used to fit; later purchases are the holdout."
    ),
    observation_end: str | None = typer.Option(
        None, "--observation-end", help="Last day of the holdout (default: the last purchase)."
    ),
    customer_col: str = typer.Option("customer_id", "--customer-col", help="Customer column."),
    date_col: str = typer.Option("date", "--date-col", help="Purchase date column."),
    model: str = typer.Option("bgnbd", "--model", help="bgnbd, mbgnbd or paretonbd."),
    unit: str = typer.Option("W", "--unit", help="Time unit: D, W or M."),
    out: Path = typer.Option(Path("clv-evaluation"), "--out", help="Folder for the figures."),
    columns: str | None = typer.Option(
        None, "--columns", help="Names for a file without a header, comma-separated."
    ),
    date_format: str | None = typer.Option(
        None, "--date-format", help="strftime format of the dates when not YYYY-MM-DD or YYYYMMDD."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the results as JSON."),
) -> None:
    """Fit on the calibration period and compare the holdout forecast with what happened.

    Prints the aggregate % error, per-customer MAE and RMSE and the by-frequency table, and
    writes the papers' two figures (cumulative repeat purchases; conditional expectation by
    calibration frequency) as PNG and SVG into --out.
    """
    from tenure.cli.clv_evaluate import EvaluateRequest, run_evaluate

    if model not in MODELS[:3]:
        context.fail(f"--model must be one of {', '.join(MODELS[:3])} for evaluate")
    request = EvaluateRequest(
        file=file,
        customer_col=customer_col,
        date_col=date_col,
        model=model,
        unit=unit,
        calibration_end=_date(calibration_end, "--calibration-end"),  # type: ignore[arg-type]
        observation_end=_date(observation_end, "--observation-end"),
        out=out,
        columns=columns,
        date_format=date_format,
    )
    run_evaluate(request, as_json)
