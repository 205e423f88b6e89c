"""Survey definitions: the standard questions, bands, and answers checked against questions."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tenure.domains.surveys import service
from tenure.domains.surveys.definition import band
from tenure.domains.surveys.validation import check
from tenure.kit.errors import InvalidInput
from tests.domains.surveys.helpers import FORM


def test_nps_csat_ces_get_their_standard_questions_in_both_languages() -> None:
    for kind, numbers in (("nps", (0, 10)), ("csat", (1, 5)), ("ces", (1, 7))):
        spec = service.parse({"key": kind, "kind": kind, "title": {"en": "T", "zh": "题"}})
        score = spec.scored()
        assert score is not None
        assert (score.numbers()[0], score.numbers()[-1]) == numbers
        assert all(q.label.en and q.label.zh for q in spec.questions)


@pytest.mark.parametrize(
    ("kind", "score", "expected"),
    [
        ("nps", 0, "detractor"),
        ("nps", 6, "detractor"),
        ("nps", 7, "passive"),
        ("nps", 8, "passive"),
        ("nps", 9, "promoter"),
        ("nps", 10, "promoter"),
        ("csat", 1, "unsatisfied"),
        ("csat", 2, "unsatisfied"),
        ("csat", 3, "neutral"),
        ("csat", 4, "satisfied"),
        ("ces", 3, "unsatisfied"),
        ("ces", 4, "neutral"),
        ("ces", 5, "satisfied"),
        ("form", 2, "unsatisfied"),
        ("form", 3, "neutral"),
        ("form", 4, "satisfied"),
    ],
)
def test_bands(kind: str, score: int, expected: str) -> None:
    assert band(kind, score) == expected


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": {"en": "only English"}}, "title.zh"),
        ({"kind": "form", "questions": []}, "a form survey needs questions"),
        ({"sample": 0}, "sample"),
        ({"link_days": 0}, "link_days"),
    ],
)
def test_a_bad_definition_names_its_field(change: dict[str, object], field: str) -> None:
    data = {"key": "nps", "kind": "nps", "title": {"en": "T", "zh": "题"}} | change
    with pytest.raises(InvalidInput, match=field):
        service.parse(data)


def test_show_if_must_name_an_earlier_question() -> None:
    questions = [dict(q) for q in FORM["questions"]]
    questions[1]["show_if"] = {"question": "idea", "equals": ["x"]}
    with pytest.raises(InvalidInput, match="show_if names idea"):
        service.parse(FORM | {"questions": questions})


def test_a_form_keeps_valid_answers_and_hides_what_show_if_hides() -> None:
    spec = service.parse(FORM)
    shown = check(spec, {"topic": "billing", "invoice": " INV-7 ", "areas": ["app", "web", "app"]})
    assert shown.mistakes == {}
    assert shown.answers == {"topic": "billing", "invoice": "INV-7", "areas": ["app", "web"]}
    # the invoice question is hidden for product: what was sent for it is dropped
    hidden = check(spec, {"topic": "product", "invoice": "INV-7", "stars": "2"})
    assert hidden.answers == {"topic": "product", "stars": 2}
    assert (hidden.score, hidden.band) == (2, "unsatisfied")
    # shown and required, but empty
    assert check(spec, {"topic": "billing"}).mistakes == {"invoice": "an answer is required"}


@pytest.mark.parametrize(
    ("raw", "question", "problem"),
    [
        ({"topic": "sales"}, "topic", "not an option: sales"),
        ({"topic": "product", "areas": ["app", "moon"]}, "areas", "not an option: moon"),
        ({"topic": "product", "stars": "6"}, "stars", "from 1 to 5"),
        ({"topic": "product", "stars": "two"}, "stars", "whole number"),
        ({"topic": "product", "idea": "x" * 4001}, "idea", "at most 4000"),
        ({"topic": ["billing", "product"]}, "topic", "give one answer"),
    ],
)
def test_a_wrong_answer_is_named(raw: dict[str, object], question: str, problem: str) -> None:
    mistakes = check(service.parse(FORM), raw).mistakes
    assert question in mistakes
    assert problem in mistakes[question]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(["score", "comment", "x"]), st.text() | st.integers()))
def test_checking_nps_never_raises_and_keeps_only_scores_on_the_scale(
    raw: dict[str, object],
) -> None:
    done = check(service.parse({"key": "n", "kind": "nps", "title": {"en": "T", "zh": "题"}}), raw)
    if "score" in done.answers:
        assert done.answers["score"] in range(11)
        assert done.band in ("promoter", "passive", "detractor")
    else:
        assert "score" in done.mistakes
