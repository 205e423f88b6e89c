"""Small server-side SVG charts: no script, nothing fetched, readable without JavaScript."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    width: int = 760,
    height: int = 220,
    unit: str = "",
) -> str:
    """Return an SVG bar chart; every bar has a tooltip with its label and value."""
    if not values:
        return ""
    top = max(values) or 1.0
    pad_left, pad_bottom = 8, 22
    step = (width - pad_left) / len(values)
    bar = max(step * 0.75, 1.0)
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        h = (height - pad_bottom - 6) * value / top
        x = pad_left + i * step
        y = height - pad_bottom - h
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}">'
            f"<title>{escape(label)}: {unit}{value:,.0f}</title></rect>"
        )
        if i % max(len(values) // 8, 1) == 0:
            parts.append(f'<text x="{x:.1f}" y="{height - 6}">{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)
