"""Other people's data: the table the measured requests run against. Deterministic (seeded), and shaped as the API
writes it: registration items come from the repository's own item builder, co-registrations follow the domain's
planning rules (a municipality registration also creates or links its prefecture's, unless opted out or the
prefecture has not joined), about half carry personal data, and every user has an account item.

Activities and attendance too, from the data layer's own item builders: every joined organisation has designated
the same activities at every size (a prefecture's take place in one of its municipalities), and a share of the
people attended 1 to 10 activities of organisations they are registered with, each attendance being two records
(the venue municipality's and its prefecture's, R-ACT-4), the first projected to the records_by_activity index.

The joined organisations and their activities are the same at every size (the seeded ones plus a fixed sample),
and so are the people the scenarios read (a regular attendee, Carol, and the premium applicants Fiona, Grace and
Hana: `_scenario_people`), so only the number of registrations, and with it the people and their records, changes
between sizes."""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import boto3
from moto.dynamodb.models import dynamodb_backends

from local.seed import DEFAULT_PROFILES, JOINED_AT
from shared.clock import TOKYO
from shared.dal import keys
from shared.dal.activities import _activity_item, _record_item  # the exact items the API writes
from shared.dal.premium import GUARD_ATTRIBUTE
from shared.dal.repository import VERIFICATION_ATTRIBUTE, Repository, _dump, _registration_item
from shared.domain import activities as activity_rules
from shared.domain import premium as premium_rules
from shared.domain import registration as rules
from shared.domain.activities import Activity, ActivityRecord
from shared.domain.models import CardDesign, Intro, OrganisationProfile, PersonalInfo, Registration
from shared.domain.verification import AccountVerification
from shared.domain.survey import COMMON_QUESTIONS, COMMON_SURVEY_VERSION
from shared.organisations import catalog
from shared.organisations.catalog import Organisation

from .motopatch import incremental_item_sizes
from .scenarios import (
    BENCH_NOW,
    CAROL,
    FIONA,
    GIFU,
    GRACE,
    GRACE_EXPIRES_ON,
    HANA,
    HANA_RECORDS,
    HIDA,
    REGULAR,
)

SEED = 20260401
EXTRA_JOINED_MUNICIPALITIES = 250
EXTRA_JOINED_PREFECTURES = 14
# How many organisations a person registers with directly (prefecture co-registrations come on top).
DIRECT_REGISTRATIONS_PER_USER = {1: 0.55, 2: 0.25, 3: 0.12, 4: 0.05, 6: 0.03}
OPT_OUT_RATE = 0.1
PERSONAL_DATA_RATE = 0.5
SEEDED_SHARE = 0.3  # share of registrations going to the seeded organisations (the ones the scenarios use)
# Real postal codes (Japan Post) across the country: where the registrants live.
HOME_POSTAL_CODES = (
    "060-0001", "980-0811", "988-0017", "100-0001", "160-0022", "220-0012", "460-0008",
    "500-8833", "509-4235", "530-0001", "690-0887", "684-0404", "730-0011", "812-0011", "900-0015",
)
SURNAMES = ("佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤", "吉田", "山田")
GIVEN_NAMES = ("花子", "太郎", "陽菜", "蓮", "結衣", "大翔", "美咲", "悠真", "さくら", "健一")

ACTIVITIES_PER_ORGANISATION = 12  # designated so far, at every size
FIRST_ACTIVITY_DAY = activity_rules.RECORDS_COUNT_FROM  # R-ACT-5: nothing before 2026-04 counts
ATTENDING_SHARE = 0.3  # people who attended at least one activity
# How many activities an attendee attended (each makes two records).
ATTENDANCES_PER_ATTENDEE = {1: 30, 2: 20, 3: 14, 4: 10, 5: 8, 6: 6, 7: 4, 8: 3, 9: 3, 10: 2}
RECORD_SOURCES = {"qr_printed": 0.6, "qr_rotating": 0.25, "staff_entry": 0.15}
ACTIVITY_NAMES = (
    "森林整備ボランティア", "海岸清掃", "祭り運営サポート", "雪下ろし", "農業体験ボランティア",
    "観光PR大使の活動", "地域防災訓練", "移住相談会スタッフ", "伝統工芸ワークショップ補助", "子ども食堂の手伝い",
)
ACTIVITY_KINDS = ("project", "project", "project", "side_job", "public_interest_group", "public_post")


