"""admin and checkin functions on moto: designated activities (R-ACT-1), QR check-in (R-ACT-2), records counted
for the venue municipality and its prefecture (R-ACT-3, R-ACT-4), staff isolation (R-PRIV-2, R-ADM-2)."""

from __future__ import annotations

import base64
import os
from datetime import datetime, timedelta

import pytest

from shared import clock
from shared.dal import aws
from shared.config import settings
from shared.dal.secrets import VerificationKeyStore, rotate_signing_keys
from shared.domain import checkin_token as ct
from tests.handlers.conftest import staff_claims

HIDA, GIFU, KESENNUMA, MIYAGI = "212172", "210005", "042056", "040002"
START = datetime(2026, 12, 5, 10, 0, tzinfo=clock.TOKYO)
DURING = START + timedelta(minutes=30)
ANSWERS = {"relationship": ["type3_community_work"], "interests": ["volunteer_recruitment"]}


def activity_body(**extra):
    return {
        "name": "雪下ろしボランティア",
        "kind": "project",
        "starts_at": START.isoformat(),
        "ends_at": (START + timedelta(hours=3)).isoformat(),
        "place": "飛騨市古川町 市民センター",
        **extra,
    }


@pytest.fixture
def hida_activity(admin_api):
    clock.freeze(START - timedelta(days=7))
    response = admin_api("POST", "/activities", body=activity_body(), claims=staff_claims(HIDA))
    assert response.status == 201, response.body
    return response.body


def registered(register_api, user: str, code: str = HIDA) -> str:
    answers = ANSWERS if code != KESENNUMA else {**ANSWERS, "own_fan_club": "member"}
    assert register_api("POST", "/registrations", user=user, body={"organisation_code": code, "answers": answers}).status == 201
    return user


def code_url(admin_api, activity_id: str, kind: str = "printed", code: str = HIDA) -> str:
    response = admin_api("GET", f"/activities/{activity_id}/checkin-code", query=f"kind={kind}", claims=staff_claims(code))
    assert response.status == 200, response.body
    return response.body["url"]


# --- designation -----------------------------------------------------------------------------------------------


def test_r_act_1_staff_designate_list_edit_and_cancel(admin_api, hida_activity):
    staff = staff_claims(HIDA)
    assert hida_activity["organisation_code"] == HIDA and hida_activity["venue_code"] == HIDA
    assert hida_activity["status"] == "active" and hida_activity["id"].startswith("a")
    listed = admin_api("GET", "/activities", claims=staff).body["activities"]
    assert [a["id"] for a in listed] == [hida_activity["id"]]
    edited = admin_api("PATCH", f"/activities/{hida_activity['id']}", body={"capacity": 30}, claims=staff)
    assert edited.status == 200 and edited.body["capacity"] == 30 and edited.body["version"] == 2
    cancelled = admin_api("POST", f"/activities/{hida_activity['id']}/cancel", claims=staff)
    assert cancelled.body["status"] == "cancelled"
    again = admin_api("PATCH", f"/activities/{hida_activity['id']}", body={"capacity": 10}, claims=staff)
    assert again.status == 409 and again.problem_type == "activity-cancelled"


def test_r_act_4_a_prefecture_names_the_municipality_where_it_takes_place(admin_api):
    gifu = staff_claims(GIFU)
    missing = admin_api("POST", "/activities", body=activity_body(), claims=gifu)
    assert missing.status == 422 and "venue_code" in missing.body["detail"]
    elsewhere = admin_api("POST", "/activities", body=activity_body(venue_code=KESENNUMA), claims=gifu)
    assert elsewhere.status == 422
    ok = admin_api("POST", "/activities", body=activity_body(venue_code=HIDA), claims=gifu)
    assert ok.status == 201 and ok.body["venue_code"] == HIDA and ok.body["organisation_code"] == GIFU


