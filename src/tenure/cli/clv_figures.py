"""The two figures of the papers, as PNG and SVG (matplotlib, no display needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def tracking_figure(
    tracking: pl.DataFrame, calibration_periods: float, unit_label: str, out: Path, title: str
) -> list[Path]:
    """Cumulative repeat purchases, actual against the model, with the calibration end marked."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.plot(tracking["period"], tracking["actual"], color="#1d2733", label="Actual")
    ax.plot(
        tracking["period"], tracking["predicted"], color="#2f6fde", linestyle="--", label="Model"
    )
    ax.axvline(calibration_periods, color="#9aa7b5", linestyle=":", label="End of calibration")
    ax.set_xlabel(unit_label)
    ax.set_ylabel("Cumulative repeat purchases")
    ax.set_title(title)
    ax.legend(frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return _save(fig, plt, out / "tracking")


def frequency_figure(table: pl.DataFrame, out: Path, title: str) -> list[Path]:
    """Mean holdout purchases by calibration frequency, actual against the model."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 4.5))
    labels = table["frequency"].to_list()
    ax.plot(labels, table["actual"], marker="o", color="#1d2733", label="Actual")
    ax.plot(labels, table["predicted"], marker="s", color="#2f6fde", linestyle="--", label="Model")
    ax.set_xlabel("Repeat purchases in calibration")
    ax.set_ylabel("Mean purchases in holdout")
    ax.set_title(title)
    ax.legend(frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return _save(fig, plt, out / "conditional_expectation")


def _save(fig: object, plt: object, stem: Path) -> list[Path]:
    paths = [stem.with_suffix(".png"), stem.with_suffix(".svg")]
    fig.tight_layout()  # type: ignore[attr-defined]
    for path in paths:
        fig.savefig(path, dpi=144)  # type: ignore[attr-defined]
    plt.close(fig)  # type: ignore[attr-defined]
    return paths
