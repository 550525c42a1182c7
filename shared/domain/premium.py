"""Premium registration (プレミアム登録, R-PRE-1..7): the pure rules of the judgement.

- What an organisation requires (`PremiumRequirements`, R-PRE-1/2/5/7).
- The 12 months looked at (`window`), and for a renewal only the current premium year (`counting_period`).
- How attendance records become occasions (`count_occasions`, R-PRE-1/2): a single or multi-day activity counts once,
  three consecutive days of a multi-day activity count three where the organisation allows it, a blanket activity
  counts each day.
- The limit of three premium organisations, a prefecture not counted while a municipality inside it is held
  (`premium_count`, `may_add`, R-PRE-4).
- The judgement itself (`judge`): every unmet requirement as a reason with a stable code and a Japanese message.
- Validity (`expiry_after_approval`, `renewed_expiry`, `is_premium`, R-PRE-6): premium is derived from the expiry
  date whenever it is read, never a flag a schedule must flip.

No I/O: records, activities, settings and the day are given. Dates are Asia/Tokyo days (shared.clock).
The rules decided here are written down in docs/decisions.md ("Premium: …", 2026-12-02).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..organisations import catalog
from .activities import Activity, ActivityRecord, twelve_month_window
from .verification import Status

MIN_ACTIVITIES = 3  # R-PRE-1: 年3回以上; organisations may ask more
MAX_ACTIVITIES = 50
MAX_EXTRA_CONDITIONS = 10
DEFAULT_LONG_STAY_DAYS = 10  # R-PRE-7: 年間10日以上滞在 is the guideline's base
MAX_PREMIUM_ORGANISATIONS = 3  # R-PRE-4
CONSECUTIVE_DAYS = 3  # R-PRE-2: 連続する3日間の活動を3回の活動と取り扱う
PRELAUNCH_ACTIVITY_PREFIX = "p"  # claimed pre-launch records (R-ACT-5) have no Activity item

__all__ = [
    "CONSECUTIVE_DAYS", "MAX_PREMIUM_ORGANISATIONS", "MIN_ACTIVITIES", "Approval", "Counting", "Judgement",
    "Occasion", "OccasionCount", "PremiumRequirements", "Reason", "RequirementFields", "ReasonCode", "VerificationStatus",
    "count_occasions", "counting_of", "counting_period", "earns_long_stay_marker", "expiry_after_approval",
    "held_premium", "is_premium", "judge", "may_add", "premium_count", "premium_year_start", "renewed_expiry",
    "stay_days", "window",
]

ExtraCondition = Annotated[str, Field(min_length=1, max_length=200)]


class RequirementFields(BaseModel):
    """The requirement fields, declared once: the judgement's PremiumRequirements (below) and the staff API's
    shared.domain.premium_settings.PremiumSettings both take them (each adds `extra_conditions` in its own shape)."""

    activities_needed: int = Field(
        default=MIN_ACTIVITIES, ge=MIN_ACTIVITIES, le=MAX_ACTIVITIES,
        description="Occasions needed in 12 months (R-PRE-1: 3 at least; higher allowed)",
    )
    consecutive_days_count_each: bool = Field(
        default=False,
        description="Three consecutive days of one multi-day activity count as three (R-PRE-2: remote places)",
    )
    auto_approve: bool = Field(default=False, description="Eligible applications are approved without staff (R-PRE-5)")
    long_stay_marker: bool = Field(default=False, description="The long-stay marker (二地域居住) is awarded (R-PRE-7)")
    long_stay_min_days: int = Field(
        default=DEFAULT_LONG_STAY_DAYS, ge=1, le=365, description="Stay days in 12 months the marker needs (R-PRE-7)"
    )


EXTRA_CONDITIONS_DESCRIPTION = "Further requirements staff check by hand, shown to applicants (R-PRE-1)"


class PremiumRequirements(RequirementFields):
    """What an organisation requires of a premium registrant (R-PRE-1, R-PRE-2, R-PRE-5, R-PRE-7). Staff set them in
    the organisation's premium settings; the judgement reads only these."""

    model_config = ConfigDict(frozen=True)
    extra_conditions: tuple[ExtraCondition, ...] = Field(
        default=(), max_length=MAX_EXTRA_CONDITIONS, description=EXTRA_CONDITIONS_DESCRIPTION
    )