@pytest.mark.parametrize(
    "change",
    [
        {"ends_at": START.isoformat()},
        {"ends_at": (START + timedelta(days=3)).isoformat()},  # not multi_day
        {"kind": "festival"},
        {"name": ""},
        {"starts_at": "2026-03-01T10:00:00+09:00", "ends_at": "2026-03-01T12:00:00+09:00"},  # before R-ACT-5's 2026-04
        {"unknown": 1},
    ],
)
def test_bad_activities_are_refused_and_nothing_is_written(admin_api, change):
    response = admin_api("POST", "/activities", body=activity_body(**change), claims=staff_claims(HIDA))
    assert response.status == 422 and response.headers["Content-Type"] == "application/problem+json"
    assert admin_api("GET", "/activities", claims=staff_claims(HIDA)).body["activities"] == []


def test_multi_day_activity_is_allowed_when_flagged(admin_api):
    body = activity_body(ends_at=(START + timedelta(days=2)).isoformat(), multi_day=True)
    assert admin_api("POST", "/activities", body=body, claims=staff_claims(HIDA)).status == 201


def test_roles_and_identity_are_checked(admin_api, hida_activity):
    viewer = staff_claims(HIDA, role="viewer")
    assert admin_api("GET", "/activities", claims=viewer).status == 200
    refused = admin_api("POST", "/activities", body=activity_body(), claims=viewer)
    assert refused.status == 403 and refused.problem_type == "forbidden"
    no_org = {"sub": "x", "cognito:groups": "[editor]"}
    assert admin_api("GET", "/activities", claims=no_org).status == 403
    assert admin_api("GET", "/activities").status == 401
    me = admin_api("GET", "/staff/me", claims=staff_claims(HIDA))
    assert me.body["organisation"]["name"] == "飛騨市" and me.body["roles"] == ["editor"]


# --- R-PRIV-2: another organisation's staff see nothing ----------------------------------------------------------


def test_staff_of_another_organisation_never_see_or_change_an_activity(admin_api, hida_activity):
    other = staff_claims(KESENNUMA)
    aid = hida_activity["id"]
    calls = [
        ("GET", f"/activities/{aid}", None, ""),
        ("PATCH", f"/activities/{aid}", {"capacity": 1}, ""),
        ("POST", f"/activities/{aid}/cancel", None, ""),
        ("GET", f"/activities/{aid}/checkin-code", None, "kind=printed"),
        ("GET", f"/activities/{aid}/records", None, ""),
        ("POST", f"/activities/{aid}/records", {"user_id": "u1", "day": "2026-12-05"}, ""),
    ]
    for method, path, body, query in calls:
        response = admin_api(method, path, body=body, query=query, claims=other)
        assert response.status == 404, (method, path, response.body)
        assert response.problem_type == "activity-not-found" and "雪下ろし" not in str(response.body)
    assert admin_api("GET", "/activities", claims=other).body["activities"] == []
    # A prefecture sees its own activities only, not its municipalities' (it reads their records instead).
    assert admin_api("GET", f"/activities/{aid}", claims=staff_claims(GIFU)).status == 404
    assert admin_api("GET", f"/activities/{aid}", claims=staff_claims(HIDA)).body["status"] == "active"


# --- check-in --------------------------------------------------------------------------------------------------


def test_r_act_2_check_in_counts_for_the_municipality_and_its_prefecture(admin_api, checkin_api, register_api, hida_activity):
    user = registered(register_api, "citizen-1")
    url = code_url(admin_api, hida_activity["id"])
    clock.freeze(DURING)
    first = checkin_api("POST", "/checkins", user=user, body={"code": url})
    assert first.status == 201, first.body
    assert first.body["created"] is True and first.body["counted_for"] == [HIDA, GIFU]
    assert first.body["record"]["source"] == "qr_printed" and first.body["record"]["day"] == "2026-12-05"
    second = checkin_api("POST", "/checkins", user=user, body={"code": url})
    assert second.status == 200 and second.body["created"] is False
    assert second.body["record"]["recorded_at"] == first.body["record"]["recorded_at"]
    for code in (HIDA, GIFU):
        mine = checkin_api("GET", f"/me/records/{code}", user=user)
        assert mine.status == 200 and mine.body["count_last_12_months"] == 1
        assert mine.body["records"][0]["activity_name"] == "雪下ろしボランティア"
    staff_view = admin_api("GET", f"/activities/{hida_activity['id']}/records", claims=staff_claims(HIDA))
    assert [r["user_id"] for r in staff_view.body["records"]] == [user]


