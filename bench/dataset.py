"""Other people's data: the table the measured requests run against. Deterministic (seeded), and shaped as the API
writes it: registration items come from the repository's own item builder, co-registrations follow the domain's
planning rules (a municipality registration also creates or links its prefecture's, unless opted out or the
prefecture has not joined), about half carry personal data, and every user has an account item.

The joined organisations are the same at every size (the seeded ones plus a fixed sample), so only the number of
registrations changes between sizes."""

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
from shared.dal.repository import Repository, _dump, _registration_item  # the exact items the API writes
from shared.domain import registration as rules
from shared.domain.models import CardDesign, Intro, OrganisationProfile, PersonalInfo, Registration
from shared.domain.survey import COMMON_QUESTIONS, COMMON_SURVEY_VERSION
from shared.organisations import catalog
from shared.organisations.catalog import Organisation

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


@dataclass
class Dataset:
    joined_organisations: int
    registrations: int = 0
    accounts: int = 0
    co_registered_prefectures: int = 0  # prefecture registrations created through a municipality only
    with_personal_data: int = 0
    load_seconds: float = 0.0  # generating and writing the registrations and accounts

    @property
    def items(self) -> int:
        return self.registrations + self.accounts


class _People:
    """Generates people and their registrations, a person at a time."""

    def __init__(self, profiles: tuple[OrganisationProfile, ...]) -> None:
        self.rng = random.Random(SEED)
        joined = [catalog.get(p.code) for p in profiles]
        self.joined_codes = {o.code for o in joined}
        seeded = {p.code for p in DEFAULT_PROFILES}
        self.seeded = [o for o in joined if o.code in seeded]
        self.others = [o for o in joined if o.code not in seeded]
        self.now = datetime(2026, 10, 1, 12, 0, tzinfo=TOKYO)

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


def items(count: int, profiles: tuple[OrganisationProfile, ...], dataset: Dataset) -> Iterator[dict[str, Any]]:
    """DynamoDB items (wire format) of exactly `count` registrations and their users' accounts; fills `dataset`."""
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


def load(
    client, table_name: str, count: int, profiles: tuple[OrganisationProfile, ...], method: str = "backend"
) -> Dataset:
    """Publish `profiles` through the repository, then load `count` registrations. `backend` writes into moto's
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
    """moto's backend put_item: the same validation and storage as the API, without HTTP (de)serialisation."""
    region = client.meta.region_name
    account_id = boto3.client("sts", region_name=region).get_caller_identity()["Account"]  # moto's account
    backend = dynamodb_backends[account_id][region]
    for item in generated:
        backend.put_item(table_name, item)


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
