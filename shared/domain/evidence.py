"""Rules about evidence files (R-ACT-3), pure: whether an uploaded file is what was declared, and how many uploads a
person may hold open. The Evidence model and the accepted types live with the activities (domain/activities.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from .. import clock
from .activities import Evidence
from .errors import EvidenceUploadExpired, EvidenceUploadMismatch, TooManyOpenUploads

# An upload is open from its start until it is submitted, for at most this long: each one reserves up to 10 MB in the
# bucket, and an upload form is valid only 15 minutes, so a day is ample to submit. The bucket deletes unsubmitted
# files a little later (infra/constants.UPLOAD_RETENTION_DAYS), so no upload is submittable without its file.
UPLOAD_OPEN_FOR = timedelta(hours=24)
OPEN_UPLOADS_PER_PERSON = 10

# Enough of a file's start to recognise each accepted type.
SNIFF_BYTES = 16
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1", b"msf1"}


def looks_like(content_type: str, first_bytes: bytes) -> bool:
    """Whether a file starting with `first_bytes` is of `content_type` (magic numbers). S3 keeps whatever
    Content-Type the uploader sent; this is what the file itself says."""
    if content_type == "image/jpeg":
        return first_bytes.startswith(b"\xff\xd8\xff")
    if content_type == "image/png":
        return first_bytes.startswith(b"\x89PNG\r\n\x1a\n")
    if content_type == "application/pdf":
        return first_bytes.startswith(b"%PDF-")
    if content_type == "image/heic":
        # ISO base media file: a box size, then "ftyp" and the major brand of an HEIF image.
        return first_bytes[4:8] == b"ftyp" and first_bytes[8:12] in _HEIF_BRANDS
    return False


@dataclass(frozen=True)
class UploadedFile:
    """What S3 says about an uploaded object, and its first bytes."""

    size: int
    content_type: str
    etag: str
    first_bytes: bytes


def check_upload(evidence: Evidence, uploaded: UploadedFile) -> None:
    """The file is exactly what was declared: the size the upload form pinned, the content type, and its bytes.
    (S3 enforces the form's conditions; moto and a leaked form's replay are why this is checked again.)"""
    if uploaded.size != evidence.size_bytes:
        reason = f"{uploaded.size} bytes uploaded, {evidence.size_bytes} declared"
    elif uploaded.content_type != evidence.content_type:
        reason = f"uploaded as {uploaded.content_type or 'no type'}, {evidence.content_type} declared"
    elif not looks_like(evidence.content_type, uploaded.first_bytes):
        reason = f"the file is not {evidence.content_type}"
    else:
        return
    raise EvidenceUploadMismatch(f"evidence {evidence.id}: {reason}", evidence_id=evidence.id, reason=reason)


def check_still_open(evidence: Evidence, now: datetime) -> None:
    if now >= evidence.created_at + UPLOAD_OPEN_FOR:
        raise EvidenceUploadExpired(f"evidence {evidence.id} was started at {evidence.created_at}", evidence_id=evidence.id)


def still_open(open_uploads: Mapping[str, int], now: datetime) -> dict[str, int]:
    """The open uploads (evidence id -> epoch second it stops counting) that still count at `now`."""
    return {evidence_id: until for evidence_id, until in open_uploads.items() if until > now.timestamp()}


def room_for_another_upload(open_uploads: Mapping[str, int], now: datetime) -> int:
    """Refuses an upload beyond the cap; returns the epoch second the new one stops counting."""
    counting = still_open(open_uploads, now)
    if len(counting) >= OPEN_UPLOADS_PER_PERSON:
        available_at = datetime.fromtimestamp(min(counting.values()), clock.TOKYO)
        raise TooManyOpenUploads(
            f"{len(counting)} uploads started and not submitted", open_uploads=len(counting), available_at=available_at.isoformat()
        )
    return int((now + UPLOAD_OPEN_FOR).timestamp())
