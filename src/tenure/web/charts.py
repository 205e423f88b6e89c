"""Apache ECharts options for the overview's charts, built here and drawn in the browser.

Each function returns a plain dict (JSON for ``echarts.setOption``); the page writes it into a
``data-option`` attribute and static/charts.js draws every chart. Words come in translated.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from tenure.analytics.stages import STAGES

Option = dict[str, Any]
Label = Callable[[str], str]
# one colour per stage wherever a stage is drawn
STAGE_COLORS = {
    "potential": "#9fb3c8",
    "new": "#5b8def",
    "growing": "#2fa36b",
    "mature": "#1f6f4a",
    "declining": "#e0a030",
    "churned": "#d9534f",
    "won_back": "#8e6bd8",
}
_GRID = {"left": 56, "right": 24, "top": 36, "bottom": 40, "containLabel": True}


def _categories(labels: Sequence[str]) -> Option:
    """Return a category axis that names every category.

    ECharts would skip some when they crowd, so more than a few are tilted instead.
    """
    crowded = len(labels) > 6 or sum(len(str(x)) for x in labels) > 48
    return {
        "type": "category",
        "data": list(labels),
        "axisLabel": {"interval": 0, "rotate": 30 if crowded else 0, "hideOverlap": False},
    }


def bars(labels: Sequence[str], values: Sequence[float], name: str, unit: str = "") -> Option:
    """Return one series of bars (e.g. paid revenue by month).

    ``unit`` names the value axis: the currency, for money.
    """
    return {
        "tooltip": {"trigger": "axis"},
        "grid": _GRID,
        "xAxis": _categories(labels),
        "yAxis": {"type": "value", "name": unit},
        "series": [{"type": "bar", "name": name, "data": [round(v, 2) for v in values]}],
    }


def grouped_bars(labels: Sequence[str], series: Sequence[tuple[str, Sequence[float]]]) -> Option:
    """Return bars of several series side by side per category (e.g. points by month)."""
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": _GRID,
        "xAxis": _categories(labels),
        "yAxis": {"type": "value"},
        "series": [{"type": "bar", "name": name, "data": list(values)} for name, values in series],
    }


def interval_bars(
    labels: Sequence[str],
    means: Sequence[float],
    intervals: Sequence[tuple[float, float] | None],
    names: tuple[str, str],
    unit: str = "",
) -> Option:
    """Return bars of means with their 95 % intervals drawn over them as thin boxes.

    ``names``: the bars' series and the intervals' (a candlestick from low to high, the one
    way to draw a range without a function in the option).
    """
    boxes: list[Any] = [
        "-" if ci is None else [round(ci[0], 4), round(ci[1], 4), round(ci[0], 4), round(ci[1], 4)]
        for ci in intervals
    ]
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": _GRID,
        # long names break into lines rather than overlap on a phone
        "xAxis": {
            "type": "category",
            "data": list(labels),
            "axisLabel": {"interval": 0, "width": 100, "overflow": "break"},
        },
        "yAxis": {"type": "value", "name": unit},
        "series": [
            {"type": "bar", "name": names[0], "data": [round(v, 4) for v in means]},
            {
                "type": "candlestick",
                "name": names[1],
                "barWidth": 6,
                "itemStyle": {"color": "#333", "color0": "#333", "borderColor": "#333"},
                "data": boxes,
            },
        ],
    }


def stage_flow(flow: Sequence[dict[str, Any]], stage: Label) -> Option:
    """Return a Sankey of customers from each stage in the earlier run to each in the later one.

    The later run's nodes carry an invisible mark so that a stage can sit on both sides.
    """
    later = "\u200b"  # zero-width space: same words, another node
    moving = [f for f in flow if f["customers"]]

    def nodes(keys: set[str], side: str) -> list[dict[str, Any]]:
        ranked = sorted(keys, key=lambda k: STAGES.index(k) if k in STAGES else len(STAGES))
        return [
            {"name": stage(k) + side, "itemStyle": {"color": STAGE_COLORS.get(k, "#8a97a8")}}
            for k in ranked
        ]

    return {
        "tooltip": {"trigger": "item"},
        "series": [
            {
                "type": "sankey",
                "left": 8,
                "right": 8,
                "nodeGap": 10,
                "nodeAlign": "justify",
                # the earlier run's labels to the right of its nodes, the later run's to the left
                "levels": [
                    {"depth": 0, "label": {"position": "right"}},
                    {"depth": 1, "label": {"position": "left"}},
                ],
                "emphasis": {"focus": "adjacency"},
                "lineStyle": {"color": "gradient", "opacity": 0.35},
                "data": nodes({f["from"] or "potential" for f in moving}, "")
                + nodes({f["to"] for f in moving}, later),
                "links": [
                    {
                        "source": stage(f["from"] or "potential"),
                        "target": stage(f["to"]) + later,
                        "value": f["customers"],
                    }
                    for f in moving
                ],
            }
        ],
    }


def value_by_stage(
    rows: Sequence[dict[str, Any]], stage: Label, names: tuple[str, str], currency: str = ""
) -> Option:
    """Return the gross margin so far and the predicted CLV of each stage, side by side.

    Both are gross margin (CLV is the margin expected to come), so the bars compare.
    """
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": _GRID,
        "xAxis": _categories([stage(r["stage"]) for r in rows]),
        "yAxis": {"type": "value", "name": currency},
        "series": [
            {"type": "bar", "name": names[0], "data": [round(r["gross_margin"]) for r in rows]},
            {"type": "bar", "name": names[1], "data": [round(r["clv"]) for r in rows]},
        ],
    }


def cohort_heatmap(cohorts: Sequence[dict[str, Any]], months: int = 12) -> Option:
    """Return the share of each monthly cohort buying in each month since its first.

    Column k (labelled "k", axis index k − 1) is the k-th month after the cohort's first,
    k = 1 … ``months``; month 0 (always 100%) is left out. The rows are the latest ``months``
    cohorts with a month after their first (the as-of month's cohort has none yet), so the
    oldest row reaches month ``months``.
    """
    recent = [row for row in cohorts if len(row["retention"]) > 1][-months:]
    cells = [
        [k - 1, i, round(100 * share, 1)]
        for i, row in enumerate(recent)
        for k, share in enumerate(row["retention"][: months + 1])
        if share is not None and k > 0
    ]
    return {
        "tooltip": {"position": "top"},
        "grid": {**_GRID, "left": 8, "right": 8, "bottom": 64},
        "xAxis": {
            "type": "category",
            "data": [str(k) for k in range(1, months + 1)],
            "axisLabel": {"interval": 0},
        },
        "yAxis": {
            "type": "category",
            "data": [r["cohort"] for r in recent],
            "axisLabel": {"interval": 0},
        },
        "visualMap": {
            "min": 0,
            "max": max((c[2] for c in cells), default=1),
            "calculable": True,
            "orient": "horizontal",
            "left": "center",
            "bottom": 0,
            "inRange": {"color": ["#f3f6fb", "#2f6fde"]},
        },
        # whole percents in the cells (static/charts.js reads "digits"), one decimal on hover
        "series": [
            {
                "type": "heatmap",
                "data": cells,
                "label": {"show": len(recent) <= 12, "fontSize": 10, "digits": 0},
            }
        ],
    }


def clv_histogram(buckets: Sequence[dict[str, Any]], money: Callable[[float], str]) -> Option:
    """Return how many customers' predicted CLV falls in each bucket."""
    labels = [
        f"{money(b['lower'])}–{money(b['upper'])}" if b["upper"] else f"≥ {money(b['lower'])}"
        for b in buckets
    ]
    return bars(labels, [b["customers"] for b in buckets], "")  # customers: no unit


def nps_trend(rows: Sequence[dict[str, Any]], name: str) -> Option:
    """Return NPS month by month (−100 to 100)."""
    return {
        "tooltip": {"trigger": "axis"},
        "grid": _GRID,
        "xAxis": _categories([r["month"] for r in rows]),
        "yAxis": {"type": "value", "min": -100, "max": 100},
        "series": [{"type": "line", "name": name, "data": [r["nps"] for r in rows]}],
    }


def channels(
    rows: Sequence[dict[str, Any]],
    names: tuple[str, str],
    channel: Label = str,
    currency: str = "",
) -> Option:
    """Return CAC (bars, left axis) and ROI in % (line, right axis) of each channel.

    ROI is a percentage, as in the channels table (0.25 → 25%); a channel without spend has
    neither (no bar, a gap in the line).
    """
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": _GRID,
        "xAxis": _categories([channel(r["channel"]) for r in rows]),
        "yAxis": [
            {"type": "value", "name": f"{names[0]} ({currency})" if currency else names[0]},
            {"type": "value", "name": names[1], "axisLabel": {"formatter": "{value}%"}},
        ],
        "series": [
            {"type": "bar", "name": names[0], "data": [r["cac"] for r in rows]},
            {
                "type": "line",
                "name": names[1],
                "yAxisIndex": 1,
                "unit": "%",  # static/charts.js writes it after the value in the tooltip
                "data": [None if r["roi"] is None else round(100 * r["roi"], 1) for r in rows],
            },
        ],
    }


