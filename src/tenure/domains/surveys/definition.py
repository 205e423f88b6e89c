"""What a survey says: its kind, its questions in both languages, and whom it may ask how often.

A survey is data (YAML or JSON through ``tenure surveys apply`` or the API), like a playbook.
The four kinds:

* ``nps`` — "How likely are you to recommend us?" 0–10, then "why?"; bands promoter (9–10),
  passive (7–8), detractor (0–6);
* ``csat`` — "How satisfied are you?" 1–5, then a comment; satisfied (4–5), neutral (3),
  unsatisfied (1–2);
* ``ces`` — "It was easy to get what I needed" 1–7, then a comment; satisfied (5–7),
  neutral (4), unsatisfied (1–3);
* ``form`` — the survey's own questions: text, choice, multiple (choices), rating (1–5), each
  may be shown only if an earlier answer says so (``show_if``).

The first three need no questions: the standard ones are filled in (their words may be
replaced). Every question and option has its words in English and Chinese.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

Key = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")]
Line = Annotated[str, StringConstraints(min_length=1, max_length=500)]
Kind = Literal["nps", "csat", "ces", "form"]
QuestionType = Literal["scale", "text", "choice", "multiple", "rating"]
SCORE = "score"  # the id of the scored question of nps, csat and ces surveys
COMMENT = "comment"  # the id of their free-text question
MAX_TEXT = 4000  # characters of one text answer


class Strict(BaseModel):
    """A part of a survey: unknown keys are mistakes."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Bilingual(Strict):
    """A text in English and Chinese: both are required, customers read either."""

    en: Line
    zh: Line

    def pick(self, lang: str) -> str:
        """Return the text in ``lang`` (zh or en)."""
        return self.zh if lang == "zh" else self.en


class Option(Strict):
    """One choice of a choice or multiple question."""

    id: Key
    label: Bilingual


class ShowIf(Strict):
    """Show a question only when an earlier one was answered so.

    ``question`` answered with one of ``equals`` (for a choice, or any of them for a multiple),
    or with a number in [``min``, ``max``] (a scale or a rating).
    """

    question: Key
    equals: list[str] | None = None
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _something(self) -> ShowIf:
        if self.equals is None and self.min is None and self.max is None:
            raise ValueError("show_if needs equals (options) or min / max (a number)")
        return self

    def holds(self, answer: Any) -> bool:
        """Return whether the earlier question's answer shows the question."""
        if answer is None or answer == "" or answer == []:
            return False
        if self.equals is not None:
            given = answer if isinstance(answer, list) else [answer]
            return any(str(a) in self.equals for a in given)
        if not isinstance(answer, int | float):
            return False
        return (self.min is None or answer >= self.min) and (self.max is None or answer <= self.max)


class Question(Strict):
    """One question: its id, type, words, options (choice, multiple) and range (scale)."""

    id: Key
    type: QuestionType
    label: Bilingual
    required: bool = False
    options: list[Option] = Field(default_factory=list)
    min: int = Field(default=1, ge=0, le=10)
    max: int = Field(default=5, ge=1, le=10)
    low: Bilingual | None = Field(default=None, description="Words under the lowest number.")
    high: Bilingual | None = Field(default=None, description="Words under the highest number.")
    show_if: ShowIf | None = None

    @model_validator(mode="after")
    def _fits_type(self) -> Question:
        if self.type in ("choice", "multiple"):
            if len(self.options) < 2:
                raise ValueError(f"question {self.id}: a {self.type} question needs 2 options")
            ids = [o.id for o in self.options]
            if len(set(ids)) != len(ids):
                raise ValueError(f"question {self.id}: option ids are unique")
        elif self.options:
            raise ValueError(f"question {self.id}: only choice and multiple questions have options")
        if self.min >= self.max:
            raise ValueError(f"question {self.id}: min must be below max")
        return self

    @property
    def numeric(self) -> bool:
        """True for a scale or a rating."""
        return self.type in ("scale", "rating")

    def numbers(self) -> list[int]:
        """Return the numbers a scale or rating offers."""
        low, high = (1, 5) if self.type == "rating" else (self.min, self.max)
        return list(range(low, high + 1))


def _words(en: str, zh: str) -> Bilingual:
    return Bilingual(en=en, zh=zh)


