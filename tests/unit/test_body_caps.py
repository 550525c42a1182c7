"""The JSON body cap (docs/decisions.md, request bodies) leaves room for the largest body a person can really send: a
registration with every survey answer and every personal field at its limit."""

from __future__ import annotations

import json

from shared.api.resolver import MAX_JSON_BODY_BYTES
from shared.domain.models import PersonalInfo, RegisterRequest
from shared.domain.survey import COMMON_QUESTIONS, MAX_OWN_QUESTIONS, MAX_TEXT_ANSWER


def _max_length(field: str) -> int:
    return next(m.max_length for m in PersonalInfo.model_fields[field].metadata if hasattr(m, "max_length"))


def largest_registration() -> dict:
    answers: dict = {}
    for question in COMMON_QUESTIONS:
        ids = [c.id for c in question.choices]
        answers[question.id] = ids if question.kind == "multiple" else max(ids, key=len)
    for n in range(MAX_OWN_QUESTIONS):  # an organisation's own questions, all free text, ids at their 40 characters
        answers[f"own_{n}_".ljust(40, "x")] = "あ" * MAX_TEXT_ANSWER
    personal = {
        "name": "あ" * _max_length("name"),
        "postal_code": "988-0000",
        "address": "あ" * _max_length("address"),
        "birth_date": "1990-01-01",
        "gender": "no_answer",
        "email": "a" * 240 + "@example.jp",
    }
    return {"organisation_code": "042056", "co_register_prefecture": True, "answers": answers, "personal": personal}


def test_the_largest_registration_fits_the_json_body_cap_in_utf_8():
    body = largest_registration()
    RegisterRequest.model_validate(body)  # a body the model takes
    sent = json.dumps(body, ensure_ascii=False).encode("utf-8")  # as apps send it (JSON.stringify, JSONEncoder)
    assert len(sent) <= MAX_JSON_BODY_BYTES, len(sent)