# --- days ------------------------------------------------------------------------------------------------------------


def window(today: date) -> tuple[date, date]:
    """The last 12 months up to and including `today` (R-PRE-1 年3回, R-PRE-6 直近1年間): from the day after the same
    date a year earlier, where 29 February's "same date" is 28 February (so 2028-02-29 looks back to 2027-03-01),
    and never before 2026-04-01 (R-ACT-5). The same window as the records view's 12-month count, so the count a
    person sees is the count judged."""
    return twelve_month_window(today)


def _year_from(first_day: date) -> date:
    """The last day of one year that begins on `first_day` (民法 143 条): the day before the same date a year later;
    where that year has no such date (29 February), the end of February."""
    try:
        return first_day.replace(year=first_day.year + 1) - timedelta(days=1)
    except ValueError:  # 29 February → 28 February, the month's last day
        return date(first_day.year + 1, 2, 28)


def expiry_after_approval(approved_on: date) -> date:
    """The last day premium is valid after an approval on `approved_on` (R-PRE-6: 登録されてから1年間). Premium holds
    from the approval itself; the year is counted from the next day, since approval comes during a day (民法 140 条,
    初日不算入): approved 2027-04-10 → valid through 2028-04-10; 2028-02-29 → 2029-02-28."""
    return _year_from(approved_on + timedelta(days=1))


def renewed_expiry(old_expiry: date) -> date:
    """R-PRE-6: a renewal extends by one year from the old expiry date, whenever it is approved (当該有効期限から
    さらに1年間): the new year begins the day after the old expiry. 2028-04-10 → 2029-04-10; 2027-02-28 →
    2028-02-29."""
    return _year_from(old_expiry + timedelta(days=1))


def premium_year_start(expires_on: date) -> date:
    """The first day of the premium year that ends on `expires_on`: the day after an approval, or after the expiry
    a renewal extended. Where two first days end on the same day (an approval on 28 or 29 February 2028 both end
    2029-02-28), the later: a record of the approval day then never counts twice."""
    after = expires_on + timedelta(days=1)
    try:
        return after.replace(year=after.year - 1)
    except ValueError:  # after = 29 February: `expires_on` (28 February of a leap year) ends no year; take 1 March
        return date(after.year - 1, 3, 1)


def is_premium(expires_on: date | None, today: date) -> bool:
    """Premium through its expiry day, derived when read (card, judgement, R-PRE-4 count): nothing flips at expiry."""
    return expires_on is not None and today <= expires_on


def held_premium(expiries: Mapping[str, date], today: date) -> frozenset[str]:
    """The organisations (codes) where the person is premium on `today`, from each registration's expiry date."""
    return frozenset(code for code, expires_on in expiries.items() if is_premium(expires_on, today))


def counting_period(today: date, expires_on: date | None = None) -> tuple[date, date]:
    """The days whose records count toward a judgement on `today` for one organisation. `expires_on` is the
    person's premium expiry there, if any. A renewal (premium still valid) counts only the current premium year
    (R-PRE-6: the records that won the last approval do not count twice); otherwise, after a lapse too, the whole
    12-month window."""
    first, last = window(today)
    if expires_on is not None and is_premium(expires_on, today):
        first = max(first, premium_year_start(expires_on))
    return first, last


# --- occasions (R-PRE-1, R-PRE-2) ------------------------------------------------------------------------------------

Counting = Literal["single", "multi_day", "blanket"]
OccasionBasis = Literal["activity", "consecutive_days", "blanket_day"]


