"""The daily schedules' rules (R-PRE-6, R-BAS-5): which day a run works on, which anchor day each job reads, and the
notices it sends. Pure: no AWS, no clock (the run's day comes from its event).

Four jobs, each a function of "today" (the run day, Asia/Tokyo):
- premium_reminder (renewal function): premium ending in `reminder_days` days (expiry = today + reminder_days):
  renewed by the system where the organisation approves automatically and the person qualifies (guideline 2-6
  自動更新), else reminded to apply;
- premium_lapse (expiry function): premium that ended yesterday without a renewal (expiry = today - 1): basic
  again, the person told (premium itself is derived from the date; the lapse keeps indexes and counters true);
- inactivity_notice (expiry function): no app access for `inactivity_years` years less `notice_days` (last access =
  today - years + notice_days): told that their registrations go on the deadline unless they open the app;
- inactivity_removal (expiry function): the deadline passed without access (deadline = today - 1): removed, told.

A run covers today and the CATCH_UP_DAYS days before it: a day missed (an outage, a failed run) is done late, and
a day done already is skipped shard by shard (shared/dal/schedules.py records what is done)."""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

TOKYO = ZoneInfo("Asia/Tokyo")
CATCH_UP_DAYS = 7

Job = Literal["premium_reminder", "premium_lapse", "inactivity_notice", "inactivity_removal"]
RENEWAL_JOBS: tuple[Job, ...] = ("premium_reminder",)
EXPIRY_JOBS: tuple[Job, ...] = ("premium_lapse", "inactivity_notice", "inactivity_removal")
# What a job counts from: a registration's premium expiry, an account's last app access, an account's removal deadline
# once told of it. Items carry the due index's keys of their anchor (shared/dal/keys.py `due`).
Anchor = Literal["premium", "access", "removal"]
ANCHORS: dict[Job, Anchor] = {
    "premium_reminder": "premium",
    "premium_lapse": "premium",
    "inactivity_notice": "access",
    "inactivity_removal": "removal",
}


class Timing(BaseModel):
    """How far ahead or behind each job looks (settings: PREMIUM_REMINDER_DAYS, INACTIVITY_YEARS,
    REMOVAL_NOTICE_DAYS)."""

    reminder_days: int = Field(ge=1, le=365)
    inactivity_years: int = Field(ge=1, le=20)
    notice_days: int = Field(ge=1, le=365)


class WorkItem(BaseModel):
    """One page of one shard of one job's day: the unit a queue message carries. Either the page read already by
    the run (`due`, and `token` for what follows) or where to read it (`token`, None: from the start)."""

    job: Job
    day: date  # the run day the work is for ("today" of its steps)
    anchor_day: date  # the due index's day it reads (anchor_days of the job and day)
    shard: int = Field(ge=0, lt=64)  # shared/dal/keys.py DUE_SHARDS
    token: str | None = None  # where the next page starts (None with `due`: the shard ends with it)
    # The page itself where the run read it (the shard's first page): the message carries it, so no item is read twice.
    due: list[dict[str, str]] | None = None


def run_day(scheduled_time: str) -> date:
    """The day a run works for: its event's scheduled time (UTC, ISO 8601) in Asia/Tokyo, not the time it happens
    to run, so a late run does the right day's work."""
    moment = datetime.fromisoformat(scheduled_time.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"scheduled_time {scheduled_time!r} has no time zone")
    return moment.astimezone(TOKYO).date()


def run_days(today: date) -> list[date]:
    """Oldest first: the catch-up days, then today."""
    return [today - timedelta(days=back) for back in range(CATCH_UP_DAYS, -1, -1)]


def years_before(day: date, years: int) -> date:
    """The same day `years` earlier; 29 February becomes 28 February in a year without it."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def years_after(day: date, years: int) -> date:
    """The same day `years` later; 29 February becomes 1 March in a year without it (the years are then complete)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, month=3, day=1)


def anchor_days(job: Job, today: date, timing: Timing) -> list[date]:
    """The anchor days whose items fall due for `job` on `today` (usually one; two where leap years make two last
    accesses reach their notice day at once)."""
    if job == "premium_reminder":
        return [today + timedelta(days=timing.reminder_days)]
    if job in ("premium_lapse", "inactivity_removal"):
        return [today - timedelta(days=1)]
    # inactivity_notice: told `notice_days` before the deadline, `inactivity_years` after the last access. A last
    # access on 29 February reaches its deadline on 1 March (years_after), with the last accesses of that day.
    deadline = today + timedelta(days=timing.notice_days)
    candidates = {years_before(deadline, timing.inactivity_years)}
    if (deadline.month, deadline.day) == (3, 1) and calendar.isleap(deadline.year - timing.inactivity_years):
        candidates.add(date(deadline.year - timing.inactivity_years, 2, 29))
    return sorted(d for d in candidates if removal_deadline(d, timing.inactivity_years) == deadline)


def removal_deadline(last_access: date, inactivity_years: int) -> date:
    """The last day an access keeps the registrations: `inactivity_years` after the last access."""
    return years_after(last_access, inactivity_years)


def notice_day(last_access: date, timing: Timing) -> date:
    return removal_deadline(last_access, timing.inactivity_years) - timedelta(days=timing.notice_days)


# --- what the person is told (in-app notice; the same text by e-mail where they gave an address) --------------------


def _day(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def reminder_text(organisation: str, expires_on: date) -> tuple[str, str]:
    return (
        f"{organisation}のプレミアム登録の有効期限が近づいています",
        f"{organisation}のプレミアム登録は{_day(expires_on)}までです。引き続きプレミアム登録を希望される場合は、"
        "有効期限までにアプリから更新の申請をしてください（過去1年間の活動が要件を満たしている必要があります）。",
    )


def lapse_text(organisation: str, expires_on: date) -> tuple[str, str]:
    return (
        f"{organisation}のプレミアム登録の有効期限が過ぎました",
        f"{organisation}のプレミアム登録は{_day(expires_on)}で有効期限が過ぎたため、基本登録に戻りました。"
        "過去1年間の活動が要件を満たしていれば、いつでも改めて申請できます。",
    )


def inactivity_text(organisation: str, deadline: date) -> tuple[str, str]:
    return (
        f"{organisation}へのふるさと住民登録は{_day(deadline)}に削除されます",
        f"長い間アプリのご利用がないため、{organisation}へのふるさと住民登録は{_day(deadline)}に削除されます。"
        f"登録を続ける場合は、{_day(deadline)}までにアプリを開いてください。",
    )


def removal_text(organisations: list[str], deadline: date) -> tuple[str, str]:
    names = "、".join(organisations)
    return (
        "ふるさと住民登録を削除しました",
        f"{_day(deadline)}までにアプリのご利用がなかったため、{names}へのふるさと住民登録を削除しました。"
        "改めて登録する場合は、アプリから登録してください。",
    )
