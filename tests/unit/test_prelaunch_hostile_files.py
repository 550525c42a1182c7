"""Hostile pre-launch files (issue 6 part 4, R-ACT-5): an .xlsx is measured before openpyxl opens it (declared
uncompressed size, rows and columns of every sheet, blank ones included), and a CSV of blank lines is refused as a
whole. The files are built here; openpyxl.load_workbook is made to fail the test if it is reached, so a refusal
proves the file was judged before parsing (the 82 KiB shared-strings file once took 35 s inside it)."""

from __future__ import annotations

import io
import re
import zipfile

import openpyxl
import pytest

from shared.domain import prelaunch
from shared.domain.prelaunch import InvalidPrelaunchFile
from tests.unit.test_prelaunch import DATA, HEADER, as_csv, as_xlsx


class Opened(BaseException):
    """Not an Exception: the import's `except Exception` around load_workbook must not turn it into a refusal."""


@pytest.fixture
def never_opened(monkeypatch):
    def refuse(*_, **__):
        raise Opened("openpyxl.load_workbook was reached: the file was not measured first")

    monkeypatch.setattr(openpyxl, "load_workbook", refuse)


def rebuilt(xlsx: bytes, change_sheet=None, extra: dict[str, bytes] | None = None) -> bytes:
    """The workbook with its first sheet's XML changed and parts added, deflated as hard as zip can."""
    source = zipfile.ZipFile(io.BytesIO(xlsx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml" and change_sheet:
                data = change_sheet(data)
            if info.filename == "[Content_Types].xml" and extra:
                overrides = b"".join(
                    b'<Override PartName="/%s" ContentType="application/vnd.openxmlformats-officedocument.'
                    b'spreadsheetml.sharedStrings+xml"/>' % name.encode()
                    for name in extra
                )
                data = data.replace(b"</Types>", overrides + b"</Types>")
            target.writestr(info.filename, data)
        for name, data in (extra or {}).items():
            target.writestr(name, data)
    return out.getvalue()




def test_shared_strings_that_expand_past_the_limit_are_refused_unread(never_opened):
    count = 700_000  # ~21 MB of XML, deflated to well under 100 KiB
    strings = (
        b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
        b' count="%d" uniqueCount="%d">' % (count, count) + b"<si><t>aaaaaaaaaaaaaa</t></si>" * count + b"</sst>"
    )
    bomb = rebuilt(as_xlsx(DATA), extra={"xl/sharedStrings.xml": strings})
    assert len(bomb) < 200 * 1024 and len(strings) > prelaunch.MAX_XLSX_UNCOMPRESSED_BYTES
    with pytest.raises(InvalidPrelaunchFile) as refused:
        prelaunch.parse_upload("bomb.xlsx", bomb)
    assert "大きすぎます" in refused.value.extensions["reason"]


def test_a_row_far_down_the_sheet_is_refused_before_openpyxl_fills_the_blank_rows(never_opened):
    far = b'<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'
    with pytest.raises(InvalidPrelaunchFile):
        prelaunch.parse_upload("far.xlsx", rebuilt(as_xlsx(DATA), lambda xml: xml.replace(b"</sheetData>", far)))


def test_a_cell_in_the_last_column_is_refused_before_openpyxl_fills_the_row(never_opened):
    wide = b'<row r="20"><c r="XFD20" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'
    with pytest.raises(InvalidPrelaunchFile):
        prelaunch.parse_upload("wide.xlsx", rebuilt(as_xlsx(DATA), lambda xml: xml.replace(b"</sheetData>", wide)))


def test_many_blank_rows_count_as_rows(never_opened):
    blank = b"<row/>" * (prelaunch.MAX_SHEET_ROWS + 1) + b"</sheetData>"

    def renumbered(xml: bytes) -> bytes:  # rows without numbers: openpyxl counts them one by one
        return re.sub(rb' r="\d+"', b"", xml).replace(b"</sheetData>", blank)

    with pytest.raises(InvalidPrelaunchFile):
        prelaunch.parse_upload("blank.xlsx", rebuilt(as_xlsx(DATA), renumbered))


def test_a_csv_of_blank_lines_is_refused_as_a_whole():
    flood = as_csv(HEADER + DATA[:1]) + b"\r\n" * (prelaunch.MAX_SHEET_ROWS + 1) + as_csv(DATA[1:2])
    with pytest.raises(InvalidPrelaunchFile):
        prelaunch.parse_upload("flood.csv", flood)
