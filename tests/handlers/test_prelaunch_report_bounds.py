"""The pre-launch import report stays far under Lambda's 6 MB response limit whatever the file (issue 6 part 4,
R-ACT-5): a 0.8 MB CSV of bad rows once yielded a 6.55 MB report. Now: every count, the first rows in full, every bad
row counted under the kinds of its problems, long cells cut."""

from __future__ import annotations

import json
from datetime import datetime

from shared import clock
from shared.domain import prelaunch
from shared.logic.prelaunch import REPORT_ROWS, REPORT_TEXT_CHARS
from tests.handlers.test_prelaunch_import import upload
from tests.unit.test_prelaunch import HEADER, as_csv, row

AFTER_THE_SAMPLE = datetime(2027, 4, 1, 9, 0, tzinfo=clock.TOKYO)
LAMBDA_RESPONSE_LIMIT = 6 * 1024 * 1024


def _size(response) -> int:
    return len(json.dumps(response.body, ensure_ascii=False).encode("utf-8"))


def test_a_file_of_bad_rows_gets_a_bounded_report_with_counts_per_reason(admin_api, moto):
    clock.freeze(AFTER_THE_SAMPLE)
    bad = [
        row(**{"生年月日": "1990/13/40", "郵便番号": f"12-{i}", "性別": "?", "活動開始日時": f"そのうち{i}"})
        for i in range(8_000)
    ]
    data = as_csv(HEADER + bad)
    assert 0.6e6 < len(data) < prelaunch.MAX_UPLOAD_BYTES
    response = upload(admin_api, data)
    assert response.status == 200, str(response.body)[:500]
    body = response.body
    assert body["rejected_count"] == 8_000 and body["total_rows"] == 8_000
    assert len(body["rejected"]) == REPORT_ROWS and body["rejected"][0]["row_number"] == 4
    assert _size(response) < 300 * 1024
    by_reason = {r["reason"]: r["rows"] for r in body["rejected_by_reason"]}
    assert by_reason["生年月日が日付として読めません"] == 8_000
    assert any(r.startswith("郵便番号") and n == 8_000 for r, n in by_reason.items())
    assert not any("そのうち" in r for r in by_reason)  # kinds, not the rows' values


def test_long_cells_are_cut_in_the_report(admin_api, moto):
    clock.freeze(AFTER_THE_SAMPLE)
    huge = [row(**{"氏名": "長" * 3_000, "住所(除郵便番号)": "所" * 3_000}) for _ in range(200)]
    data = as_csv(HEADER + huge)
    assert len(data) > 3_000_000  # 200 rows of 6,000 characters (3 bytes each)
    response = upload(admin_api, data)
    assert response.status == 200 and response.body["rejected_count"] == 200
    assert _size(response) < LAMBDA_RESPONSE_LIMIT // 10
    shown = response.body["rejected"][0]
    assert all(len(v or "") <= REPORT_TEXT_CHARS for v in shown["raw"].values())
    assert all(len(r) <= REPORT_TEXT_CHARS for r in shown["reasons"])
