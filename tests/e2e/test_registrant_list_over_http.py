"""The staff registrant list over HTTP on the local runtime (issue 10 item 4): R-PRIV-2 (a municipality sees its own
registrants only, personal data only where given to it), R-ORG-3 (the prefecture sees the co-registration, without
the municipality's personal data), filters, paging, and 4xx problems for bad filters and tokens."""

from __future__ import annotations

import uuid

KESENNUMA, AMA, SHIMANE = "042056", "325252", "320005"


def _walk(api, staff: str, params: dict | None = None) -> list[dict]:
    rows, token = [], None
    for _ in range(100):
        query = {**(params or {}), "limit": 3, **({"next": token} if token else {})}
        response = api.admin_call("GET", "/registrants", staff, params=query)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["registrants"]) <= 3
        rows += page["registrants"]
        token = page["next"]
        if token is None:
            return rows
    raise AssertionError("the list never ended")


def _named(rows: list[dict], name: str) -> list[dict]:
    return [r for r in rows if (r["personal"] or {}).get("name") == name]


def test_r_priv_2_r_org_3_registrant_lists_over_http(api):
    tag = uuid.uuid4().hex[:8]
    alice_name, bob_name = f"海士 {tag}", f"気仙 {tag}"
    alice = api.sign_in(f"alice-{tag}@example.jp")
    registered = api("POST", "/registrations", alice, json={
        "organisation_code": AMA, "answers": {"relationship": ["type2_regular_visits"], "interests": ["local_news"]},
        "personal": {"name": alice_name},
    })
    assert registered.status_code == 201, registered.text
    bob = api.sign_in(f"bob-{tag}@example.jp")
    registered = api("POST", "/registrations", bob, json={
        "organisation_code": KESENNUMA, "personal": {"name": bob_name},
        "answers": {"relationship": ["birthplace"], "interests": ["local_news"], "own_fan_club": "member"},
    })
    assert registered.status_code == 201, registered.text

    ama = api.staff_sign_in(AMA, "viewer")
    ama_rows = _walk(api, ama)
    assert len(_named(ama_rows, alice_name)) == 1 and not _named(ama_rows, bob_name)
    (alice_row,) = _named(ama_rows, alice_name)
    assert alice_row["level"] == "basic" and alice_row["relationships"] == ["type2_regular_visits"]
    assert alice_row["direct"] is True and alice_row["last_active_month"] is None

    kesennuma_rows = _walk(api, api.staff_sign_in(KESENNUMA, "viewer"))
    assert _named(kesennuma_rows, bob_name) and not _named(kesennuma_rows, alice_name)
    assert alice_row["user_id"] not in {r["user_id"] for r in kesennuma_rows}

    shimane_rows = _walk(api, api.staff_sign_in(SHIMANE, "viewer"))
    (co_registered,) = [r for r in shimane_rows if r["user_id"] == alice_row["user_id"]]
    assert co_registered["via"] == [AMA] and co_registered["direct"] is False and co_registered["personal"] is None

    filtered = _walk(api, ama, {"relationship": "type2_regular_visits", "level": "basic", "verified": "false"})
    assert alice_row["user_id"] in {r["user_id"] for r in filtered}
    assert alice_row["user_id"] not in {r["user_id"] for r in _walk(api, ama, {"relationship": "family_ties"})}


def test_bad_registrant_filters_and_tokens_are_problems_over_http(api):
    staff = api.staff_sign_in(AMA, "viewer")
    for params, status, slug in (
        ({"since_from": "2026-12-05", "since_to": "2026-12-01"}, 422, "invalid-input"),
        ({"level": "gold"}, 422, "invalid-input"),
        ({"next": "bm90LWEtdG9rZW4"}, 400, "invalid-page-token"),
    ):
        response = api.admin_call("GET", "/registrants", staff, params=params)
        assert response.status_code == status, (params, response.text)
        assert response.headers["Content-Type"].startswith("application/problem+json")
        assert response.json()["type"].endswith("/" + slug)
