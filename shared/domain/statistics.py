"""関係人口 statistics (R-STAT-1/2, R-BAS-6): what one item contributes to the figures, and what may be published.

Pure rules over stored item images (dicts as the data layer reads them, or as the table's stream carries them
deserialised): the stream handler applies the difference of a change's old and new image (shared/logic/statistics.py)
and the operators' recount (ops/recount.py) adds up every item's contribution, with the same functions, so the two
can only disagree where the incremental path lost or doubled a change.

Figures (one counter per name, per scope):
- `registrations` (延べ人数) and, per organisation, one per person (so `people` there equals it); `people` (実人数)
  nationally and per prefecture area: one person counts once however many places (membership, below);
- `basic` / `premium`: premium ⟺ `premium_expires_on` set and `premium_lapsed` != it (the expiry schedule marks a
  lapse; a renewal sets a new expiry: premium again); `verified` (the registration's 4 info verified with the card);
  `long_stay` (a premium registration's 二地域居住 marker, R-PRE-7);
- `rel_<choice>` / `int_<choice>`: the common survey's relationship types and interests (shared/domain/survey.py);
- `new_<YYYY-MM>`: registrations (still counted) made in that month (Tokyo); `records_<YYYY-MM>`: activity records
  (attendance, RECORD items, anonymised ones included) of that month.
Residents (`resident`) count nowhere (R-BAS-6): a registration flagged resident contributes nothing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from ..clock import TOKYO

REGISTRATION = "Registration"
RECORD_TYPES = ("ActivityRecord", "AnonymousRecord")
COUNTED_TYPES = (REGISTRATION, *RECORD_TYPES)  # the stream's filter (shared/functions.py): only these change figures

THRESHOLD = 10  # R-STAT-2: a published cell under this is suppressed (could single out a person)

RELATIONSHIP_PREFIX = "rel_"
INTEREST_PREFIX = "int_"
NEW_PREFIX = "new_"
RECORDS_PREFIX = "records_"
PEOPLE = "people"
REGISTRATIONS = "registrations"


def is_counted_premium(item: Mapping[str, Any]) -> bool:
    expires = item.get("premium_expires_on")
    return bool(expires) and item.get("premium_lapsed") != expires


def registration_counts(item: Mapping[str, Any] | None) -> bool:
    """Whether a registration item counts at all (exists, is a registration, not a resident's: R-BAS-6)."""
    return bool(item) and item.get("type") == REGISTRATION and not item.get("resident", False)


def _month(iso: str) -> str:
    moment = datetime.fromisoformat(iso)
    if moment.tzinfo is not None:
        moment = moment.astimezone(TOKYO)
    return moment.strftime("%Y-%m")


def _choices(answer: Any) -> Iterable[str]:
    if isinstance(answer, str):
        return (answer,)
    if isinstance(answer, (list, tuple, set, frozenset)):
        return tuple(a for a in answer if isinstance(a, str))
    return ()


def registration_figures(item: Mapping[str, Any] | None) -> Counter[str]:
    """What one registration item adds to its organisation's (and its prefecture area's, and the country's) figures."""
    figures: Counter[str] = Counter()
    if not registration_counts(item):
        return figures
    assert item is not None
    premium = is_counted_premium(item)
    figures[REGISTRATIONS] += 1
    figures["premium" if premium else "basic"] += 1
    if item.get("personal_verified_on"):
        figures["verified"] += 1
    if premium and item.get("long_stay_marker"):
        figures["long_stay"] += 1
    answers = item.get("answers") or {}
    for choice in _choices(answers.get("relationship")):
        figures[f"{RELATIONSHIP_PREFIX}{choice}"] += 1
    for choice in _choices(answers.get("interests")):
        figures[f"{INTEREST_PREFIX}{choice}"] += 1
    if item.get("since"):
        figures[f"{NEW_PREFIX}{_month(item['since'])}"] += 1
    return figures


def record_figures(item: Mapping[str, Any] | None) -> Counter[str]:
    figures: Counter[str] = Counter()
    if item and item.get("type") in RECORD_TYPES and item.get("day"):
        figures[f"{RECORDS_PREFIX}{str(item['day'])[:7]}"] += 1
    return figures


def record_counts_in_area(item: Mapping[str, Any]) -> bool:
    """A record exists once per organisation it counts for (R-ACT-4: the venue municipality's and its prefecture's
    copy). Each counts for its own organisation; the area and the country count the venue's copy only, once."""
    return item.get("org_code") == item.get("venue_code")


def item_contributions(item: Mapping[str, Any] | None) -> dict[str, Counter[str]]:
    """The figures one item adds, by scope kind (`org`, `area`, `national`), for its organisation (`org_code`)."""
    if not item:
        return {}
    if item.get("type") == REGISTRATION:
        figures = registration_figures(item)
        return {"org": figures, "area": figures, "national": figures} if figures else {}
    figures = record_figures(item)
    if not figures:
        return {}
    if record_counts_in_area(item):
        return {"org": figures, "area": figures, "national": figures}
    return {"org": figures}


def difference(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> dict[str, Counter[str]]:
    """What a change of one item (old image → new image; None: absent) does to each scope kind's figures; only
    non-zero entries."""
    result: dict[str, Counter[str]] = {}
    before, after = item_contributions(old), item_contributions(new)
    for kind in ("org", "area", "national"):
        delta: Counter[str] = Counter()
        for name, value in after.get(kind, Counter()).items():
            delta[name] += value
        for name, value in before.get(kind, Counter()).items():
            delta[name] -= value
        delta = Counter({k: v for k, v in delta.items() if v})
        if delta:
            result[kind] = delta
    return result


def people_changes(before: frozenset[str], after: frozenset[str], prefecture_of: Mapping[str, str]) -> dict[str, int]:
    """Unique people (実人数): the person's counted organisations before and after a change → the change of `people`
    nationally (key "") and per prefecture area (key: the prefecture's code). A person counts once per area, however
    many of its organisations they are registered with."""
    changes: dict[str, int] = {}
    if bool(before) != bool(after):
        changes[""] = 1 if after else -1
    areas_before = {prefecture_of[c] for c in before}
    areas_after = {prefecture_of[c] for c in after}
    for area in areas_after - areas_before:
        changes[area] = 1
    for area in areas_before - areas_after:
        changes[area] = -1
    return changes


# --- publication (R-STAT-2) ------------------------------------------------------------------------------------------


def additive_groups(figures: Mapping[str, int]) -> list[tuple[str, tuple[str, ...]]]:
    """Figures that add up to another shown figure: suppressing one part alone would let a reader subtract it back."""
    months = tuple(sorted(k for k in figures if k.startswith(NEW_PREFIX)))
    return [(REGISTRATIONS, ("basic", "premium")), (REGISTRATIONS, months)]


def suppress(figures: Mapping[str, int], threshold: int = THRESHOLD) -> dict[str, int | None]:
    """Every cell from 1 to threshold-1 is withheld (None), so no published figure singles out a few people; where a
    group of cells adds up to a shown total, a withheld part is not left alone in it: the next smallest part is
    withheld too (complementary suppression), so subtraction cannot recover it. Zero is shown (it singles out no one).
    Negative values (a counter mid-update) are shown as withheld."""
    shown: dict[str, int | None] = {
        name: (None if value < 0 or 0 < value < threshold else value) for name, value in figures.items()
    }
    changed = True
    while changed:
        changed = False
        for total, parts in additive_groups(figures):
            if shown.get(total) is None:
                continue
            hidden = [p for p in parts if p in shown and shown[p] is None]
            visible = sorted((figures[p], p) for p in parts if p in shown and shown[p] is not None and figures[p] > 0)
            if len(hidden) == 1 and visible:
                shown[visible[0][1]] = None
                changed = True
    return shown