def joined_profiles() -> tuple[OrganisationProfile, ...]:
    """The seeded organisations plus a fixed sample of other prefectures and municipalities."""
    rng = random.Random(SEED)
    seeded = {p.code for p in DEFAULT_PROFILES}
    prefectures = [o for o in catalog.prefectures() if o.code not in seeded]
    municipalities = [
        o for p in catalog.prefectures() for o in catalog.municipalities_of(p.code) if o.code not in seeded
    ]
    extra = rng.sample(prefectures, EXTRA_JOINED_PREFECTURES)
    extra += rng.sample(municipalities, EXTRA_JOINED_MUNICIPALITIES)
    return DEFAULT_PROFILES + tuple(
        OrganisationProfile(
            code=org.code,
            joined_at=JOINED_AT + timedelta(days=rng.randrange(365)),
            intro=Intro(title=org.name, body=f"{org.name}のふるさと住民登録へようこそ。" * 5),
            card_design=CardDesign(background_color=f"#{rng.randrange(0x1000000):06X}"),
        )
        for org in sorted(extra, key=lambda o: o.code)
    )


def activity_pool(profiles: tuple[OrganisationProfile, ...]) -> dict[str, list[Activity]]:
    """The activities each joined organisation designated, the same at every size: single-day activities between
    2026-04-01 and the day before BENCH_NOW (so some are older than the 12-month window)."""
    rng = random.Random(SEED + 1)
    days = (BENCH_NOW.date() - FIRST_ACTIVITY_DAY).days
    pool: dict[str, list[Activity]] = {}
    for profile in profiles:
        org = catalog.get(profile.code)
        venues = list(catalog.municipalities_of(org.code)) if org.is_prefecture else [org]
        activities = []
        for _ in range(ACTIVITIES_PER_ORGANISATION):
            venue = rng.choice(venues)
            day = FIRST_ACTIVITY_DAY + timedelta(days=rng.randrange(days))
            starts = datetime(day.year, day.month, day.day, rng.randint(8, 14), rng.choice((0, 30)), tzinfo=TOKYO)
            created = starts - timedelta(days=rng.randint(7, 60))
            activities.append(
                Activity(
                    id=f"a{rng.getrandbits(64):016x}",
                    organisation_code=org.code,
                    venue_code=venue.code,
                    name=f"{venue.name} {rng.choice(ACTIVITY_NAMES)}",
                    kind=rng.choice(ACTIVITY_KINDS),
                    starts_at=starts,
                    ends_at=starts + timedelta(hours=rng.randint(2, 4)),
                    place=f"{venue.name} 公民館",
                    capacity=rng.choice((None, 20, 30, 50)),
                    created_at=created,
                    updated_at=created,
                )
            )
        pool[org.code] = sorted(activities, key=lambda a: a.starts_at)
    return pool


def _attendance(
    activity: Activity, user_id: str, source: str, recorded_at: datetime, day: date | None = None
) -> Iterator[dict[str, Any]]:
    """The items of one attendance, as ActivityRepository.record_attendance writes them: on `day` (a multi-day or
    blanket activity's; a single activity's is its start day)."""
    venue = catalog.get(activity.venue_code)
    for index, code in enumerate(activity_rules.counted_for(venue)):
        record = ActivityRecord(
            organisation_code=code,
            user_id=user_id,
            activity_id=activity.id,
            designated_by=activity.organisation_code,
            venue_code=venue.code,
            day=day or activity.starts_at.date(),
            source=source,
            recorded_at=recorded_at,
            recorded_by=f"staff-{activity.organisation_code}" if source == "staff_entry" else None,
        )
        yield _dump(_record_item(record, project_to_activity=index == 0))


@dataclass
class Dataset:
    joined_organisations: int
    registrations: int = 0
    accounts: int = 0
    co_registered_prefectures: int = 0  # prefecture registrations created through a municipality only
    with_personal_data: int = 0
    activities: int = 0
    attendees: int = 0  # people with at least one attendance
    attendances: int = 0
    records: int = 0  # two per attendance
    regular_attendances: int = 0  # the regular attendee's (scenarios.REGULAR): every 飛騨市 activity
    # Hana's (scenarios.HANA): records at 飛騨市 in the 12 months, over activities 岐阜県 designated there
    many_records: int = 0
    many_records_activities: int = 0
    # Every item of the people the scenarios read (registrations, accounts, records; Hana's activities)
    scenario_people_items: int = 0
    load_seconds: float = 0.0  # generating and writing everything

    @property
    def items(self) -> int:
        return self.registrations + self.accounts + self.activities + self.records + self.scenario_people_items


