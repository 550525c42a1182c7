"""Issue 9's walk over HTTP on the local runtime (R-PRE-1..7, R-CARD-1): a verified citizen checks in to three 飛騨市
activities by QR code and applies; the deployed state machine, executed by moto, judges; an e-mail lands in the
outbox; staff approve; the card shows premium until the right day; a fourth premium organisation is refused with its
reason; a renewal extends from the old expiry date."""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta

from tests.qr_reader import decode

HIDA, KESENNUMA, AMA, MINAMISANRIKU = "212172", "042056", "325252", "046060"
ANSWERS = {"relationship": ["type3_community_work"], "interests": ["volunteer_recruitment"]}
KESENNUMA_ANSWERS = {**ANSWERS, "own_fan_club": "member"}
TOKYO_PERSON = {"preset": "tokyo-adult"}


def until(condition, what: str, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"{what}: not within {timeout}s")


def move_clock(api, when: datetime) -> None:
    assert api("POST", "/local/clock", json={"now": when.isoformat()}).status_code == 200


def card_tap(api, token: str, identity: dict) -> dict:
    started = api("POST", "/me/verification", token, json={"share_with_organisations": True})
    assert started.status_code == 201, started.text
    callback = api.http.post(started.json()["authorization_url"], data={"decision": "approve", **identity}, timeout=30)
    assert callback.status_code == 200, callback.text
    completed = api("POST", "/me/verification/complete", token, json=callback.json())
    assert completed.status_code == 200, completed.text
    return completed.json()


def check_in_three_times(api, staff: str, citizen: str, code: str, first_day: datetime) -> None:
    """Three activities on three days, each scanned from its printed QR code while it runs."""
    for n in range(3):
        start = first_day + timedelta(days=7 * n)
        move_clock(api, start - timedelta(days=2))
        activity = {"name": f"棚田の草刈り {n + 1}", "kind": "project", "place": "公民館", "starts_at": start.isoformat(),
                    "ends_at": (start + timedelta(hours=3)).isoformat()}
        created = api.admin_call("POST", "/activities", staff, json=activity)
        assert created.status_code == 201, created.text
        png = api.admin_call("GET", f"/activities/{created.json()['id']}/checkin-code", staff, params={"format": "png"})
        move_clock(api, start + timedelta(minutes=30))
        scanned = api("POST", "/checkins", citizen, json={"code": decode(png.content)})
        assert scanned.status_code == 201, scanned.text


def premium_settings(api, staff: str, **fields) -> None:
    current = api.admin_call("GET", "/premium-settings", staff).json()
    body = {k: v for k, v in current.items() if k not in ("organisation_code", "updated_at", "updated_by")}
    body.update({"approver_emails": [f"approver-{uuid.uuid4().hex[:6]}@city.example.lg.jp"], **fields})
    saved = api.admin_call("PUT", "/premium-settings", staff, json=body)
    assert saved.status_code == 200, saved.text
    return body["approver_emails"][0]


def follow(api, citizen: str, code: str, application_id: str, *statuses: str) -> dict:
    def current():
        body = api("GET", f"/me/premium-applications/{code}/{application_id}", citizen).json()
        return body if body["status"] in statuses else None
    return until(current, f"application {application_id} to become {statuses}")
