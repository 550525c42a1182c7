"""Claiming pre-launch records (R-ACT-5) after My Number Card verification (R-BAS-4): the matching rule of
shared.domain.claims. Records live in the uploading organisation's area (R-PRIV-1); the rule only reads them."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from shared.clock import TOKYO
from shared.domain import claims, prelaunch
from shared.domain.claims import EXACT, NEAR, ClaimantIdentity, match
from shared.organisations import catalog

BIRTH = date(1974, 2, 18)
HIDA, TAKAYAMA, CHIYODA, TAMA, INAGI = "212172", "212032", "131016", "132241", "132250"


def record(
    name: str = "佐藤 健一",
    birth_date: date = BIRTH,
    postal_code: str = "506-0271",
    address: str = "岐阜県飛騨市古川町本町2-22",
) -> prelaunch.PrelaunchRecord:
    return prelaunch.PrelaunchRecord(
        row_key="r" * 64, activity_key="a" * 64, row_number=4, uploader_code=HIDA, venue_code=HIDA,
        activity_name="農業ボランティア", starts_at=datetime(2026, 4, 10, 10, tzinfo=TOKYO),
        ends_at=datetime(2026, 4, 10, 12, tzinfo=TOKYO), place="市中央ホールA",
        participant=prelaunch.PrelaunchParticipant(
            name=name, postal_code=postal_code, address=address, birth_date=birth_date, gender="male",
            identity_key=prelaunch.identity_key(name, birth_date),
        ),
        minor=False,
    )


def identity(
    name: str = "佐藤健一",
    birth_date: date = BIRTH,
    address: str = "岐阜県飛騨市古川町若宮1-1",
    postal_code: str | None = "509-4200",
    municipality_code: str | None = HIDA,
) -> ClaimantIdentity:
    return ClaimantIdentity(
        name=name, birth_date=birth_date, address=address, postal_code=postal_code, municipality_code=municipality_code
    )


# --- exact ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("postal_code", ["506-0271", "5060271", "５０６－０２７１"])
def test_r_act_5_exact_by_postal_code(postal_code):
    """Same name, birth date and postal code: the record is the person's, even if the card's address says
    elsewhere (the municipality is not consulted)."""
    claimant = identity(postal_code=postal_code, address="東京都千代田区丸の内1丁目", municipality_code=CHIYODA)
    assert match(claimant, record()) == EXACT


def test_r_act_5_exact_by_municipality_of_the_participants_address():
    """Another postal code, the same municipality: the participant's address lies in the verified municipality."""
    assert match(identity(postal_code="509-4200"), record(postal_code="506-0271")) == EXACT
    assert match(identity(postal_code=None), record()) == EXACT  # the card gave no postal code


def test_r_act_5_exact_by_municipality_of_the_participants_postal_code_when_the_address_names_none():
    unreadable = record(address="古川町本町2-22", postal_code="506-0271")  # no city in it: its postal code places it
    assert match(identity(postal_code="509-4200"), unreadable) == EXACT


def test_r_act_5_a_postal_code_of_two_municipalities_places_the_participant_in_either():
    """206-0000 covers 多摩市 and 稲城市 (docs/decisions.md): name and birth date agree, so either is enough."""
    participant = record(address="多摩ニュータウン", postal_code="206-0000")
    for verified in (TAMA, INAGI):
        claimant = identity(address="東京都多摩市関戸1-1", postal_code="206-0011", municipality_code=verified)
        assert match(claimant, participant) == EXACT
    claimant = identity(address="東京都千代田区丸の内1丁目", postal_code="100-0005", municipality_code=CHIYODA)
    assert match(claimant, participant) == NEAR


def test_the_verified_municipality_is_derived_from_the_address_when_not_given():
    assert match(identity(postal_code=None, municipality_code=None), record(postal_code="506-0000")) == EXACT
    moved = identity(postal_code=None, municipality_code=None, address="岐阜県高山市花岡町2-18")
    assert match(moved, record(postal_code="506-0000")) == NEAR