def counting_of(activity: Activity) -> Counting:
    """How an activity's records count: blanket (包括指定, each day), multi-day (once, or three with R-PRE-2's
    allowance) or single (once). A blanket flag wins: its records are each a day's attendance."""
    if activity.blanket:
        return "blanket"
    return "multi_day" if activity.multi_day else "single"


class Occasion(BaseModel):
    """One counted occasion, as shown to the person and staff: which activity, the days it stands for, how many
    it counts."""

    model_config = ConfigDict(frozen=True)
    activity_id: str
    activity_name: str | None = None
    days: tuple[date, ...] = Field(description="The attended days (in the counting period) it stands for")
    counts: int = Field(description="1, or 3 for three consecutive days of a multi-day activity (R-PRE-2)")
    basis: OccasionBasis


class OccasionCount(BaseModel):
    """The occasions of one person at one organisation over a counting period."""

    model_config = ConfigDict(frozen=True)
    organisation_code: str
    first_day: date
    last_day: date
    occasions: tuple[Occasion, ...]

    @property
    def total(self) -> int:
        return sum(o.counts for o in self.occasions)


def _longest_run(days: list[date]) -> int:
    """The longest stretch of consecutive days in `days` (sorted, distinct)."""
    longest = run = 0
    previous: date | None = None
    for day in days:
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        longest = max(longest, run)
        previous = day
    return longest


def count_occasions(
    records: Iterable[ActivityRecord],
    *,
    organisation_code: str,
    counting: Mapping[str, Counting],
    first_day: date,
    last_day: date,
    consecutive_days_count_each: bool = False,
) -> OccasionCount:
    """The occasions the person's records make at `organisation_code` between `first_day` and `last_day` inclusive
    (R-PRE-1). Records are stored one per person, activity and day, so days are grouped by activity:

    - a single activity, or one without an Activity item (a claimed pre-launch record, id `p…`, R-ACT-5; anything
      `counting` does not name), counts once;
    - a multi-day activity counts once however many of its days were attended; with the organisation's allowance
      (R-PRE-2, `consecutive_days_count_each`) it counts three when three of its days in a row were attended — at
      most three per activity: the allowance lets one visit stand for the three the guideline asks for, and longer
      or repeated stays are what the long-stay marker recognises (R-PRE-7);
    - a blanket activity (a 自治会's year) counts each day attended.

    R-ACT-4: a record counts for the venue municipality and its prefecture, and is stored once for each, so a
    prefecture's count is simply its own records (those of its municipalities included); records of another
    organisation are ignored here."""
    days_of: dict[str, set[date]] = defaultdict(set)
    names: dict[str, str | None] = {}
    for record in records:
        if record.organisation_code != organisation_code or not first_day <= record.day <= last_day:
            continue
        days_of[record.activity_id].add(record.day)
        names[record.activity_id] = names.get(record.activity_id) or record.activity_name
    occasions: list[Occasion] = []
    for activity_id, day_set in days_of.items():
        days = sorted(day_set)
        # A pre-launch participation is one row of a template, whatever the activity was (R-ACT-5).
        way = "single" if activity_id.startswith(PRELAUNCH_ACTIVITY_PREFIX) else counting.get(activity_id, "single")
        if way == "blanket":
            occasions += [Occasion(activity_id=activity_id, activity_name=names[activity_id], days=(day,), counts=1,
                                   basis="blanket_day") for day in days]
        elif way == "multi_day" and consecutive_days_count_each and _longest_run(days) >= CONSECUTIVE_DAYS:
            occasions.append(Occasion(activity_id=activity_id, activity_name=names[activity_id], days=tuple(days),
                                      counts=CONSECUTIVE_DAYS, basis="consecutive_days"))
        else:
            occasions.append(Occasion(activity_id=activity_id, activity_name=names[activity_id], days=tuple(days),
                                      counts=1, basis="activity"))
    occasions.sort(key=lambda o: (o.days[0], o.activity_id))
    return OccasionCount(organisation_code=organisation_code, first_day=first_day, last_day=last_day,
                         occasions=tuple(occasions))