def test_prefecture_designated_activity_counts_for_the_venue_too_r_act_4(admin_api, checkin_api, register_api):
    clock.freeze(START - timedelta(days=1))
    created = admin_api("POST", "/activities", body=activity_body(venue_code=HIDA), claims=staff_claims(GIFU))
    user = registered(register_api, "citizen-2", GIFU)
    url = code_url(admin_api, created.body["id"], code=GIFU)
    clock.freeze(DURING)
    result = checkin_api("POST", "/checkins", user=user, body={"code": url})
    assert result.status == 201 and result.body["counted_for"] == [HIDA, GIFU]
    assert checkin_api("GET", f"/me/records/{HIDA}", user=user).body["count_last_12_months"] == 1


def test_tampered_forged_and_foreign_codes_are_refused_and_write_nothing(admin_api, checkin_api, register_api, hida_activity):
    user = registered(register_api, "citizen-3")
    url = code_url(admin_api, hida_activity["id"])
    clock.freeze(DURING)
    token = url.rsplit("/", 1)[1]
    version, kid, payload, signature = token.split(".")
    altered_payload = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB")
    for bad in (f"{version}.{kid}.{altered_payload}.{signature}", token[:-3] + "abc", "https://evil.example/c/x", "hello"):
        response = checkin_api("POST", "/checkins", user=user, body={"code": bad})
        assert response.status == 422 and response.problem_type == "invalid-checkin-code", bad
    assert checkin_api("GET", f"/me/records/{HIDA}", user=user).body["count_last_12_months"] == 0


def test_expired_and_not_yet_valid_printed_codes(admin_api, checkin_api, register_api, hida_activity):
    user = registered(register_api, "citizen-4")
    url = code_url(admin_api, hida_activity["id"])
    clock.freeze(START - timedelta(hours=2))
    early = checkin_api("POST", "/checkins", user=user, body={"code": url})
    assert early.status == 422 and early.problem_type == "checkin-code-not-yet-valid"
    clock.freeze(START + timedelta(hours=5))
    late = checkin_api("POST", "/checkins", user=user, body={"code": url})
    assert late.status == 422 and late.problem_type == "checkin-code-expired"
    assert checkin_api("GET", f"/me/records/{HIDA}", user=user).body["records"] == []


def test_cancelled_activity_refuses_even_a_valid_printed_code(admin_api, checkin_api, register_api, hida_activity):
    user = registered(register_api, "citizen-5")
    url = code_url(admin_api, hida_activity["id"])
    admin_api("POST", f"/activities/{hida_activity['id']}/cancel", claims=staff_claims(HIDA))
    clock.freeze(DURING)
    response = checkin_api("POST", "/checkins", user=user, body={"code": url})
    assert response.status == 409 and response.problem_type == "activity-cancelled"


def test_rescheduled_activity_refuses_codes_outside_its_new_time(admin_api, checkin_api, register_api, hida_activity):
    user = registered(register_api, "citizen-6")
    url = code_url(admin_api, hida_activity["id"])
    later = {"starts_at": (START + timedelta(days=1)).isoformat(), "ends_at": (START + timedelta(days=1, hours=3)).isoformat()}
    assert admin_api("PATCH", f"/activities/{hida_activity['id']}", body=later, claims=staff_claims(HIDA)).status == 200
    clock.freeze(DURING)
    response = checkin_api("POST", "/checkins", user=user, body={"code": url})
    assert response.status == 409 and response.problem_type == "checkin-code-superseded"


