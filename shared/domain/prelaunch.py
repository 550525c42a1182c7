"""Pre-launch activity records (R-ACT-5): the recommended Excel template (or a CSV of it), parsed and validated.

Before QR check-in existed (from 2026-04), municipalities recorded designated activities and their participants in
the template the MIC sent on 2026-03-27 (spec 003, "令和8年4月以降における担い手活動実績記録用様式"): a 3-row header
(group row 活動情報/参加者情報, 任意/必須 row, column names) and one row per participant of an activity. After launch
staff upload it; every row is validated on its own, every problem of a bad row is reported in Japanese, good rows
are kept even when others are bad, and `row_key` makes a re-import of the same rows add nothing.

Participants become "unclaimed records" in the organisation's area until a registrant whose identity is verified
claims them, so the record keeps what matching needs: name, birth date, postal code and address. Records are grouped
by `identity_key` (name and birth date): a claim finds the exact matches and the near ones (same person, another
place) in one Query, and shared/domain/claims.py tells them apart (docs/decisions.md).

R-ACT-4: a record counts for the municipality where the activity took place and for its prefecture. A municipality
uploads its own activities; a prefecture names the venue municipality (one per file).

Pure code: no I/O besides reading the bytes given.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, computed_field

from ..clock import TOKYO
from ..organisations.catalog import MUNICIPALITY, PREFECTURE, Organisation, get, normalize_postal_code
from .errors import InvalidActivityVenue, InvalidPrelaunchFile, UnknownOrganisation
from .models import Gender, LgCode

RECORDS_COUNT_FROM = date(2026, 4, 1)  # R-ACT-5: records from 2026-04 onward count
OLDEST_BIRTH_DATE = date(1900, 1, 1)
ADULT_AGE = 18  # 民法 4条: guardian consent matters for minors later (R-PRE-3)
MAX_ROWS = 10_000  # data rows per file; a larger file is refused as a whole
HEADER_SEARCH_ROWS = 30  # the column-names row must be among the first rows
ROW_KEY_VERSION = "prelaunch-v1"
# Bump when normalise_name or the identity key's parts change: stored records then sit under the old keys.
IDENTITY_KEY_VERSION = "identity-v1"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UPLOAD_MEDIA_TYPES = (XLSX, "text/csv", "text/tab-separated-values")
# Lambda takes at most 6 MB per invocation and API Gateway base64-encodes a file body (4/3): 4 MiB of file stays
# under it with room for the event. A 10,000-row template is about 2.5 MB as CSV, far less as .xlsx.
MAX_UPLOAD_BYTES = 4 * 1024 * 1024
# What an .xlsx may expand to, checked before it is parsed (openpyxl reads the whole shared-strings part when it
# opens a workbook, even read-only, and fills every blank row and cell up to the last one it sees: an 82 KiB file
# whose shared strings expand to tens of MB took 35 s). A 10,000-row template is ~7 MB of XML as openpyxl writes it
# (inline strings), less as Excel writes it (shared strings). Declared sizes are what zipfile will ever inflate: it
# stops at the declared size and fails the CRC check when the data says otherwise.
MAX_XLSX_UNCOMPRESSED_BYTES = 16 * 1024 * 1024
MAX_XLSX_PARTS = 200  # a workbook has a dozen parts; thousands would only cost time
# Rows of a sheet or a CSV counted as they are numbered, blank ones included: the data rows, the header rows and some
# blank or note rows. A row numbered beyond it (<row r="1048576">) is refused before any row is read.
MAX_SHEET_ROWS = MAX_ROWS + 1_000
MAX_SHEET_COLUMNS = 200  # the template has 11 columns (13 with e-mail and phone); extra columns are read, up to this


# --------------------------------------------------------------------------------------------------------------
# columns


@dataclass(frozen=True)
class Column:
    header: str  # as in the template
    required: bool  # the template's 必須 row
    aliases: tuple[str, ...] = ()


ID, ACTIVITY, STARTS, ENDS, PLACE, CONDITIONS = "ID", "活動名", "活動開始日時", "活動終了日時", "活動場所", "参加条件"
NAME, POSTAL, ADDRESS, BIRTH, GENDER, EMAIL, PHONE = (
    "氏名", "郵便番号", "住所(除郵便番号)", "生年月日", "性別", "メールアドレス", "電話番号"
)

COLUMNS: tuple[Column, ...] = (
    Column(ID, False, ("活動ID",)),
    Column(ACTIVITY, True),
    Column(STARTS, True, ("開始日時",)),
    Column(ENDS, True, ("終了日時",)),
    Column(PLACE, True, ("場所",)),
    Column(CONDITIONS, False),
    Column(NAME, True, ("参加者氏名", "名前")),
    Column(POSTAL, True, ("〒",)),
    Column(ADDRESS, True, ("住所",)),
    Column(BIRTH, True),
    Column(GENDER, True),
    # Not in the official file, but on the guideline's list of items to record (002 3-2): optional here.
    Column(EMAIL, False, ("メール", "Eメール", "Eメールアドレス", "E-mail", "email", "mail")),
    Column(PHONE, False, ("電話", "TEL", "連絡先", "連絡先電話番号")),
)
REQUIRED = tuple(c.header for c in COLUMNS if c.required)
# Short labels for reasons: "活動開始日時" reads fine, "住所(除郵便番号)" is better said "住所".
_LABEL = {ADDRESS: "住所"}

_HEADER_NOISE = re.compile(r"[\s*＊※]|\((?:必須|任意)\)")


def _header_key(text: str) -> str:
    return _HEADER_NOISE.sub("", unicodedata.normalize("NFKC", text)).casefold()


_HEADER_INDEX: dict[str, str] = {}
for _c in COLUMNS:
    for _name in (_c.header, *_c.aliases):
        _HEADER_INDEX[_header_key(_name)] = _c.header


# --------------------------------------------------------------------------------------------------------------
# models


@dataclass(frozen=True)
class RawRow:
    """One data row as read: cell values (str, datetime, number …; blank = None) by template header."""

    row_number: int  # 1-based, as the spreadsheet (or the CSV record count) shows it
    values: Mapping[str, Any] = field(default_factory=dict)


class PrelaunchParticipant(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str = Field(min_length=1, max_length=100, description="As written; runs of spaces made one")
    postal_code: str = Field(pattern=r"^\d{3}-\d{4}$")
    address: str = Field(min_length=1, max_length=200, description="Without the postal code")
    birth_date: date
    gender: Gender
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, pattern=r"^0\d{9,10}$", description="Digits only")
    identity_key: str = Field(
        description="Hash of the normalised name and the birth date: the claim groups records by it (identity_key())"
    )


class PrelaunchRecord(BaseModel):
    """A participation in a designated activity held before QR check-in, waiting to be claimed (R-ACT-5)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    row_key: str = Field(description="Idempotency key: uploader + venue + activity + participant")
    activity_key: str = Field(description="Same for every participant of one activity of one upload")
    row_number: int
    uploader_code: LgCode
    venue_code: LgCode = Field(description="Municipality where it took place (R-ACT-4)")
    external_id: str | None = Field(default=None, max_length=100, description="The template's ID column")
    activity_name: str = Field(min_length=1, max_length=100)
    starts_at: datetime
    ends_at: datetime
    place: str = Field(min_length=1, max_length=200)
    conditions: str | None = Field(default=None, max_length=500)
    participant: PrelaunchParticipant
    minor: bool = Field(description="Under 18 on the activity's first day: guardian consent matters later (R-PRE-3)")


