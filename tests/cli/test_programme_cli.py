"""`tenure playbooks report --programme`: all marketing playbooks against the global control."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tenure.domains.automation.programme import programme
from tenure.storage.engine import make_engine
from tenure.storage.migrate import upgrade
from tests.cli.test_cli import tenure
from tests.domains.automation.test_programme import SHARE, _store


def test_the_programme_in_words_and_as_json(
    tmp_path: Path, empty_sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(empty_sqlite_url)
    upgrade(engine)
    _store(engine)
    with engine.connect() as conn:
        direct = programme(conn, share=SHARE, margin_share=0.3, window_days=90).as_dict()
    engine.dispose()

    off = tenure("playbooks", "report", "--programme", url=empty_sqlite_url, cwd=tmp_path)
    assert off.returncode == 0 and "no global control group" in off.stdout
    monkeypatch.setenv("TENURE_AUTOMATION__GLOBAL_CONTROL_SHARE", str(SHARE))
    shown = tenure(
        "playbooks", "report", "--programme", "--json", url=empty_sqlite_url, cwd=tmp_path
    )
    assert shown.returncode == 0, shown.stderr
    figures = json.loads(shown.stdout)
    assert figures["assigned"] == direct["assigned"] and figures["measured"] == direct["measured"]
    assert figures["purchase_rate"] == direct["purchase_rate"]
    words = tenure("playbooks", "report", "--programme", url=empty_sqlite_url, cwd=tmp_path)
    assert words.returncode == 0, words.stderr
    rate = direct["purchase_rate"]
    assert f"{rate['treated']:.1%} treated vs {rate['control']:.1%} control" in words.stdout
    assert "PRIMARY purchase within the window" in words.stdout
    both = tenure("playbooks", "report", "x", "--programme", url=empty_sqlite_url, cwd=tmp_path)
    neither = tenure("playbooks", "report", url=empty_sqlite_url, cwd=tmp_path)
    assert both.returncode == neither.returncode == 2 and "--programme" in neither.stderr