def test_decision_unregistered_people_are_told_to_register_first(admin_api, checkin_api, hida_activity):
    url = code_url(admin_api, hida_activity["id"])
    clock.freeze(DURING)
    response = checkin_api("POST", "/checkins", user="stranger", body={"code": url})
    assert response.status == 409 and response.problem_type == "not-registered"
    assert response.body["organisation_code"] == HIDA


def test_rotating_code_only_while_running_and_recorded_as_rotating(admin_api, checkin_api, register_api, hida_activity):
    user = registered(register_api, "citizen-7")
    early = admin_api("GET", f"/activities/{hida_activity['id']}/checkin-code", query="kind=rotating", claims=staff_claims(HIDA))
    assert early.status == 409 and early.problem_type == "activity-not-running"
    clock.freeze(DURING)
    url = code_url(admin_api, hida_activity["id"], kind="rotating")
    result = checkin_api("POST", "/checkins", user=user, body={"code": url})
    assert result.status == 201 and result.body["record"]["source"] == "qr_rotating"
    clock.freeze(DURING + timedelta(minutes=3))
    stale = checkin_api("POST", "/checkins", user="citizen-7", body={"code": url})
    assert stale.status == 422 and stale.problem_type == "checkin-code-expired"


def test_codes_signed_before_a_key_rotation_still_work(admin_api, checkin_api, register_api, hida_activity):
    user = registered(register_api, "citizen-8")
    url = code_url(admin_api, hida_activity["id"])
    rotate_signing_keys(aws.client("secretsmanager"), os.environ["CHECKIN_KEYS_SECRET"], os.environ["CHECKIN_VERIFY_KEYS_SECRET"])
    new_url = code_url(admin_api, hida_activity["id"])
    assert new_url.rsplit("/", 1)[1].split(".")[1] != url.rsplit("/", 1)[1].split(".")[1]  # another key id
    clock.freeze(DURING)
    assert checkin_api("POST", "/checkins", user=user, body={"code": url}).status == 201


def test_qr_code_formats(admin_api, hida_activity):
    aid, staff = hida_activity["id"], staff_claims(HIDA)
    png = admin_api("GET", f"/activities/{aid}/checkin-code", query="format=png", claims=staff)
    assert png.status == 200 and png.headers["Content-Type"] == "image/png" and png.body[:8] == b"\x89PNG\r\n\x1a\n"
    svg = admin_api("GET", f"/activities/{aid}/checkin-code", query="format=svg", claims=staff)
    assert "<svg" in svg.body
    page = admin_api("GET", f"/activities/{aid}/checkin-code", query="format=html", claims=staff)
    assert "雪下ろしボランティア" in page.body and "<svg" in page.body


# --- staff entry -----------------------------------------------------------------------------------------------


def test_r_act_3_staff_enter_a_record_once(admin_api, checkin_api, register_api, hida_activity):
    user = registered(register_api, "citizen-9")
    clock.freeze(START + timedelta(days=1))
    entry = {"user_id": user, "day": "2026-12-05"}
    first = admin_api("POST", f"/activities/{hida_activity['id']}/records", body=entry, claims=staff_claims(HIDA))
    assert first.status == 201 and first.body["record"]["source"] == "staff_entry"
    again = admin_api("POST", f"/activities/{hida_activity['id']}/records", body=entry, claims=staff_claims(HIDA))
    assert again.status == 200 and again.body["created"] is False
    wrong_day = admin_api("POST", f"/activities/{hida_activity['id']}/records", body={**entry, "day": "2026-12-09"}, claims=staff_claims(HIDA))
    assert wrong_day.status == 422
    stranger = admin_api("POST", f"/activities/{hida_activity['id']}/records", body={**entry, "user_id": "nobody"}, claims=staff_claims(HIDA))
    assert stranger.status == 409 and stranger.problem_type == "not-registered"
    assert checkin_api("GET", f"/me/records/{GIFU}", user=user).body["count_last_12_months"] == 1


