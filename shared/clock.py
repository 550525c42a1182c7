"""The one clock. Every date in the system is Asia/Tokyo and comes from here, so tests and the local runtime
can move time (premium renewal and inactivity rules are about years) without patching datetime."""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta, timezone

# A fixed UTC+9 rather than ZoneInfo("Asia/Tokyo"): Japan has had no daylight saving since 1951, and the Lambda
# runtime need not carry a time zone database (no tzdata to bundle).
TOKYO = timezone(timedelta(hours=9), "Asia/Tokyo")

# Seconds added to the real time. Set in-process by tests and the local runtime (`set_offset`), or at cold start
# from FURUSATO_CLOCK_OFFSET_SECONDS; never set in a deployed stack.
_offset = timedelta(seconds=float(os.environ.get("FURUSATO_CLOCK_OFFSET_SECONDS", "0") or 0))
_frozen: datetime | None = None


def now() -> datetime:
    """The current time, timezone-aware, in Asia/Tokyo."""
    if _frozen is not None:
        return _frozen
    return datetime.now(TOKYO) + _offset


def today() -> date:
    return now().date()


def freeze(at: datetime) -> None:
    """Stop the clock at `at` (naive values are read as Tokyo time)."""
    global _frozen
    _frozen = at if at.tzinfo else at.replace(tzinfo=TOKYO)
    _frozen = _frozen.astimezone(TOKYO)


def set_offset(offset: timedelta) -> None:
    global _offset, _frozen
    _frozen = None
    _offset = offset


def reset() -> None:
    set_offset(timedelta(0))
