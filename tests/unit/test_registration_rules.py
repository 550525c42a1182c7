"""Pure rules of basic registration (no I/O)."""

from __future__ import annotations

from datetime import datetime

import pytest

from shared.clock import TOKYO
from shared.domain import registration as rules
from shared.domain.errors import InvalidSurveyAnswer
from shared.domain.models import Registration
from shared.domain.survey import COMMON_QUESTIONS, OwnQuestions, Question, survey_for, validate_answers
from shared.organisations import catalog

KESENNUMA, MIYAGI, SENDAI = catalog.get("042056"), catalog.get("040002"), catalog.get("041009")
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=TOKYO)


def reg(code: str, direct: bool = True, via: set[str] = frozenset()) -> Registration:
    return Registration(organisation_code=code, user_id="u", since=NOW, direct=direct, via=frozenset(via))


# --- R-ORG-1, R-ORG-2 co-registration --------------------------------------------------------------------------


def test_r_org_2_municipality_registration_co_registers_the_prefecture():
    plan = rules.plan_co_registration(KESENNUMA, MIYAGI, prefecture_joined=True, opted_out=False, prefecture_registration=None)
    assert plan.status == "registered" and plan.writes_prefecture


def test_r_org_2_opt_out_wins_over_everything():
    plan = rules.plan_co_registration(KESENNUMA, MIYAGI, prefecture_joined=True, opted_out=True, prefecture_registration=None)
    assert plan.status == "opted_out" and not plan.writes_prefecture


def test_r_org_1_prefecture_that_has_not_joined_is_skipped():
    plan = rules.plan_co_registration(KESENNUMA, MIYAGI, prefecture_joined=False, opted_out=False, prefecture_registration=None)
    assert plan.status == "prefecture_not_joined" and not plan.writes_prefecture
    assert "宮城県" in rules.co_registration_message(plan)


def test_existing_prefecture_registration_is_linked_not_duplicated():
    plan = rules.plan_co_registration(
        KESENNUMA, MIYAGI, prefecture_joined=True, opted_out=False, prefecture_registration=reg(MIYAGI.code, False, {SENDAI.code})
    )
    assert plan.status == "linked" and plan.writes_prefecture


def test_registering_with_a_prefecture_has_no_co_registration():
    plan = rules.plan_co_registration(MIYAGI, MIYAGI, prefecture_joined=True, opted_out=False, prefecture_registration=None)
    assert plan.status == "not_applicable" and not plan.writes_prefecture


# --- R-BAS-6 residents ---------------------------------------------------------------------------------------------


def test_r_bas_6_resident_of_the_municipality_and_of_its_prefecture():
    assert rules.is_resident(KESENNUMA, (KESENNUMA,))
    assert rules.is_resident(MIYAGI, (KESENNUMA,))
    assert not rules.is_resident(KESENNUMA, (SENDAI,))
    assert rules.is_resident(MIYAGI, (SENDAI,))
    assert not rules.is_resident(KESENNUMA, ())


# --- withdrawal ------------------------------------------------------------------------------------------------------


def test_withdrawing_the_last_linked_municipality_takes_the_co_registration_with_it():
    plan = rules.plan_withdrawal(reg(KESENNUMA.code), KESENNUMA, reg(MIYAGI.code, False, {KESENNUMA.code}))
    assert plan.delete_prefecture is not None and plan.unlink_from_prefecture is None


def test_prefecture_stays_while_another_municipality_or_a_direct_registration_holds_it():
    two = rules.plan_withdrawal(reg(KESENNUMA.code), KESENNUMA, reg(MIYAGI.code, False, {KESENNUMA.code, SENDAI.code}))
    assert two.unlink_from_prefecture is not None and two.delete_prefecture is None
    direct = rules.plan_withdrawal(reg(KESENNUMA.code), KESENNUMA, reg(MIYAGI.code, True, {KESENNUMA.code}))
    assert direct.unlink_from_prefecture is not None and direct.delete_prefecture is None


def test_opted_out_municipality_leaves_the_prefecture_alone():
    plan = rules.plan_withdrawal(reg(KESENNUMA.code), KESENNUMA, reg(MIYAGI.code, True))
    assert plan.unlink_from_prefecture is None and plan.delete_prefecture is None


# --- R-BAS-2 survey -------------------------------------------------------------------------------------------------


def test_r_bas_2_common_relationship_question_covers_the_four_types_and_origin_and_residence():
    relationship = next(q for q in COMMON_QUESTIONS if q.id == "relationship")
    ids = {c.id for c in relationship.choices}
    assert {"type1_remote_support", "type2_regular_visits", "type3_community_work", "type4_dual_residence"} <= ids
    assert {"birthplace", "lived_before"} <= ids


def test_r_bas_2_answers_are_normalised_in_question_order():
    answers = validate_answers(COMMON_QUESTIONS, {"relationship": ["lived_before", "birthplace"], "interests": ["local_news"]})
    assert answers == {"relationship": ["birthplace", "lived_before"], "interests": ["local_news"]}


@pytest.mark.parametrize(
    ("answers", "problem"),
    [
        ({"relationship": ["birthplace"], "interests": "local_news"}, "expects a list of choices"),
        ({"relationship": ["birthplace", "lived_before", "birthplace"], "interests": ["local_news"]}, "chosen more than once"),
    ],
)
def test_r_bas_2_a_multiple_choice_answer_is_a_list_of_distinct_choices(answers, problem):
    """A string is not read as a one-item list, and a choice given twice is not quietly merged: either is a client
    that did not show the question as asked."""
    with pytest.raises(InvalidSurveyAnswer) as refused:
        validate_answers(COMMON_QUESTIONS, answers)
    assert [p["problem"] for p in refused.value.extensions["invalid_answers"]][0].endswith(problem)


@pytest.mark.parametrize(
    "answers",
    [
        {},
        {"relationship": ["birthplace"]},
        {"relationship": "nope", "interests": ["local_news"]},
        {"relationship": ["birthplace"], "interests": ["local_news"], "visit_frequency": ["yearly"]},
        {"relationship": ["birthplace"], "interests": ["local_news"], "extra": "x"},
        {"relationship": ["birthplace"], "interests": [1]},
    ],
)
def test_r_bas_2_bad_answers_are_refused(answers):
    with pytest.raises(InvalidSurveyAnswer):
        validate_answers(COMMON_QUESTIONS, answers)


def test_r_bas_2_organisation_questions_are_limited_and_namespaced():
    text = Question(id="own_a", text="?", kind="text")
    assert OwnQuestions(questions=(text,))
    with pytest.raises(ValueError):
        OwnQuestions(questions=tuple(Question(id=f"own_{i}", text="?", kind="text") for i in range(6)))
    with pytest.raises(ValueError):
        OwnQuestions(questions=(Question(id="relationship", text="?", kind="text"),))
    long_answer = {"relationship": ["birthplace"], "interests": ["local_news"], "own_a": "x" * 401}
    with pytest.raises(InvalidSurveyAnswer):
        validate_answers(survey_for((text,)), long_answer)
