"""Bad input is never a 500 and writes nothing (R-BAS-2 and the house rule): every route of the route table that takes a
body, as the resolvers document it (a JSON request body, or a file for the pre-launch import), is sent bodies a
careless or hostile client sends: another content type, bytes that are not UTF-8, JSON that is not an object, no
body, a body over the cap. Each answer is a 4xx problem with a Japanese title, and the table is unchanged.

The routes are read from `shared.routes.ROUTES` and each function's resolver, so a new route joins on its own."""

from __future__ import annotations

import json
import os
import re

import pytest

from local import openapi
from shared.api.resolver import MAX_JSON_BODY_BYTES
from shared.domain.prelaunch import MAX_UPLOAD_BYTES
from shared.routes import ROUTES, Route
from tests.handlers.conftest import staff_claims
from tests.handlers.test_admin_isolation import HIDA, hida_world

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
JSON_TYPE = "application/json"
FORM_TYPE = "application/x-www-form-urlencoded"


def body_routes() -> list[tuple[Route, tuple[str, ...]]]:
    """(route, the media types its documented request body takes) for every route that takes a body."""
    documents = {api: openapi.build(api) for api in {r.api for r in ROUTES}}
    found = []
    for route in ROUTES:
        operation = documents[route.api]["paths"][route.path][route.method.lower()]
        if "requestBody" in operation:
            found.append((route, tuple(operation["requestBody"]["content"])))
    return found


BODY_ROUTES = body_routes()


def test_the_walk_covers_every_json_write_route_and_the_file_upload():
    """Guards the derivation: the JSON write operations of both APIs and the import are all found."""
    json_routes = {(r.method, r.path) for r, types in BODY_ROUTES if types == (JSON_TYPE,)}
    assert {("POST", "/registrations"), ("POST", "/checkins"), ("POST", "/me/evidence"), ("POST", "/activities"),
            ("PATCH", "/activities/{activity_id}")} <= json_routes
    assert len(json_routes) >= 9  # with the import: the ten write operations issue 6 counted
    (file_route,) = [(r, types) for r, types in BODY_ROUTES if types not in ((JSON_TYPE,), (FORM_TYPE,))]
    assert file_route[0].path == "/prelaunch-imports" and "text/csv" in file_route[1]
    forms = {(r.method, r.path) for r, types in BODY_ROUTES if types == (FORM_TYPE,)}
    assert forms == {("POST", "/approval/sign-in"), ("POST", "/approval/decision")}  # the approval page (R-PRE-5)


def table_contents(moto) -> list[str]:
    items = moto.scan(TableName=os.environ["TABLE_NAME"])["Items"]  # test inspection only
    return sorted(json.dumps(i, sort_keys=True) for i in items)


OVERSIZED_JSON = json.dumps({"name": "あ" * MAX_JSON_BODY_BYTES}, ensure_ascii=False).encode()

# (case, Content-Type, body, expected status). Bodies are bytes: they reach the handler base64-encoded, as API Gateway
# sends a binary media type and the local gateway a body that is not UTF-8.
JSON_CASES = [
    ("text/plain", "text/plain", b'{"code": "x"}', 415),
    ("xml", "application/xml", b"<registration><organisation_code>212172</organisation_code></registration>", 415),
    ("form", "application/x-www-form-urlencoded", b"organisation_code=212172&co_register_prefecture=no", 415),
    ("multipart", "multipart/form-data; boundary=x", b'--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--\r\n', 415),
    ("no content type", None, b'{"code": "x"}', 415),
    ("latin-1 charset", "application/json; charset=iso-8859-1", b'{"code": "x"}', 415),
    ("invalid UTF-8", JSON_TYPE, b'{"name": "\xff\xfe\xfa"}', 422),
    ("Shift_JIS", JSON_TYPE, '{"name": "気仙沼"}'.encode("cp932"), 422),
    ("array", JSON_TYPE, b"[]", 422),
    ("array of an object", JSON_TYPE, b'[{"code": "x"}]', 422),
    ("string", JSON_TYPE, b'"x"', 422),
    ("number", JSON_TYPE, b"1", 422),
    ("null", JSON_TYPE, b"null", 422),
    ("empty", JSON_TYPE, b"", 422),
    ("not JSON", JSON_TYPE, b"{", 422),
    ("NaN", JSON_TYPE, b'{"capacity": NaN}', 422),
    ("duplicate members", JSON_TYPE, b'{"status": "accepted", "status": "declined"}', 422),
    ("over the cap", JSON_TYPE, OVERSIZED_JSON, 413),
]