class _People:
    """Generates people and their registrations, a person at a time."""

    def __init__(self, profiles: tuple[OrganisationProfile, ...]) -> None:
        self.rng = random.Random(SEED)
        joined = [catalog.get(p.code) for p in profiles]
        self.joined_codes = {o.code for o in joined}
        seeded = {p.code for p in DEFAULT_PROFILES}
        self.seeded = [o for o in joined if o.code in seeded]
        self.others = [o for o in joined if o.code not in seeded]
        self.now = BENCH_NOW
        self.attendance_rng = random.Random(SEED + 2)  # its own stream: the registrations stay as they were

    def _organisation(self) -> Organisation:
        return self.rng.choice(self.seeded if self.rng.random() < SEEDED_SHARE else self.others)

    def _answers(self) -> dict[str, Any]:
        answers: dict[str, Any] = {}
        for question in COMMON_QUESTIONS:
            if not question.required and self.rng.random() < 0.3:
                continue
            ids = [c.id for c in question.choices]
            if question.kind == "multiple":
                answers[question.id] = sorted(self.rng.sample(ids, self.rng.randint(1, 3)))
            else:
                answers[question.id] = self.rng.choice(ids)
        return answers

    def _personal(self) -> PersonalInfo | None:
        if self.rng.random() >= PERSONAL_DATA_RATE:
            return None
        surname, given = self.rng.choice(SURNAMES), self.rng.choice(GIVEN_NAMES)
        return PersonalInfo(
            name=f"{surname} {given}",
            postal_code=self.rng.choice(HOME_POSTAL_CODES),
            address=f"{self.rng.randint(1, 9)}丁目{self.rng.randint(1, 30)}番{self.rng.randint(1, 20)}号",
            birth_date=date(1940, 1, 1) + timedelta(days=self.rng.randrange(365 * 65)),
            gender=self.rng.choice(("female", "male", "other", "no_answer")),
            email=f"furusato{self.rng.randrange(10**7):07d}@example.jp",
        )

    def person(self, room: int) -> tuple[str, list[Registration]]:
        """A user id and their registrations, at most `room` of them."""
        user_id = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        wanted = self.rng.choices(list(DIRECT_REGISTRATIONS_PER_USER), list(DIRECT_REGISTRATIONS_PER_USER.values()))[0]
        personal = self._personal()
        residence = catalog.municipalities_for_postal_code(personal.postal_code) if personal else ()
        registrations: dict[str, Registration] = {}
        for _ in range(wanted):
            target = self._organisation()
            if target.code in registrations:
                continue  # already registered (directly or through a municipality): the API answers 409
            prefecture = target if target.is_prefecture else catalog.get(target.prefecture_code)
            existing = registrations.get(prefecture.code)
            plan = rules.plan_co_registration(
                target,
                prefecture,
                prefecture_joined=prefecture.code in self.joined_codes,
                opted_out=self.rng.random() < OPT_OUT_RATE or room - len(registrations) < 2,
                prefecture_registration=existing,
            )
            if room - len(registrations) < 1 + (plan.status == "registered"):
                break
            since = self.now - timedelta(seconds=self.rng.randrange(180 * 24 * 3600))
            registrations[target.code] = Registration(
                organisation_code=target.code,
                user_id=user_id,
                since=since,
                direct=True,
                resident=rules.is_resident(target, residence),
                survey_version=COMMON_SURVEY_VERSION,
                answers=self._answers(),
                personal=personal,
            )
            if plan.writes_prefecture:
                registrations[prefecture.code] = Registration(
                    organisation_code=prefecture.code,
                    user_id=user_id,
                    since=existing.since if existing else since,
                    direct=existing.direct if existing else False,
                    via=(existing.via if existing else frozenset()) | {target.code},
                    resident=rules.is_resident(prefecture, residence),
                )
        return user_id, list(registrations.values())


    def attendances(self, registrations: list[Registration], pool: dict[str, list[Activity]]) -> list[Activity]:
        """The activities a person attended: only of organisations they are registered with (a scan needs it)."""
        rng = self.attendance_rng
        if rng.random() >= ATTENDING_SHARE:
            return []
        candidates = [a for r in registrations for a in pool.get(r.organisation_code, ())]
        wanted = rng.choices(list(ATTENDANCES_PER_ATTENDEE), list(ATTENDANCES_PER_ATTENDEE.values()))[0]
        return rng.sample(candidates, min(wanted, len(candidates)))

    def source(self) -> str:
        return self.attendance_rng.choices(list(RECORD_SOURCES), list(RECORD_SOURCES.values()))[0]


