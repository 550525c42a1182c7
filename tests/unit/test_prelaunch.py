"""Pre-launch activity records (R-ACT-5) from the recommended template, uploaded per venue (R-ACT-4).

The fixture is the template's header and its 14 sample rows exactly as in spec 003; the .xlsx variants are built
here from the same rows (no binary file in the repository)."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from shared.clock import TOKYO
from shared.domain import prelaunch
from shared.domain.errors import UnknownOrganisation
from shared.domain.errors import InvalidActivityVenue, InvalidPrelaunchFile
from shared.organisations import catalog

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "prelaunch_sample.csv"
SAMPLE_BYTES = FIXTURE.read_bytes()
SAMPLE = list(csv.reader(io.StringIO(SAMPLE_BYTES.decode("utf-8"), newline="")))
HEADER, DATA = SAMPLE[:3], SAMPLE[3:]
NAMES = HEADER[2]

HIDA, GIFU = catalog.get("212172"), catalog.get("210005")
KESENNUMA, MIYAGI = catalog.get("042056"), catalog.get("040002")
NOW = datetime(2027, 4, 1, 9, 0, tzinfo=TOKYO)  # after the last sample activity (2027-03-21)


def as_csv(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    return buf.getvalue().encode(encoding)


def _jp_datetime(text: str) -> datetime:
    y, mo, d, h, mi = map(int, re.match(r"(\d+)年(\d+)月(\d+)日 (\d+):(\d+)", text).groups())
    return datetime(y, mo, d, h, mi)


def as_xlsx(rows: list[list[str]], *, typed_dates: bool = False, header_rows: list[list[str]] = HEADER) -> bytes:
    """The template as Excel: strings as printed, or (typed_dates) real date/datetime cells for the three dates."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "活動実績"
    for row in header_rows:
        ws.append(row)
    if len(header_rows) == 3:
        ws.merge_cells("A1:F1")
        ws.merge_cells("G1:K1")
    start, end, birth = (NAMES.index(h) for h in ("活動開始日時", "活動終了日時", "生年月日"))
    for row in rows:
        cells: list[object] = [c if c != "" else None for c in row]
        if typed_dates:
            cells[start], cells[end] = _jp_datetime(row[start]), _jp_datetime(row[end])
            cells[birth] = datetime.strptime(row[birth], "%Y/%m/%d").date()
        ws.append(cells)
        if typed_dates:
            r = ws.max_row
            for col in (start, end):
                ws.cell(r, col + 1).number_format = "yyyy/m/d h:mm"
            ws.cell(r, birth + 1).number_format = "yyyy/m/d"
    wb.create_sheet("メモ").append(["ID", "活動名", "活動開始日時", "活動終了日時", "氏名"])  # not the first sheet
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def validate(data: bytes, name: str = "upload.csv", uploader=HIDA, venue=HIDA, now=NOW) -> prelaunch.ImportReport:
    return prelaunch.validate_rows(prelaunch.parse_upload(name, data), uploader, venue, now)


def content(report: prelaunch.ImportReport) -> list[dict]:
    """Records without the row number (which moves with the header's height)."""
    return [r.model_dump(exclude={"row_number"}) for r in report.accepted]


def row(**changes: str) -> list[str]:
    """A good sample row (高橋 亮介, EVT-001) with some cells changed, by header."""
    out = list(DATA[2])
    for header, value in changes.items():
        out[NAMES.index(header)] = value
    return out


# --- the sample (R-ACT-5) --------------------------------------------------------------------------------------


def test_r_act_5_fixture_has_the_templates_header_and_14_sample_rows():
    """tests/fixtures/prelaunch_sample.csv is a copy of the template's sample in spec 003 (the spec itself is not
    part of the repository): a 3-row header and the 14 rows."""
    assert SAMPLE[0][0] == "活動情報" and SAMPLE[0][6] == "参加者情報"
    assert SAMPLE[1] == ["任意", "必須", "必須", "必須", "必須", "任意", "必須", "必須", "必須", "必須", "必須"]
    assert SAMPLE[2][:3] == ["ID", "活動名", "活動開始日時"] and len(SAMPLE) == 3 + 14