class RowProblem(BaseModel):
    model_config = ConfigDict(frozen=True)
    row_number: int
    reasons: list[str] = Field(description="Japanese, one per problem")
    raw: dict[str, str | None] = Field(description="The row as read, by template header")
    duplicate_of: int | None = Field(default=None, description="Row number of the same participation in this file")


class ImportReport(BaseModel):
    uploader_code: LgCode
    venue_code: LgCode
    accepted: list[PrelaunchRecord]
    rejected: list[RowProblem]

    @computed_field
    @property
    def total(self) -> int:
        return len(self.accepted) + len(self.rejected)

    @computed_field
    @property
    def accepted_count(self) -> int:
        return len(self.accepted)

    @computed_field
    @property
    def rejected_count(self) -> int:
        return len(self.rejected)

    @computed_field
    @property
    def duplicate_count(self) -> int:
        return sum(1 for p in self.rejected if p.duplicate_of is not None)

    @computed_field
    @property
    def minor_count(self) -> int:
        return sum(1 for r in self.accepted if r.minor)


# --------------------------------------------------------------------------------------------------------------
# reading


def parse_upload(filename_or_content_type: str | None, data: bytes) -> list[RawRow]:
    """.xlsx or CSV: the bytes decide when they can (an .xlsx is a zip), the name or content type otherwise."""
    if data[:4] == b"PK\x03\x04":
        return parse_workbook(data)
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise InvalidPrelaunchFile(
            "legacy .xls (OLE2) workbooks are not supported",
            reason="Excel 97-2003 形式（.xls）には対応していません。.xlsx 形式か CSV 形式で保存し直してください",
        )
    hint = (filename_or_content_type or "").lower()
    if hint.endswith((".xlsx", ".xlsm")) or "spreadsheetml" in hint:
        return parse_workbook(data)
    return parse_csv(data)


