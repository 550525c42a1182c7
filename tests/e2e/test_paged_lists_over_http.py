"""Paged lists over HTTP on the local runtime (issue 6 part 4, R-PRIV-2): a citizen's registrations on the app API
and staff's activities on the admin API walk to the end with `limit` and `next`; a token replayed by someone else or
tampered with is a 400 problem, never a 500 and never their data; `limit` has its documented maximum."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime, timedelta

KESENNUMA, AMA, HIDA = "042056", "325252", "212172"
ANSWERS = {"relationship": ["birthplace"], "interests": ["local_news"]}


def _walk(call, path: str, field: str, limit: int) -> list[dict]:
    items, token = [], None
    for _ in range(50):
        params = {"limit": limit, **({"next": token} if token else {})}
        response = call("GET", path, params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page[field]) <= limit
        items += page[field]
        token = page["next"]
        if token is None:
            return items
    raise AssertionError("the list never ended")


def _problem(response, status: int, slug: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert response.json()["type"].endswith("/" + slug)


def test_a_citizens_registrations_page_over_http_and_a_token_opens_nobody_elses(api):
    alice = api.sign_in(f"{uuid.uuid4().hex[:12]}@example.jp")
    for code, answers in ((KESENNUMA, {**ANSWERS, "own_fan_club": "member"}), (AMA, ANSWERS)):
        # each co-registers its prefecture: four registrations
        registered = api("POST", "/registrations", alice, json={"organisation_code": code, "answers": answers})
        assert registered.status_code == 201, registered.text
    mine = _walk(lambda m, p, **kw: api(m, p, alice, **kw), "/me/registrations", "registrations", 3)
    assert len(mine) == 4 and len({r["organisation"]["code"] for r in mine}) == 4

    token = api("GET", "/me/registrations", alice, params={"limit": 1}).json()["next"]
    bob = api.sign_in(f"{uuid.uuid4().hex[:12]}@example.jp")
    _problem(api("GET", "/me/registrations", bob, params={"next": token}), 400, "invalid-page-token")
    key = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    key["user_pk"] = "USER#someone-else"
    forged = base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")
    _problem(api("GET", "/me/registrations", alice, params={"next": forged}), 400, "invalid-page-token")
    _problem(api("GET", "/me/registrations", alice, params={"limit": 101}), 422, "invalid-input")


def test_staff_activities_page_over_http_and_another_organisation_cannot_replay_the_token(api):
    staff = api.staff_sign_in(HIDA)
    now = datetime.fromisoformat(api("POST", "/local/clock", json={"reset": True}).json()["now"])
    created = set()
    for i in range(3):
        body = {
            "name": f"ページ送り確認 {i}", "kind": "project", "place": "飛騨市古川町",
            "starts_at": (now + timedelta(days=30 + i)).isoformat(),
            "ends_at": (now + timedelta(days=30 + i, hours=2)).isoformat(),
        }
        response = api.admin_call("POST", "/activities", staff, json=body)
        assert response.status_code == 201, response.text
        created.add(response.json()["id"])
    listed = _walk(lambda m, p, **kw: api.admin_call(m, p, staff, **kw), "/activities", "activities", 2)
    ids = [a["id"] for a in listed]
    assert created <= set(ids) and len(ids) == len(set(ids))
    assert {a["organisation_code"] for a in listed} == {HIDA}

    token = api.admin_call("GET", "/activities", staff, params={"limit": 1}).json()["next"]
    other = api.staff_sign_in(KESENNUMA)
    _problem(api.admin_call("GET", "/activities", other, params={"next": token}), 400, "invalid-page-token")
