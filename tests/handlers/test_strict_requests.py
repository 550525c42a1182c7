"""Issue 6 part 2 through the handlers: a person's choice is read only from the JSON type that means it. "no" is not
false for the prefecture co-registration (R-ORG-2), a string is not a one-item list and a choice is not given twice
(R-BAS-2), and an unknown member is refused on every route alike. Each refusal is a 422 problem and writes nothing."""

from __future__ import annotations

import json
import os
from datetime import timedelta

import pytest

from shared import clock
from tests.handlers.conftest import staff_claims
from tests.handlers.test_activities_and_checkin import START, activity_body, hida_activity  # noqa: F401 (fixture)

KESENNUMA, HIDA = "042056", "212172"
ANSWERS = {"relationship": ["birthplace"], "interests": ["local_news"], "own_fan_club": "member"}


def table_contents(moto) -> list[str]:
    """The table, but for the day's access note (R-BAS-5: the day and the due index's keys that move with it): a
    signed-in person who sent a bad answer did use the app."""
    items = []
    for item in moto.scan(TableName=os.environ["TABLE_NAME"])["Items"]:  # test inspection only
        for access_note in ("last_access", "due_pk", "due_sk"):
            item.pop(access_note, None)
        if set(item) != {"pk", "sk", "type"} or item["type"]["S"] != "Account":
            items.append(json.dumps(item, sort_keys=True))
    return sorted(items)


@pytest.mark.parametrize(
    ("change", "problem", "location"),
    [
        ({"co_register_prefecture": "no"}, "invalid-input", ["body", "co_register_prefecture"]),
        ({"co_register_prefecture": "false"}, "invalid-input", ["body", "co_register_prefecture"]),
        ({"co_register_prefecture": 0}, "invalid-input", ["body", "co_register_prefecture"]),
        ({"co_register_prefecture": None}, "invalid-input", ["body", "co_register_prefecture"]),
        ({"answers": {**ANSWERS, "relationship": "birthplace"}}, "invalid-survey-answer", None),
        ({"answers": {**ANSWERS, "interests": ["local_news", "local_news"]}}, "invalid-survey-answer", None),
        ({"co_register_prefecure": False}, "invalid-input", ["body", "co_register_prefecure"]),  # misspelt: not the default
        ({"personal": {"birth_date": 19900101}}, "invalid-input", ["body", "personal", "birth_date"]),
        ({"personal": {"nickname": "けんちゃん"}}, "invalid-input", ["body", "personal", "nickname"]),
    ],
)
def test_r_org_2_r_bas_2_a_registration_reads_choices_only_from_their_json_type(register_api, moto, change, problem, location):
    before = table_contents(moto)
    body = {"organisation_code": KESENNUMA, "answers": ANSWERS, **change}
    response = register_api("POST", "/registrations", user="u1", body=body)
    assert (response.status, response.problem_type) == (422, problem), response.body
    if location:
        assert location in [e["location"] for e in response.body["errors"]], response.body
    assert table_contents(moto) == before


def test_r_org_2_a_json_false_still_opts_out(register_api):
    body = {"organisation_code": KESENNUMA, "answers": ANSWERS, "co_register_prefecture": False}
    response = register_api("POST", "/registrations", user="u1", body=body)
    assert response.status == 201 and response.body["co_registration"]["status"] == "opted_out"


def test_unknown_members_are_refused_on_checkins_as_on_registrations(checkin_api, moto):
    before = table_contents(moto)
    response = checkin_api("POST", "/checkins", user="u1", body={"code": "not-a-code", "activity_id": "a0"})
    assert (response.status, response.problem_type) == (422, "invalid-input")
    assert ["body", "activity_id"] in [e["location"] for e in response.body["errors"]]
    assert table_contents(moto) == before


@pytest.mark.parametrize(
    ("change", "field"),
    [({"capacity": "10"}, "capacity"), ({"capacity": 10.0}, "capacity"), ({"recruiting": "true"}, "recruiting"),
     ({"multi_day": 1}, "multi_day"), ({"starts_at": 1_796_000_000}, "starts_at")],
)
def test_staff_bodies_are_strict_too(admin_api, moto, change, field):
    before = table_contents(moto)
    response = admin_api("POST", "/activities", body=activity_body(**change), claims=staff_claims(HIDA))
    assert (response.status, response.problem_type) == (422, "invalid-input"), response.body
    assert ["body", field] == response.body["errors"][0]["location"][:2]
    assert table_contents(moto) == before


def test_dates_in_json_stay_strings(admin_api, hida_activity):  # noqa: F811
    """Strict types do not refuse what JSON can only send as a string: a date, a date-time."""
    patch = admin_api("PATCH", f"/activities/{hida_activity['id']}", body={"place": "飛騨市役所"}, claims=staff_claims(HIDA))
    assert patch.status == 200, patch.body
    clock.freeze(START + timedelta(days=1))
    entry = admin_api(
        "POST", f"/activities/{hida_activity['id']}/records", body={"user_id": "nobody", "day": START.date().isoformat()},
        claims=staff_claims(HIDA),
    )
    assert entry.status != 422, entry.body  # refused for who it is (not registered), not for how the day is written
