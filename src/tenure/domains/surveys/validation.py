"""Check a customer's answers against the survey's questions, as a form or JSON sends them.

Every value is checked against its question: a number within the scale, an option the
question offers, text no longer than ``MAX_TEXT``. A question hidden by its ``show_if`` keeps
no answer (whatever was sent for it), and a required one that is shown must be answered.
Mistakes are returned per question, so the page can show each beside its field and the API
can name the field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tenure.domains.surveys.definition import MAX_TEXT, Question, SurveySpec, band


@dataclass
class Checked:
    """The answers kept (by question id), the score and band, and the mistakes by question."""

    answers: dict[str, Any] = field(default_factory=dict)
    mistakes: dict[str, str] = field(default_factory=dict)
    score: int | None = None
    band: str | None = None
    comment: str | None = None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _one(question: Question, raw: Any) -> tuple[Any, str | None]:
    """Return the clean answer to one question (None: unanswered) or why it is refused."""
    values = [v for v in _as_list(raw) if v is not None and str(v).strip() != ""]
    if not values:
        return None, None
    if question.type == "multiple":
        offered = {o.id for o in question.options}
        chosen = list(dict.fromkeys(str(v) for v in values))
        wrong = [c for c in chosen if c not in offered]
        return (None, f"not an option: {wrong[0]}") if wrong else (chosen, None)
    if len(values) > 1:
        return None, "give one answer"
    value = values[0]
    if question.type == "text":
        text = str(value).strip()
        if len(text) > MAX_TEXT:
            return None, f"at most {MAX_TEXT} characters"
        return text, None
    if question.type == "choice":
        offered = {o.id for o in question.options}
        return (str(value), None) if str(value) in offered else (None, f"not an option: {value}")
    try:
        number = int(str(value).strip()) if not isinstance(value, int) else value
    except ValueError:
        return None, "give a whole number"
    if isinstance(value, bool) or number not in question.numbers():
        low, high = question.numbers()[0], question.numbers()[-1]
        return None, f"give a number from {low} to {high}"
    return number, None


def check(spec: SurveySpec, raw: dict[str, Any]) -> Checked:
    """Return the answers to keep and the mistakes; unknown keys in ``raw`` are ignored."""
    done = Checked()
    for question in spec.questions:
        rule = question.show_if
        if rule is not None and not rule.holds(done.answers.get(rule.question)):
            continue  # hidden: an answer sent for it anyway is not kept
        value, mistake = _one(question, raw.get(question.id))
        if mistake is not None:
            done.mistakes[question.id] = mistake
        elif value is None and question.required:
            done.mistakes[question.id] = "an answer is required"
        elif value is not None:
            done.answers[question.id] = value
    scored = spec.scored()
    if scored is not None and isinstance(done.answers.get(scored.id), int):
        done.score = int(done.answers[scored.id])
        low, high = scored.numbers()[0], scored.numbers()[-1]
        done.band = band(spec.kind, done.score, low, high)
    texts = [
        done.answers[q.id] for q in spec.questions if q.type == "text" and q.id in done.answers
    ]
    done.comment = "\n\n".join(texts) if texts else None
    return done
