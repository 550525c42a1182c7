"""QR codes for activity check-in (R-ACT-2): PNG and SVG images, and the A4 pages staff print and put up at the venue
(one per code: a multi-day activity's sheet has one page per day).

segno is imported inside the functions: it pulls in urllib.request and xml.sax (~70 ms), which functions that import
this module without drawing a code (or before they do) should not pay at cold start.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from html import escape

from .clock import TOKYO

# Medium error correction (15 %) survives a crease, a smudge or glare on a laminated sheet; segno raises it further
# when that does not need a larger symbol. Never a micro QR: phone scanners do not read those.
ERROR = "m"
BORDER = 4  # the quiet zone the standard asks for, in modules
_WEEKDAYS = "月火水木金土日"


def _make(text: str):
    import segno

    return segno.make(text, error=ERROR, micro=False, boost_error=True)


def qr_png(text: str, scale: int = 8) -> bytes:
    """A PNG, `scale` pixels per module (8: about 500 px square for a check-in URL, sharp on screens)."""
    buffer = io.BytesIO()
    _make(text).save(buffer, kind="png", scale=scale, border=BORDER)
    return buffer.getvalue()


def qr_svg(text: str) -> str:
    """An SVG document without XML declaration and without a fixed size (a viewBox only): embeddable in HTML as is,
    valid as an .svg file too. Size it with CSS; it scales without blur."""
    buffer = io.BytesIO()
    _make(text).save(
        buffer, kind="svg", scale=1, border=BORDER, xmldecl=False, svgns=True, nl=False, omitsize=True, svgclass="qr",
        lineclass=None,
    )
    return buffer.getvalue().decode("ascii")


def _day(d: datetime | date) -> str:
    return f"{d.year}年{d.month}月{d.day}日({_WEEKDAYS[d.weekday()]})"


def _when(starts_at: datetime, ends_at: datetime) -> str:
    start, end = starts_at.astimezone(TOKYO), ends_at.astimezone(TOKYO)
    if start.date() == end.date():
        return f"{_day(start)} {start:%H:%M}〜{end:%H:%M}"
    if end == datetime.combine(start.date() + timedelta(days=1), time(0), TOKYO):
        return f"{_day(start)} {start:%H:%M}〜24:00"
    return f"{_day(start)} {start:%H:%M} 〜 {_day(end)} {end:%H:%M}"


@dataclass(frozen=True)
class PrintedCode:
    """One page of a sheet: a printed code's URL, its validity and, for a multi-day or blanket activity, its day."""

    url: str
    valid_from: datetime
    valid_until: datetime
    day: date | None = None


def printable_sheet(
    activity_name: str, organisation_name: str, place: str, starts_at: datetime, ends_at: datetime, codes: Sequence[PrintedCode]
) -> str:
    """A self-contained HTML document (no external resources), one A4 page per printed code: a multi-day event's
    sheet has one page for each day, each saying the day it is for (a code is valid on that day only, R-ACT-2)."""
    if not codes:
        raise ValueError("a sheet has at least one code")
    title = escape(activity_name)
    pages = "\n".join(_page(title, organisation_name, place, starts_at, ends_at, code) for code in codes)
    return f"""<!DOCTYPE html>
<html lang="ja">
<head>
<meta charset="utf-8">
<title>{title} 参加受付QRコード</title>
<style>
@page {{ size: A4 portrait; margin: 15mm; }}
* {{ box-sizing: border-box; }}
body {{ margin: 0; font-family: "Hiragino Sans", "Noto Sans JP", "Yu Gothic", "Meiryo", sans-serif; color: #000; }}
main {{ max-width: 180mm; margin: 0 auto; text-align: center; break-after: page; }}
main:last-of-type {{ break-after: auto; }}
.org {{ font-size: 14pt; margin: 0 0 4mm; }}
h1 {{ font-size: 24pt; margin: 0 0 6mm; line-height: 1.3; }}
.day {{ font-size: 20pt; font-weight: bold; margin: 0 0 4mm; }}
dl {{ display: grid; grid-template-columns: max-content 1fr; gap: 2mm 6mm; width: fit-content; margin: 0 auto 6mm;
      font-size: 14pt; text-align: left; }}
dt {{ font-weight: bold; }}
dd {{ margin: 0; }}
.qr svg {{ width: 120mm; height: 120mm; display: block; margin: 0 auto; }}
.qr svg path {{ shape-rendering: crispEdges; }}
.how {{ font-size: 18pt; font-weight: bold; margin: 6mm 0 3mm; }}
.note {{ font-size: 11pt; margin: 0; }}
</style>
</head>
<body>
{pages}
</body>
</html>
"""


def _page(title: str, organisation_name: str, place: str, starts_at: datetime, ends_at: datetime, code: PrintedCode) -> str:
    day = f'<p class="day">{escape(_day(code.day))}の受付用</p>\n' if code.day else ""
    return f"""<main>
<p class="org">{escape(organisation_name)}</p>
<h1>{title}</h1>
{day}<dl>
<dt>日時</dt><dd>{escape(_when(starts_at, ends_at))}</dd>
<dt>場所</dt><dd>{escape(place)}</dd>
</dl>
<div class="qr" role="img" aria-label="参加受付用QRコード">{qr_svg(code.url)}</div>
<p class="how">ふるさと住民アプリで読み取ってください</p>
<p class="note">参加の記録に使います。このQRコードは {escape(_when(code.valid_from, code.valid_until))} のみ有効です（受付時間を含む）。</p>
</main>"""
