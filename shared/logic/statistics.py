"""関係人口 statistics (R-STAT-1/2): the counters' upkeep from the table's stream, the month-end snapshots and the
reads staff and the public make. Rules in shared/domain/statistics.py; storage in shared/dal/statistics.py."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field

from .. import clock
from ..dal import keys
from ..dal.items import load
from ..dal.statistics import MembershipChanged, StatisticsRepository, scope_key
from ..domain import statistics as rules
from ..domain.errors import ConcurrentUpdate, Forbidden
from ..domain.models import OrganisationRef
from ..organisations import catalog
from .organisations import organisation_ref

EVENT_MARKER_SECONDS = 2 * 24 * 3600  # a stream keeps records 24 h: a redelivery comes within that
MEMBERSHIP_ATTEMPTS = 5


def prefecture_of(code: str) -> str:
    organisation = catalog.get(code)
    return organisation.prefecture_code if organisation is not None else code


def _image(record: Mapping[str, Any], name: str) -> dict[str, Any] | None:
    raw = record.get("dynamodb", {}).get(name)
    return load(raw) if raw else None


@dataclass(frozen=True)
class Outcome:
    applied: bool  # False: nothing to count, or applied before (a redelivery)
    items_written: int = 0


class StatisticsUpkeep:
    """Applies one stream record to the counters, exactly once (the event's marker is written in the same
    transaction as the counters: a record delivered twice, or a batch retried, counts once)."""

    def __init__(self, repository: StatisticsRepository, now: Callable[[], datetime] = clock.now) -> None:
        self._repository = repository
        self._now = now

    def apply(self, record: Mapping[str, Any]) -> Outcome:
        old, new = _image(record, "OldImage"), _image(record, "NewImage")
        either = new or old or {}
        code = either.get("org_code")
        if not code or either.get("type") not in rules.COUNTED_TYPES:
            return Outcome(False)
        changes = rules.difference(old, new)
        area = prefecture_of(code)
        counters: dict[str, Counter[str]] = {}
        for kind, figures in changes.items():
            counters[scope_key(kind, code if kind == "org" else area)] = Counter(figures)
        counted_before, counted_after = rules.registration_counts(old), rules.registration_counts(new)
        expires = int(self._now().timestamp()) + EVENT_MARKER_SECONDS
        event_id = record["eventID"]
        spread = str(either.get("pk", event_id))
        if either.get("type") != rules.REGISTRATION or counted_before == counted_after:
            if not counters:
                return Outcome(False)
            applied = self._repository.apply(event_id, counters, expires, spread)
            return Outcome(applied, 1 + len(counters) if applied else 0)
        user = either.get("user_id") or keys.user_of(either["user_pk"])
        for _ in range(MEMBERSHIP_ATTEMPTS):
            before = self._repository.membership(user)
            after = before.codes | {code} if counted_after else before.codes - {code}
            with_people = {scope: Counter(figures) for scope, figures in counters.items()}
            prefectures = {c: prefecture_of(c) for c in before.codes | after}
            for area_code, change in rules.people_changes(before.codes, frozenset(after), prefectures).items():
                scope = scope_key("national") if area_code == "" else scope_key("area", area_code)
                with_people.setdefault(scope, Counter())[rules.PEOPLE] += change
            with_people = {s: Counter({k: v for k, v in f.items() if v}) for s, f in with_people.items()}
            with_people = {s: f for s, f in with_people.items() if f}
            try:
                applied = self._repository.apply(event_id, with_people, expires, spread, user, before, frozenset(after))
                return Outcome(applied, 2 + len(with_people) if applied else 0)
            except MembershipChanged:
                continue
        raise ConcurrentUpdate(f"membership kept changing ({MEMBERSHIP_ATTEMPTS} attempts)")


def all_scopes() -> list[str]:
    """Every scope there can be figures of: the country, each prefecture's area, each organisation (the catalog)."""
    return (
        [scope_key("national")]
        + [scope_key("area", p.code) for p in catalog.prefectures()]
        + [scope_key("org", o.code) for o in catalog.all_organisations()]
    )