def test_a_scan_is_one_transaction_and_still_records_the_days_access_r_bas_5(admin_api, checkin_api, register_api, repo, moto, hida_activity):
    user, other = registered(register_api, "citizen-10"), registered(register_api, "citizen-11")
    url = code_url(admin_api, hida_activity["id"])
    clock.freeze(DURING)
    calls: list[str] = []
    moto.meta.events.register("before-call.dynamodb", lambda model, **_: calls.append(model.name))
    assert checkin_api("POST", "/checkins", user=user, body={"code": url}).status == 201
    assert calls == ["TransactWriteItems", "BatchGetItem"]  # the activity's name, once per container (cached)
    assert repo.get_account(user)["last_access"] == DURING.date().isoformat()
    calls.clear()
    assert checkin_api("POST", "/checkins", user=other, body={"code": url}).body["record"]["activity_name"]
    assert calls == ["TransactWriteItems"]


# --- a printed code cannot be farmed (R-ACT-2, issue 7 part 3) ---------------------------------------------------


def _activity(admin_api, **extra) -> dict:
    clock.freeze(START - timedelta(days=7))
    created = admin_api("POST", "/activities", body=activity_body(**extra), claims=staff_claims(HIDA))
    assert created.status == 201, created.body
    return created.body


def _printed(admin_api, activity_id: str, query: str = "") -> dict:
    response = admin_api("GET", f"/activities/{activity_id}/checkin-code", query=query, claims=staff_claims(HIDA))
    assert response.status == 200, response.body
    return response.body


def test_r_act_2_a_blanket_activitys_printed_code_works_on_its_day_only(admin_api, checkin_api, register_api):
    """One photo of a blanket activity's code used to record an attendance every day for its whole year."""
    blanket = _activity(admin_api, ends_at="2027-11-30T21:00:00+09:00", blanket=True)
    user = registered(register_api, "farmer-1")
    day_one = _printed(admin_api, blanket["id"], "day=2026-12-05")
    clock.freeze(DURING)
    first = checkin_api("POST", "/checkins", user=user, body={"code": day_one["url"]})
    assert first.status == 201 and first.body["record"]["day"] == "2026-12-05"
    for later in (timedelta(days=1), timedelta(days=300)):  # from home, the next day and months later
        clock.freeze(DURING + later)
        farmed = checkin_api("POST", "/checkins", user=user, body={"code": day_one["url"]})
        assert farmed.status == 422 and farmed.problem_type == "checkin-code-expired", farmed.body
    assert checkin_api("GET", f"/me/records/{HIDA}", user=user).body["count_last_12_months"] == 1
    assert day_one["day"] == "2026-12-05"
    assert (day_one["valid_from"], day_one["valid_until"]) == ("2026-12-05T09:30:00+09:00", "2026-12-06T00:00:00+09:00")


def test_r_act_2_a_multi_day_event_has_a_code_per_day_counted_for_that_day(admin_api, checkin_api, register_api):
    event = _activity(admin_api, ends_at=(START + timedelta(days=2, hours=6)).isoformat(), multi_day=True)
    user = registered(register_api, "farmer-2")
    clock.freeze(START + timedelta(days=1, hours=1))  # day 2, 11:00
    default = _printed(admin_api, event["id"])  # today's, by default
    assert default["day"] == "2026-12-06"
    assert (default["valid_from"], default["valid_until"]) == ("2026-12-06T00:00:00+09:00", "2026-12-07T00:00:00+09:00")
    day_one = _printed(admin_api, event["id"], "day=2026-12-05")
    last = _printed(admin_api, event["id"], "day=2026-12-07")
    assert last["valid_until"] == "2026-12-07T16:30:00+09:00"  # the last day closes at the end + 30 min
    assert checkin_api("POST", "/checkins", user=user, body={"code": day_one["url"]}).problem_type == "checkin-code-expired"
    assert checkin_api("POST", "/checkins", user=user, body={"code": last["url"]}).problem_type == "checkin-code-not-yet-valid"
    today = checkin_api("POST", "/checkins", user=user, body={"code": default["url"]})
    assert today.status == 201 and today.body["record"]["day"] == "2026-12-06"
    for bad in ("day=2026-12-04", "day=2026-12-08", "kind=rotating&day=2026-12-06", "day=12/06"):
        refused = admin_api("GET", f"/activities/{event['id']}/checkin-code", query=bad, claims=staff_claims(HIDA))
        assert refused.status == 422, (bad, refused.body)


