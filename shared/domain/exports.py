"""The staff registrant export (R-PRIV-2, R-ORG-3; issue 10 item 4): what an export is, and the CSV it writes. Pure
rules: the rows of a page of the registrant list (shared/domain/registrants.py) as CSV that opens correctly in Excel
(UTF-8 with a BOM, CRLF line ends, a Japanese header row) and cannot run as a formula there.

An export runs asynchronously (shared/logic/exports.py): POST queues it, the exports function writes it to S3 part by
part, GET gives its status and, once done, a short-lived presigned link."""

from __future__ import annotations

import csv
import hashlib
import io
import secrets
from collections.abc import Iterable
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from .models import JsonDate, Level, PersonalInfo, RequestModel
from .registrants import Relationship, RegistrantFilter, RegistrantSummary
from .survey import COMMON_QUESTIONS

ExportStatus = Literal["queued", "running", "done", "failed"]
ACTIVE: frozenset[str] = frozenset({"queued", "running"})
EXPORT_ID_PATTERN = r"^x\d{14}[0-9a-f]{12}$"
MAX_ACTIVE_EXPORTS = 3  # exports queued or running at once per organisation (each reads the whole list)
STALE_SECONDS = 3600  # an export queued or running longer than this no longer counts against the limit
RETENTION_DAYS = 7  # the CSV (S3 lifecycle) and the export item (TTL) go after this
LINK_SECONDS = 15 * 60  # the presigned GET's lifetime
MAX_RECEIVES = 5  # the work queue's deliveries before its dead-letter queue (infra/components/queues.py MAX_RECEIVES)

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

RELATIONSHIP_LABELS: dict[str, str] = next(
    {c.id: c.label for c in q.choices} for q in COMMON_QUESTIONS if q.id == "relationship"
)
GENDER_LABELS: dict[str, str] = {"female": "女性", "male": "男性", "other": "その他", "no_answer": "回答しない"}
HEADER: tuple[str, ...] = (
    "利用者ID", "登録日時", "会員種別", "本人確認", "居住者", "関わり", "最終活動月",
    "氏名", "郵便番号", "住所", "生年月日", "性別", "メールアドレス",
)
LEVEL_LABELS = {"basic": "一般", "premium": "プレミアム"}


class ExportRequest(RequestModel):
    """POST /registrants/exports: the filters of GET /registrants, every one optional (none: every registrant)."""

    level: Level | None = Field(default=None, description="As of the day asked for (R-PRE-6)")
    verified: bool | None = Field(default=None, description="Identity verified and shared with us (R-BAS-4)")
    resident: bool | None = Field(default=None, description="Lives here (R-BAS-6)")
    relationship: Relationship | None = Field(default=None, description="A relationship type of the survey answer")
    since_from: JsonDate | None = Field(default=None, description="Registered on or after this day")
    since_to: JsonDate | None = Field(default=None, description="Registered on or before this day")

    def filter(self) -> RegistrantFilter:
        return RegistrantFilter(**self.model_dump())


class RegistrantExport(BaseModel):
    """One export of the organisation's registrants, as staff see it."""

    id: str = Field(pattern=EXPORT_ID_PATTERN)
    status: ExportStatus
    filters: RegistrantFilter
    created_at: datetime
    created_by: str = Field(description="The staff member who asked for it")
    finished_at: datetime | None = None
    rows: int = Field(default=0, description="Registrants written so far (all of them once done)")
    url: str | None = Field(default=None, description="Once done: a presigned GET of the CSV, valid for 15 minutes")
    url_expires_at: datetime | None = None
    expires_at: datetime = Field(description="When the CSV and this export are deleted")


class ExportStep(BaseModel):
    """A work queue message: write part `part` of an export (each step sends the next)."""

    code: str = Field(pattern=r"^\d{6}$")
    export_id: str = Field(pattern=EXPORT_ID_PATTERN)
    part: int = Field(ge=1, le=10_000)  # S3's part numbers


def new_export_id(at: datetime) -> str:
    """Sortable by creation (Japan's time to the second), then random."""
    from ..clock import TOKYO

    return f"x{at.astimezone(TOKYO).strftime('%Y%m%d%H%M%S')}{secrets.token_hex(6)}"


def request_hash(staff_user: str, client_key: str) -> str:
    """An Idempotency-Key scoped to the staff member (two staff members' keys never meet)."""
    return hashlib.sha256(f"{staff_user}\n{client_key}".encode()).hexdigest()


def filters_hash(wanted: RegistrantFilter) -> str:
    return hashlib.sha256(wanted.model_dump_json().encode()).hexdigest()


def neutralise(cell: str) -> str:
    """A cell Excel or another spreadsheet would read as a formula (= + - @, or a tab or CR first) gets a leading
    apostrophe: it shows as text (OWASP CSV injection)."""
    return f"'{cell}" if cell.startswith(FORMULA_STARTS) else cell


def _jst(at: datetime) -> str:
    from ..clock import TOKYO

    return at.astimezone(TOKYO).strftime("%Y-%m-%d %H:%M:%S")


def csv_row(row: RegistrantSummary) -> list[str]:
    """One registrant as cells, every one neutralised. Personal data only where the person gave it to this
    organisation (`row.personal`, the registration's own)."""
    personal = row.personal or PersonalInfo()
    birth: date | None = personal.birth_date
    cells = [
        row.user_id,
        _jst(row.registered_since),
        LEVEL_LABELS[row.level],
        "済" if row.verified else "未",
        "はい" if row.resident else "いいえ",
        "・".join(RELATIONSHIP_LABELS.get(r, r) for r in row.relationships),
        row.last_active_month or "",
        personal.name or "",
        personal.postal_code or "",
        personal.address or "",
        birth.isoformat() if birth else "",
        GENDER_LABELS.get(personal.gender, personal.gender) if personal.gender else "",
        personal.email or "",
    ]
    return [neutralise(str(c)) for c in cells]


def csv_bytes(rows: Iterable[RegistrantSummary], first: bool) -> bytes:
    """The CSV text of some rows, UTF-8, CRLF line ends; the file's start (`first`) adds the BOM and the header row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    if first:
        out.write(BOM)
        writer.writerow(HEADER)
    for row in rows:
        writer.writerow(csv_row(row))
    return out.getvalue().encode("utf-8")
