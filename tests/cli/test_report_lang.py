"""``tenure report … --lang en|zh``: every report in both languages, no key left untranslated."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.main

from tenure.cli import report
from tenure.cli import report_kpis as _report_kpis  # noqa: F401  (adds kpis, cohorts, channels)
from tenure.cli.words import ZH, Words, default_lang
from tenure.kit.vocabulary import VOCABULARIES

REPORTS = (
    ("stages",),
    ("segments",),
    ("runs",),
    ("churn", "--top", "8"),
    ("flow",),
    ("kpis", "--monthly"),
    ("cohorts", "--months", "6"),
    ("channels", "--monthly"),
)
# what a zh report may say in Latin letters: abbreviations, the value model's name, file names
LATIN_ALLOWED = {
    "CLV", "RFM", "ROC", "AUC", "PR", "Brier", "NPS", "US", "BetaGeo", "docs", "stages",
    "metrics", "md", "csv", "P", "k",
}  # fmt: skip
# the keys a report could print raw: stages, segments, channels, statuses, figures, rules
KEYS = sorted(
    {
        key
        for kind in (
            "stage",
            "rfm_segment",
            "value_quadrant",
            "channel",
            "run_status",
            "figure",
            "stage_rule",
            "health_band",
        )  # fmt: skip
        for key in VOCABULARIES[kind]
    }
)
SRC = Path(report.__file__).parent


def run(*args: str, url: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("LANG", "LC_ALL", "LC_MESSAGES")}
    return subprocess.run(
        [sys.executable, "-m", "tenure", *args],
        capture_output=True,
        text=True,
        env={**base, "TENURE_DATABASE_URL": url, "COLUMNS": "220", "NO_COLOR": "1", **env},
        cwd=cwd,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """A demo store large enough for a churn model (1,500 customers, two runs)."""
    where = tmp_path_factory.mktemp("lang")
    url = f"sqlite:///{where / 'demo.db'}"
    made = run("demo", "--customers", "1500", "--end", "2026-03-31", "--json", url=url, cwd=where)
    assert made.returncode == 0, made.stderr
    return url, where


def _names(url: str, cwd: Path) -> set[str]:
    """The customers' names and emails the churn report shows (data, not Tenure's words)."""
    data = json.loads(run("report", "churn", "--top", "8", "--json", url=url, cwd=cwd).stdout)
    return {str(r[k]) for r in data["riskiest"] for k in ("name", "email") if r[k]}


@pytest.mark.parametrize("args", REPORTS, ids=[a[0] for a in REPORTS])
def test_every_report_in_chinese_has_no_key_left_in_english(
    scored: tuple[str, Path], args: tuple[str, ...]
) -> None:
    url, cwd = scored
    zh = run("report", *args, "--lang", "zh", url=url, cwd=cwd)
    en = run("report", *args, "--lang", "en", url=url, cwd=cwd)
    assert zh.returncode == 0 and en.returncode == 0, zh.stderr + en.stderr
    assert re.search(r"[\u4e00-\u9fff]", zh.stdout)
    text = zh.stdout
    for name in sorted(_names(url, cwd) if args[0] == "churn" else set(), key=len, reverse=True):
        text = text.replace(name, "")
    raw = [k for k in KEYS if re.search(rf"(?<![\w@.\-]){re.escape(k)}(?![\w@.\-])", text)]
    assert not raw, f"report {args[0]} --lang zh shows raw keys {raw}"
    latin = set(re.findall(r"[A-Za-z]+", text)) - LATIN_ALLOWED
    assert not latin, f"report {args[0]} --lang zh has English words {sorted(latin)}"
    # the English report names no stage by its Chinese
    assert "潜在客户" not in en.stdout and "衰退客户" not in en.stdout


def test_stage_counts_dates_and_money_follow_the_language(scored: tuple[str, Path]) -> None:
    url, cwd = scored
    data = json.loads(run("report", "stages", "--json", url=url, cwd=cwd).stdout)
    counts = {row["stage"]: row["customers"] for row in data["stages"]}
    assert sum(counts.values()) == 1500
    zh = run("report", "stages", "--lang", "zh", url=url, cwd=cwd).stdout
    en = run("report", "stages", "--lang", "en", url=url, cwd=cwd).stdout
    # 2026-03-31 as CLDR writes it in each language
    assert "截至 2026年3月31日" in zh and "Stages as of Mar 31, 2026" in en
    for key, zh_name in (("potential", "潜在客户"), ("declining", "衰退客户")):
        assert re.search(rf"│ {zh_name} +│ {counts[key]:,} +│", zh), key
        assert re.search(rf"│ {key} +│ {counts[key]:,} +│", en), key
    segments = json.loads(run("report", "segments", "--json", url=url, cwd=cwd).stdout)
    top = segments["rfm_segments"][0]
    shown = run("report", "segments", "--lang", "zh", url=url, cwd=cwd).stdout
    assert f"US${top['total_clv']:,.2f}" in shown  # zh_Hans_CN writes dollars as US$
    shown_en = run("report", "segments", "--lang", "en", url=url, cwd=cwd).stdout
    assert f"${top['total_clv']:,.2f}" in shown_en and "US$" not in shown_en


def test_the_locale_decides_without_lang(scored: tuple[str, Path]) -> None:
    url, cwd = scored
    chinese = run("report", "flow", url=url, cwd=cwd, LANG="zh_CN.UTF-8")
    assert "阶段流转" in chinese.stdout
    # LC_ALL outranks LANG, as POSIX says
    english = run("report", "flow", url=url, cwd=cwd, LANG="zh_CN.UTF-8", LC_ALL="C.UTF-8")
    assert re.search(r"Stage flow from run \d+ to run \d+", english.stdout)
    wrong = run("report", "flow", "--lang", "fr", url=url, cwd=cwd)
    assert wrong.returncode == 1 and "--lang" in wrong.stderr and "Traceback" not in wrong.stderr


def test_default_language_from_the_environment() -> None:
    assert default_lang({"LANG": "zh_CN.UTF-8"}) == "zh"
    assert default_lang({"LC_ALL": "zh_TW.UTF-8", "LANG": "en_US.UTF-8"}) == "zh"
    assert default_lang({"LC_ALL": "", "LC_MESSAGES": "en_GB", "LANG": "zh_CN"}) == "en"
    assert default_lang({}) == "en"


def test_every_report_command_has_lang() -> None:
    commands: dict[str, Any] = getattr(typer.main.get_command(report.app), "commands", {})
    names = set(commands)
    assert names >= {"stages", "segments", "runs", "churn", "flow", "kpis", "cohorts", "channels"}
    for name, command in commands.items():
        options = {opt for param in command.params for opt in getattr(param, "opts", [])}
        assert "--lang" in options, f"tenure report {name} has no --lang"


def _phrases(path: Path) -> set[str]:
    """Every w("…") phrase and KPI row label in ``path``, read off its syntax tree."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "w":
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.add(first.value)
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            if node.targets[0].id.endswith("_ROWS") and isinstance(node.value, ast.Tuple):
                found |= {ast.literal_eval(row)[0] for row in node.value.elts}
    return found