def test_r_act_2_a_single_day_activitys_code_is_for_its_day(admin_api, hida_activity):
    assert _printed(admin_api, hida_activity["id"], "day=2026-12-05")["day"] == "2026-12-05"
    other = admin_api("GET", f"/activities/{hida_activity['id']}/checkin-code", query="day=2026-12-06", claims=staff_claims(HIDA))
    assert other.status == 422 and other.problem_type == "invalid-input"


def test_r_act_2_a_printable_sheet_has_one_page_per_day_paged_by_from_day(admin_api):
    blanket = _activity(admin_api, ends_at=(START + timedelta(days=39, hours=2)).isoformat(), blanket=True)  # 40 days
    staff = staff_claims(HIDA)
    path = f"/activities/{blanket['id']}/checkin-code"
    first = admin_api("GET", path, query="format=html&day=2026-12-05", claims=staff)
    assert first.status == 200 and first.body.count("<svg") == 31
    assert "2026年12月5日(土)の受付用" in first.body and "2027年1月4日(月)の受付用" in first.body
    assert first.headers["Link"] == '<?kind=printed&format=html&day=2027-01-05&days=31>; rel="next"'
    second = admin_api("GET", path, query="format=html&day=2027-01-05", claims=staff)
    assert second.body.count("<svg") == 9 and "Link" not in second.headers
    week = admin_api("GET", path, query="format=html&day=2026-12-10&days=7", claims=staff)
    assert week.body.count("<svg") == 7 and "day=2026-12-17&days=7" in week.headers["Link"]
    for bad in ("format=html&days=32", "format=html&days=0", "format=html&day=2027-02-01"):
        assert admin_api("GET", path, query=bad, claims=staff).status == 422, bad


def test_r_act_2_a_five_minute_reschedule_or_a_new_place_stops_earlier_codes(admin_api, checkin_api, register_api, hida_activity):
    """docs/decisions.md: a code printed before a reschedule stops working; a 5-minute move used to leave it valid."""
    aid, staff = hida_activity["id"], staff_claims(HIDA)
    user = registered(register_api, "farmer-3")
    before = code_url(admin_api, aid)
    # A new description does not touch the schedule: codes stay valid.
    described = admin_api("PATCH", f"/activities/{aid}", body={"description": "軍手持参"}, claims=staff)
    kept = code_url(admin_api, aid)
    moved = admin_api("PATCH", f"/activities/{aid}", body={"starts_at": (START + timedelta(minutes=5)).isoformat()}, claims=staff)
    after_move = code_url(admin_api, aid)
    elsewhere = admin_api("PATCH", f"/activities/{aid}", body={"place": "飛騨市古川町 第二会場"}, claims=staff)
    clock.freeze(DURING)
    for stale in (before, kept, after_move):
        refused = checkin_api("POST", "/checkins", user=user, body={"code": stale})
        assert refused.status == 409 and refused.problem_type == "checkin-code-superseded", refused.body
    assert checkin_api("GET", f"/me/records/{HIDA}", user=user).body["records"] == []
    current = checkin_api("POST", "/checkins", user=user, body={"code": code_url(admin_api, aid)})
    assert current.status == 201
    assert [r.body["schedule_revision"] for r in (described, moved, elsewhere)] == [1, 2, 3]


def _forged(kid: str) -> str:
    payload = ct._b64(f"a0123456789abcdef|{HIDA}|{HIDA}|p|1796000000|1896000000|1796000000|20261205|1".encode())
    return ct.checkin_url(f"{ct.VERSION}.{kid}.{payload}.{'A' * 86}")


