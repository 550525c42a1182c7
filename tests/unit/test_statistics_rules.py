"""Statistics rules (shared/domain/statistics.py): what an item counts for (R-STAT-1, R-BAS-6) and what may be
published (R-STAT-2)."""

from __future__ import annotations

from shared.domain.statistics import difference, people_changes, registration_figures, suppress

REG = {"type": "Registration", "org_code": "212172", "user_id": "u", "since": "2026-11-30T23:30:00+09:00",
       "answers": {"relationship": ["birthplace"], "interests": ["local_news", "tourism_events"]}}


def test_r_bas_6_a_residents_registration_counts_nowhere() -> None:
    assert registration_figures({**REG, "resident": True}) == {}
    assert difference(REG, {**REG, "resident": True})["national"]["registrations"] == -1


def test_premium_is_its_expiry_unless_marked_lapsed_on_that_expiry() -> None:
    premium = {**REG, "premium_expires_on": "2027-11-30", "long_stay_marker": True}
    assert registration_figures(premium)["premium"] == 1 and registration_figures(premium)["long_stay"] == 1
    lapsed = {**premium, "premium_lapsed": "2027-11-30"}
    assert registration_figures(lapsed)["basic"] == 1 and "long_stay" not in registration_figures(lapsed)
    renewed = {**lapsed, "premium_expires_on": "2028-11-30"}
    assert registration_figures(renewed)["premium"] == 1


def test_the_month_of_a_registration_is_tokyos() -> None:
    assert registration_figures(REG)["new_2026-11"] == 1
    assert registration_figures({**REG, "since": "2026-11-30T15:30:00+00:00"})["new_2026-12"] == 1


def test_records_count_for_their_organisation_and_once_in_the_area_and_nationally() -> None:
    venue = {"type": "ActivityRecord", "org_code": "212172", "venue_code": "212172", "day": "2026-12-01"}
    prefecture = {**venue, "org_code": "210005"}
    assert set(difference(None, venue)) == {"org", "area", "national"}
    assert set(difference(None, prefecture)) == {"org"}
    anonymised = {**venue, "type": "AnonymousRecord"}
    assert difference(venue, None)["org"] + difference(None, anonymised)["org"] == {}  # withdrawal: still counted


def test_unique_people_change_when_the_first_place_comes_or_the_last_goes() -> None:
    pref = {"212172": "210005", "210005": "210005", "325252": "320005"}
    assert people_changes(frozenset(), frozenset({"212172"}), pref) == {"": 1, "210005": 1}
    assert people_changes(frozenset({"212172"}), frozenset({"212172", "210005"}), pref) == {}
    assert people_changes(frozenset({"212172", "325252"}), frozenset({"212172"}), pref) == {"320005": -1}


def test_r_stat_2_cells_under_ten_are_withheld_and_not_recoverable_by_subtraction() -> None:
    shown = suppress({"registrations": 105, "basic": 100, "premium": 5, "people": 9, "rel_birthplace": 0})
    assert shown["premium"] is None and shown["basic"] is None  # 105 - 100 would give premium away
    assert shown["registrations"] == 105 and shown["people"] is None and shown["rel_birthplace"] == 0
    assert suppress({"registrations": 30, "basic": 15, "premium": 15}) == {"registrations": 30, "basic": 15, "premium": 15}
    months = suppress({"registrations": 40, "new_2026-10": 3, "new_2026-11": 20, "new_2026-12": 17})
    assert months["new_2026-10"] is None and months["new_2026-12"] is None and months["new_2026-11"] == 20
    assert suppress({"registrations": -1})["registrations"] is None
