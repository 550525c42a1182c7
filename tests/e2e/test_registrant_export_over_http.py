"""The staff registrant export over HTTP on the local runtime (issue 10 item 4; R-PRIV-2, R-ORG-3): POST queues it,
the runtime's queue poller runs the exports function in the background (as the deployed event source mapping would),
GET follows it to `done` and its presigned link downloads a UTF-8 CSV with a BOM from the local S3; another
organisation's staff get 404, and a bad filter is a 422 problem."""

from __future__ import annotations

import csv
import io
import time
import uuid

import requests

AMA, KESENNUMA = "325252", "042056"
BOM = "\ufeff".encode()


def test_r_priv_2_registrant_export_over_http(api):
    tag = uuid.uuid4().hex[:8]
    name = f"=海士 {tag}"
    person = api.sign_in(f"export-{tag}@example.jp")
    registered = api("POST", "/registrations", person, json={
        "organisation_code": AMA, "answers": {"relationship": ["type2_regular_visits"], "interests": ["local_news"]},
        "personal": {"name": name, "email": f"export-{tag}@example.jp"},
    })
    assert registered.status_code == 201, registered.text

    staff = api.staff_sign_in(AMA, "viewer")
    asked = api.admin_call("POST", "/registrants/exports", staff, json={}, headers={"Idempotency-Key": f"e2e-{tag}"})
    assert asked.status_code == 202, asked.text
    export = asked.json()
    assert export["status"] == "queued"
    again = api.admin_call("POST", "/registrants/exports", staff, json={}, headers={"Idempotency-Key": f"e2e-{tag}"})
    assert again.status_code == 200 and again.json()["id"] == export["id"]

    deadline = time.monotonic() + 60
    while True:
        followed = api.admin_call("GET", f"/registrants/exports/{export['id']}", staff)
        assert followed.status_code == 200, followed.text
        if followed.json()["status"] in ("done", "failed") or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    done = followed.json()
    assert done["status"] == "done", done
    data = requests.get(done["url"], timeout=30).content
    assert data.startswith(BOM) and b"\r\n" in data
    rows = list(csv.reader(io.StringIO(data[len(BOM):].decode("utf-8"), newline="")))
    assert rows[0][0] == "利用者ID"
    (mine,) = [r for r in rows[1:] if f"export-{tag}@example.jp" in r]
    assert f"'{name}" in mine  # neutralised: it would be a formula in Excel
    assert done["rows"] == len(rows) - 1

    listed = api.admin_call("GET", "/registrants/exports", staff)
    assert listed.status_code == 200 and export["id"] in [e["id"] for e in listed.json()["exports"]]
    other = api.admin_call("GET", f"/registrants/exports/{export['id']}", api.staff_sign_in(KESENNUMA, "editor"))
    assert other.status_code == 404 and other.headers["Content-Type"].startswith("application/problem+json")
    bad = api.admin_call("POST", "/registrants/exports", staff, json={"since_from": "2026-12-02", "since_to": "2026-12-01"})
    assert bad.status_code == 422 and bad.json()["type"].endswith("/invalid-input")