def _hida_citizen(user_id: str, personal: PersonalInfo | None = None) -> Iterator[dict[str, Any]]:
    """Registered with 飛騨市 (岐阜県 co-registered), with an account."""
    since = datetime(2026, 4, 2, 9, 0, tzinfo=TOKYO)
    yield _dump(_registration_item(Registration(
        organisation_code=HIDA, user_id=user_id, since=since, direct=True, survey_version=COMMON_SURVEY_VERSION,
        answers={"relationship": ["type3_community_work"], "interests": ["volunteer_recruitment"]}, personal=personal,
    )))
    yield _dump(_registration_item(Registration(
        organisation_code=GIFU, user_id=user_id, since=since, direct=False, via=frozenset({HIDA}), personal=personal,
    )))
    yield _dump({**keys.account(user_id), "type": "Account", "last_access": "2027-05-30"})


def _verified_hida_citizen(
    user_id: str, card: PersonalInfo, verified_on: date, premium_expires_on: date | None = None
) -> Iterator[dict[str, Any]]:
    """Registered with 飛騨市 (岐阜県 co-registered) and verified with a My Number Card living elsewhere, as the
    verify function leaves it (shared/dal/verification.py): the subject claim, the account's verification, the
    card's 4 info in both registrations, residence judged from the card's address. With `premium_expires_on`:
    premium at 飛騨市 from an approval a year before (the registration's expiry, the account's premium guard
    bumped once, as PremiumRepository.decide leaves them)."""
    subject_hash = f"bench-{user_id}"  # a keyed hash deployed; any unique value here
    verification = AccountVerification(status="verified", subject_hash=subject_hash, verified_on=verified_on)
    since = datetime(2026, 4, 2, 9, 0, tzinfo=TOKYO)
    verified = {"personal_verified_on": verified_on.isoformat(), "resident_basis": premium_rules.VERIFIED_ADDRESS}
    premium = (
        {"premium_expires_on": premium_expires_on.isoformat(), "long_stay_marker": False} if premium_expires_on else {}
    )
    yield _dump({**_registration_item(Registration(
        organisation_code=HIDA, user_id=user_id, since=since, direct=True, survey_version=COMMON_SURVEY_VERSION,
        answers={"relationship": ["type2_regular_visits"], "interests": ["volunteer_recruitment"]}, personal=card,
    )), **verified, **premium})
    yield _dump({**_registration_item(Registration(
        organisation_code=GIFU, user_id=user_id, since=since, direct=False, via=frozenset({HIDA}), personal=card,
    )), **verified})
    account = {**keys.account(user_id), "type": "Account", "last_access": "2027-05-30",
               VERIFICATION_ATTRIBUTE: verification.model_dump(mode="json", exclude_none=True)}
    if premium_expires_on:
        account[GUARD_ATTRIBUTE] = 1
    yield _dump(account)
    yield _dump({**keys.subject_claim(subject_hash), "type": "SubjectClaim", "user_id": user_id,
                 "verified_on": verified_on.isoformat()})


def _attended(activities: list[Activity], user_id: str) -> Iterator[dict[str, Any]]:
    for activity in activities:
        yield from _attendance(activity, user_id, "qr_printed", activity.starts_at + timedelta(minutes=5))


# Hana's year at 飛騨市 (R-PRE-1, R-PRE-2): activities 岐阜県 designated in 飛騨市 (so 飛騨市's own list stays the
# pool's), a blanket one (包括指定, a day's record each time), multi-day ones attended every day, single ones.
MANY_RECORDS_BLANKET_DAYS = 100
MANY_RECORDS_MULTI_DAY = (20, 5)  # activities, days each
MANY_RECORDS_SINGLE = 100
assert (
    MANY_RECORDS_BLANKET_DAYS + MANY_RECORDS_MULTI_DAY[0] * MANY_RECORDS_MULTI_DAY[1] + MANY_RECORDS_SINGLE
    == HANA_RECORDS
)