def parse_workbook(data: bytes) -> list[RawRow]:
    """First worksheet of an .xlsx (values, not formulas). Dates typed as dates arrive as datetime. The package's
    size and its sheets' extent are checked first (`check_workbook_extent`)."""
    import openpyxl  # imported here: only the import function pays for it

    check_workbook_extent(data)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # zipfile.BadZipFile, InvalidFileException, KeyError on a broken package …
        raise InvalidPrelaunchFile(
            f"not a readable .xlsx workbook: {type(exc).__name__}",
            reason="Excel ファイル（.xlsx）として読み取れません",
        ) from exc
    try:
        if not workbook.worksheets:
            raise InvalidPrelaunchFile("the workbook has no worksheet", reason="ワークシートがありません")
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # some writers store a wrong <dimension>; read every row there is
        return _rows_from_table(enumerate(sheet.iter_rows(values_only=True), start=1))
    finally:
        workbook.close()


_TOO_BIG = "ファイルが大きすぎます（展開後の大きさ・行数・列数が上限を超えています）。分割してください"
_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row\b([^>]*)>")
_CELL_REF = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c\b[^>]*?\br=\"([A-Z]{1,3})(\d+)\"")
_ROW_NUMBER = re.compile(rb"\br=\"(\d+)\"")


def check_workbook_extent(data: bytes) -> None:
    """Refuse an .xlsx that would cost more to open than a template can: the zip's declared uncompressed sizes (all
    parts, so the shared strings too) and, in every worksheet, the row count and the highest row and column numbers
    (blank rows and cells included: openpyxl fills the gaps up to them). Reads the sheets' XML as bytes with a
    regular expression, bounded by the size check; nothing is parsed by openpyxl before this passes."""
    import zipfile

    try:
        package = zipfile.ZipFile(io.BytesIO(data))
        parts = package.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise InvalidPrelaunchFile(
            f"not a readable .xlsx workbook: {type(exc).__name__}", reason="Excel ファイル（.xlsx）として読み取れません"
        ) from exc
    expanded = sum(p.file_size for p in parts)
    if len(parts) > MAX_XLSX_PARTS or expanded > MAX_XLSX_UNCOMPRESSED_BYTES:
        raise InvalidPrelaunchFile(
            f"{len(parts)} parts expanding to {expanded} bytes (limit {MAX_XLSX_PARTS}, {MAX_XLSX_UNCOMPRESSED_BYTES})",
            reason=_TOO_BIG,
        )
    for part in parts:
        if not (part.filename.startswith("xl/worksheets/") and part.filename.endswith(".xml")):
            continue
        try:
            xml = package.read(part)
        except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError) as exc:
            raise InvalidPrelaunchFile(
                f"unreadable worksheet {part.filename}: {type(exc).__name__}",
                reason="Excel ファイル（.xlsx）として読み取れません",
            ) from exc
        rows = last_row = last_column = 0
        for match in _ROW_TAG.finditer(xml):
            rows += 1
            number = _ROW_NUMBER.search(match.group(1))
            last_row = max(last_row, int(number.group(1)) if number else rows)
        for match in _CELL_REF.finditer(xml):
            last_column = max(last_column, _column_number(match.group(1)))
            last_row = max(last_row, int(match.group(2)))
        if max(rows, last_row) > MAX_SHEET_ROWS or last_column > MAX_SHEET_COLUMNS:
            raise InvalidPrelaunchFile(
                f"{part.filename}: {rows} rows, last row {last_row}, last column {last_column} "
                f"(limits {MAX_SHEET_ROWS} rows, {MAX_SHEET_COLUMNS} columns)",
                reason=_TOO_BIG,
            )


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - ord("A") + 1
    return number


