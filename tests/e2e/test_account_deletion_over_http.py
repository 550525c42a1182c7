"""Account deletion over HTTP on the local runtime (issue 7 part 4; app stores require in-app deletion): a citizen
signs in, registers with personal data, checks in, and deletes the account; the sign-in is gone (the same e-mail
signs up as a new account that sees nothing), the old ID token can write nothing, staff see no trace of the person."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime, timedelta

HIDA, GIFU = "212172", "210005"
ANSWERS = {"relationship": ["type3_community_work"], "interests": ["volunteer_recruitment"]}


def subject(token: str) -> str:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"]


def test_delete_me_erases_the_person_and_the_sign_in(api):
    staff = api.staff_sign_in(HIDA)
    now = datetime.fromisoformat(api("POST", "/local/clock", json={"reset": True}).json()["now"])
    activity = {"name": "朝市 会場設営", "kind": "project", "place": "飛騨市古川町",
                "starts_at": (now - timedelta(minutes=10)).isoformat(), "ends_at": (now + timedelta(hours=2)).isoformat()}
    activity_id = api.admin_call("POST", "/activities", staff, json=activity).json()["id"]
    code = api.admin_call("GET", f"/activities/{activity_id}/checkin-code", staff).json()["url"]

    email = f"{uuid.uuid4().hex[:10]}@example.jp"
    token = api.sign_in(email)
    personal = {"name": "飛騨 花子", "address": "岐阜県飛騨市古川町本町2-22", "birth_date": "1985-03-03"}
    registered = api("POST", "/registrations", token, json={"organisation_code": HIDA, "answers": ANSWERS, "personal": personal})
    assert registered.status_code == 201, registered.text
    assert api("POST", "/checkins", token, json={"code": code}).status_code == 201
    registrant = api.admin_call("GET", f"/registrants/{subject(token)}", staff)
    assert registrant.status_code == 200 and "飛騨 花子" in registrant.text

    unconfirmed = api("DELETE", "/me", token)
    assert unconfirmed.status_code == 428 and unconfirmed.headers["Content-Type"] == "application/problem+json"
    deleted = api("DELETE", "/me", token, headers={"Confirm-Account-Deletion": "DELETE"})
    assert deleted.status_code == 204, deleted.text
    assert api("DELETE", "/me", token, headers={"Confirm-Account-Deletion": "DELETE"}).status_code == 204  # again: done

    # The old ID token is still a valid JWT for up to an hour: it can write nothing.
    again = api("POST", "/registrations", token, json={"organisation_code": HIDA, "answers": ANSWERS, "personal": personal})
    assert again.status_code == 401 and again.json()["type"].endswith("/account-deleted")
    # Staff: the registrant is gone; the attendance stays, anonymous.
    assert api.admin_call("GET", f"/registrants/{subject(token)}", staff).status_code == 404
    (attendee,) = api.admin_call("GET", f"/activities/{activity_id}/records", staff).json()["records"]
    assert attendee["user_id"].startswith("anon-")
    # The sign-in is gone: the same e-mail and password make a new account, which owns nothing.
    fresh = api.sign_in(email)
    assert subject(fresh) != subject(token)
    assert api("GET", "/me/registrations", fresh).json()["registrations"] == []
    assert api("GET", f"/me/records/{HIDA}", fresh).json()["records"] == []
