"""ECharts options of measured uplift: the goal rate over time, drawn by static/charts.js.

Kept beside ``charts`` (the overview's) and built with its axis helpers; words come in
translated.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tenure.web.charts import Option, _categories

# an axis name starts at the axis, not centred over it (centred, the page edge cuts it)
_NAME = {"nameTextStyle": {"align": "left"}}
TREATED = "#2f6fde"
HOLDOUT = "#8a97a8"
BAND = "#2fa36b"


def goal_rate_over_time(
    points: Sequence[dict[str, Any]], names: dict[str, str], week: Any = str
) -> Option:
    """Return the cumulative goal rates (top) and their difference with its 95% band (bottom).

    ``points`` are ``WeekPoint.as_dict()``; values are percents and percentage points with one
    decimal. The band is drawn as its low edge plus a stacked, filled height (ECharts' way);
    its edges are also lines of their own so the tooltip names them. ``names``: treated,
    holdout, difference, band_low, band_high, rate_axis, difference_axis.
    """
    shown = [p for p in points if p["goal_rate"] is not None]
    weeks = [week(p["week"]) for p in shown]

    def pct(key: str) -> list[float]:
        return [round(100 * p["goal_rate"][key], 1) for p in shown]

    low, high = pct("low"), pct("high")
    # "all": stack a positive height on a negative low edge too (the default stacks only
    # values of the same sign, which would draw the band from 0)
    quiet = {
        "showSymbol": False,
        "lineStyle": {"width": 0},
        "tooltip": {"show": False},
        "stackStrategy": "all",
    }
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0, "data": [names["treated"], names["holdout"], names["difference"]]},
        "axisPointer": {"link": [{"xAxisIndex": "all"}]},
        "grid": [
            # below the legend and the axis name above the plot (a phone wraps the legend)
            {"left": 16, "right": 16, "top": 72, "height": "32%", "containLabel": True},
            {"left": 16, "right": 16, "top": "60%", "bottom": 40, "containLabel": True},
        ],
        "xAxis": [
            {**_categories(weeks), "gridIndex": 0, "axisLabel": {"show": False}},
            {**_categories(weeks), "gridIndex": 1},
        ],
        "yAxis": [
            {"type": "value", "gridIndex": 0, "name": names["rate_axis"], "min": 0} | _NAME,
            {"type": "value", "gridIndex": 1, "name": names["difference_axis"]} | _NAME,
        ],
        "series": [
            {
                "type": "line",
                "name": names["treated"],
                "data": pct("treated"),
                "color": TREATED,
                "unit": "%",
            },
            {
                "type": "line",
                "name": names["holdout"],
                "data": pct("holdout"),
                "color": HOLDOUT,
                "unit": "%",
            },
            {
                "type": "line",
                "name": "band-base",
                "xAxisIndex": 1,
                "yAxisIndex": 1,
                "data": low,
                "stack": "band",
                **quiet,
            },
            {
                "type": "line",
                "name": "band-height",
                "xAxisIndex": 1,
                "yAxisIndex": 1,
                "data": [round(h - lo, 1) for h, lo in zip(high, low, strict=True)],
                "stack": "band",
                "areaStyle": {"color": BAND, "opacity": 0.2},
                **quiet,
            },
            {
                "type": "line",
                "name": names["difference"],
                "xAxisIndex": 1,
                "yAxisIndex": 1,
                "data": pct("difference"),
                "color": BAND,
                "unit": " pp",
                "markLine": {
                    "silent": True,
                    "symbol": "none",
                    "data": [{"yAxis": 0}],
                    "lineStyle": {"color": "#555", "type": "dashed"},
                    "label": {"show": False},
                },
            },
            {
                "type": "line",
                "name": names["band_low"],
                "xAxisIndex": 1,
                "yAxisIndex": 1,
                "data": low,
                "color": BAND,
                "showSymbol": False,
                "lineStyle": {"width": 1, "type": "dotted"},
                "unit": " pp",
            },
            {
                "type": "line",
                "name": names["band_high"],
                "xAxisIndex": 1,
                "yAxisIndex": 1,
                "data": high,
                "color": BAND,
                "showSymbol": False,
                "lineStyle": {"width": 1, "type": "dotted"},
                "unit": " pp",
            },
        ],
    }