def test_r_act_5_sample_template_imports_all_14_rows():
    report = validate(SAMPLE_BYTES)
    assert (report.total, report.accepted_count, report.rejected_count) == (14, 14, 0)
    assert [r.row_number for r in report.accepted] == list(range(4, 18))
    for record in report.accepted:
        assert record.starts_at.utcoffset().total_seconds() == 9 * 3600
        assert date(2026, 4, 1) <= record.starts_at.date() and record.ends_at.date() <= date(2027, 3, 31)
        assert record.starts_at < record.ends_at
        assert (record.uploader_code, record.venue_code) == ("212172", "212172")
    first = report.accepted[0]
    assert first.external_id == "EVT-001" and first.activity_name == "農業ボランティア" and first.place == "市中央ホールA"
    assert first.starts_at == datetime(2026, 4, 10, 10, 0, tzinfo=TOKYO)
    assert first.ends_at == datetime(2026, 4, 10, 12, 0, tzinfo=TOKYO)
    assert first.conditions is None
    p = first.participant
    assert (p.name, p.postal_code, p.address, p.birth_date, p.gender) == (
        "佐藤 健一", "124-7834", "東京都新宿区○●×□丁目◆◇番地", date(1974, 2, 18), "male"
    )
    assert p.email is None and p.phone is None
    snow = report.accepted[10]
    assert snow.starts_at == datetime(2027, 1, 2, 9, 30, tzinfo=TOKYO) and snow.conditions == "体力に自信のある方"
    assert Counter(r.participant.gender for r in report.accepted) == {"male": 7, "female": 7}
    assert len({r.activity_key for r in report.accepted}) == 5  # EVT-001 … EVT-005


def test_four_people_took_part_twice_under_one_identity_key():
    report = validate(SAMPLE_BYTES)
    per_person = Counter(r.participant.identity_key for r in report.accepted)
    assert len(per_person) == 10
    twice = {r.participant.name for r in report.accepted if per_person[r.participant.identity_key] == 2}
    assert twice == {"佐藤 健一", "中村 悠真", "小林 智子", "吉田 美優"}


def test_identity_key_ignores_spacing_and_width_of_the_name_and_the_place():
    """R-ACT-5, R-BAS-4: the claim key is name and birth date only; the postal code and address stay attributes."""
    spaced = validate(as_csv(HEADER + [row(氏名="高橋　亮介")])).accepted[0]
    joined = validate(as_csv(HEADER + [row(氏名="高橋亮介", 郵便番号="９０１４４２２")])).accepted[0]
    moved = validate(as_csv(HEADER + [row(氏名="ﾀｶﾊｼ", 郵便番号="506-0271", **{"住所(除郵便番号)": "岐阜県飛騨市"})])).accepted[0]
    assert spaced.participant.name == "高橋 亮介" and joined.participant.postal_code == "901-4422"
    sample = validate(SAMPLE_BYTES).accepted[2].participant
    assert spaced.participant.identity_key == joined.participant.identity_key == sample.identity_key
    assert sample.identity_key == prelaunch.identity_key("高橋亮介", date(1955, 7, 29))
    assert moved.participant.identity_key == prelaunch.identity_key("タカハシ", date(1955, 7, 29))
    assert spaced.participant.postal_code == "901-4422" and spaced.participant.address == sample.address


def test_r_pre_3_minor_at_the_activity_date_is_accepted_and_flagged():
    report = validate(SAMPLE_BYTES)
    minors = [r for r in report.accepted if r.minor]
    assert [(m.participant.name, m.participant.birth_date) for m in minors] == [("加藤 拓真", date(2011, 6, 4))]
    assert report.minor_count == 1
    # 中村 悠真 (2008-05-21) was 18 on 2026-06-15: an adult
    assert not any(r.minor for r in report.accepted if r.participant.name == "中村 悠真")


def test_minor_is_judged_on_the_activity_date():
    # the activity is on 2026-04-10: 18 on that very day is an adult, 18 the next day is not yet
    eighteen_tomorrow = validate(as_csv(HEADER + [row(生年月日="2008/4/11")])).accepted[0]
    eighteen_today = validate(as_csv(HEADER + [row(生年月日="2008/4/10")])).accepted[0]
    assert eighteen_tomorrow.minor and not eighteen_today.minor


