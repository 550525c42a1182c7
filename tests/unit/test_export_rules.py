"""The registrant export's CSV (R-PRIV-2; issue 10 item 4): UTF-8 with a BOM and CRLF for Excel, a Japanese header,
personal data only where given, and no cell that a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime

import pytest

from shared import clock
from shared.domain.exports import BOM, EXPORT_ID_PATTERN, HEADER, csv_bytes, csv_row, neutralise, new_export_id
from shared.domain.models import PersonalInfo
from shared.domain.registrants import RegistrantSummary


def summary(user_id: str = "u1", personal: PersonalInfo | None = None, **extra) -> RegistrantSummary:
    fields = dict(
        user_id=user_id, level="basic", verified=False, resident=False, relationships=["birthplace"],
        registered_since=datetime(2026, 4, 1, 23, 30, tzinfo=clock.TOKYO), direct=True, personal=personal,
    )
    return RegistrantSummary(**(fields | extra))


def parse(data: bytes) -> list[list[str]]:
    assert data.startswith(BOM.encode("utf-8")), "Excel needs the BOM to read UTF-8"
    text = data[len(BOM.encode("utf-8")):].decode("utf-8")
    return list(csv.reader(io.StringIO(text, newline="")))


def test_r_priv_2_the_file_starts_with_the_bom_and_a_japanese_header_and_ends_lines_with_crlf():
    data = csv_bytes([summary("a"), summary("b")], first=True)
    assert data[:3] == b"\xef\xbb\xbf"
    rows = parse(data)
    assert rows[0] == list(HEADER) and rows[0][0] == "利用者ID"
    assert [r[0] for r in rows[1:]] == ["a", "b"]
    assert data.count(b"\r\n") == 3 and b"\n" not in data.replace(b"\r\n", b"")


def test_a_later_part_has_neither_bom_nor_header():
    data = csv_bytes([summary("c")], first=False)
    assert not data.startswith(BOM.encode("utf-8"))
    assert list(csv.reader(io.StringIO(data.decode("utf-8"), newline=""))) == [csv_row(summary("c"))]


def test_r_priv_2_personal_data_only_where_the_person_gave_it():
    given = summary("p", PersonalInfo(name="気仙 太郎", email="taro@example.jp", gender="female", birth_date=date(1990, 1, 2)))
    row = dict(zip(HEADER, csv_row(given)))
    assert row["氏名"] == "気仙 太郎" and row["メールアドレス"] == "taro@example.jp"
    assert row["性別"] == "女性" and row["生年月日"] == "1990-01-02"
    bare = dict(zip(HEADER, csv_row(summary("q"))))
    assert all(bare[c] == "" for c in ("氏名", "郵便番号", "住所", "生年月日", "性別", "メールアドレス"))


def test_columns_in_japanese_and_in_japans_time():
    row = dict(zip(HEADER, csv_row(summary(
        "r", level="premium", verified=True, resident=True, relationships=["birthplace", "type2_regular_visits"],
        registered_since=datetime(2026, 4, 1, 15, 0, tzinfo=clock.timezone.utc), last_active_month="2026-11",
    ))))
    assert row["登録日時"] == "2026-04-02 00:00:00"  # 15:00 UTC is the next day in Japan
    assert row["会員種別"] == "プレミアム" and row["本人確認"] == "済" and row["居住者"] == "はい"
    assert row["関わり"] == "出身地である・年に数回程度訪れ、観光・買い物や体験活動を楽しんでいる"
    assert row["最終活動月"] == "2026-11"


@pytest.mark.parametrize("cell", ["=HYPERLINK(\"http://x\")", "+1+1", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_formula_injection_is_neutralised(cell):
    assert neutralise(cell) == "'" + cell
    row = csv_row(summary(cell, PersonalInfo(name=cell.strip() or "x", address=cell.strip() or "x")))
    assert all(not c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in row)
    rows = parse(csv_bytes([summary("s", PersonalInfo(address="=1+2"))], first=True))
    assert rows[1][HEADER.index("住所")] == "'=1+2"


def test_plain_text_is_left_alone():
    assert neutralise("気仙沼市1-2") == "気仙沼市1-2" and neutralise("") == ""


def test_export_ids_sort_by_creation():
    first = new_export_id(datetime(2026, 12, 3, 9, 0, tzinfo=clock.TOKYO))
    later = new_export_id(datetime(2026, 12, 3, 9, 0, 1, tzinfo=clock.TOKYO))
    assert re.match(EXPORT_ID_PATTERN, first) and first < later
