"""Issue 9 part 1 over HTTP on the local runtime: 海士町's staff sign in, read the premium settings, save them and read
them back (R-ADM-2, R-PRE-1, R-PRE-2, R-PRE-7); a viewer reads but may not save; a stale save is 409; another
organisation's staff see only their own (R-PRIV-2)."""

from __future__ import annotations

AMA, KESENNUMA = "325252", "042056"  # 海士町 (a remote island: the consecutive-days allowance, R-PRE-2)

SETTINGS = {
    "activities_needed": 3,
    "consecutive_days_count_each": True,
    "extra_conditions": ["島の行事に一度以上参加していること"],
    "auto_approve": False,
    "long_stay_marker": True,
    "long_stay_min_days": 10,
    "stay_evidence": "record_days",
    "approver_emails": ["furusato@town.ama.example.lg.jp"],
}


def test_r_adm_2_staff_sign_in_save_and_read_the_premium_settings(api):
    editor, viewer = api.staff_sign_in(AMA), api.staff_sign_in(AMA, "viewer")
    before = api.admin_call("GET", "/premium-settings", viewer)
    assert before.status_code == 200, before.text
    assert before.json()["organisation_code"] == AMA
    version = before.json()["version"]  # 0 on a fresh runtime; read, not assumed, as a client would

    refused = api.admin_call("PUT", "/premium-settings", viewer, json=SETTINGS | {"version": version})
    assert refused.status_code == 403 and refused.headers["Content-Type"] == "application/problem+json"

    saved = api.admin_call("PUT", "/premium-settings", editor, json=SETTINGS | {"version": version})
    assert saved.status_code == 200, saved.text
    assert saved.json()["version"] == version + 1
    read = api.admin_call("GET", "/premium-settings", viewer).json()
    assert {k: read[k] for k in SETTINGS} == SETTINGS and read["version"] == version + 1

    stale = api.admin_call("PUT", "/premium-settings", editor, json=SETTINGS | {"activities_needed": 5, "version": version})
    assert stale.status_code == 409 and stale.json()["type"].endswith("/concurrent-update"), stale.text
    invalid = api.admin_call("PUT", "/premium-settings", editor, json=SETTINGS | {"activities_needed": 2, "version": version + 1})
    assert invalid.status_code == 422, invalid.text

    other = api.admin_call("GET", "/premium-settings", api.staff_sign_in(KESENNUMA, "viewer")).json()
    assert other["organisation_code"] == KESENNUMA and "town.ama" not in str(other)