def _many_records_activities() -> list[tuple[Activity, list[date]]]:
    """Hana's activities and the days she attended each, all in the 12 months before BENCH_NOW."""
    first, _ = premium_rules.window(BENCH_NOW.date())
    hida = catalog.get(HIDA)

    def activity(n: int, name: str, starts: datetime, ends: datetime, **flags: bool) -> Activity:
        created = starts - timedelta(days=14)
        return Activity(
            id=f"a{uuid.uuid5(uuid.NAMESPACE_URL, f'bench/hana/{n}').hex[:16]}", organisation_code=GIFU,
            venue_code=HIDA, name=f"{hida.name} {name}", kind="project", starts_at=starts, ends_at=ends,
            place=f"{hida.name} 公民館", created_at=created, updated_at=created, **flags,
        )

    def at(day: date, hour: int) -> datetime:
        return datetime(day.year, day.month, day.day, hour, 0, tzinfo=TOKYO)

    found = []
    blanket_from = first + timedelta(days=2)
    blanket = activity(0, "まちづくり協議会の活動（包括指定）", at(first, 9), at(first + timedelta(days=362), 17), blanket=True)
    found.append((blanket, [blanket_from + timedelta(days=3 * i) for i in range(MANY_RECORDS_BLANKET_DAYS)]))
    count, days = MANY_RECORDS_MULTI_DAY
    for k in range(count):
        start = first + timedelta(days=9 + 17 * k)
        multi = activity(1 + k, f"{ACTIVITY_NAMES[k % len(ACTIVITY_NAMES)]}（{days}日間）", at(start, 9),
                         at(start + timedelta(days=days - 1), 17), multi_day=True)
        found.append((multi, [start + timedelta(days=d) for d in range(days)]))
    for j in range(MANY_RECORDS_SINGLE):
        day = first + timedelta(days=7 + 3 * j)
        found.append((activity(100 + j, ACTIVITY_NAMES[j % len(ACTIVITY_NAMES)], at(day, 13), at(day, 16)), [day]))
    return found


def _scenario_people(pool: dict[str, list[Activity]], dataset: Dataset) -> Iterator[dict[str, Any]]:
    """The people the scenarios read, the same at every size and not counted among the registrations:
    - the regular attendee, registered with 飛騨市 and present at every 飛騨市 activity of the pool;
    - Carol, registered with 飛騨市, who will send evidence instead of scanning;
    - Fiona, registered with 飛騨市 (with an e-mail address), present at 6 of its activities of the 12 months;
      she verifies and applies for premium in the scenarios;
    - Grace, verified, premium at 飛騨市 until GRACE_EXPIRES_ON (renewal window open), present at 5 of its
      activities of her premium year: she renews;
    - Hana, verified, HANA_RECORDS records at 飛騨市 in the 12 months (`_many_records_activities`)."""
    yield from _hida_citizen(CAROL)
    yield from _hida_citizen(REGULAR)
    for activity in pool[HIDA]:
        dataset.regular_attendances += 1
        yield from _attendance(activity, REGULAR, "qr_printed", activity.starts_at + timedelta(minutes=5))
    first, last = premium_rules.window(BENCH_NOW.date())
    this_year = [a for a in pool[HIDA] if first <= a.starts_at.date() <= last]
    yield from _hida_citizen(FIONA, PersonalInfo(email="fiona@example.jp"))
    yield from _attended(this_year[:6], FIONA)
    yield from _verified_hida_citizen(
        GRACE, PersonalInfo(name="大阪 恵", postal_code="530-0001", address="大阪府大阪市北区梅田1-1-1",
                            birth_date=date(1980, 2, 14), gender="female", email="grace@example.jp"),
        verified_on=date(2026, 7, 10), premium_expires_on=GRACE_EXPIRES_ON,
    )
    grace_first, _ = premium_rules.counting_period(BENCH_NOW.date(), GRACE_EXPIRES_ON)
    yield from _attended([a for a in this_year if a.starts_at.date() >= grace_first][-5:], GRACE)
    yield from _verified_hida_citizen(
        HANA, PersonalInfo(name="名古屋 華", postal_code="460-0008", address="愛知県名古屋市中区栄3-1-1",
                           birth_date=date(1972, 9, 3), gender="female"),
        verified_on=date(2026, 5, 20),
    )
    for activity, days in _many_records_activities():
        dataset.many_records_activities += 1
        yield _dump(_activity_item(activity))
        for day in days:
            dataset.many_records += 1
            recorded_at = datetime.combine(day, activity.starts_at.timetz())
            yield from _attendance(activity, HANA, "qr_printed", recorded_at, day)


