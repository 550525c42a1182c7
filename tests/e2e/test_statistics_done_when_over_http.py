"""Issue 10's statistics over HTTP on the local runtime (R-STAT-1, R-STAT-2, R-BAS-6): a person registered with three
municipalities of 宮城県 counts once in the prefecture's area and nationally, a resident counts nowhere, and every
figure equals the operators' full recount (`python -m ops.recount`, run against the runtime's moto like an operator
against a table)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

MIYAGI, KESENNUMA, MINAMISANRIKU, ISHINOMAKI = "040002", "042056", "046060", "042021"
ANSWERS = {"relationship": ["birthplace"], "interests": ["local_news"]}
KESENNUMA_ANSWERS = {**ANSWERS, "own_fan_club": "member"}
ROOT = Path(__file__).resolve().parents[2]


def _area(api, staff: str) -> dict:
    sets = api.admin_call("GET", "/statistics", staff).json()["sets"]
    (area,) = [s for s in sets if s["scope"] == "area"]
    return area["figures"]


def _recount(api) -> subprocess.CompletedProcess:
    env = {**os.environ, "AWS_ENDPOINT_URL": api.moto, "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
           "AWS_DEFAULT_REGION": "ap-northeast-1"}
    env.pop("AWS_SESSION_TOKEN", None)
    return subprocess.run([sys.executable, "-m", "ops.recount", "--table", "furusato-local"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def _until(condition, what: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, what
        time.sleep(0.3)


def test_issue_10_done_when_one_person_in_three_municipalities_counts_once_residents_never_and_the_recount_agrees(api):
    staff = api.staff_sign_in(MIYAGI, "viewer")
    _until(lambda: _recount(api).returncode == 0, "the counters agree with the recount before (stream drained)", 60)
    before = _area(api, staff)

    person = api.sign_in(f"three-{uuid.uuid4().hex[:8]}@example.jp")
    for code in (KESENNUMA, MINAMISANRIKU, ISHINOMAKI):
        answers = KESENNUMA_ANSWERS if code == KESENNUMA else ANSWERS
        created = api("POST", "/registrations", person, json={"organisation_code": code, "answers": answers})
        assert created.status_code == 201, created.text
    resident = api.sign_in(f"resident-{uuid.uuid4().hex[:8]}@example.jp")  # lives in 気仙沼市 (its postal code)
    created = api("POST", "/registrations", resident, json={
        "organisation_code": KESENNUMA, "answers": KESENNUMA_ANSWERS, "personal": {"postal_code": "988-0021"}})
    assert created.status_code == 201 and created.json()["registration"]["resident"] is True, created.text

    def after() -> dict | None:
        figures = _area(api, staff)
        return figures if figures.get("registrations", 0) >= before.get("registrations", 0) + 4 else None

    figures = _until(after, "the stream delivered the registrations")
    # 3 municipalities + the prefecture's co-registration (one, through three) = 4 registrations, 1 person; the
    # resident's registrations (気仙沼市 and its prefecture) count nowhere.
    assert figures["registrations"] - before.get("registrations", 0) == 4
    assert figures["people"] - before.get("people", 0) == 1
    recount = _until(lambda: (r := _recount(api)).returncode == 0 and r, "the recount agrees", 60)
    assert "0 difference(s)" in recount.stderr
    national = api("GET", "/statistics/national")
    assert national.status_code == 200 and national.json()["threshold"] == 10
