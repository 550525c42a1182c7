"""Recruitment on moto (R-BAS-7): registrants see open activities of their organisations and apply in the app;
staff see and decide applicants; capacity holds under the count kept in the same transaction."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from shared import clock
from tests.handlers.conftest import staff_claims

HIDA, GIFU, KESENNUMA = "212172", "210005", "042056"
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=clock.TOKYO)
ANSWERS = {"relationship": ["type3_community_work"], "interests": ["volunteer_recruitment"]}


@pytest.fixture
def recruiting(admin_api):
    clock.freeze(NOW)
    body = {
        "name": "棚田の草刈り", "kind": "project", "place": "飛騨市河合町", "recruiting": True, "capacity": 2,
        "starts_at": (NOW + timedelta(days=10)).isoformat(), "ends_at": (NOW + timedelta(days=10, hours=3)).isoformat(),
    }
    response = admin_api("POST", "/activities", body=body, claims=staff_claims(HIDA))
    assert response.status == 201, response.body
    return response.body


def register(register_api, user: str, code: str = HIDA) -> str:
    assert register_api("POST", "/registrations", user=user, body={"organisation_code": code, "answers": ANSWERS}).status == 201
    return user


def apply_path(activity: dict) -> str:
    return f"/organisations/{activity['organisation_code']}/activities/{activity['id']}/applications"


def test_registrants_see_open_activities_of_their_organisations_only(register_api, recruiting):
    register(register_api, "u1")
    seen = register_api("GET", "/me/recruitment", user="u1").body["activities"]
    assert [a["name"] for a in seen] == ["棚田の草刈り"]
    register(register_api, "u2", GIFU)  # 岐阜県 only: 飛騨市's notice is not theirs
    assert register_api("GET", "/me/recruitment", user="u2").body["activities"] == []


def test_apply_once_within_capacity_and_staff_decide(register_api, admin_api, recruiting):
    for user in ("u1", "u2", "u3"):
        register(register_api, user)
    first = register_api("POST", apply_path(recruiting), user="u1", body={"message": "草刈り機を使えます"})
    assert first.status == 201 and first.body["status"] == "applied"
    again = register_api("POST", apply_path(recruiting), user="u1", body={})
    assert again.status == 409 and again.problem_type == "already-applied"
    assert register_api("POST", apply_path(recruiting), user="u2", body={}).status == 201
    full = register_api("POST", apply_path(recruiting), user="u3", body={})
    assert full.status == 409 and full.problem_type == "capacity-reached"

    applicants = admin_api("GET", f"/activities/{recruiting['id']}/applications", claims=staff_claims(HIDA)).body["applications"]
    assert sorted(a["user_id"] for a in applicants) == ["u1", "u2"]
    decided = admin_api(
        "PUT", f"/activities/{recruiting['id']}/applications/u1/decision", body={"status": "accepted"}, claims=staff_claims(HIDA)
    )
    assert decided.status == 200 and decided.body["status"] == "accepted"
    mine = register_api("GET", "/me/applications", user="u1").body["applications"]
    assert [(a["activity_id"], a["status"]) for a in mine] == [(recruiting["id"], "accepted")]

    assert register_api("DELETE", apply_path(recruiting), user="u2").status == 204
    assert register_api("POST", apply_path(recruiting), user="u3", body={}).status == 201  # the freed place


def test_editing_the_activity_keeps_the_applicant_count(register_api, admin_api, recruiting):
    for user in ("u1", "u2", "u3"):
        register(register_api, user)
    register_api("POST", apply_path(recruiting), user="u1", body={})
    register_api("POST", apply_path(recruiting), user="u2", body={})
    edited = admin_api("PATCH", f"/activities/{recruiting['id']}", body={"place": "飛騨市河合町 角川"}, claims=staff_claims(HIDA))
    assert edited.status == 200 and edited.body["applicants"] == 2
    assert register_api("POST", apply_path(recruiting), user="u3", body={}).problem_type == "capacity-reached"


def test_applications_need_registration_and_an_open_in_app_notice(register_api, admin_api, recruiting):
    refused = register_api("POST", apply_path(recruiting), user="stranger", body={})
    assert refused.status == 409 and refused.problem_type == "not-registered"
    register(register_api, "u1")
    external = admin_api(
        "POST", "/activities", claims=staff_claims(HIDA),
        body={"name": "ワーキングホリデー", "kind": "side_job", "place": "飛騨市", "recruiting": True,
              "external_url": "https://example.jp/apply", "starts_at": (NOW + timedelta(days=3)).isoformat(),
              "ends_at": (NOW + timedelta(days=3, hours=8)).isoformat()},
    ).body
    outside = register_api("POST", apply_path(external), user="u1", body={})
    assert outside.status == 409 and outside.body["external_url"] == "https://example.jp/apply"
    admin_api("POST", f"/activities/{recruiting['id']}/cancel", claims=staff_claims(HIDA))
    closed = register_api("POST", apply_path(recruiting), user="u1", body={})
    assert closed.status == 409 and closed.problem_type == "applications-closed"
    assert [a["name"] for a in register_api("GET", "/me/recruitment", user="u1").body["activities"]] == ["ワーキングホリデー"]


def test_other_organisations_staff_see_no_applicants(register_api, admin_api, recruiting):
    register(register_api, "u1")
    register_api("POST", apply_path(recruiting), user="u1", body={})
    other = admin_api("GET", f"/activities/{recruiting['id']}/applications", claims=staff_claims(KESENNUMA))
    assert other.status == 404
    decide = admin_api(
        "PUT", f"/activities/{recruiting['id']}/applications/u1/decision", body={"status": "declined"}, claims=staff_claims(GIFU)
    )
    assert decide.status == 404


def test_ended_activities_leave_the_notice_board(register_api, recruiting):
    register(register_api, "u1")
    clock.freeze(NOW + timedelta(days=11))
    assert register_api("GET", "/me/recruitment", user="u1").body["activities"] == []