FILE_CASES = [
    ("JSON", JSON_TYPE, b'{"rows": []}', 415),
    ("text/plain", "text/plain", b"a,b\n1,2\n", 415),
    ("no content type", None, b"a,b\n1,2\n", 415),
    ("xls (OLE2)", "text/csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64, 422),
    ("neither UTF-8 nor Shift_JIS", "text/csv", b"\xff\xfe\xfa\x80\x81" * 10, 422),
    ("not a workbook", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b"PK\x03\x04broken", 422),
    ("JSON array as CSV", "text/csv", b"[]", 422),
    ("empty", "text/csv", b"", 422),
    ("over the cap", "text/csv", b"a" * (MAX_UPLOAD_BYTES + 1), 413),
]


# The approval page's forms (R-PRE-5): what no browser sends from them. (An empty or incomplete form is a page's
# concern: the form again, or the invalid-link page, as HTML.)
FORM_CASES = [
    ("JSON", JSON_TYPE, b'{"link": "x"}', 415),
    ("multipart", "multipart/form-data; boundary=x", b'--x\r\nContent-Disposition: form-data; name="link"\r\n\r\n1\r\n--x--\r\n', 415),
    ("no content type", None, b"link=x", 415),
    ("latin-1 charset", f"{FORM_TYPE}; charset=iso-8859-1", b"link=x", 415),
    ("invalid UTF-8", FORM_TYPE, b"link=\xff\xfe\xfa", 422),
    ("invalid percent-encoded UTF-8", FORM_TYPE, b"link=%ff%fe", 422),
    ("a repeated field", FORM_TYPE, b"link=a&link=b", 422),
    ("a field over its cap", FORM_TYPE, b"link=" + b"a" * 2001, 422),
    ("over the cap", FORM_TYPE, b"link=" + b"a" * MAX_JSON_BODY_BYTES, 413),
]


@pytest.mark.parametrize(("route", "media_types"), BODY_ROUTES, ids=[f"{r.method} {r.path}" for r, _ in BODY_ROUTES])
def test_every_body_route_answers_hostile_bodies_with_a_4xx_problem_and_writes_nothing(
    route, media_types, register_api, checkin_api, admin_api, verify_api, renewal_api, moto
):
    ids = {**hida_world(register_api, admin_api, checkin_api), "code": HIDA}
    caller = {"register": register_api, "checkin": checkin_api, "admin": admin_api, "verify": verify_api,
              "renewal": renewal_api}[route.function]
    claims = staff_claims(HIDA) if route.api == "admin" else {"sub": "hanako", "token_use": "id"}
    path = re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], route.path)
    cases = {(JSON_TYPE,): JSON_CASES, (FORM_TYPE,): FORM_CASES}.get(media_types, FILE_CASES)
    before = table_contents(moto)
    for case, content_type, body, status in cases:
        headers = {"Content-Type": content_type} if content_type else {}
        response = caller(route.method, path, body=body, headers=headers, claims=claims)
        where = f"{route.method} {route.path}, {case}"
        assert response.status == status, (where, response.status, response.body)
        assert response.headers["Content-Type"] == "application/problem+json", where
        assert response.body["status"] == status and JAPANESE.search(response.body["title"]), where
        if response.problem_type == "invalid-input":  # the body is what was wrong, not the path or the query
            assert all(e["location"][0] == "body" for e in response.body["errors"]), (where, response.body)
        assert table_contents(moto) == before, f"{where}: the table changed"


def test_a_good_body_still_works_with_a_charset_and_an_upper_case_media_type(register_api, moto):
    """The refusals above are not refusing everything: JSON with `charset=utf-8` is JSON."""
    body = {"organisation_code": HIDA, "answers": {"relationship": ["birthplace"], "interests": ["local_news"]}}
    response = register_api(
        "POST", "/registrations", user="kazuo", body=json.dumps(body).encode(),
        headers={"Content-Type": "Application/JSON; charset=UTF-8"},
    )
    assert response.status == 201, response.body


def test_refusals_say_what_the_route_reads_and_its_cap(register_api, admin_api):
    unsupported = register_api("POST", "/registrations", user="kazuo", body=b"<a/>", headers={"Content-Type": "application/xml"})
    assert unsupported.problem_type == "unsupported-media-type" and unsupported.body["accepted"] == [JSON_TYPE]
    large = register_api("POST", "/registrations", user="kazuo", body=OVERSIZED_JSON, headers={"Content-Type": JSON_TYPE})
    assert large.problem_type == "request-too-large" and large.body["limit_bytes"] == MAX_JSON_BODY_BYTES
    wrong_file = admin_api("POST", "/prelaunch-imports", body=b"{}", headers={"Content-Type": JSON_TYPE}, claims=staff_claims(HIDA))
    assert wrong_file.problem_type == "unsupported-media-type" and "text/csv" in wrong_file.body["accepted"]
