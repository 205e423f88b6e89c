"""``tenure report kpis``: what each figure is called and how its change is coloured."""

from __future__ import annotations

from tenure.cli.report_kpis import _change


def test_a_change_is_green_when_it_is_good_news() -> None:
    assert (_change(120, 100).plain, _change(120, 100).style) == ("+20.0%", "green")
    assert _change(80, 100).style == "red"
    # fewer lapsed customers is good news: green, though the figure fell
    assert _change(3, 6, more_is_good=False).style == "green"
    assert _change(9, 6, more_is_good=False).style == "red"
    assert _change(6, 6).style == "" and _change(None, 6).plain == "—"