def test_every_phrase_a_report_says_has_its_chinese() -> None:
    said: set[str] = set()
    for path in (
        SRC / "report.py",
        SRC / "report_kpis.py",
        SRC / "report_cross_sell.py",
        SRC / "score.py",
        SRC / "loyalty_report.py",
    ):
        said |= _phrases(path)
    assert len(said) > 40  # the reader of the source found them
    missing = {s for s in said if s not in ZH}
    assert not missing, f"no 中文 for {sorted(missing)}"
    zh = Words("zh", "CNY")
    assert zh.money(1234.5) == "¥1,234.50" and zh.day("2026-03") == "2026年3月"
    assert zh.stage("won_back") == "挽回客户" and Words("en", "USD").stage("won_back") == "won back"


def test_the_reports_errors_in_chinese(tmp_path: Path, empty_sqlite_url: str) -> None:
    nothing = run("report", "stages", "--lang", "zh", url=empty_sqlite_url, cwd=tmp_path)
    assert nothing.returncode == 1 and "尚未评分" in nothing.stderr
    made = run(
        "demo", "--customers", "300", "--end", "2026-01-31", url=empty_sqlite_url, cwd=tmp_path
    )
    assert made.returncode == 0, made.stderr
    # 300 customers are too few to learn churn from: the reason, in 中文
    churn = run("report", "churn", "--lang", "zh", url=empty_sqlite_url, cwd=tmp_path)
    assert churn.returncode == 1 and "没有流失模型" in churn.stderr
    assert "两类各至少需要 50 位" in churn.stderr and "retained" not in churn.stderr