STANDARD: dict[str, list[Question]] = {
    "nps": [
        Question(
            id=SCORE,
            type="scale",
            min=0,
            max=10,
            required=True,
            label=_words(
                "How likely are you to recommend us to a friend or colleague?",
                "您向朋友或同事推荐我们的可能性有多大？",
            ),
            low=_words("Not at all likely", "完全不可能"),
            high=_words("Extremely likely", "非常可能"),
        ),
        Question(
            id=COMMENT,
            type="text",
            label=_words(
                "What is the main reason for your score?", "您给出这个分数的主要原因是什么？"
            ),
        ),
    ],
    "csat": [
        Question(
            id=SCORE,
            type="scale",
            min=1,
            max=5,
            required=True,
            label=_words("How satisfied are you with us?", "您对我们的满意度如何？"),
            low=_words("Very unsatisfied", "非常不满意"),
            high=_words("Very satisfied", "非常满意"),
        ),
        Question(
            id=COMMENT,
            type="text",
            label=_words("Anything we could do better?", "我们有哪些地方可以做得更好？"),
        ),
    ],
    "ces": [
        Question(
            id=SCORE,
            type="scale",
            min=1,
            max=7,
            required=True,
            label=_words(
                "It was easy to get what I needed.",
                "我很容易就得到了我需要的帮助。",
            ),
            low=_words("Strongly disagree", "非常不同意"),
            high=_words("Strongly agree", "非常同意"),
        ),
        Question(
            id=COMMENT,
            type="text",
            label=_words("What made it easy or hard?", "是什么让它变得容易或困难？"),
        ),
    ],
}


class SurveySpec(Strict):
    """A whole survey, as its file states it."""

    key: Key
    kind: Kind
    title: Bilingual
    intro: Bilingual | None = None
    thanks: Bilingual | None = None
    questions: list[Question] = Field(default_factory=list)
    link_days: int = Field(
        default=14, ge=1, le=365, description="A personal link works this many days."
    )
    edit_hours: int = Field(
        default=48, ge=0, le=24 * 30, description="An answer may be changed this long after."
    )
    cooldown_days: int = Field(
        default=90,
        ge=0,
        le=3650,
        description="A customer is not asked this survey again within this many days.",
    )
    any_cooldown_days: int = Field(
        default=14,
        ge=0,
        le=3650,
        description="Nor when any survey asked them within this many days.",
    )
    sample: float = Field(
        default=1.0, gt=0, le=1, description="The share of customers asked (a stable draw)."
    )

    @model_validator(mode="after")
    def _questions(self) -> SurveySpec:
        questions = self.questions or STANDARD.get(self.kind, [])
        if not questions:
            raise ValueError("a form survey needs questions")
        ids = [q.id for q in questions]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"question ids are unique: {', '.join(twice)} used twice")
        if self.kind != "form":
            scored = next((q for q in questions if q.id == SCORE), None)
            if scored is None or scored.type != "scale":
                raise ValueError(f"a {self.kind} survey has a scale question with id score")
            expected = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}[self.kind]
            if (scored.min, scored.max) != expected:
                raise ValueError(
                    f"the score of a {self.kind} survey runs {expected[0]}–{expected[1]}"
                )
        for index, question in enumerate(questions):
            rule = question.show_if
            if rule is not None and rule.question not in ids[:index]:
                raise ValueError(
                    f"question {question.id}: show_if names {rule.question}, "
                    "which is not an earlier question"
                )
        object.__setattr__(self, "questions", questions)
        return self

    def question(self, question_id: str) -> Question | None:
        """Return the question ``question_id``, or None."""
        return next((q for q in self.questions if q.id == question_id), None)

    def scored(self) -> Question | None:
        """Return the question whose number is the answer's score (none: a form without one)."""
        found = self.question(SCORE)
        if found is not None and found.numeric:
            return found
        return next((q for q in self.questions if q.numeric), None)


def band(kind: str, score: float | None, low: int = 1, high: int = 5) -> str | None:
    """Return a score's band: promoter/passive/detractor (NPS), else satisfied/neutral/unsatisfied.

    CSAT 1–5: 4–5 satisfied, 3 neutral; CES 1–7: 5–7 satisfied, 4 neutral; a form's rating
    on ``low``–``high``: the top two fifths satisfied, the middle fifth neutral.
    """
    if score is None:
        return None
    if kind == "nps":
        return "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
    if kind == "csat":
        cut_up, cut_mid = 4.0, 3.0
    elif kind == "ces":
        cut_up, cut_mid = 5.0, 4.0
    else:
        span = high - low
        cut_up, cut_mid = low + 0.6 * span, low + 0.4 * span
    if score >= cut_up:
        return "satisfied"
    return "neutral" if score >= cut_mid else "unsatisfied"


POOR_BANDS = ("detractor", "unsatisfied")
