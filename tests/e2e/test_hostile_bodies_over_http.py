"""Hostile bodies over HTTP on the local runtime (issue 6 part 1): what a client that sends text, XML, bytes that
are not UTF-8, a JSON array or an oversized body really gets through the local gateway: a 4xx problem with a Japanese
title, and nothing registered. The whole walk over every body route runs at handler level
(tests/handlers/test_hostile_bodies.py); this proves the gateway carries the bytes as API Gateway does."""

from __future__ import annotations

import re
import uuid

KESENNUMA, HIDA = "042056", "212172"
ANSWERS = {"relationship": ["birthplace"], "interests": ["local_news"], "own_fan_club": "member"}
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def assert_problem(response, status: int, slug: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["type"].endswith("/" + slug) and body["status"] == status and JAPANESE.search(body["title"])


def test_registration_refuses_hostile_bodies_and_registers_nothing(api):
    token = api.sign_in(f"{uuid.uuid4().hex[:12]}@example.jp")
    good = f'{{"organisation_code": "{KESENNUMA}", "answers": {{"relationship": ["birthplace"]}}}}'
    attempts = [
        ({"Content-Type": "text/plain"}, good.encode(), 415, "unsupported-media-type"),
        ({"Content-Type": "application/xml"}, b"<registration/>", 415, "unsupported-media-type"),
        ({"Content-Type": "application/x-www-form-urlencoded"}, b"organisation_code=042056", 415, "unsupported-media-type"),
        ({"Content-Type": "application/json"}, b'{"organisation_code": "\xff\xfe"}', 422, "invalid-input"),
        ({"Content-Type": "application/json"}, b"[]", 422, "invalid-input"),
        ({"Content-Type": "application/json"}, b'"042056"', 422, "invalid-input"),
        ({"Content-Type": "application/json"}, b"", 422, "invalid-input"),
        ({"Content-Type": "application/json"}, b'{"answers": {"a": "' + b"x" * 9000 + b'"}}', 413, "request-too-large"),
    ]
    for headers, data, status, slug in attempts:
        assert_problem(api("POST", "/registrations", token, data=data, headers=dict(headers)), status, slug)
    assert api("GET", "/me/registrations", token).json()["registrations"] == []


def test_checkin_and_admin_routes_refuse_them_too(api):
    token = api.sign_in(f"{uuid.uuid4().hex[:12]}@example.jp")
    assert_problem(api("POST", "/checkins", token, data=b"\xff\xfe", headers={"Content-Type": "application/json"}), 422, "invalid-input")
    assert_problem(api("POST", "/checkins", token, data=b"code=x", headers={"Content-Type": "text/plain"}), 415, "unsupported-media-type")
    staff = api.staff_sign_in(HIDA)
    before = api.admin_call("GET", "/activities", staff).json()["activities"]
    assert_problem(api.admin_call("POST", "/activities", staff, data=b"<activity/>", headers={"Content-Type": "application/xml"}), 415, "unsupported-media-type")
    assert_problem(api.admin_call("POST", "/activities", staff, data=b"[{}]", headers={"Content-Type": "application/json"}), 422, "invalid-input")
    assert_problem(api.admin_call("POST", "/prelaunch-imports", staff, data=b"{}", headers={"Content-Type": "application/json"}), 415, "unsupported-media-type")
    assert api.admin_call("GET", "/activities", staff).json()["activities"] == before