def test_forged_key_ids_do_not_cost_a_secrets_manager_read_each(admin_api, checkin_api, register_api, hida_activity, monkeypatch):
    """50 forged scans with unknown key ids made 51 GetSecretValue calls: now the key set is re-read at most once a
    minute per container, whatever the key ids."""
    monkeypatch.setenv("SECRET_CACHE_SECONDS", "300")  # as deployed: the key set is cached
    settings.cache_clear()
    try:
        user = registered(register_api, "forger-1")
        clock.freeze(DURING)
        reads: list[str] = []
        aws.client("secretsmanager").meta.events.register("before-call.secrets-manager", lambda model, **_: reads.append(model.name))
        for n in range(50):
            forged = checkin_api("POST", "/checkins", user=user, body={"code": _forged(f"k{n:03d}")})
            assert forged.status == 422 and forged.problem_type == "invalid-checkin-code"
        assert reads == ["GetSecretValue"]
        genuine = checkin_api("POST", "/checkins", user=user, body={"code": code_url(admin_api, hida_activity["id"])})
        assert genuine.status == 201 and reads.count("GetSecretValue") == 2  # the admin function's own read
    finally:
        settings.cache_clear()


def test_the_key_store_refreshes_for_unknown_key_ids_at_most_once_a_minute(moto):
    """A genuine rotation still reaches the container: one read a minute at most, not one per unknown key id."""
    signing, verifying, now = os.environ["CHECKIN_KEYS_SECRET"], os.environ["CHECKIN_VERIFY_KEYS_SECRET"], [1000.0]
    reads: list[str] = []
    aws.client("secretsmanager").meta.events.register("before-call.secrets-manager", lambda model, **_: reads.append(model.name))
    store = VerificationKeyStore(verifying, max_age_seconds=300, min_refresh_seconds=60, monotonic=lambda: now[0])
    before = store()
    rotated = rotate_signing_keys(aws.client("secretsmanager"), signing, verifying)
    reads.clear()
    for _ in range(50):
        assert store(refresh=True) is before  # within the minute: the cached set, no read
    assert reads == []
    now[0] += 60
    assert rotated.current in store(refresh=True).keys and reads == ["GetSecretValue"]
    assert rotated.current in store(refresh=True).keys and reads == ["GetSecretValue"]
    now[0] += 300
    store()
    assert reads == ["GetSecretValue"] * 2  # the cache period still applies


def test_the_checkin_function_reads_only_the_public_keys(admin_api, checkin_api, register_api, hida_activity):
    """docs/decisions.md: the internet-facing checkin function verifies with public keys only; the admin function
    alone reads the private signing keys (the stack grants likewise: tests/infra/test_stack.py)."""
    user = registered(register_api, "citizen-keys")
    read: list[tuple[str, str]] = []
    client = aws.client("secretsmanager")
    client.meta.events.register(
        "provide-client-params.secrets-manager.GetSecretValue",
        lambda params, **_: read.append((function[0], params["SecretId"])),
    )
    function = ["admin"]
    url = code_url(admin_api, hida_activity["id"])
    function[0] = "checkin"
    clock.freeze(DURING)
    assert checkin_api("POST", "/checkins", user=user, body={"code": url}).status == 201
    assert read == [("admin", os.environ["CHECKIN_KEYS_SECRET"]), ("checkin", os.environ["CHECKIN_VERIFY_KEYS_SECRET"])]
    public = client.get_secret_value(SecretId=os.environ["CHECKIN_VERIFY_KEYS_SECRET"])["SecretString"]
    private = ct.SigningKeys.from_secret_string(client.get_secret_value(SecretId=os.environ["CHECKIN_KEYS_SECRET"])["SecretString"])
    assert all(base64.b64encode(seed).decode() not in public for seed in private.keys.values())
    with pytest.raises(ValueError):
        ct.SigningKeys.from_secret_string(public)  # nothing in it can sign