# --- formats ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data, name",
    [
        pytest.param(lambda: as_xlsx(DATA), "活動実績.xlsx", id="xlsx-strings"),
        pytest.param(lambda: as_xlsx(DATA, typed_dates=True), "活動実績.xlsx", id="xlsx-datetime-cells"),
        pytest.param(lambda: as_xlsx(DATA), None, id="xlsx-sniffed"),
        pytest.param(lambda: SAMPLE_BYTES.decode().encode("cp932"), "sample.csv", id="csv-shift_jis"),
        pytest.param(lambda: "\ufeff".encode() + SAMPLE_BYTES, "text/csv", id="csv-utf8-bom"),
        pytest.param(lambda: SAMPLE_BYTES.decode().encode("utf-16"), "sample.csv", id="csv-utf16"),
        pytest.param(lambda: SAMPLE_BYTES.decode().replace(",", "\t").encode(), "sample.txt", id="tsv"),
    ],
)
def test_r_act_5_excel_and_csv_variants_give_the_same_records(data, name):
    report = validate(data(), name)
    assert report.rejected == [] and [r.row_number for r in report.accepted] == list(range(4, 18))
    assert content(report) == content(validate(SAMPLE_BYTES))


def test_header_may_be_the_column_names_row_alone():
    report = validate(as_xlsx(DATA, header_rows=[NAMES]), "a.xlsx")
    assert [r.row_number for r in report.accepted] == list(range(2, 16))
    assert content(report) == content(validate(SAMPLE_BYTES))
    assert content(validate(as_csv([NAMES] + DATA))) == content(validate(SAMPLE_BYTES))


def test_columns_are_found_by_name_not_position_and_extra_columns_are_read():
    order = list(reversed(range(len(NAMES))))
    names = [NAMES[i] for i in order] + ["備考", "メールアドレス", "電話番号"]
    data = [[r[i] for i in order] + ["", "", ""] for r in DATA]
    data[0][-2:] = ["kenichi@example.jp", "090-1234-5678"]
    report = validate(as_csv([names] + data))
    assert report.rejected == []
    assert content(report)[1:] == content(validate(SAMPLE_BYTES))[1:]
    first = report.accepted[0].participant
    assert (first.email, first.phone) == ("kenichi@example.jp", "09012345678")


def test_blank_rows_are_skipped_and_row_numbers_kept():
    report = validate(as_csv(HEADER + [DATA[0], [""] * 11, [], DATA[1]]))
    assert [r.row_number for r in report.accepted] == [4, 7]
    report = validate(as_xlsx([DATA[0], [""] * 11, DATA[1]]), "a.xlsx")
    assert [r.row_number for r in report.accepted] == [4, 6]


def _number_cells(postal: int, phone: int = 9012345678) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(NAMES + ["電話番号"])
    ws.append([c or None for c in DATA[5]] + [phone])  # 山本 彩, her postal code and phone typed as numbers
    ws.cell(2, NAMES.index("郵便番号") + 1).value = postal
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_excel_number_cells_of_seven_digits_are_postal_codes_and_a_phone_gets_its_zero():
    p = validate(_number_cells(9014422), "a.xlsx").accepted[0].participant
    assert (p.postal_code, p.phone) == ("901-4422", "09012345678")


@pytest.mark.parametrize("postal", [673214, 10010, 12])
def test_a_number_cell_of_fewer_than_seven_digits_is_refused_not_guessed(postal):
    """067-3214 typed as a number shows 673214; so does a code typed a digit short. The cell cannot say which: the row
    is refused with the way to fix it (a wrong postal code would never match its owner's claim)."""
    [problem] = validate(_number_cells(postal), "a.xlsx").rejected
    assert problem.reasons == [
        f"郵便番号が数値として入力され、7桁ではありません（先頭の0が消えた可能性があります）: {postal}。"
        "郵便番号の列を文字列（テキスト）形式にして、7桁で入力し直してください"
    ]