def parse_csv(data: bytes) -> list[RawRow]:
    """CSV (or tab-separated) in UTF-8 with or without BOM, UTF-16 with BOM, or Shift_JIS (cp932)."""
    text = _decode(data)
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return _rows_from_table(enumerate(reader, start=1))
    except csv.Error as exc:
        raise InvalidPrelaunchFile(f"malformed CSV: {exc}", reason="CSV ファイルとして読み取れません") from exc


def _decode(data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    else:
        for encoding in ("utf-8-sig", "cp932"):  # cp932: Shift_JIS as Windows (and so Excel) writes it
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                continue
    raise InvalidPrelaunchFile(
        "text is neither UTF-8, UTF-16 nor Shift_JIS",
        reason="文字コードを判別できません（UTF-8 または Shift_JIS で保存してください）",
    )


def _rows_from_table(rows: Iterable[tuple[int, Sequence[Any]]]) -> list[RawRow]:
    rows = iter(rows)
    columns = _find_header(rows)
    out: list[RawRow] = []
    for number, cells in rows:
        if number > MAX_SHEET_ROWS:  # blank rows too: they cost reading even when nothing is in them
            raise InvalidPrelaunchFile(f"more than {MAX_SHEET_ROWS} rows, blank ones included", reason=_TOO_BIG)
        values = {header: _cell(cells[i]) if i < len(cells) else None for i, header in columns.items()}
        filled = [v for v in values.values() if v is not None]
        if not filled or all(isinstance(v, str) and v in ("任意", "必須") for v in filled):
            continue  # blank row, or the 任意/必須 row placed under the names
        if len(out) == MAX_ROWS:
            raise InvalidPrelaunchFile(
                f"more than {MAX_ROWS} data rows", reason=f"行数が多すぎます（1ファイル{MAX_ROWS}行まで）。分割してください"
            )
        out.append(RawRow(number, values))
    return out


def _find_header(rows: Iterator[tuple[int, Sequence[Any]]]) -> dict[int, str]:
    """Consume rows up to and including the column-names row; return {column index: template header}."""
    for number, cells in rows:
        found: dict[int, str] = {}
        for i, cell in enumerate(cells):
            header = _HEADER_INDEX.get(_header_key(cell)) if isinstance(cell, str) else None
            if header is None:
                continue
            if header in found.values():
                raise InvalidPrelaunchFile(
                    f"column {header!r} appears twice in the header row {number}",
                    reason=f"見出し「{header}」が2つあります（{number}行目）",
                )
            found[i] = header
        if len(found) >= 4:
            missing = [h for h in REQUIRED if h not in found.values()]
            if missing:
                raise InvalidPrelaunchFile(
                    f"required columns missing: {', '.join(missing)}",
                    reason=f"必須の列がありません: {'、'.join(missing)}",
                    missing_columns=missing,
                )
            return found
        if number >= HEADER_SEARCH_ROWS:
            break
    raise InvalidPrelaunchFile(
        "no column-names row (ID, 活動名, 活動開始日時 …) found",
        reason="見出し行（ID、活動名、活動開始日時 …）が見つかりません。推奨様式の見出しをそのまま使ってください",
    )


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# --------------------------------------------------------------------------------------------------------------
# venue (R-ACT-4)


def resolve_venue(uploader: Organisation, venue_code: str | None) -> Organisation:
    """The upload parameter: a municipality's venue is itself (the code may be left out); a prefecture must name one
    of its municipalities."""
    if venue_code is None or venue_code == "":
        if uploader.kind == PREFECTURE:
            raise InvalidActivityVenue(
                "a prefecture must name the municipality where the activities took place (venue_code)",
                uploader_code=uploader.code,
            )
        return uploader
    venue = get(venue_code)
    if venue is None:
        raise UnknownOrganisation(f"no organisation has code {venue_code}", organisation_code=venue_code)
    check_venue(uploader, venue)
    return venue


def check_venue(uploader: Organisation, venue: Organisation) -> None:
    if uploader.kind == MUNICIPALITY:
        if venue.code != uploader.code:
            raise InvalidActivityVenue(
                f"a municipality uploads its own activities only (uploader {uploader.code}, venue {venue.code})",
                uploader_code=uploader.code,
                venue_code=venue.code,
            )
        return
    if uploader.kind == PREFECTURE and venue.kind == MUNICIPALITY and venue.prefecture_code == uploader.code:
        return
    raise InvalidActivityVenue(
        f"the venue must be a municipality of prefecture {uploader.code} (got {venue.code}, a {venue.kind})",
        uploader_code=uploader.code,
        venue_code=venue.code,
    )


# --------------------------------------------------------------------------------------------------------------
# validation


def validate_rows(rows: Iterable[RawRow], uploader: Organisation, venue: Organisation, now: datetime) -> ImportReport:
    """Every row on its own: good rows become records, bad rows are reported with all their problems. A second row
    with the same participation (same `row_key`) in the file is reported as a duplicate."""
    check_venue(uploader, venue)
    now = _tokyo(now)
    accepted: list[PrelaunchRecord] = []
    rejected: list[RowProblem] = []
    first_row: dict[str, int] = {}
    for row in rows:
        reasons, record = _validate_row(row, uploader, venue, now)
        if record is None:
            rejected.append(RowProblem(row_number=row.row_number, reasons=reasons, raw=_raw(row)))
        elif record.row_key in first_row:
            first = first_row[record.row_key]
            rejected.append(
                RowProblem(
                    row_number=row.row_number,
                    reasons=[f"{first}行目と同じ活動・同じ参加者の行です（重複のため取り込みません）"],
                    raw=_raw(row),
                    duplicate_of=first,
                )
            )
        else:
            first_row[record.row_key] = row.row_number
            accepted.append(record)
    return ImportReport(uploader_code=uploader.code, venue_code=venue.code, accepted=accepted, rejected=rejected)


class _Problem(ValueError):
    """A reason (Japanese) for one cell."""


def _validate_row(
    row: RawRow, uploader: Organisation, venue: Organisation, now: datetime
) -> tuple[list[str], PrelaunchRecord | None]:
    reasons: list[str] = []
    v = row.values

    def check(header: str, parse, *args):
        raw = v.get(header)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if header in REQUIRED:
                reasons.append(f"{_LABEL.get(header, header)}が入力されていません")
            return None
        try:
            return parse(raw, *args)
        except _Problem as problem:
            reasons.append(str(problem))
            return None

    # Reasons in column order, each cross-check right after the later of its two cells.
    external_id = check(ID, _text, ID, 100)
    activity_name = check(ACTIVITY, _text, ACTIVITY, 100)
    starts_at = check(STARTS, _datetime, STARTS, None)
    ends_at = check(ENDS, _datetime, ENDS, starts_at)
    if starts_at is not None:
        if ends_at is not None and ends_at <= starts_at:
            reasons.append(f"活動終了日時が活動開始日時より後になっていません: {_show(v[STARTS])} ～ {_show(v[ENDS])}")
        elif (ends_at or starts_at).date() < RECORDS_COUNT_FROM:
            reasons.append(
                f"2026年4月1日より前の活動は記録できません（令和8年4月以降の活動が対象です）: {_show(v[STARTS])}"
            )
        if starts_at > now:
            reasons.append(f"活動開始日時が未来の日時です: {_show(v[STARTS])}")
    place = check(PLACE, _text, PLACE, 200)
    conditions = check(CONDITIONS, _text, CONDITIONS, 500)
    name = check(NAME, _text, NAME, 100)
    postal_code = check(POSTAL, _postal_code)
    address = check(ADDRESS, _text, ADDRESS, 200)
    birth_date = check(BIRTH, _date, BIRTH)
    if birth_date is not None:
        if birth_date < OLDEST_BIRTH_DATE:
            reasons.append(f"生年月日が1900年1月1日より前です: {_show(v[BIRTH], BIRTH)}")
        elif birth_date > now.date():
            reasons.append(f"生年月日が未来の日付です: {_show(v[BIRTH], BIRTH)}")
        elif starts_at is not None and birth_date > starts_at.date():
            reasons.append(f"生年月日が活動日より後です: {_show(v[BIRTH], BIRTH)}")
    gender = check(GENDER, _gender)
    email = check(EMAIL, _email)
    phone = check(PHONE, _phone)

    if reasons:
        return reasons, None
    person_key = _row_person_key(name, birth_date, postal_code)
    activity_key = _hash(
        [ROW_KEY_VERSION, uploader.code, venue.code, _fold(external_id), _fold(activity_name),
         starts_at.isoformat(), ends_at.isoformat(), _fold(place)]
    )
    try:
        record = PrelaunchRecord(
            row_key=_hash([activity_key, person_key]),
            activity_key=activity_key,
            row_number=row.row_number,
            uploader_code=uploader.code,
            venue_code=venue.code,
            external_id=external_id,
            activity_name=activity_name,
            starts_at=starts_at,
            ends_at=ends_at,
            place=place,
            conditions=conditions,
            participant=PrelaunchParticipant(
                name=name,
                postal_code=postal_code,
                address=address,
                birth_date=birth_date,
                gender=gender,
                email=email,
                phone=phone,
                identity_key=identity_key(name, birth_date),
            ),
            minor=_age(birth_date, starts_at.date()) < ADULT_AGE,
        )
    except ValidationError as exc:  # the checks above should make this unreachable; never crash a whole import
        return [f"入力内容に誤りがあります: {e['msg']}" for e in exc.errors()], None
    return [], record


# --- cells -----------------------------------------------------------------------------------------------------

_SPACES = re.compile(r"\s+")


def _text(raw: Any, header: str, limit: int) -> str:
    text = _SPACES.sub(" ", _show(raw)).strip()
    if len(text) > limit:
        raise _Problem(f"{_LABEL.get(header, header)}が長すぎます（{limit}文字以内）: {text[:20]}…")
    return text


def _postal_code(raw: Any) -> str:
    if isinstance(raw, int):
        # An Excel number cell: 7 digits is a postal code as written. Fewer is a code that lost its leading zeros
        # (067-3214 → 673214) or one typed a digit short, and nothing in the cell says which: refused, with the way
        # to fix it, rather than guessed (the postal code is part of the claim match, a wrong one never matches).
        if 1_000_000 <= raw < 10_000_000:
            digits = str(raw)
        else:
            raise _Problem(
                f"郵便番号が数値として入力され、7桁ではありません（先頭の0が消えた可能性があります）: {raw}。"
                "郵便番号の列を文字列（テキスト）形式にして、7桁で入力し直してください"
            )
    else:
        try:
            digits = normalize_postal_code(re.sub(r"\s", "", _show(raw)))
        except ValueError:
            raise _Problem(f"郵便番号は7桁の数字で入力してください: {_show(raw)}") from None
    return f"{digits[:3]}-{digits[3:]}"


_GENDERS: dict[str, Gender] = {
    "男性": "male", "男": "male", "male": "male", "m": "male",
    "女性": "female", "女": "female", "female": "female", "f": "female",
    "その他": "other", "other": "other",
    "回答しない": "no_answer", "無回答": "no_answer", "回答なし": "no_answer", "答えたくない": "no_answer",
    "no_answer": "no_answer",
}


def _gender(raw: Any) -> Gender:
    key = re.sub(r"\s", "", unicodedata.normalize("NFKC", _show(raw))).casefold()
    if key not in _GENDERS:
        raise _Problem(f"性別が読めません（男性・女性・その他・回答しない のいずれか）: {_show(raw)}")
    return _GENDERS[key]


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _email(raw: Any) -> str:
    email = unicodedata.normalize("NFKC", _show(raw)).strip()
    if len(email) > 254 or not _EMAIL.match(email):
        raise _Problem(f"メールアドレスの形式が正しくありません: {_show(raw)}")
    return email


def _phone(raw: Any) -> str:
    if isinstance(raw, int):  # an Excel number cell drops the leading zero
        raw = f"0{raw}"
    digits = re.sub(r"[\s\-‐‑‒–—―−ー()]", "", unicodedata.normalize("NFKC", _show(raw)))
    if digits.startswith("+81"):
        digits = "0" + digits[3:]
    if not re.fullmatch(r"0\d{9,10}", digits):
        raise _Problem(f"電話番号の形式が正しくありません（10桁または11桁の数字）: {_show(raw)}")
    return digits


# --- dates -----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Era:
    offset: int  # Gregorian year = offset + era year (元年 = 1)
    first_day: date
    last_day: date | None  # None: the current era


# Each era's first and last day (Gregorian). 明治 counts from 明治6年1月1日, when Japan took the Gregorian calendar:
# earlier 明治 dates are lunisolar and cannot be converted by arithmetic (and are before 1900 anyway).
_ERAS: dict[str, Era] = {
    "明治": Era(1867, date(1873, 1, 1), date(1912, 7, 29)),
    "大正": Era(1911, date(1912, 7, 30), date(1926, 12, 24)),
    "昭和": Era(1925, date(1926, 12, 25), date(1989, 1, 7)),
    "平成": Era(1988, date(1989, 1, 8), date(2019, 4, 30)),
    "令和": Era(2018, date(2019, 5, 1), None),
}
_DATE = re.compile(
    r"^(?:(?P<era>明治|大正|昭和|平成|令和)\s*(?P<ey>元|\d{1,2})|(?P<y>\d{4}))\s*[年/.\-]\s*(?P<m>\d{1,2})\s*[月/.\-]"
    r"\s*(?P<d>\d{1,2})\s*日?\s*(?:\([^)]{1,3}\))?"
)
_ISO_WITH_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_TIME = re.compile(
    r"^(?P<ampm>午前|午後|AM|PM)?\s*(?P<H>\d{1,2})\s*(?::|時)\s*(?:(?P<M>\d{1,2})\s*分?)?(?::(?P<S>\d{1,2}))?$", re.I
)


def _datetime(raw: Any, header: str, day: datetime | None) -> datetime:
    """An activity's date and time. `day`: the start, for an end given as a time only ("12:00")."""
    unreadable = _Problem(f"{header}が日時として読めません: {_show(raw)}")
    if isinstance(raw, datetime):
        return _tokyo(raw)
    if isinstance(raw, time):  # an Excel time cell in the end column
        if day is None:
            raise unreadable
        return datetime.combine(day.date(), raw.replace(tzinfo=None)).replace(tzinfo=TOKYO)
    if isinstance(raw, date):
        raise _Problem(f"{header}に時刻がありません: {_show(raw)}")
    if isinstance(raw, (int, float)):
        return _excel_serial(raw, unreadable)
    text = unicodedata.normalize("NFKC", str(raw)).strip()
    if _ISO_WITH_TIME.match(text):
        try:
            return _tokyo(datetime.fromisoformat(text))  # "2026-04-10T10:00:00+09:00" from another system
        except ValueError:
            pass
    match = _DATE.match(text)
    if match is None:
        if day is not None and _TIME.match(text):  # an end given as a time only: the start's day
            return datetime.combine(day.date(), _time(text, unreadable), tzinfo=TOKYO)
        raise unreadable
    rest = text[match.end():].strip().removeprefix("T").strip()
    if not rest:
        raise _Problem(f"{header}に時刻がありません: {_show(raw)}")
    return datetime.combine(_ymd(match, unreadable), _time(rest, unreadable), tzinfo=TOKYO)


def _date(raw: Any, header: str) -> date:
    unreadable = _Problem(f"{header}が日付として読めません: {_show(raw, header)}")
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if isinstance(raw, int) and _COMPACT_DATE.match(str(raw)):
        raw = str(raw)
    elif isinstance(raw, (int, float)):
        return _excel_serial(raw, unreadable).date()
    text = unicodedata.normalize("NFKC", str(raw)).strip()
    if compact := _COMPACT_DATE.match(text):
        try:
            return date(*map(int, compact.groups()))
        except ValueError:
            raise unreadable from None
    match = _DATE.match(text)
    if match is None:
        raise unreadable
    rest = text[match.end():].strip().removeprefix("T").strip()
    if rest:
        _time(rest, unreadable)  # "1974/2/18 0:00", as Excel may write a date into a CSV
    return _ymd(match, unreadable)


def _ymd(match: re.Match[str], unreadable: _Problem) -> date:
    era = _ERAS[match["era"]] if match["era"] else None
    year = era.offset + (1 if match["ey"] == "元" else int(match["ey"])) if era else int(match["y"])
    try:
        day = date(year, int(match["m"]), int(match["d"]))
    except ValueError:
        raise unreadable from None
    if era and not (era.first_day <= day <= (era.last_day or date.max)):
        # 昭和64年1月8日 is 平成元年1月8日: a date the era never had is a mistake somewhere, not a day to guess.
        name = match["era"]
        until = f"{_wareki(era.last_day)}まで" if era.last_day else "現在まで"
        raise _Problem(f"{str(unreadable)}（{name}は{_wareki(era.first_day)}から{until}）")
    return day


def _wareki(day: date) -> str:
    """A Gregorian day as its era writes it: 1989-01-07 → 昭和64年1月7日."""
    for name, era in _ERAS.items():
        if era.first_day <= day <= (era.last_day or date.max):
            year = day.year - era.offset
            return f"{name}{'元' if year == 1 else year}年{day.month}月{day.day}日"
    return f"{day.year}年{day.month}月{day.day}日"


def _time(text: str, unreadable: _Problem) -> time:
    match = _TIME.match(text)
    if match is None:
        raise unreadable
    hour = int(match["H"])
    if (match["ampm"] or "").upper() in ("午後", "PM") and hour < 12:
        hour += 12
    try:
        return time(hour, int(match["M"] or 0), int(match["S"] or 0))
    except ValueError:
        raise unreadable from None


def _excel_serial(value: float, unreadable: _Problem) -> datetime:
    """A date typed into a cell not formatted as a date: Excel's serial number (1900 date system)."""
    from openpyxl.utils.datetime import from_excel

    if not 1 <= value < 2_958_466:  # 1900-01-01 .. 9999-12-31
        raise unreadable
    try:
        return _tokyo(from_excel(value))
    except (ValueError, OverflowError):
        raise unreadable from None


def _tokyo(value: datetime) -> datetime:
    return (value if value.tzinfo else value.replace(tzinfo=TOKYO)).astimezone(TOKYO)


def _age(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


# --- keys and display ------------------------------------------------------------------------------------------


def normalise_name(text: str | None) -> str:
    """What does not make two names different: width and compatibility forms (NFKC: ａ→a, ｶﾞ→ガ, ㈱→(株)), case,
    and whitespace of any kind, full-width U+3000 included ("佐藤　健一" = "佐藤健一" = "佐藤 健一"). The one
    normalisation of the import's keys (names and the activity's fields) and of the claim (shared/domain/claims.py):
    changing it changes every stored key (bump IDENTITY_KEY_VERSION and ROW_KEY_VERSION, and re-key)."""
    return re.sub(r"\s", "", unicodedata.normalize("NFKC", text or "")).casefold()


_fold = normalise_name  # the activity's fields (ID, name, place) in the activity key: the same rule


def _hash(parts: list[str]) -> str:
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode("utf-8")).hexdigest()


def identity_key(name: str, birth_date: date) -> str:
    """Claim key (R-ACT-5, R-BAS-4): who the participant is, without where they live, so a person verified with the
    My Number Card finds both the records that match their address and those that match only their name and birth
    date (a move, a typo in the postal code: offered, never claimed silently). Not keyed: it sits beside the plain
    values in the organisation's area (R-PRIV-1) and the claim recomputes it from the card's name and birth date."""
    return _hash([IDENTITY_KEY_VERSION, normalise_name(name), birth_date.isoformat()])


def _row_person_key(name: str, birth_date: date, postal_code: str) -> str:
    """Participant part of the row key only (the claim key is identity_key): kept as it was when records were
    grouped by it, so a file imported before still gives the same row keys and a re-import adds nothing."""
    return _hash(["person-v1", normalise_name(name), birth_date.isoformat(), postal_code.replace("-", "")])


def _show(value: Any, header: str | None = None) -> str:
    """A cell as staff would read it back in a reason or the report (a birth date typed as a date: no time)."""
    if isinstance(value, datetime) and header == BIRTH and value.time() == time(0):
        return value.date().isoformat()
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S" if value.second else "%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _raw(row: RawRow) -> dict[str, str | None]:
    return {header: None if value is None else _show(value, header) for header, value in row.values.items()}