def previous_month(day: date) -> str:
    return (day.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")


class Snapshots:
    """The month-end copies (the monthly schedule): every scope's current figures into a month item, so a time series
    is readable. Run on the 1st (Tokyo) for the month just ended; running it again rewrites the same month."""

    def __init__(self, repository: StatisticsRepository) -> None:
        self._repository = repository

    def take(self, at: datetime) -> dict[str, Any]:
        month = previous_month(at.astimezone(clock.TOKYO).date())
        figures = self._repository.current(all_scopes())
        written = self._repository.save_snapshots(month, figures, at.isoformat())
        return {"month": month, "scopes": written}


# --- reading ---------------------------------------------------------------------------------------------------------

Scope = Literal["organisation", "area", "national"]


@dataclass(frozen=True)
class FigureSet:
    scope: Scope
    code: str | None
    month: str | None  # None: current figures
    figures: dict[str, int | None]


class StatisticsReader:
    def __init__(self, repository: StatisticsRepository) -> None:
        self._repository = repository

    def _read(self, scopes: list[str], month: str | None) -> dict[str, Counter[str]]:
        if month is None:
            return self._repository.current(scopes)
        return {s: (f or Counter()) for s, f in self._repository.snapshots(scopes, month).items()}

    def staff_statistics(self, staff_code: str, organisation: str | None, month: str | None) -> StaffStatistics:
        sets = self.for_staff(staff_code, organisation, month)
        return StaffStatistics(sets=[view(s) for s in sets], months=self.staff_months(organisation or staff_code))

    def national_statistics(self, month: str | None) -> NationalStatistics:
        found = self.national(month)
        return NationalStatistics(month=month, threshold=rules.THRESHOLD, figures=dict(sorted(found.figures.items())),
                                  months=self.national_months())

    def for_staff(self, staff_code: str, organisation: str | None, month: str | None) -> list[FigureSet]:
        """Staff's own organisation's figures (R-PRIV-2); a prefecture's staff also its whole area's, and any one of its
        municipalities' (`organisation`). Exact figures: staff see their own registrants anyway."""
        staff_org = catalog.get(staff_code)
        target = organisation or staff_code
        if target != staff_code:
            wanted = catalog.get(target)
            if staff_org is None or not staff_org.is_prefecture or wanted is None or wanted.prefecture_code != staff_code:
                raise Forbidden("statistics of another organisation")
        scopes = [scope_key("org", target)]
        if target == staff_code and staff_org is not None and staff_org.is_prefecture:
            scopes.append(scope_key("area", staff_code))
        read = self._read(scopes, month)
        result = [FigureSet("organisation", target, month, _with_people(read[scopes[0]]))]
        if len(scopes) > 1:
            result.append(FigureSet("area", staff_code, month, dict(read[scopes[1]])))
        return result

    def national(self, month: str | None) -> FigureSet:
        """The public national figures, every small cell suppressed (R-STAT-2)."""
        scope = scope_key("national")
        figures = self._read([scope], month)[scope]
        return FigureSet("national", None, month, rules.suppress(figures))

    def national_months(self) -> list[str]:
        return self._repository.months(scope_key("national"))

    def staff_months(self, staff_code: str) -> list[str]:
        return self._repository.months(scope_key("org", staff_code))


def _with_people(figures: Mapping[str, int]) -> dict[str, int]:
    """An organisation has one registration per person: its unique people equal its registrations."""
    return {**figures, rules.PEOPLE: figures.get(rules.REGISTRATIONS, 0)}


# --- API views -------------------------------------------------------------------------------------------------------

MONTH_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
FIGURES_DESCRIPTION = (
    "Figure name → value. registrations (延べ人数), people (実人数: one person once however many places), basic, "
    "premium, verified (identity verified), long_stay (二地域居住 marker), rel_<choice> (relationship to the place, "
    "survey), int_<choice> (interests), new_<YYYY-MM> (registrations made that month and still counted), "
    "records_<YYYY-MM> (activity records). Residents are never counted (R-BAS-6)."
)


class FigureSetView(BaseModel):
    scope: Literal["organisation", "area", "national"] = Field(
        description="organisation: its own registrations; area: a prefecture with all its municipalities; national"
    )
    organisation: OrganisationRef | None = Field(default=None, description="The organisation or prefecture (none: national)")
    month: str | None = Field(default=None, description="Month-end snapshot (YYYY-MM); null: current figures")
    figures: dict[str, int | None] = Field(description=FIGURES_DESCRIPTION)


class StaffStatistics(BaseModel):
    """An organisation's 関係人口 statistics (R-STAT-1) for its staff (R-PRIV-2)."""

    sets: list[FigureSetView]
    months: list[str] = Field(description="Months with a month-end snapshot, oldest first (the time series)")


class NationalStatistics(BaseModel):
    """The public national statistics (R-STAT-2): aggregated, every cell under the threshold withheld (null)."""

    month: str | None = Field(default=None, description="Month-end snapshot (YYYY-MM); null: current figures")
    threshold: int = Field(description="Cells from 1 to threshold-1 are withheld (null), and any cell they could be derived from")
    figures: dict[str, int | None] = Field(description=FIGURES_DESCRIPTION)
    months: list[str] = Field(description="Months with a month-end snapshot, oldest first (the time series)")


def view(figure_set: FigureSet) -> FigureSetView:
    organisation = catalog.get(figure_set.code) if figure_set.code else None
    return FigureSetView(
        scope=figure_set.scope,
        organisation=organisation_ref(organisation) if organisation else None,
        month=figure_set.month,
        figures=dict(sorted(figure_set.figures.items())),
    )


def as_csv(statistics: StaffStatistics) -> str:
    """One row per figure, one column per set (spreadsheet-friendly; UTF-8 with BOM for Excel)."""
    import csv
    import io

    names = sorted({name for s in statistics.sets for name in s.figures})
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["figure", *(f"{s.scope}:{s.organisation.code if s.organisation else 'national'}" for s in statistics.sets)])
    for name in names:
        writer.writerow([name, *(("" if s.figures.get(name) is None else s.figures.get(name)) if name in s.figures else 0 for s in statistics.sets)])
    return "\ufeff" + out.getvalue()