# Every era's first and last day, and the days just outside (明治 as Gregorian from 明治6年, see _ERAS).
ERA_DAYS = [
    ("明治45年7月29日", date(1912, 7, 29)), ("大正元年7月30日", date(1912, 7, 30)),
    ("大正15年12月24日", date(1926, 12, 24)), ("昭和元年12月25日", date(1926, 12, 25)),
    ("昭和64年1月7日", date(1989, 1, 7)), ("平成元年1月8日", date(1989, 1, 8)),
    ("平成31年4月30日", date(2019, 4, 30)), ("令和元年5月1日", date(2019, 5, 1)),
]
NOT_ERA_DAYS = [
    ("明治45年7月30日", "明治は明治6年1月1日から明治45年7月29日まで"),
    ("大正元年7月29日", "大正は大正元年7月30日から大正15年12月24日まで"),
    ("大正15年12月25日", "大正は大正元年7月30日から大正15年12月24日まで"),
    ("昭和元年12月24日", "昭和は昭和元年12月25日から昭和64年1月7日まで"),
    ("昭和64年1月8日", "昭和は昭和元年12月25日から昭和64年1月7日まで"),
    ("平成元年1月7日", "平成は平成元年1月8日から平成31年4月30日まで"),
    ("平成31年5月1日", "平成は平成元年1月8日から平成31年4月30日まで"),
    ("令和元年4月30日", "令和は令和元年5月1日から現在まで"),
    ("昭和0年5月1日", "昭和は昭和元年12月25日から昭和64年1月7日まで"),
]


@pytest.mark.parametrize("written, day", ERA_DAYS)
def test_every_eras_first_and_last_day_is_read(written, day):
    assert validate(as_csv(HEADER + [row(生年月日=written)])).accepted[0].participant.birth_date == day


@pytest.mark.parametrize("written, span", NOT_ERA_DAYS)
def test_a_day_an_era_never_had_is_refused_with_the_eras_span(written, span):
    """昭和64年1月8日 is 平成元年1月8日 (昭和 ended on 1月7日): a mistake somewhere, not a day to guess."""
    [problem] = validate(as_csv(HEADER + [row(生年月日=written)])).rejected
    assert problem.reasons == [f"生年月日が日付として読めません: {written}（{span}）"]


def test_an_activity_day_outside_its_era_is_refused_too():
    [problem] = validate(as_csv(HEADER + [row(活動開始日時="平成38年4月10日 10:00")])).rejected
    assert problem.reasons[0].startswith("活動開始日時が日時として読めません: 平成38年4月10日 10:00（平成は")


@pytest.mark.parametrize(
    "start, end, expected",
    [
        ("2026/4/10 10:00", "2026/4/10 12:00", (datetime(2026, 4, 10, 10), datetime(2026, 4, 10, 12))),
        ("2026-04-10 10:00", "2026-04-10T12:00:00+09:00", (datetime(2026, 4, 10, 10), datetime(2026, 4, 10, 12))),
        ("２０２６年４月１０日（金）１０：００", "12:00", (datetime(2026, 4, 10, 10), datetime(2026, 4, 10, 12))),
        ("令和8年4月10日 午前10時", "令和8年4月10日 午後1時30分", (datetime(2026, 4, 10, 10), datetime(2026, 4, 10, 13, 30))),
    ],
)
def test_date_and_time_formats(start, end, expected):
    record = validate(as_csv(HEADER + [row(活動開始日時=start, 活動終了日時=end)])).accepted[0]
    assert (record.starts_at, record.ends_at) == tuple(e.replace(tzinfo=TOKYO) for e in expected)


@pytest.mark.parametrize("birth", ["1955/7/29", "1955-07-29", "1955年7月29日", "昭和30年7月29日", "19550729", "1955/7/29 0:00"])
def test_birth_date_formats(birth):
    assert validate(as_csv(HEADER + [row(生年月日=birth)])).accepted[0].participant.birth_date == date(1955, 7, 29)


@pytest.mark.parametrize(
    "written, gender",
    [("男性", "male"), ("女性", "female"), ("その他", "other"), ("回答しない", "no_answer"), ("無回答", "no_answer")],
)
def test_gender_words(written, gender):
    assert validate(as_csv(HEADER + [row(性別=written)])).accepted[0].participant.gender == gender


# --- bad rows ---------------------------------------------------------------------------------------------------

