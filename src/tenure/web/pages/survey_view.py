"""A survey's questions and answers as a page shows them, in one language."""

from __future__ import annotations

import re
from typing import Any

from tenure.domains.surveys.definition import SurveySpec


def _given(values: dict[str, Any], question_id: str) -> list[str]:
    """Return what was answered to a question, as the form's strings."""
    value = values.get(question_id)
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]


def question_views(
    spec: SurveySpec, lang: str, values: dict[str, Any], mistakes: dict[str, str]
) -> list[dict[str, Any]]:
    """Return each question in ``lang``: its words, choices, what is filled in, any mistake."""
    views = []
    for question in spec.questions:
        if question.numeric:
            choices = [(str(n), str(n)) for n in question.numbers()]
        else:
            choices = [(o.id, o.label.pick(lang)) for o in question.options]
        rule = question.show_if
        views.append(
            {
                "id": question.id,
                "type": question.type,
                "label": question.label.pick(lang),
                "required": question.required,
                "choices": choices,
                "low": question.low.pick(lang) if question.low else None,
                "high": question.high.pick(lang) if question.high else None,
                "given": _given(values, question.id),
                "mistake": mistakes.get(question.id),
                "show_if": None if rule is None else rule.model_dump(exclude_none=True),
            }
        )
    return views


def answer_rows(spec: SurveySpec, lang: str, answers: dict[str, Any]) -> list[tuple[str, str]]:
    """Return (question, answer) for each question answered, the answer in words."""
    rows = []
    for question in spec.questions:
        given = _given(answers, question.id)
        if not given:
            continue
        labels = {o.id: o.label.pick(lang) for o in question.options}
        rows.append((question.label.pick(lang), ", ".join(labels.get(g, g) for g in given)))
    return rows


def mistake_words(mistake: str | None, translate: Any) -> str | None:
    """Return a checking mistake (validation.py's English) as the customer should read it."""
    if mistake is None:
        return None
    if "required" in mistake:
        return str(translate("Please answer this question."))
    found = re.search(r"from (\d+) to (\d+)", mistake)
    if found:
        low, high = found.groups()
        return str(translate("Choose a number from %(low)s to %(high)s.", low=low, high=high))
    found = re.search(r"at most (\d+)", mistake)
    if found:
        return str(translate("Please keep it under %(n)s characters.", n=found.group(1)))
    return str(translate("Choose one of the options given."))
