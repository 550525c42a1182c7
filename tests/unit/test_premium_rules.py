"""Premium registration's pure rules (R-PRE-1..7, R-ACT-4): requirements, the 12-month window, counting occasions,
the limit of three (the guideline's five examples), the judgement and its reasons, expiry and renewal."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from pydantic import ValidationError

from shared.clock import TOKYO
from shared.domain.activities import Activity, ActivityRecord
from shared.domain.premium import (
    OccasionCount,
    PremiumRequirements,
    count_occasions,
    counting_of,
    counting_period,
    earns_long_stay_marker,
    expiry_after_approval,
    held_premium,
    is_premium,
    judge,
    may_add,
    premium_count,
    premium_year_start,
    renewed_expiry,
    stay_days,
    window,
)

# Real codes (shared/organisations/catalog.py): prefecture A, B, C, D and municipalities in them.
GIFU, HIDA, TAKAYAMA = "210005", "212172", "212032"  # A: 岐阜県, X: 飛騨市, Y: 高山市
MIYAGI, KESENNUMA, SENDAI = "040002", "042056", "041009"  # B: 宮城県, 気仙沼市, 仙台市
NAGANO, MATSUMOTO = "200000", "202029"  # C: 長野県, 松本市
OKINAWA, NAHA = "470007", "472018"  # D: 沖縄県, 那覇市
HOKKAIDO, TOKYO_TO = "010006", "130001"
CODES = [GIFU, HIDA, TAKAYAMA, MIYAGI, KESENNUMA, SENDAI, NAGANO, MATSUMOTO, OKINAWA, NAHA, HOKKAIDO, TOKYO_TO]

days = st.dates(min_value=date(2026, 4, 1), max_value=date(2040, 12, 31))


def record(activity_id: str, day: date, organisation: str = HIDA, venue: str = HIDA) -> ActivityRecord:
    return ActivityRecord(organisation_code=organisation, user_id="u1", activity_id=activity_id, designated_by=venue,
                          venue_code=venue, day=day, source="qr_printed",
                          recorded_at=datetime(2027, 1, 1, tzinfo=TOKYO))


def count(records, counting=None, allowance=False, organisation=HIDA, first=date(2026, 4, 1), last=date(2027, 3, 31)):
    return count_occasions(records, organisation_code=organisation, counting=counting or {}, first_day=first,
                           last_day=last, consecutive_days_count_each=allowance)


def run(activity_id: str, first: date, length: int, **where) -> list[ActivityRecord]:
    return [record(activity_id, first + timedelta(days=i), **where) for i in range(length)]


# --- requirements (R-PRE-1, R-PRE-2, R-PRE-5, R-PRE-7) ------------------------------------------------------------


def test_r_pre_1_requirements_default_to_the_guidelines_base():
    requirements = PremiumRequirements()
    assert (requirements.activities_needed, requirements.consecutive_days_count_each, requirements.extra_conditions,
            requirements.auto_approve, requirements.long_stay_marker, requirements.long_stay_min_days) == (
        3, False, (), False, False, 10)


@pytest.mark.parametrize("change", [
    {"activities_needed": 2}, {"activities_needed": 51}, {"long_stay_min_days": 0}, {"long_stay_min_days": 366},
    {"extra_conditions": ["条件"] * 11}, {"extra_conditions": ["あ" * 201]}, {"extra_conditions": [""]},
])
def test_r_pre_1_requirements_refuse_values_out_of_range(change):
    with pytest.raises(ValidationError):
        PremiumRequirements(**change)


def test_requirements_are_frozen_and_take_a_list_of_conditions():
    requirements = PremiumRequirements(activities_needed=5, extra_conditions=["地区の清掃活動に年1回参加"])
    assert requirements.extra_conditions == ("地区の清掃活動に年1回参加",)
    with pytest.raises(ValidationError):
        requirements.activities_needed = 3


# --- the 12-month window (R-PRE-1, R-PRE-6) ------------------------------------------------------------------------


@pytest.mark.parametrize("today, first", [
    (date(2028, 2, 29), date(2027, 3, 1)),  # 2027 has no 29 February: a year earlier is 28 February
    (date(2028, 2, 28), date(2027, 3, 1)),
    (date(2028, 3, 1), date(2027, 3, 2)),
    (date(2029, 2, 28), date(2028, 2, 29)),  # the leap day is in the window a year later
    (date(2029, 3, 1), date(2028, 3, 2)),
    (date(2027, 3, 31), date(2026, 4, 1)),
    (date(2027, 4, 30), date(2026, 5, 1)),
    (date(2027, 12, 31), date(2027, 1, 1)),
    (date(2027, 1, 1), date(2026, 4, 1)),  # R-ACT-5: nothing before 2026-04-01 counts
])
def test_r_pre_1_window_is_the_last_12_months_including_today(today, first):
    assert window(today) == (first, today)


@given(days.filter(lambda d: d >= date(2027, 4, 1)))
def test_r_pre_1_window_is_a_year_after_the_same_date_a_year_earlier(today):
    first, last = window(today)
    assert last == today
    assert (last - first).days + 1 in (365, 366)
    year_earlier = date(today.year - 1, today.month, min(today.day, 28 if today.month == 2 else 31))
    assert first - timedelta(days=1) == year_earlier


@given(days)
def test_r_pre_1_the_window_moves_forward_with_the_day(today):
    assert window(today)[0] <= window(today + timedelta(days=1))[0]


# --- expiry and renewal (R-PRE-6) ----------------------------------------------------------------------------------


@pytest.mark.parametrize("approved, expires", [
    (date(2027, 4, 10), date(2028, 4, 10)),
    (date(2027, 12, 31), date(2028, 12, 31)),
    (date(2028, 2, 29), date(2029, 2, 28)),
    (date(2028, 2, 28), date(2029, 2, 28)),
    (date(2027, 2, 28), date(2028, 2, 29)),  # the year begins 1 March 2027 and ends the day before 1 March 2028
])
def test_r_pre_6_approval_is_valid_for_a_year_counted_from_the_next_day(approved, expires):
    assert expiry_after_approval(approved) == expires


@pytest.mark.parametrize("old, new", [
    (date(2028, 4, 10), date(2029, 4, 10)),
    (date(2027, 2, 28), date(2028, 2, 29)),
    (date(2028, 2, 29), date(2029, 2, 28)),
    (date(2028, 12, 31), date(2029, 12, 31)),
])
def test_r_pre_6_renewal_extends_a_year_from_the_old_expiry(old, new):
    assert renewed_expiry(old) == new


@given(days)
def test_r_pre_6_premium_from_the_approval_day_through_its_expiry(approved):
    expires = expiry_after_approval(approved)
    assert is_premium(expires, approved) and is_premium(expires, expires)
    assert not is_premium(expires, expires + timedelta(days=1))
    assert (expires - approved).days in (365, 366)


@given(days, st.integers(min_value=1, max_value=8))
def test_r_pre_6_renewals_do_not_drift_from_the_approval_date(approved, renewals):
    assume((approved.month, approved.day) not in ((2, 28), (2, 29)))
    expires = expiry_after_approval(approved)
    for _ in range(renewals):
        expires = renewed_expiry(expires)
    assert expires == approved.replace(year=approved.year + 1 + renewals)


@given(days)
def test_r_pre_6_a_renewal_starts_its_year_after_the_old_expiry(old):
    new = renewed_expiry(old)
    assert (new - old).days in (365, 366)
    assert premium_year_start(new) - old in (timedelta(days=1), timedelta(days=2))  # 2: after 28 Feb of a leap year


@given(days)
def test_r_pre_6_the_premium_year_after_an_approval_starts_the_next_day(approved):
    # Records of the approval day may have won it: a renewal never counts them.
    assert premium_year_start(expiry_after_approval(approved)) - approved in (timedelta(days=1), timedelta(days=2))


def test_r_pre_6_premium_is_derived_from_expiry_dates():
    today = date(2028, 4, 10)
    assert not is_premium(None, today)
    assert held_premium({HIDA: today, KESENNUMA: today - timedelta(days=1), MATSUMOTO: date(2029, 1, 1)}, today) == {
        HIDA, MATSUMOTO}


def test_r_pre_6_a_renewal_counts_only_the_current_premium_year():
    approved = date(2027, 4, 10)
    expires = expiry_after_approval(approved)  # 2028-04-10
    assert counting_period(date(2028, 3, 20), expires) == (date(2027, 4, 11), date(2028, 3, 20))
    # After the lapse, the last 12 months, whatever was approved before.
    assert counting_period(date(2028, 4, 11), expires) == window(date(2028, 4, 11))
    assert counting_period(date(2028, 3, 20)) == window(date(2028, 3, 20))


# --- occasions (R-PRE-1, R-PRE-2, R-ACT-4) -------------------------------------------------------------------------

DAY = date(2026, 10, 3)


def test_r_pre_1_a_single_activity_counts_once():
    assert count([record("a1", DAY)], {"a1": "single"}).total == 1


def test_r_pre_1_a_multi_day_activity_counts_once_however_many_days():
    counted = count(run("a1", DAY, 3), {"a1": "multi_day"})
    assert counted.total == 1
    assert counted.occasions[0].days == (DAY, DAY + timedelta(days=1), DAY + timedelta(days=2))


def test_r_pre_2_three_consecutive_days_count_three_where_allowed():
    counted = count(run("a1", DAY, 3), {"a1": "multi_day"}, allowance=True)
    assert counted.total == 3
    assert [(o.counts, o.basis) for o in counted.occasions] == [(3, "consecutive_days")]


@pytest.mark.parametrize("attended, total", [
    ([0, 1], 1),  # two days in a row are not three
    ([0, 1, 3], 1),  # three days, not consecutive
    ([0, 1, 2, 3, 4, 5, 6], 3),  # a week's stay: at most three (the long-stay marker recognises more)
    ([0, 1, 2, 10, 11, 12], 3),  # two visits of three days to one activity: still one activity
])
def test_r_pre_2_the_allowance_needs_three_days_in_a_row_and_gives_at_most_three(attended, total):
    records = [record("a1", DAY + timedelta(days=i)) for i in attended]
    assert count(records, {"a1": "multi_day"}, allowance=True).total == total


def test_r_pre_2_the_allowance_does_not_apply_to_single_activities():
    records = [record("a1", DAY + timedelta(days=i)) for i in range(3)]  # a single activity edited: still once
    assert count(records, {"a1": "single"}, allowance=True).total == 1


def test_r_pre_1_a_blanket_activity_counts_each_day_attended():
    records = [record("a1", DAY + timedelta(days=i)) for i in (0, 7, 14, 15)]
    for allowance in (False, True):
        counted = count(records, {"a1": "blanket"}, allowance=allowance)
        assert counted.total == 4 and {o.basis for o in counted.occasions} == {"blanket_day"}


def test_r_act_5_a_prelaunch_record_is_one_occasion_and_an_unknown_activity_counts_once():
    records = [record("p" + "0" * 16, DAY), *run("a9", DAY, 3)]
    assert count(records, {"p" + "0" * 16: "blanket"}, allowance=True).total == 2


def test_r_pre_1_only_records_in_the_period_count_and_runs_are_cut_at_its_edge():
    records = run("a1", date(2026, 3, 30), 4) + [record("a2", date(2027, 4, 1))]  # 3/30..4/2, and after the end
    counted = count(records, {"a1": "multi_day", "a2": "single"}, allowance=True)
    assert counted.total == 1 and counted.occasions[0].days == (date(2026, 4, 1), date(2026, 4, 2))


def test_r_act_4_a_prefecture_counts_its_own_copies_of_its_municipalities_records():
    # Guideline III-3 例2: one activity each in three municipalities of a prefecture qualifies the prefecture.
    records = []
    for activity, venue, day in (("a1", HIDA, DAY), ("a2", TAKAYAMA, DAY + timedelta(days=30)),
                                 ("a3", HIDA, DAY + timedelta(days=60))):
        records += [record(activity, day, organisation=venue, venue=venue), record(activity, day, GIFU, venue)]
    assert count(records, organisation=GIFU).total == 3
    assert count(records, organisation=HIDA).total == 2
    assert count(records, organisation=TAKAYAMA).total == 1


def test_r_pre_1_occasions_show_the_activitys_name_in_day_order():
    records = [record("a2", DAY + timedelta(days=5)), record("a1", DAY).model_copy(update={"activity_name": "棚田の草刈り"})]
    assert [(o.activity_id, o.activity_name) for o in count(records).occasions] == [("a1", "棚田の草刈り"), ("a2", None)]


def test_counting_of_an_activity():
    def activity(**flags):
        starts = datetime(2026, 10, 3, 9, tzinfo=TOKYO)
        length = timedelta(days=300) if flags.get("blanket") else timedelta(days=2) if flags else timedelta(hours=3)
        ends = starts + length
        return Activity(id="a1", organisation_code=HIDA, venue_code=HIDA, name="草刈り", kind="project", place="古川町",
                        starts_at=starts, ends_at=ends, created_at=starts, updated_at=starts, **flags)

    assert counting_of(activity()) == "single"
    assert counting_of(activity(multi_day=True)) == "multi_day"
    assert counting_of(activity(blanket=True)) == "blanket"
    assert counting_of(activity(blanket=True, multi_day=True)) == "blanket"


activity_ids = st.sampled_from(["a1", "a2", "a3", "p1"])
record_lists = st.lists(st.tuples(activity_ids, st.integers(min_value=0, max_value=40)), max_size=30).map(
    lambda items: [record(a, DAY + timedelta(days=d)) for a, d in items])
counting_maps = st.fixed_dictionaries(
    {a: st.sampled_from(["single", "multi_day", "blanket"]) for a in ("a1", "a2", "a3")})


@given(record_lists, counting_maps, st.booleans())
def test_r_pre_1_every_activity_counts_at_least_once_and_at_most_once_per_day(records, counting, allowance):
    counted = count(records, counting, allowance)
    activities = {r.activity_id for r in records}
    record_days = {(r.activity_id, r.day) for r in records}
    assert len(activities) <= counted.total <= max(len(record_days), 3 * len(activities))
    assert count(list(reversed(records)) + records, counting, allowance) == counted  # order and repeats do not matter


@given(record_lists, counting_maps)
def test_r_pre_2_the_allowance_never_lowers_a_count(records, counting):
    assert count(records, counting, allowance=True).total >= count(records, counting, allowance=False).total


@given(record_lists, counting_maps, st.booleans(), activity_ids, st.integers(min_value=0, max_value=40))
def test_r_pre_1_another_record_never_lowers_a_count(records, counting, allowance, activity_id, offset):
    more = [*records, record(activity_id, DAY + timedelta(days=offset))]
    assert count(more, counting, allowance).total >= count(records, counting, allowance).total


def test_r_pre_7_stay_days_are_distinct_days_with_records():
    records = [record("a1", DAY), record("a2", DAY), *run("a3", DAY + timedelta(days=1), 9),
               record("a4", DAY, organisation=GIFU), record("a5", date(2026, 3, 1))]
    assert stay_days(records, organisation_code=HIDA, first_day=date(2026, 4, 1), last_day=date(2027, 3, 31)) == 10


def test_r_pre_7_the_long_stay_marker_needs_the_setting_and_the_days():
    assert not earns_long_stay_marker(PremiumRequirements(), 300)
    enabled = PremiumRequirements(long_stay_marker=True)
    assert earns_long_stay_marker(enabled, 10) and not earns_long_stay_marker(enabled, 9)
    assert earns_long_stay_marker(PremiumRequirements(long_stay_marker=True, long_stay_min_days=30), 30)


# --- the limit of three (R-PRE-4, guideline 2-5 and 4-6) ----------------------------------------------------------

GUIDELINE_EXAMPLES = {
    # 登録可
    "example_1_X_city_A_Y_city_B_Z_city_C": ([HIDA, KESENNUMA, MATSUMOTO], True),
    "example_2_X_Y_in_A_Z_in_B": ([HIDA, TAKAYAMA, KESENNUMA], True),
    "example_3_X_Y_in_A_prefecture_B_alone": ([HIDA, TAKAYAMA, MIYAGI], True),
    # 登録不可
    "example_4_X_A_Y_B_Z_C_prefecture_D_alone": ([HIDA, KESENNUMA, MATSUMOTO, OKINAWA], False),
    "example_5_X_Y_in_A_prefecture_B_alone_prefecture_C_alone": ([HIDA, TAKAYAMA, MIYAGI, NAGANO], False),
}


@pytest.mark.parametrize("name", GUIDELINE_EXAMPLES)
def test_r_pre_4_the_guidelines_five_examples(name):
    organisations, allowed = GUIDELINE_EXAMPLES[name]
    assert (premium_count(organisations) <= 3) is allowed
    for last in organisations:  # whichever is applied for last
        assert may_add(set(organisations) - {last}, last) is allowed


def test_r_pre_4_a_prefecture_with_a_held_municipality_is_not_counted():
    held = {HIDA, KESENNUMA, MATSUMOTO}
    assert premium_count(held | {GIFU, MIYAGI, NAGANO}) == 3
    assert may_add(held, GIFU)  # adds nothing to the count, even with three held
    assert not may_add(held, OKINAWA)


def test_r_pre_4_a_municipality_in_a_counted_prefecture_takes_its_place():
    assert may_add({HIDA, TAKAYAMA, MIYAGI}, KESENNUMA)  # 宮城県 is no longer counted: 飛騨市, 高山市, 気仙沼市
    assert premium_count({HIDA, TAKAYAMA, MIYAGI, KESENNUMA, SENDAI}) == 4


def test_r_pre_4_an_unknown_code_is_a_mistake():
    with pytest.raises(ValueError):
        premium_count({"999999"})


held_sets = st.sets(st.sampled_from(CODES), max_size=8)


@given(held_sets)
def test_r_pre_4_municipalities_always_count_prefectures_at_most_once(held):
    municipalities = {c for c in held if c not in (GIFU, MIYAGI, NAGANO, OKINAWA, HOKKAIDO, TOKYO_TO)}
    assert len(municipalities) <= premium_count(held) <= len(held)


@given(held_sets, st.sampled_from(CODES))
def test_r_pre_4_a_lapse_never_raises_the_count(held, lapsed):
    # A municipality lapsing may make its prefecture count again, but only in its place.
    assert premium_count(held - {lapsed}) <= premium_count(held)


@given(st.sets(st.sampled_from(CODES), min_size=1, max_size=8), st.data())
def test_r_pre_4_renewing_a_held_premium_adds_nothing_to_the_count(held, data):
    candidate = data.draw(st.sampled_from(sorted(held)))
    assert may_add(held, candidate) is (premium_count(held) <= 3)


# --- the judgement (R-PRE-1, R-PRE-3, R-PRE-4, R-PRE-5) -----------------------------------------------------------

TODAY = date(2027, 3, 1)


def occasions(total: int, organisation: str = HIDA, today: date = TODAY, expires: date | None = None) -> OccasionCount:
    first, last = counting_period(today, expires)
    records = [record(f"a{i}", first + timedelta(days=i), organisation=organisation, venue=organisation)
               for i in range(total)]
    return count(records, organisation=organisation, first=first, last=last)


def judged(**changes):
    inputs = dict(candidate=HIDA, today=TODAY, requirements=PremiumRequirements(), verification="verified",
                  resident=False, resident_basis="verified_address", counted=occasions(3), expiries={})
    return judge(**{**inputs, **changes})


def codes(judgement):
    return [r.code for r in judgement.reasons]


def test_r_pre_5_a_verified_non_resident_with_three_occasions_is_eligible_for_staff_approval():
    judgement = judged()
    assert judgement.eligible and judgement.reasons == () and judgement.approval == "staff"
    assert (judgement.occasions, judgement.needed, judgement.renewal) == (3, 3, False)
    assert (judgement.first_day, judgement.last_day) == window(TODAY)


def test_r_pre_5_automatic_approval_unless_conditions_are_checked_by_hand():
    assert judged(requirements=PremiumRequirements(auto_approve=True)).approval == "automatic"
    by_hand = judged(requirements=PremiumRequirements(auto_approve=True, extra_conditions=["消防団に所属していること"]))
    assert by_hand.approval == "staff" and by_hand.extra_conditions == ("消防団に所属していること",)
    assert judged(requirements=PremiumRequirements(auto_approve=True), counted=occasions(2)).approval is None


@pytest.mark.parametrize("changes, code, message", [
    ({"verification": "unverified"}, "not_verified", "マイナンバーカードによる本人確認が必要です"),
    ({"verification": "guardian_required"}, "guardian_consent_required",
     "18歳未満のため、保護者の同意が必要です（保護者の方のマイナンバーカードによる本人確認）"),
    ({"resident_basis": None}, "address_not_verified",
     "住所地を確認できません。マイナンバーカードの住所をこの団体に提供してください"),
    ({"resident": True}, "resident", "住所地の自治体にはプレミアム登録できません"),
    ({"counted": occasions(2)}, "too_few_activities", "活動回数が足りません（2/3回）"),
    ({"requirements": PremiumRequirements(activities_needed=5)}, "too_few_activities", "活動回数が足りません（3/5回）"),
    ({"expiries": {KESENNUMA: TODAY, MATSUMOTO: TODAY, NAHA: TODAY}}, "limit_reached",
     "プレミアム登録は3団体までです（域内の市区町村に登録がある都道府県は数えません）"),
])
def test_r_pre_each_unmet_requirement_is_a_reason_with_a_japanese_message(changes, code, message):
    judgement = judged(**changes)
    assert not judgement.eligible and judgement.approval is None
    assert [(r.code, r.message) for r in judgement.reasons] == [(code, message)]


def test_r_bas_6_a_residence_from_a_typed_address_is_not_verified():
    # A registration flagged from the postal code the person typed is not a verified residence, either way.
    assert codes(judged(resident=False, resident_basis="postal_code")) == ["address_not_verified"]


def test_r_pre_every_reason_is_given_at_once():
    judgement = judged(verification="unverified", counted=occasions(1),
                       expiries={KESENNUMA: TODAY, MATSUMOTO: TODAY, NAHA: TODAY})
    assert codes(judgement) == ["not_verified", "too_few_activities", "limit_reached"]


def test_r_pre_4_lapsed_premium_does_not_count_toward_the_limit():
    yesterday = TODAY - timedelta(days=1)
    assert judged(expiries={KESENNUMA: TODAY, MATSUMOTO: TODAY, NAHA: yesterday}).eligible


@pytest.mark.parametrize("name", GUIDELINE_EXAMPLES)
def test_r_pre_4_the_guidelines_five_examples_judged(name):
    organisations, allowed = GUIDELINE_EXAMPLES[name]
    *held, candidate = organisations
    judgement = judged(candidate=candidate, counted=occasions(3, candidate), expiries=dict.fromkeys(held, TODAY))
    assert judgement.eligible is allowed
    assert codes(judgement) == ([] if allowed else ["limit_reached"])


def test_r_pre_6_a_renewal_counts_the_current_year_only():
    expires = expiry_after_approval(date(2026, 4, 20))  # 2027-04-20
    expiries = {HIDA: expires, KESENNUMA: TODAY, MATSUMOTO: TODAY}  # three held: renewing one is not a fourth
    judgement = judged(counted=occasions(3, expires=expires), expiries=expiries)
    assert judgement.eligible and judgement.renewal
    assert judgement.first_day == date(2026, 4, 21)
    with pytest.raises(ValueError):  # counted over the whole window: the records that won the approval again
        judged(counted=occasions(3), expiries=expiries)


def test_judging_occasions_of_another_organisation_is_a_mistake():
    with pytest.raises(ValueError):
        judged(counted=occasions(3, organisation=GIFU))


@given(
    verification=st.sampled_from(["unverified", "verified", "guardian_required"]),
    resident=st.booleans(),
    basis=st.sampled_from(["verified_address", None]),
    total=st.integers(min_value=0, max_value=8),
    needed=st.integers(min_value=3, max_value=6),
    held=held_sets,
    candidate=st.sampled_from(CODES),
)
def test_r_pre_eligible_exactly_when_every_requirement_is_met(verification, resident, basis, total, needed, held,
                                                              candidate):
    expiries = dict.fromkeys(held, TODAY)
    counted = occasions(total, candidate, expires=expiries.get(candidate))
    judgement = judged(candidate=candidate, verification=verification, resident=resident, resident_basis=basis,
                       counted=counted, expiries=expiries, requirements=PremiumRequirements(activities_needed=needed))
    met = (verification == "verified" and basis == "verified_address" and not resident and total >= needed
           and premium_count(held | {candidate}) <= 3)
    assert judgement.eligible is met is (judgement.reasons == ())
    assert judgement.renewal is (candidate in held)
    assert len(set(codes(judgement))) == len(judgement.reasons)