def stay_days(records: Iterable[ActivityRecord], *, organisation_code: str, first_day: date, last_day: date) -> int:
    """R-PRE-7's stay days as evidenced by records: the distinct days with an attendance record at the organisation
    in the period (several activities on one day are one day's stay)."""
    return len({r.day for r in records if r.organisation_code == organisation_code and first_day <= r.day <= last_day})


def earns_long_stay_marker(requirements: PremiumRequirements, days: int) -> bool:
    """R-PRE-7: the marker on a premium card, where the organisation enabled it and the stay days reach its minimum."""
    return requirements.long_stay_marker and days >= requirements.long_stay_min_days


# --- the limit of three (R-PRE-4) ----------------------------------------------------------------------------------


def _organisation(code: str) -> catalog.Organisation:
    organisation = catalog.get(code)
    if organisation is None:
        raise ValueError(f"unknown organisation code {code}")
    return organisation


def premium_count(held: Iterable[str]) -> int:
    """How many premium organisations count toward R-PRE-4's three: every municipality, and every prefecture in
    which no municipality is held (2-5: 域内市区町村の登録がある都道府県はカウントしない)."""
    organisations = [_organisation(code) for code in set(held)]
    covered = {o.prefecture_code for o in organisations if not o.is_prefecture}
    return sum(1 for o in organisations if not o.is_prefecture or o.code not in covered)


def may_add(held: Iterable[str], candidate: str) -> bool:
    """R-PRE-4: may the person, premium at `held`, also become premium at `candidate`? Yes when the count with it
    stays within three. A prefecture in which a municipality is held adds nothing (it is not counted), so it is
    allowed even with three held; a municipality in a held, counted prefecture takes that prefecture's place."""
    return premium_count({*held, candidate}) <= MAX_PREMIUM_ORGANISATIONS


# --- the judgement (R-PRE-1, R-PRE-3, R-PRE-4, R-PRE-5) ------------------------------------------------------------

VerificationStatus = Status  # the account's verification (shared.domain.verification, R-BAS-4, R-PRE-3)
VERIFIED_ADDRESS = "verified_address"  # a registration's resident_basis once judged from the card's address

ReasonCode = Literal[
    "not_verified",  # R-PRE-3: no My Number Card verification
    "guardian_consent_required",  # R-PRE-3: a minor whose guardian has not yet verified and consented
    "address_not_verified",  # residence not judged from the card's address (not shared with this organisation)
    "resident",  # lives there: premium is for places other than one's address (guideline 4-1)
    "too_few_activities",  # R-PRE-1
    "limit_reached",  # R-PRE-4
]


class Reason(BaseModel):
    """Why an application is not eligible: a stable code (for the app, staff screens and tests) and a Japanese
    message shown as is to the person and to staff."""

    model_config = ConfigDict(frozen=True)
    code: ReasonCode
    message: str


MESSAGES: dict[ReasonCode, str] = {
    "not_verified": "マイナンバーカードによる本人確認が必要です",
    "guardian_consent_required": "18歳未満のため、保護者の同意が必要です（保護者の方のマイナンバーカードによる本人確認）",
    "address_not_verified": "住所地を確認できません。マイナンバーカードの住所をこの団体に提供してください",
    "resident": "住所地の自治体にはプレミアム登録できません",
    "too_few_activities": "活動回数が足りません（{counted}/{needed}回）",
    "limit_reached": "プレミアム登録は3団体までです（域内の市区町村に登録がある都道府県は数えません）",
}


def reason(code: ReasonCode, **values: object) -> Reason:
    return Reason(code=code, message=MESSAGES[code].format(**values))


Approval = Literal["automatic", "staff"]


