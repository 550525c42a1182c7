"""Registration survey (R-BAS-2): the national common questions, plus a limited number of the organisation's own.

The common questions are versioned: every registration stores the version it answered, so statistics stay
comparable when the questions change. The relationship question follows the four types of 関係人口 in MIC's
2025-08-22 slides (001) plus 出身・居住経験, so statistics can be cut by them (R-STAT-1)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .errors import InvalidSurveyAnswer

MAX_OWN_QUESTIONS = 5  # guideline 2-2 (STEP2): "一定数" of the organisation's own questions; our limit
MAX_TEXT_ANSWER = 400

Answer = str | list[str]


class Choice(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str = Field(pattern=r"^[a-z0-9_]{1,40}$")
    label: str = Field(min_length=1, max_length=200)


class Question(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str = Field(pattern=r"^[a-z0-9_]{1,40}$")
    text: str = Field(min_length=1, max_length=400)
    kind: Literal["single", "multiple", "text"]
    required: bool = False
    choices: tuple[Choice, ...] = ()

    @model_validator(mode="after")
    def _choices_match_kind(self) -> Question:
        if self.kind == "text" and self.choices:
            raise ValueError("a text question has no choices")
        if self.kind != "text" and len(self.choices) < 2:
            raise ValueError("a choice question needs at least two choices")
        if len({c.id for c in self.choices}) != len(self.choices):
            raise ValueError("choice ids must be unique")
        return self


def _q(id: str, text: str, kind: str, required: bool, *choices: tuple[str, str]) -> Question:
    return Question(id=id, text=text, kind=kind, required=required, choices=tuple(Choice(id=i, label=l) for i, l in choices))


COMMON_SURVEY_VERSION = "common-2026-04"

# Question ids of the common survey carry no prefix; an organisation's own questions are namespaced "own_".
COMMON_QUESTIONS: tuple[Question, ...] = (
    _q(
        "relationship",
        "この地域とどのような関わりがありますか（複数選択可）",
        "multiple",
        True,
        ("birthplace", "出身地である"),
        ("lived_before", "以前住んでいた（居住経験がある）"),
        ("type1_remote_support", "訪問はしないが、地域産品の購入やふるさと納税などで応援している"),
        ("type2_regular_visits", "年に数回程度訪れ、観光・買い物や体験活動を楽しんでいる"),
        ("type3_community_work", "副業やボランティアなどで定期的に訪れ、担い手として活動している"),
        ("type4_dual_residence", "地域に居所があり、二地域居住などで生活の場としても利用している"),
        ("family_ties", "家族・親族が住んでいる"),
        ("interested", "まだ関わりはないが、関心がある"),
    ),
    _q(
        "interests",
        "受け取りたい情報（複数選択可）",
        "multiple",
        True,
        ("tourism_events", "観光・イベント情報"),
        ("local_news", "ご当地ニュース"),
        ("volunteer_recruitment", "担い手募集情報"),
    ),
    _q(
        "visit_frequency",
        "この地域を訪れる頻度",
        "single",
        False,
        ("none", "訪れたことはない"),
        ("rarely", "数年に1回程度"),
        ("yearly", "年に1回程度"),
        ("several_per_year", "年に数回"),
        ("monthly_or_more", "月に1回以上"),
    ),
    _q(
        "wants_to_take_part",
        "担い手活動に参加したいですか",
        "single",
        False,
        ("yes", "参加したい"),
        ("maybe", "内容によっては参加したい"),
        ("no", "今は考えていない"),
    ),
)

# The four 関係人口 types of MIC's slides (001), by the relationship choice that declares each.
RELATIONSHIP_TYPES = {
    "type1_remote_support": 1,
    "type2_regular_visits": 2,
    "type3_community_work": 3,
    "type4_dual_residence": 4,
}


class OwnQuestions(BaseModel):
    """An organisation's own questions, as its staff define them (R-ADM-2)."""

    questions: tuple[Question, ...] = Field(default=(), max_length=MAX_OWN_QUESTIONS)

    @model_validator(mode="after")
    def _namespaced(self) -> OwnQuestions:
        ids = [q.id for q in self.questions]
        if any(not i.startswith("own_") for i in ids):
            raise ValueError("an organisation's own question ids start with 'own_'")
        if len(set(ids)) != len(ids):
            raise ValueError("question ids must be unique")
        return self


def survey_for(own: tuple[Question, ...]) -> tuple[Question, ...]:
    return COMMON_QUESTIONS + tuple(own)


def validate_answers(questions: tuple[Question, ...], answers: dict[str, Answer]) -> dict[str, Answer]:
    """Check answers against the questions (R-BAS-2); returns them normalised (choices in the questions' order). A
    multiple-choice answer is a list, each choice at most once. Raises InvalidSurveyAnswer naming every problem at
    once, so the app can mark each field."""
    problems: list[dict[str, str]] = []
    by_id = {q.id: q for q in questions}
    for unknown in sorted(set(answers) - set(by_id)):
        problems.append({"question": unknown, "problem": "unknown question"})
    normalised: dict[str, Answer] = {}
    for q in questions:
        if q.id not in answers or answers[q.id] in ("", [], None):
            if q.required:
                problems.append({"question": q.id, "problem": "an answer is required"})
            continue
        value = answers[q.id]
        if q.kind == "text":
            if not isinstance(value, str):
                problems.append({"question": q.id, "problem": "expects text"})
            elif len(value) > MAX_TEXT_ANSWER:
                problems.append({"question": q.id, "problem": f"at most {MAX_TEXT_ANSWER} characters"})
            else:
                normalised[q.id] = value.strip()
            continue
        allowed = [c.id for c in q.choices]
        if q.kind == "single":
            if not isinstance(value, str):
                problems.append({"question": q.id, "problem": "expects one choice"})
            elif value not in allowed:
                problems.append({"question": q.id, "problem": f"'{value}' is not one of {allowed}"})
            else:
                normalised[q.id] = value
            continue
        # A list, even of one: a bare string is a client that did not show the question as multiple choice.
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            problems.append({"question": q.id, "problem": "expects a list of choices"})
            continue
        wrong = [v for v in value if v not in allowed]
        repeated = sorted({v for v in value if value.count(v) > 1})
        if wrong:
            problems.append({"question": q.id, "problem": f"{wrong} not among {allowed}"})
        elif repeated:
            problems.append({"question": q.id, "problem": f"{repeated} chosen more than once"})
        else:
            normalised[q.id] = [c for c in allowed if c in value]
    if problems:
        raise InvalidSurveyAnswer(
            "; ".join(f"{p['question']}: {p['problem']}" for p in problems), invalid_answers=problems
        )
    return normalised
