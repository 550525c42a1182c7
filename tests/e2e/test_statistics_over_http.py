"""関係人口 statistics on the local runtime (R-STAT-1/2): registrations over HTTP reach the counters through the
table's stream (the runtime polls it like the deployed event source mapping), the public national figures and the
staff's figures read them."""

from __future__ import annotations

import time
import uuid

HIDA = "212172"
ANSWERS = {"relationship": ["birthplace"], "interests": ["local_news"]}


def _registrations(api, staff: str) -> int:
    sets = api.admin_call("GET", "/statistics", staff).json()["sets"]
    return sets[0]["figures"].get("registrations", 0)


def test_a_registration_over_http_reaches_the_statistics_through_the_stream(api):
    staff = api.staff_sign_in(HIDA, "viewer")
    before = _registrations(api, staff)
    token = api.sign_in(f"{uuid.uuid4().hex[:12]}@example.jp")
    created = api("POST", "/registrations", token, json={"organisation_code": HIDA, "answers": ANSWERS})
    assert created.status_code == 201, created.text
    deadline = time.monotonic() + 20
    while _registrations(api, staff) != before + 1:
        assert time.monotonic() < deadline, "the stream did not deliver the registration"
        time.sleep(0.3)
    national = api("GET", "/statistics/national")
    assert national.status_code == 200 and national.json()["threshold"] == 10
    csv = api.admin_call("GET", "/statistics", staff, params={"format": "csv"})
    assert csv.status_code == 200 and csv.text.lstrip("\ufeff").startswith(f"figure,organisation:{HIDA}")