class Judgement(BaseModel):
    """The automatic judgement of one application (R-PRE-5), shown to the person and to staff."""

    model_config = ConfigDict(frozen=True)
    organisation_code: str
    eligible: bool
    reasons: tuple[Reason, ...] = Field(description="Every unmet requirement; empty when eligible")
    renewal: bool = Field(description="The person is premium there now: the judgement counts the current year only")
    occasions: int
    needed: int
    first_day: date = Field(description="The first day whose records counted")
    last_day: date
    approval: Approval | None = Field(
        default=None,
        description="Who approves an eligible application: the system (automatic approval and no conditions to "
        "check by hand) or staff; None when not eligible",
    )
    extra_conditions: tuple[str, ...] = Field(description="Conditions staff check by hand before approving")


def judge(
    *,
    candidate: str,
    today: date,
    requirements: PremiumRequirements,
    verification: VerificationStatus,
    resident: bool,
    resident_basis: str | None,
    counted: OccasionCount,
    expiries: Mapping[str, date],
) -> Judgement:
    """Judge an application for premium at `candidate` on `today`.

    - `verification`: the account's verification status (R-PRE-3); a minor's is `guardian_required` until a
      guardian verified and consented, so it also says whether consent is there.
    - `resident`, `resident_basis`: the person's registration at `candidate`. Only a residence judged from the
      card's address (`resident_basis == "verified_address"`) is known; any other is not verified.
    - `counted`: the occasions at `candidate` over `counting_period(today, expiries.get(candidate))`; another period
      is a caller's mistake (a renewal must not count the records that won the last approval) and raises.
    - `expiries`: the person's premium expiry date per organisation, lapsed ones included: premium is derived
      from them (`is_premium`) for the renewal and the limit of three.

    Every unmet requirement is a reason, so the person learns all of them at once."""
    if counted.organisation_code != candidate:
        raise ValueError("the occasions were counted for another organisation")
    period = counting_period(today, expiries.get(candidate))
    if (counted.first_day, counted.last_day) != period:
        raise ValueError(f"the occasions were counted over {counted.first_day}..{counted.last_day}, not {period}")
    held = held_premium(expiries, today)
    reasons: list[Reason] = []
    if verification == "unverified":
        reasons.append(reason("not_verified"))
    elif verification == "guardian_required":
        reasons.append(reason("guardian_consent_required"))
    elif resident_basis != VERIFIED_ADDRESS:
        # Verified, but this registration's residence was not judged from the card (the 4 info not shared with
        # the organisation): whether the person lives there is unknown, and premium is only for non-residents.
        reasons.append(reason("address_not_verified"))
    elif resident:
        reasons.append(reason("resident"))
    if counted.total < requirements.activities_needed:
        reasons.append(reason("too_few_activities", counted=counted.total, needed=requirements.activities_needed))
    if not may_add(held, candidate):
        reasons.append(reason("limit_reached"))
    eligible = not reasons
    # Extra conditions are checked by a person: with any, staff approve even where approval is automatic.
    automatic = requirements.auto_approve and not requirements.extra_conditions
    return Judgement(
        organisation_code=candidate,
        eligible=eligible,
        reasons=tuple(reasons),
        renewal=candidate in held,
        occasions=counted.total,
        needed=requirements.activities_needed,
        first_day=counted.first_day,
        last_day=counted.last_day,
        approval=("automatic" if automatic else "staff") if eligible else None,
        extra_conditions=requirements.extra_conditions,
    )


def judgement_with(judgement: Judgement | None, late: Reason) -> Judgement:
    """A judgement that became ineligible after it was made: an approval found the limit of three reached by an
    approval elsewhere in the meantime (R-PRE-4). Its reasons gain `late`; nobody approves it."""
    if judgement is None:
        raise ValueError("no judgement to amend")
    reasons = judgement.reasons if late in judgement.reasons else (*judgement.reasons, late)
    return judgement.model_copy(update={"eligible": False, "reasons": reasons, "approval": None})
