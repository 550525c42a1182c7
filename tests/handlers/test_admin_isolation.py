"""R-PRIV-2, R-ORG-3: staff see their own organisation's data only. Every admin route of the route table is walked
as staff of another organisation, with the ids of 飛騨市's activity, registrant and evidence: nothing is found,
nothing leaks. A prefecture reads the registrations it was co-registered through, and nothing else."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import requests

from shared import clock
from shared.routes import ROUTES
from tests.handlers.conftest import staff_claims

HIDA, GIFU, KESENNUMA, MIYAGI = "212172", "210005", "042056", "040002"
START = datetime(2026, 12, 5, 10, 0, tzinfo=clock.TOKYO)
SECRET_NAME = "飛騨 花子"  # personal data that must not cross organisations
ACTIVITY_NAME = "秘密の雪囲い作業"


# Well-formed bodies, so the organisation check (not input validation) is what answers.
VALID_BODIES = {
    ("PATCH", "/activities/{activity_id}"): {"capacity": 1},
    ("POST", "/activities/{activity_id}/records"): {"user_id": "hanako", "day": "2026-12-05"},
    ("PUT", "/activities/{activity_id}/applications/{user_id}/decision"): {"status": "accepted"},
    ("POST", "/evidence/{user_id}/{evidence_id}/reject"): {"reason": "写真が不鮮明です"},
    ("POST", "/premium-applications/{user_id}/{application_id}/decision"): {"decision": "approve"},
}


def hida_world(register_api, admin_api, checkin_api) -> dict[str, str]:
    clock.freeze(START - timedelta(days=1))
    body = {"name": ACTIVITY_NAME, "kind": "project", "place": "飛騨市", "recruiting": True,
            "starts_at": START.isoformat(), "ends_at": (START + timedelta(hours=2)).isoformat()}
    activity = admin_api("POST", "/activities", body=body, claims=staff_claims(HIDA)).body
    answers = {"relationship": ["birthplace"], "interests": ["local_news"]}
    personal = {"name": SECRET_NAME, "postal_code": "509-4292", "birth_date": "1990-01-01"}
    register_api("POST", "/registrations", user="hanako", body={"organisation_code": HIDA, "answers": answers, "personal": personal})
    register_api("POST", f"/organisations/{HIDA}/activities/{activity['id']}/applications", user="hanako", body={})
    clock.freeze(START + timedelta(days=1))
    admin_api("POST", f"/activities/{activity['id']}/records", body={"user_id": "hanako", "day": "2026-12-05"}, claims=staff_claims(HIDA))
    started = checkin_api(
        "POST", "/me/evidence", user="hanako",
        body={"organisation_code": HIDA, "activity_id": activity["id"], "day": "2026-12-05", "content_type": "image/png", "size_bytes": 8},
    ).body
    form = started["upload"]
    requests.post(form["url"], data=form["fields"], files={"file": ("x.png", b"\x89PNG\r\n\x1a\n")}, timeout=10)
    checkin_api("POST", f"/me/evidence/{HIDA}/{started['evidence']['id']}/submit", user="hanako")
    export = admin_api("POST", "/registrants/exports", body={}, claims=staff_claims(HIDA)).body  # queued: R-PRIV-2
    return {"activity_id": activity["id"], "user_id": "hanako", "evidence_id": started["evidence"]["id"],
            "application_id": premium_application(HIDA, "hanako"), "export_id": export["id"]}


def premium_application(code: str, user: str) -> str:
    """A premium application as the renewal function stores it (its execution is not needed to look it up)."""
    import os

    from shared.dal import aws
    from shared.dal.premium import PremiumRepository
    from shared.domain.premium_application import PremiumApplication, new_application_id

    application = PremiumApplication(id=new_application_id(), organisation_code=code, user_id=user, status="judging",
                                     applied_at=clock.now())
    PremiumRepository(aws.client("dynamodb"), os.environ["TABLE_NAME"]).create(application, None)
    return application.id


def test_every_admin_route_as_another_organisations_staff_finds_and_leaks_nothing(register_api, admin_api, checkin_api):
    ids = hida_world(register_api, admin_api, checkin_api)
    admin_routes = [r for r in ROUTES if r.api == "admin"]
    assert len(admin_routes) >= 15
    for outsider in (staff_claims(KESENNUMA), staff_claims(MIYAGI, "viewer")):  # 岐阜県 may read 飛騨市 (R-ORG-3)
        for route in admin_routes:
            path = re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], route.path)
            body = VALID_BODIES.get((route.method, route.path), {})
            response = admin_api(route.method, path, body=body, claims=outsider)
            text = str(response.body)
            assert SECRET_NAME not in text and ACTIVITY_NAME not in text, (route, text)
            if "{evidence_id}" not in route.path:  # a 404 may repeat the id the caller sent, nothing more
                assert ids["evidence_id"] not in text, (route, text)
            assert response.status < 500, (route, response.body)
            if "{" in route.path:
                assert response.status in (403, 404), (outsider["custom:lg_code"], route, response.status)
    # ... while 飛騨市's own staff see all of it
    hida = staff_claims(HIDA)
    assert admin_api("GET", f"/registrants/{ids['user_id']}", claims=hida).body["registration"]["personal"]["name"] == SECRET_NAME
    assert [e["id"] for e in admin_api("GET", "/evidence", claims=hida).body["evidence"]] == [ids["evidence_id"]]


def test_r_org_3_a_prefecture_reads_the_registration_it_was_co_registered_through(register_api, admin_api, checkin_api):
    ids = hida_world(register_api, admin_api, checkin_api)
    view = admin_api("GET", f"/registrants/{ids['user_id']}", claims=staff_claims(GIFU, "viewer"))
    assert view.status == 200
    assert view.body["registration"]["organisation_code"] == GIFU and view.body["registration"]["personal"] is None
    (through,) = view.body["co_registered_through"]
    assert through["organisation_code"] == HIDA and through["personal"]["name"] == SECRET_NAME
    records = admin_api("GET", f"/registrants/{ids['user_id']}/records", claims=staff_claims(GIFU, "viewer"))
    assert records.body["count_last_12_months"] == 1  # R-ACT-4: counted for 岐阜県 too


def test_staff_list_a_registrants_records(register_api, admin_api, checkin_api):
    ids = hida_world(register_api, admin_api, checkin_api)
    records = admin_api("GET", f"/registrants/{ids['user_id']}/records", claims=staff_claims(HIDA)).body
    assert records["count_last_12_months"] == 1 and records["records"][0]["activity_id"] == ids["activity_id"]
    assert admin_api("GET", "/registrants/nobody/records", claims=staff_claims(HIDA)).status == 404
