"""admin function on moto: importing the pre-launch records template (R-ACT-5, R-ACT-4)."""

from __future__ import annotations

import os
from datetime import datetime

from shared import clock
from tests.handlers.conftest import staff_claims
from tests.unit.test_prelaunch import SAMPLE, SAMPLE_BYTES, as_csv, as_xlsx

HIDA, GIFU, KESENNUMA = "212172", "210005", "042056"
AFTER_THE_SAMPLE = datetime(2027, 4, 1, 9, 0, tzinfo=clock.TOKYO)


def unclaimed_items(moto) -> list[dict]:
    items = moto.scan(TableName=os.environ["TABLE_NAME"])["Items"]  # test inspection only
    return [i for i in items if i["type"]["S"] == "UnclaimedRecord"]


def upload(admin_api, data: bytes, code: str = HIDA, query: str = "", content_type: str = "text/csv"):
    return admin_api(
        "POST", "/prelaunch-imports", body=data, query=query, headers={"Content-Type": content_type}, claims=staff_claims(code)
    )


def test_r_act_5_the_sample_template_imports_and_a_second_import_adds_nothing(admin_api, moto):
    clock.freeze(AFTER_THE_SAMPLE)
    first = upload(admin_api, SAMPLE_BYTES)
    assert first.status == 200, first.body
    assert (first.body["accepted_count"], first.body["stored_count"], first.body["rejected_count"]) == (14, 14, 0)
    assert first.body["minor_count"] == 1
    assert len(unclaimed_items(moto)) == 14
    second = upload(admin_api, SAMPLE_BYTES)
    assert (second.body["stored_count"], second.body["already_imported_count"]) == (0, 14)
    assert len(unclaimed_items(moto)) == 14


def test_xlsx_upload_gives_the_same_rows(admin_api, moto):
    clock.freeze(AFTER_THE_SAMPLE)
    xlsx = as_xlsx(SAMPLE[3:])
    response = upload(admin_api, xlsx, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert response.status == 200, response.body
    assert response.body["stored_count"] == 14
    assert upload(admin_api, SAMPLE_BYTES).body["already_imported_count"] == 14


def test_bad_rows_are_reported_and_good_rows_kept(admin_api, moto):
    clock.freeze(AFTER_THE_SAMPLE)
    rows = [list(r) for r in SAMPLE[3:]]
    rows[0][9] = "1990/13/40"  # birth date
    rows[1][6] = ""  # name
    response = upload(admin_api, as_csv(SAMPLE[:3] + rows))
    assert response.body["accepted_count"] == 12 and response.body["rejected_count"] == 2
    reasons = {p["row_number"]: " ".join(p["reasons"]) for p in response.body["rejected"]}
    assert "生年月日" in reasons[4] and "氏名" in reasons[5]
    assert len(unclaimed_items(moto)) == 12


def test_a_prefecture_names_the_venue_municipality_r_act_4(admin_api, moto):
    clock.freeze(AFTER_THE_SAMPLE)
    missing = upload(admin_api, SAMPLE_BYTES, code=GIFU)
    assert missing.status == 422
    foreign = upload(admin_api, SAMPLE_BYTES, code=GIFU, query=f"venue_code={KESENNUMA}")
    assert foreign.status == 422 and foreign.problem_type == "invalid-activity-venue"
    ok = upload(admin_api, SAMPLE_BYTES, code=GIFU, query=f"venue_code={HIDA}")
    assert ok.status == 200 and ok.body["venue_code"] == HIDA and ok.body["stored_count"] == 14
    # Kept in the uploader's area: the prefecture's rows are its own, not 飛騨市's.
    assert {i["pk"]["S"].split("#UNCLAIMED#")[0] for i in unclaimed_items(moto)} == {f"ORG#{GIFU}"}


def test_not_a_template_and_viewers_are_refused(admin_api, moto):
    clock.freeze(AFTER_THE_SAMPLE)
    garbage = upload(admin_api, b"hello,world\n1,2\n")
    assert garbage.status == 422 and garbage.problem_type == "invalid-prelaunch-file"
    viewer = admin_api("POST", "/prelaunch-imports", body=SAMPLE_BYTES, headers={"Content-Type": "text/csv"}, claims=staff_claims(HIDA, "viewer"))
    assert viewer.status == 403
    assert unclaimed_items(moto) == []