BAD_ROWS = [
    ("missing-name", row(氏名=""), "氏名が入力されていません"),
    ("missing-place", row(活動場所=" "), "活動場所が入力されていません"),
    ("missing-address", row(**{"住所(除郵便番号)": ""}), "住所が入力されていません"),
    ("bad-birth-date", row(生年月日="1990/13/40"), "生年月日が日付として読めません: 1990/13/40"),
    ("birth-before-1900", row(生年月日="1899/12/31"), "生年月日が1900年1月1日より前です: 1899/12/31"),
    ("birth-in-the-future", row(生年月日="2030/1/1"), "生年月日が未来の日付です: 2030/1/1"),
    ("born-after-the-activity", row(生年月日="2026/5/1"), "生年月日が活動日より後です: 2026/5/1"),
    ("bad-start", row(活動開始日時="4月10日 10:00"), "活動開始日時が日時として読めません: 4月10日 10:00"),
    ("start-without-time", row(活動開始日時="2026/4/10"), "活動開始日時に時刻がありません: 2026/4/10"),
    (
        "end-before-start",
        row(活動終了日時="2026年4月10日 9:00"),
        "活動終了日時が活動開始日時より後になっていません: 2026年4月10日 10:00 ～ 2026年4月10日 9:00",
    ),
    (
        "before-2026-04",
        row(活動開始日時="2026年3月31日 10:00", 活動終了日時="2026年3月31日 12:00"),
        "2026年4月1日より前の活動は記録できません（令和8年4月以降の活動が対象です）: 2026年3月31日 10:00",
    ),
    (
        "in-the-future",
        row(活動開始日時="2027年4月2日 10:00", 活動終了日時="2027年4月2日 12:00"),
        "活動開始日時が未来の日時です: 2027年4月2日 10:00",
    ),
    ("bad-postal-code", row(郵便番号="901-442"), "郵便番号は7桁の数字で入力してください: 901-442"),
    ("letters-in-postal-code", row(郵便番号="ABC-DEFG"), "郵便番号は7桁の数字で入力してください: ABC-DEFG"),
    ("unknown-gender", row(性別="不明"), "性別が読めません（男性・女性・その他・回答しない のいずれか）: 不明"),
    ("too-long-name", row(氏名="長" * 101), "氏名が長すぎます（100文字以内）"),
]


@pytest.mark.parametrize("bad, reason", [pytest.param(b, r, id=i) for i, b, r in BAD_ROWS])
def test_r_act_5_a_bad_row_is_reported_with_its_reason_and_good_rows_are_kept(bad, reason):
    report = validate(as_csv(HEADER + [DATA[0], bad, DATA[1]]))
    assert [r.row_number for r in report.accepted] == [4, 6]
    [problem] = report.rejected
    assert problem.row_number == 5 and problem.duplicate_of is None
    assert len(problem.reasons) == 1 and problem.reasons[0].startswith(reason), problem.reasons
    assert problem.raw == {h: c or None for h, c in zip(NAMES, bad)} | {"活動場所": bad[4].strip() or None}


def test_every_problem_of_a_row_is_listed():
    bad = row(氏名="", 郵便番号="12", 生年月日="1990/13/40", 性別="?", 活動開始日時="2026/4/10 13:00")
    [problem] = validate(as_csv(HEADER + [bad])).rejected
    assert problem.reasons == [
        "活動終了日時が活動開始日時より後になっていません: 2026/4/10 13:00 ～ 2026年4月10日 12:00",
        "氏名が入力されていません",
        "郵便番号は7桁の数字で入力してください: 12",
        "生年月日が日付として読めません: 1990/13/40",
        "性別が読めません（男性・女性・その他・回答しない のいずれか）: ?",
    ]


def test_optional_email_and_phone_are_checked_when_given():
    rows = [NAMES + ["メールアドレス", "電話番号"], DATA[0] + ["ken@example", "12345"], DATA[1] + ["", ""]]
    report = validate(as_csv(rows))
    assert [r.row_number for r in report.accepted] == [3]
    assert report.rejected[0].reasons == [
        "メールアドレスの形式が正しくありません: ken@example",
        "電話番号の形式が正しくありません（10桁または11桁の数字）: 12345",
    ]


def test_excel_date_cells_are_checked_like_strings():
    march = row(活動開始日時="2026年3月1日 10:00", 活動終了日時="2026年3月1日 11:00")
    report = validate(as_xlsx([row(), march], typed_dates=True), "a.xlsx")
    assert report.accepted_count == 1
    assert report.rejected[0].reasons == ["2026年4月1日より前の活動は記録できません（令和8年4月以降の活動が対象です）: 2026-03-01 10:00"]
    assert report.rejected[0].raw["生年月日"] == "1955-07-29"


