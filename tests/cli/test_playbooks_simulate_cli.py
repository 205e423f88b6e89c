"""`tenure playbooks simulate`: a dry run on history as a marketer types it, in both languages."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import yaml

from tenure.demo.config import DemoConfig
from tenure.demo.generate import generate
from tenure.demo.load import load_into_store
from tenure.domains.automation.dry_run import simulate
from tenure.domains.automation.loading import read
from tenure.kit.settings import Settings
from tenure.kit.timeutil import business_today
from tenure.storage.engine import make_engine
from tenure.storage.migrate import upgrade
from tests.cli.test_cli import tenure

END = date(2026, 3, 31)
PLAYBOOK = {
    "name": "try-me",
    "title": {"en": "Try me", "zh": "试一试"},
    "trigger": {"stage_entered": {"to": ["declining"]}},
    "enrollment": {"holdout": 0.2},
    "goal": {"purchase": True, "within_days": 30},
    "steps": [{"send_email": {"template": "win-back"}}],
}


def test_simulate_a_file_in_words_json_and_chinese(tmp_path: Path, empty_sqlite_url: str) -> None:
    engine = make_engine(empty_sqlite_url)
    upgrade(engine)
    with engine.begin() as conn:
        load_into_store(
            conn,
            generate(DemoConfig(customers=400, seed=4, end=END)),
            datetime(2026, 4, 1, tzinfo=UTC),
        )
    file = tmp_path / "try-me.yaml"
    file.write_text(yaml.safe_dump(PLAYBOOK), encoding="utf-8")
    with engine.connect() as conn:
        direct = simulate(
            conn, read(file).playbook, date(2026, 2, 1), END, business_today("UTC"), Settings()
        )
    engine.dispose()
    args = (
        "playbooks",
        "simulate",
        "--file",
        str(file),
        "--from",
        "2026-02-01",
        "--to",
        "2026-03-31",
    )

    shown = tenure(*args, "--json", url=empty_sqlite_url, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout) == json.loads(json.dumps(direct))

    words = tenure(*args, "--lang", "en", url=empty_sqlite_url, cwd=tmp_path)
    assert words.returncode == 0, words.stderr
    assert "Dry run of try-me" in words.stdout and "not the playbook's effect" in words.stdout
    assert f"entered: {direct['totals']['entered']:,}" in words.stdout
    chinese = tenure(*args, "--lang", "zh", url=empty_sqlite_url, cwd=tmp_path)
    assert chinese.returncode == 0, chinese.stderr
    assert "历史试运行" in chinese.stdout and "每周进入人数" in chinese.stdout

    backwards = tenure(
        "playbooks",
        "simulate",
        "--file",
        str(file),
        "--from",
        "2026-03-01",
        "--to",
        "2026-02-01",
        url=empty_sqlite_url,
        cwd=tmp_path,
    )
    assert backwards.returncode == 2 and "--from: 2026-03-01 is after to" in backwards.stderr
    future = tenure(
        "playbooks",
        "simulate",
        "--file",
        str(file),
        "--from",
        "2026-03-01",
        "--to",
        "2999-01-01",
        "--lang",
        "zh",
        url=empty_sqlite_url,
        cwd=tmp_path,
    )
    assert future.returncode == 2 and "--to：2999-01-01 在未来" in future.stderr
    garbled = tenure(
        "playbooks",
        "simulate",
        "--file",
        str(file),
        "--from",
        "March",
        "--to",
        "2026-02-01",
        url=empty_sqlite_url,
        cwd=tmp_path,
    )
    assert garbled.returncode == 2 and "--from: 'March' is not a day" in garbled.stderr
    unknown = tenure(
        "playbooks",
        "simulate",
        "nothing",
        "--from",
        "2026-02-01",
        "--to",
        "2026-03-01",
        url=empty_sqlite_url,
        cwd=tmp_path,
    )
    assert unknown.returncode == 1 and "no playbook called 'nothing'" in unknown.stderr
