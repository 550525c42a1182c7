"""Address → municipality (shared.organisations.catalog.municipality_of_address): where a verified person's address
and a pre-launch participant's address lie, for the claim's matching rule (R-ACT-5, R-BAS-4; R-ORG-1 catalog)."""

from __future__ import annotations

import time

import pytest

from shared.organisations import catalog
from shared.organisations.catalog import municipality_of_address


@pytest.mark.parametrize(
    ("address", "code", "name"),
    [
        ("岐阜県飛騨市古川町本町2-22", "212172", "飛騨市"),
        ("北海道札幌市中央区北1条西2丁目", "011002", "札幌市"),  # a designated city's ward: the city
        ("長野県北佐久郡軽井沢町大字軽井沢", "203211", "軽井沢町"),  # county skipped (the catalog omits 郡)
        ("福島県郡山市朝日1-23-7", "072036", "郡山市"),  # starts with 郡 and is no county
        ("三重県四日市市諏訪町1-5", "242021", "四日市市"),
        ("東京都千代田区丸の内1丁目", "131016", "千代田区"),  # a special ward is a municipality
        ("大阪府大阪市北区梅田1丁目", "271004", "大阪市"),
        ("奈良県大和郡山市北郡山町", "292036", "大和郡山市"),  # 郡 inside a city's name
        ("兵庫県赤穂郡上郡町大持", "284815", "上郡町"),  # a county, then a town whose name holds 郡
        ("山形県東村山郡中山町長崎", "063029", "中山町"),  # county 東村山, not a town 東村
        ("愛知県蒲郡市旭町", "232149", "蒲郡市"),
        ("岐阜県郡上市八幡町", "212199", "郡上市"),
        ("静岡県浜松市中央区元城町", "221309", "浜松市"),
        ("京都府京都市中京区寺町通", "261009", "京都市"),
        ("東京都府中市宮西町", "132063", "府中市"),  # a name two prefectures share, told by the prefecture
        ("広島県府中市府川町", "342084", "府中市"),
    ],
)
def test_r_act_5_address_gives_its_municipality(address, code, name):
    found = municipality_of_address(address)
    assert found is not None and (found.code, found.name) == (code, name)


@pytest.mark.parametrize(
    ("written", "plain"),
    [
        ("岐阜県　飛騨市　古川町", "岐阜県飛騨市古川町"),  # full-width spaces
        ("岐阜県 飛騨市 古川町", "岐阜県飛騨市古川町"),
        ("〒５０６－０２７１ 岐阜県飛騨市", "岐阜県飛騨市"),  # a leading postal code, full width
        ("〒506-0271岐阜県飛騨市", "岐阜県飛騨市"),
        ("5060271 岐阜県飛騨市", "岐阜県飛騨市"),
        ("埼玉県鶴ケ島市", "埼玉県鶴ヶ島市"),  # ケ/ヶ
        ("千葉県袖ヶ浦市", "千葉県袖ケ浦市"),
    ],
)
def test_width_spaces_postal_code_and_ke_are_ignored(written, plain):
    found = municipality_of_address(written)
    assert found is not None and found == municipality_of_address(plain)


@pytest.mark.parametrize(
    ("address", "code"),
    [
        ("飛騨市古川町本町2-22", "212172"),  # one 飛騨市 in the country
        ("京都市中京区", "261009"),
        ("北佐久郡軽井沢町", "203211"),
    ],
)
def test_without_the_prefecture_a_name_only_one_municipality_has_is_accepted(address, code):
    found = municipality_of_address(address)
    assert found is not None and found.code == code


@pytest.mark.parametrize(
    "address",
    [
        "府中市宮西町",  # 東京都 and 広島県
        "伊達市梁川町",  # 北海道 and 福島県
        "中央区銀座",  # Tokyo's 中央区, or a ward of 札幌, 千葉, 大阪 … (not in the catalog)
        "千代田区丸の内",  # a ward name is never taken without the prefecture
    ],
)
def test_without_the_prefecture_an_ambiguous_name_is_none(address):
    assert municipality_of_address(address) is None


@pytest.mark.parametrize(
    "address",
    [
        "",
        "garbage",
        "東京都",  # a prefecture alone
        "岐阜県",
        "区宿新都京東",  # reversed
        "岐阜県札幌市",  # a municipality of another prefecture
        "岐阜県○○郡△△町",  # a county with no municipality of the prefecture after it
        "神奈川県新宿区",
        "Tokyo, Chiyoda-ku",
        "〒100-0001",
        "新",  # one character
        "丁目1-2-3",
    ],
)
def test_garbage_and_incomplete_addresses_are_none(address):
    assert municipality_of_address(address) is None


def test_not_a_string_is_none():
    assert municipality_of_address(None) is None  # type: ignore[arg-type]


def test_every_municipality_is_found_from_its_prefecture_and_name():
    """R-ORG-1: every one of the 1,741 municipalities, written as an address starts (prefecture, name, a street)."""
    for organisation in catalog.all_organisations():
        if organisation.is_prefecture:
            continue
        address = f"{organisation.prefecture_name}{organisation.name}1-2-3"
        assert municipality_of_address(address) == organisation, address


def test_it_is_fast_once_built():
    municipality_of_address("岐阜県飛騨市")  # builds the index
    started = time.perf_counter()
    for _ in range(10_000):
        municipality_of_address("北海道虻田郡倶知安町北1条東2丁目")
    assert time.perf_counter() - started < 1.0  # ~10 µs a call; the bound leaves room for a loaded machine