def sequence_lags(pairs: Sequence[dict[str, Any]], names: tuple[str, str, str]) -> Option:
    """Return each pair's lag from A to B in days: the quartile range and the median.

    A floating bar runs from the first to the third quartile, the median a point on it.
    ``names``: the words for the quartile range, the median and the axis (days). The base bar
    (0 → q1) is invisible; its height is the first quartile. The axis name sits under the
    axis: at its end it was cut off by the chart's edge.
    """
    labels = [f"{p['a']} → {p['b']}" for p in pairs]
    return {
        "tooltip": {"trigger": "axis"},
        "grid": _GRID,
        "xAxis": {"type": "value", "name": names[2], "nameLocation": "middle", "nameGap": 26},
        "yAxis": {"type": "category", "data": labels, "inverse": True},
        "series": [
            {
                "type": "bar",
                "stack": "lag",
                "itemStyle": {"color": "transparent"},
                "tooltip": {"show": False},
                "data": [round(p["lag_q1"], 1) for p in pairs],
            },
            {
                "type": "bar",
                "stack": "lag",
                "name": names[0],
                "data": [round(p["lag_q3"] - p["lag_q1"], 1) for p in pairs],
            },
            {
                "type": "scatter",
                "name": names[1],
                "symbolSize": 10,
                "data": [round(p["lag_median"], 1) for p in pairs],
            },
        ],
    }
