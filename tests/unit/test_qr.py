"""QR codes for check-in (R-ACT-2): a real issued token, drawn and read back as a phone would."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from shared import qr
from shared.clock import TOKYO
from shared.domain import checkin_token as ct
from tests.qr_reader import cv2, decode, np

STARTS = datetime(2026, 11, 22, 10, 0, tzinfo=TOKYO)
ENDS = datetime(2026, 11, 22, 12, 0, tzinfo=TOKYO)


def fixed_keys(seed: int) -> ct.SigningKeys:
    """Deterministic keys (Ed25519 signatures are deterministic too), so each test draws the same codes every run."""
    kid = f"t{seed}"
    return ct.SigningKeys(current=kid, keys={kid: hashlib.sha256(f"test-key-{seed}".encode()).digest()})


KEYS = fixed_keys(0)


@pytest.mark.parametrize("kind", ["printed", "rotating"])
def test_r_act_2_png_of_an_issued_code_scans_back_to_the_same_claims(kind):
    if kind == "printed":
        claims = ct.printed_claims("a3f9c2e4b7d1a0c5e", "042056", "042056", STARTS, ENDS, now=STARTS, schedule_revision=12)
    else:
        claims = ct.rotating_claims("a3f9c2e4b7d1a0c5e", "040002", "042056", STARTS, ENDS, now=STARTS)
    url = ct.checkin_url(ct.issue(claims, KEYS))
    png = qr.qr_png(url)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    scanned = decode(png)
    assert scanned == url
    assert ct.verify(ct.token_from_scanned_text(scanned), KEYS.verification_keys(), STARTS) == claims


def test_r_act_2_many_different_tokens_all_scan_back():
    for seed in range(1, 31):
        keys = fixed_keys(seed)
        claims = ct.rotating_claims(f"a{seed:016x}", "040002", "042056", STARTS, ENDS, now=STARTS)
        url = ct.checkin_url(ct.issue(claims, keys))
        assert decode(qr.qr_png(url, scale=4)) == url


def test_png_scale_sets_the_pixel_size():
    url = ct.checkin_url(ct.issue(ct.rotating_claims("a1", "042056", "042056", STARTS, ENDS, STARTS), KEYS))
    small = cv2.imdecode(np.frombuffer(qr.qr_png(url, scale=3), np.uint8), cv2.IMREAD_GRAYSCALE)
    large = cv2.imdecode(np.frombuffer(qr.qr_png(url, scale=6), np.uint8), cv2.IMREAD_GRAYSCALE)
    assert large.shape == (small.shape[0] * 2, small.shape[1] * 2)
    assert decode(qr.qr_png(url, scale=3)) == url


def test_svg_is_a_scalable_standalone_svg():
    svg = qr.qr_svg("https://furusato.example.jp/c/v2.test")
    assert svg.startswith("<svg") and 'xmlns="http://www.w3.org/2000/svg"' in svg and "viewBox=" in svg
    assert "<?xml" not in svg and svg.rstrip().endswith("</svg>")


def test_r_act_2_printable_page_is_self_contained_japanese_and_escaped():
    claims = ct.printed_claims("a1", "042056", "042056", STARTS, ENDS, STARTS)
    url = ct.checkin_url(ct.issue(claims, KEYS))
    page = qr.printable_sheet(
        activity_name='海岸清掃 <script>alert("x")</script> & 交流会',
        organisation_name="気仙沼市",
        place="大島 <浦の浜> 海岸",
        starts_at=STARTS,
        ends_at=ENDS,
        codes=[qr.PrintedCode(url, claims.not_before, claims.expires)],
    )
    assert page.startswith("<!DOCTYPE html>") and '<html lang="ja">' in page and "size: A4" in page
    assert "<script>" not in page
    assert "海岸清掃 &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; 交流会" in page
    assert "大島 &lt;浦の浜&gt; 海岸" in page and "気仙沼市" in page
    assert "2026年11月22日(日) 10:00〜12:00" in page
    assert "<svg" in page and page.count("<svg") == 1 and "の受付用" not in page
    assert "ふるさと住民アプリで読み取ってください" in page and "2026年11月22日(日) 09:30〜12:30 のみ有効" in page
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")  # nothing fetched from elsewhere
    assert qr.qr_svg(url) in page


def test_r_act_2_a_multi_day_sheet_has_a_page_per_day_saying_its_day():
    """A code is valid on its day only: each page says which, so staff put up the right one each morning."""
    starts, ends = datetime(2026, 12, 5, 10, 0, tzinfo=TOKYO), datetime(2026, 12, 7, 16, 0, tzinfo=TOKYO)
    days = [date(2026, 12, 5) + timedelta(days=n) for n in range(3)]
    codes = []
    for day in days:
        claims = ct.printed_claims("a1", "042056", "042056", starts, ends, STARTS, day=day)
        codes.append(qr.PrintedCode(ct.checkin_url(ct.issue(claims, KEYS)), claims.not_before, claims.expires, day))
    page = qr.printable_sheet("祭り", "気仙沼市", "港", starts, ends, codes)
    assert page.count("<main>") == page.count("<svg") == 3 and "break-after: page" in page
    assert [qr.qr_svg(c.url) in page for c in codes] == [True] * 3
    for text in (
        "2026年12月5日(土)の受付用", "2026年12月5日(土) 09:30〜24:00 のみ有効",
        "2026年12月6日(日)の受付用", "2026年12月6日(日) 00:00〜24:00 のみ有効",
        "2026年12月7日(月)の受付用", "2026年12月7日(月) 00:00〜16:30 のみ有効",
    ):
        assert text in page, text
    with pytest.raises(ValueError):
        qr.printable_sheet("祭り", "気仙沼市", "港", starts, ends, [])


def test_printable_page_shows_both_days_of_an_activity_over_midnight():
    night = (datetime(2026, 8, 1, 18, 0, tzinfo=TOKYO), datetime(2026, 8, 2, 1, 0, tzinfo=TOKYO))
    page = qr.printable_sheet("夜祭り", "気仙沼市", "港", *night, [qr.PrintedCode("https://furusato.example.jp/c/x", *night)])
    assert "2026年8月1日(土) 18:00 〜 2026年8月2日(日) 01:00" in page


def test_importing_qr_does_not_import_segno():
    """segno costs ~70 ms to import (urllib.request, xml.sax): only paid when a code is drawn."""
    code = "import sys, shared.qr, shared.domain.checkin_token; assert 'segno' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[2])
