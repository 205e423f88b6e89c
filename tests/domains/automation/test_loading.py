"""Playbook files: the shipped presets are valid, and every mistake names its file and line."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema_rs
import pytest
import yaml

from tenure.domains.automation.definition import json_schema
from tenure.domains.automation.loading import PlaybookInvalid, parse, read, read_all

PRESETS = Path(__file__).parents[3] / "src" / "tenure" / "domains" / "automation" / "presets"

GOOD = """\
name: small
title: {en: Small, zh: 小}
trigger:
  stage_entered: {to: [declining]}
steps:
  - id: call
    create_task:
      title: {en: Call them}
      due_in_days: 2
  - exit: true
"""


def _mistakes(text: str) -> list[tuple[int, str, str]]:
    with pytest.raises(PlaybookInvalid) as caught:
        parse(text, "p.yaml")
    return [(m.line, m.field, m.message) for m in caught.value.mistakes]


def test_the_presets_are_valid_and_match_the_published_schema() -> None:
    loaded = read_all(PRESETS)
    assert {item.playbook.name for item in loaded} == {
        "lead-welcome",
        "new-customer-onboarding",
        "win-back",
        "nps-detractors",
        "nps-promoters",
        "nps-survey",
    }
    # an independent check: the JSON Schema editors get accepts every preset as it is written
    validator = jsonschema_rs.validator_for(json_schema())
    for item in loaded:
        validator.validate(yaml.safe_load(item.source))
    win_back = next(i.playbook for i in loaded if i.playbook.name == "win-back")
    assert [t.kind for t in win_back.trigger] == ["stage_entered", "score_crossed"]
    assert win_back.steps[0].create_task is not None
    assert win_back.steps[0].create_task.requires_root_cause


def test_a_good_playbook_gets_its_defaults() -> None:
    playbook = parse(GOOD, "p.yaml").playbook
    assert playbook.enrollment.holdout == 0.1 and playbook.kind == "marketing"
    assert playbook.step_ids() == ["call", "step-2"]
    assert playbook.steps[0].create_task is not None
    assert playbook.steps[0].create_task.assignee.to == "owner"


def test_each_mistake_names_its_line_and_field() -> None:
    text = GOOD.replace("due_in_days: 2", "due_in_days: -1").replace(
        "to: [declining]", "to: [leaving]"
    )
    assert _mistakes(text) == [
        (4, "trigger[0].stage_entered.to[0]", _mistakes(text)[0][2]),
        (9, "steps[0].create_task.due_in_days", "Input should be greater than or equal to 0"),
    ]
    assert "declining" in _mistakes(text)[0][2]  # the message lists the stages


@pytest.mark.parametrize(
    ("change", "line", "field", "words"),
    [
        (("  - exit: true", "  - exit: true\n    wait: {days: 1}"), 10, "steps[1]", "exactly one"),
        (
            (
                "  - exit: true",
                "  - branch: {if: {field: stage, op: '=', value: new}, then: nowhere}",
            ),
            10,
            "steps[1]",
            "nowhere",
        ),
        (("trigger:", "trigger:\n  manual: true"), 4, "trigger[0]", "exactly one"),
        (("name: small", "name: Small Thing"), 1, "name", "match pattern"),
        (("name: small", "name: small\ncolour: red"), 2, "colour", "Extra inputs"),
        (
            ("  stage_entered: {to: [declining]}", "  cross_sell_due: {item: ' KIT-004'}"),
            4,
            "trigger[0].cross_sell_due.item",
            "match pattern",
        ),
        (
            ("  stage_entered: {to: [declining]}", "  cross_sell_due: {item: B, level: brand}"),
            4,
            "trigger[0].cross_sell_due.level",
            "'product' or 'category'",
        ),
        (
            ("      due_in_days: 2", "      due_in_days: 2\n      assignee: {to: boss}"),
            10,
            "steps[0].create_task.assignee.to",
            "owner",
        ),
    ],
)
def test_common_mistakes(change: tuple[str, str], line: int, field: str, words: str) -> None:
    [(got_line, got_field, message)] = _mistakes(GOOD.replace(*change))
    assert (got_line, got_field) == (line, field) and words in message


def test_a_filter_on_an_unknown_field_says_which_fields_exist() -> None:
    text = GOOD + "conditions: {field: shoe_size, op: '>', value: 40}\n"
    [(line, field, message)] = _mistakes(text)
    assert (
        (line, field) == (11, "conditions") and "shoe_size" in message and "churn_risk" in message
    )


def test_broken_yaml_names_its_line() -> None:
    [(line, _, message)] = _mistakes(GOOD.replace("  - exit: true", "  - exit: [true"))
    assert line >= 10 and message.startswith("not valid YAML")


def test_files_that_cannot_be_read_or_clash(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(GOOD)
    (tmp_path / "b.yaml").write_text(GOOD)  # the same name twice
    (tmp_path / "c.yaml").write_bytes(b"name: \xff\xfe\n")
    (tmp_path / "notes.txt").write_text("not a playbook")
    with pytest.raises(PlaybookInvalid) as caught:
        read_all(tmp_path)
    described = [m.describe() for m in caught.value.mistakes]
    assert any("c.yaml, line 1: not UTF-8" in d for d in described)
    assert any("b.yaml, line 1: name: 'small' is also the name in" in d for d in described)
    assert len(described) == 2
    with pytest.raises(PlaybookInvalid, match="No such file"):
        read(tmp_path / "missing.yaml")


def test_the_schema_is_plain_json() -> None:
    schema = json_schema()
    assert json.loads(json.dumps(schema))["title"] == "Tenure playbook"
    assert "stage_entered" in json.dumps(schema)