def items(count: int, profiles: tuple[OrganisationProfile, ...], dataset: Dataset) -> Iterator[dict[str, Any]]:
    """DynamoDB items (wire format): the pool of activities, the regular attendee, exactly `count` registrations,
    their users' accounts and attendance records; fills `dataset`."""
    pool = activity_pool(profiles)
    for activities in pool.values():
        for activity in activities:
            dataset.activities += 1
            yield _dump(_activity_item(activity))
    for item in _scenario_people(pool, dataset):
        dataset.scenario_people_items += 1
        yield item
    people = _People(profiles)
    while dataset.registrations < count:
        user_id, registrations = people.person(room=count - dataset.registrations)
        if not registrations:
            continue
        for registration in registrations:
            dataset.registrations += 1
            dataset.co_registered_prefectures += bool(registration.via) and not registration.direct
            dataset.with_personal_data += registration.personal is not None
            yield _dump(_registration_item(registration))
        last_access = people.now.date() - timedelta(days=people.rng.randrange(400))
        dataset.accounts += 1
        yield _dump({**keys.account(user_id), "type": "Account", "last_access": last_access.isoformat()})
        attended = people.attendances(registrations, pool)
        dataset.attendees += bool(attended)
        for activity in attended:
            dataset.attendances += 1
            recorded_at = activity.starts_at + timedelta(minutes=people.attendance_rng.randrange(180))
            for item in _attendance(activity, user_id, people.source(), recorded_at):
                dataset.records += 1
                yield item


def load(
    client, table_name: str, count: int, profiles: tuple[OrganisationProfile, ...], method: str = "backend"
) -> Dataset:
    """Publish `profiles` through the repository, then load the rest (`items`). `backend` writes into moto's
    in-process backend directly (no request serialisation: fast); `batch-write` goes through the API, 25 items a
    BatchWriteItem (portable, several times slower)."""
    repository = Repository(client, table_name)
    for profile in profiles:
        repository.put_organisation_profile(profile)
    dataset = Dataset(joined_organisations=len(profiles))
    started = time.perf_counter()
    generated = items(count, profiles, dataset)
    if method == "backend":
        _put_into_moto_backend(client, table_name, generated)
    elif method == "batch-write":
        _batch_write(client, table_name, generated)
    else:
        raise ValueError(f"unknown load method {method!r}")
    dataset.load_seconds = time.perf_counter() - started
    return dataset


def _put_into_moto_backend(client, table_name: str, generated: Iterator[dict[str, Any]]) -> None:
    """moto's backend put_item: the same validation and storage as the API, without HTTP (de)serialisation, and
    with moto's item size check done incrementally (bench/motopatch.py)."""
    region = client.meta.region_name
    account_id = boto3.client("sts", region_name=region).get_caller_identity()["Account"]  # moto's account
    backend = dynamodb_backends[account_id][region]
    # The load is the world before the scenarios, not changes to deliver: no stream records for it (the bench's
    # statistics start at the stream's end anyway), and none kept in memory for 100,000 items.
    table = backend.get_table(table_name)
    stream, table.stream_shard = table.stream_shard, None
    try:
        with incremental_item_sizes():
            for item in generated:
                backend.put_item(table_name, item)
    finally:
        table.stream_shard = stream


def _batch_write(client, table_name: str, generated: Iterator[dict[str, Any]]) -> None:
    batch: list[dict[str, Any]] = []
    for item in generated:
        batch.append({"PutRequest": {"Item": item}})
        if len(batch) == 25:
            _write_batch(client, table_name, batch)
            batch = []
    if batch:
        _write_batch(client, table_name, batch)


def _write_batch(client, table_name: str, batch: list[dict[str, Any]]) -> None:
    request: dict[str, Any] | None = {table_name: batch}
    while request:
        request = client.batch_write_item(RequestItems=request).get("UnprocessedItems") or None