# --- idempotency --------------------------------------------------------------------------------------------------


def test_r_act_5_re_validating_the_same_file_gives_the_same_row_keys():
    keys = [r.row_key for r in validate(SAMPLE_BYTES).accepted]
    assert len(set(keys)) == 14
    assert keys == [r.row_key for r in validate(SAMPLE_BYTES, now=datetime(2028, 1, 1, tzinfo=TOKYO)).accepted]
    assert keys == [r.row_key for r in validate(as_xlsx(DATA, typed_dates=True), "a.xlsx").accepted]
    # a corrected re-upload of the same participation (e.g. a phone number added) is the same row, not a new one
    with_phone = validate(as_csv([NAMES + ["電話番号"]] + [r + ["0577-00-0000"] for r in DATA]))
    assert keys == [r.row_key for r in with_phone.accepted]


# SHA-256 of the sample's 14 row keys, joined, as the import computed them when records were grouped by person key
# (name, birth date, postal code): grouping by identity key must not change them, or a re-import stores them again.
SAMPLE_ROW_KEYS_DIGEST = "d3022842510b9d89406fd60eda320dd73bb11dcaf39ea85351b913381bb57467"


def test_r_act_5_row_keys_are_unchanged_by_the_identity_key_so_a_re_import_adds_nothing():
    keys = "".join(r.row_key for r in validate(SAMPLE_BYTES).accepted)
    assert hashlib.sha256(keys.encode()).hexdigest() == SAMPLE_ROW_KEYS_DIGEST


def test_r_act_5_identity_key_is_stable():
    """Stored partitions are named by it: a change of its value (normalisation, parts, hashing) must be deliberate
    (bump IDENTITY_KEY_VERSION and re-key the stored records)."""
    key = prelaunch.identity_key("佐藤 健一", date(1974, 2, 18))
    assert key == "2ae187637c595ff42bd75a8175afd8bebe64f89a70e4cd7762fa5c6dfaaeb35a"
    assert re.fullmatch(r"[0-9a-f]{64}", key)
    assert key != prelaunch.identity_key("佐藤 健一", date(1974, 2, 19))
    assert key != prelaunch.identity_key("佐藤 健二", date(1974, 2, 18))


@pytest.mark.parametrize(
    "written",
    ["佐藤健一", "佐藤 健一", "佐藤　健一", " 佐藤\t健一 ", "佐藤  健一", "佐藤\u3000\u3000健一", "佐藤\n健一"],
)
def test_r_act_5_normalise_name_ignores_whitespace_of_any_kind(written):
    assert prelaunch.normalise_name(written) == "佐藤健一"
    assert prelaunch.identity_key(written, date(1974, 2, 18)) == prelaunch.identity_key("佐藤健一", date(1974, 2, 18))


@pytest.mark.parametrize(
    ("written", "same_as"),
    [
        ("ｻﾄｳ ｹﾝｲﾁ", "サトウケンイチ"),  # half-width kana
        ("ｶﾞｸ", "ガク"),  # half-width voiced mark joins its kana
        ("ＳＡＴＯ　Ｋｅｎｉｃｈｉ", "sato kenichi"),  # full-width Latin, any case
        ("John SMITH", "john smith"),
    ],
)
def test_r_act_5_normalise_name_ignores_width_and_case(written, same_as):
    assert prelaunch.normalise_name(written) == prelaunch.normalise_name(same_as)


def test_r_act_5_normalise_name_keeps_what_makes_names_different():
    assert prelaunch.normalise_name("髙橋") != prelaunch.normalise_name("高橋")
    assert prelaunch.normalise_name("さとう") != prelaunch.normalise_name("サトウ")  # hiragana is not katakana
    assert prelaunch.normalise_name("") == prelaunch.normalise_name(None) == ""


def test_r_act_4_row_keys_belong_to_the_uploader_and_venue():
    own = {r.row_key for r in validate(SAMPLE_BYTES).accepted}
    by_prefecture = {r.row_key for r in validate(SAMPLE_BYTES, uploader=GIFU, venue=HIDA).accepted}
    assert own.isdisjoint(by_prefecture)