def test_the_address_names_the_participants_municipality_before_the_postal_code():
    """A participant's address in 高山市 with a 飛騨市 postal code (a typo somewhere) is placed by the address."""
    mixed = record(address="岐阜県高山市花岡町2-18", postal_code="506-0271")
    assert match(identity(postal_code="509-4200", municipality_code=TAKAYAMA), mixed) == EXACT
    assert match(identity(postal_code="509-4200", municipality_code=HIDA), mixed) == NEAR
    assert match(identity(postal_code="506-0271", municipality_code=TAKAYAMA), mixed) == EXACT  # same postal code


# --- near -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "postal_code", "municipality_code"),
    [
        ("東京都千代田区丸の内1丁目", "100-0005", CHIYODA),  # moved away
        ("岐阜県高山市花岡町2-18", "506-0008", TAKAYAMA),  # the next city
        ("岐阜県高山市花岡町2-18", None, None),  # no postal code, the municipality from the address
        ("どこか", None, None),  # nothing tells where the card's address lies: never exact by place
    ],
)
def test_r_act_5_same_name_and_birth_date_elsewhere_is_near_never_exact(address, postal_code, municipality_code):
    claimant = identity(address=address, postal_code=postal_code, municipality_code=municipality_code)
    assert match(claimant, record()) == NEAR


def test_near_when_nothing_places_the_participant():
    nowhere = record(address="○○町1-2", postal_code="999-9999")  # unknown postal code, unreadable address
    assert match(identity(postal_code="509-4200"), nowhere) == NEAR
    assert match(identity(postal_code="999-9999"), nowhere) == EXACT  # the same postal code is still the same


# --- none -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "claimant",
    [
        identity(name="佐藤健二"),
        identity(name="佐藤"),
        identity(name="髙橋健一"),
        identity(birth_date=date(1974, 2, 19)),
        identity(birth_date=date(1975, 2, 18)),
        identity(name="鈴木 美咲", birth_date=date(1990, 11, 3)),
    ],
)
def test_r_act_5_another_name_or_birth_date_is_not_a_match_even_at_the_same_place(claimant):
    assert match(claimant, record()) is None
    assert claims.claimant_identity_key(claimant.name, claimant.birth_date) != record().participant.identity_key


# --- normalisation: the import's own --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("on_the_card", "in_the_file"),
    [
        ("佐藤健一", "佐藤 健一"),
        ("佐藤　健一", "佐藤健一"),
        ("佐藤 健一", "佐藤  健一"),
        ("サトウ ケンイチ", "ｻﾄｳ ｹﾝｲﾁ"),
        ("SATO KENICHI", "ｓａｔｏ　ｋｅｎｉｃｈｉ"),
    ],
)
def test_r_bas_4_the_cards_name_is_normalised_as_the_import_normalises_the_file(on_the_card, in_the_file):
    assert match(identity(name=on_the_card), record(name=in_the_file)) == EXACT
    assert claims.claimant_identity_key(on_the_card, BIRTH) == record(name=in_the_file).participant.identity_key
    assert claims.normalise_name is prelaunch.normalise_name


def test_the_identity_key_is_the_imports():
    report = prelaunch.validate_rows(
        prelaunch.parse_upload("a.csv", _one_row_csv("佐藤　健一", "1974/2/18")),
        catalog.get(HIDA),
        catalog.get(HIDA),
        datetime(2027, 4, 1, tzinfo=TOKYO),
    )
    assert report.accepted[0].participant.identity_key == claims.claimant_identity_key("佐藤健一", BIRTH)


# --- municipality_code_of -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "postal_code", "code"),
    [
        ("岐阜県飛騨市古川町", None, HIDA),
        ("岐阜県飛騨市古川町", "100-0005", HIDA),  # the address first
        ("古川町", "506-0271", HIDA),  # else a postal code of one municipality
        ("どこか", "206-0000", None),  # a postal code of two: no guess
        ("どこか", None, None),
        (None, None, None),
        ("どこか", "bad", None),
    ],
)
def test_municipality_code_of(address, postal_code, code):
    assert claims.municipality_code_of(address, postal_code) == code


def _one_row_csv(name: str, birth: str) -> bytes:
    header = "ID,活動名,活動開始日時,活動終了日時,活動場所,参加条件,氏名,郵便番号,住所(除郵便番号),生年月日,性別\r\n"
    line = f"EVT-001,清掃,2026年4月10日 10:00,2026年4月10日 12:00,ホール,,{name},506-0271,岐阜県飛騨市,{birth},男性\r\n"
    return (header + line).encode("utf-8")