def test_a_repeated_row_in_one_file_is_reported_as_a_duplicate():
    report = validate(as_csv(HEADER + DATA + [DATA[4], row(参加条件="別の記載", 氏名="高橋　亮介")]))
    assert report.accepted_count == 14 and report.duplicate_count == 2
    assert [(p.row_number, p.duplicate_of) for p in report.rejected] == [(18, 8), (19, 6)]
    assert report.rejected[0].reasons == ["8行目と同じ活動・同じ参加者の行です（重複のため取り込みません）"]


def test_report_and_records_serialise_and_records_round_trip():
    report = validate(as_csv(HEADER + DATA[:2] + [row(氏名="")]))
    dumped = report.model_dump(mode="json")
    assert (dumped["total"], dumped["accepted_count"], dumped["rejected_count"]) == (3, 2, 1)
    assert dumped["accepted"][0]["starts_at"] == "2026-04-10T10:00:00+09:00"
    record = report.accepted[0]
    assert prelaunch.PrelaunchRecord.model_validate_json(record.model_dump_json()) == record
    with pytest.raises(Exception):
        record.minor = True  # frozen


# --- venue (R-ACT-4) --------------------------------------------------------------------------------------------


def test_r_act_4_municipality_uploads_its_own_activities():
    assert validate(SAMPLE_BYTES, uploader=KESENNUMA, venue=KESENNUMA).accepted_count == 14
    assert prelaunch.resolve_venue(KESENNUMA, None) == KESENNUMA
    assert prelaunch.resolve_venue(KESENNUMA, "042056") == KESENNUMA
    with pytest.raises(InvalidActivityVenue) as raised:
        validate(SAMPLE_BYTES, uploader=KESENNUMA, venue=HIDA)
    assert raised.value.status == 422 and raised.value.extensions == {"uploader_code": "042056", "venue_code": "212172"}
    with pytest.raises(InvalidActivityVenue):
        prelaunch.resolve_venue(KESENNUMA, "040002")  # not even its own prefecture


def test_r_act_4_prefecture_names_one_of_its_municipalities():
    report = validate(SAMPLE_BYTES, uploader=GIFU, venue=HIDA)
    assert report.accepted_count == 14
    assert {(r.uploader_code, r.venue_code) for r in report.accepted} == {("210005", "212172")}
    assert prelaunch.resolve_venue(MIYAGI, "042056") == KESENNUMA
    for venue in (KESENNUMA, GIFU, MIYAGI):  # another prefecture's municipality, itself, another prefecture
        with pytest.raises(InvalidActivityVenue):
            validate(SAMPLE_BYTES, uploader=GIFU, venue=venue)
    with pytest.raises(InvalidActivityVenue):
        prelaunch.resolve_venue(GIFU, None)  # required for a prefecture
    with pytest.raises(UnknownOrganisation):
        prelaunch.resolve_venue(GIFU, "999999")


def test_venue_is_checked_before_any_row():
    with pytest.raises(InvalidActivityVenue):
        prelaunch.validate_rows([prelaunch.RawRow(1, {})], MIYAGI, HIDA, NOW)


# --- files that are not the template ------------------------------------------------------------------------------


def test_a_required_column_missing_refuses_the_file():
    names = [h for h in NAMES if h != "生年月日"]
    with pytest.raises(InvalidPrelaunchFile) as raised:
        prelaunch.parse_csv(as_csv([names] + [r[:9] + r[10:] for r in DATA]))
    assert raised.value.extensions["missing_columns"] == ["生年月日"] and "生年月日" in raised.value.extensions["reason"]


@pytest.mark.parametrize(
    "data, name",
    [
        (b"\x00\x01binary", "a.bin"),
        ("名前,住所\n山田,東京".encode(), "a.csv"),
        (b"PK\x03\x04not really a zip", "a.xlsx"),
        (b"not a zip", "a.xlsx"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "a.xls"),
        (b"\xff\xfe\xff", "a.csv"),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(data, name):
    with pytest.raises(InvalidPrelaunchFile) as raised:
        prelaunch.parse_upload(name, data)
    assert raised.value.status == 422 and re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", raised.value.extensions["reason"])
