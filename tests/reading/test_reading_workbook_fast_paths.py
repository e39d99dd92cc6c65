"""The shortcuts reading a workbook takes for speed give the answers of the slow, plain way.

The zip check expands each member once and keeps it when the package is small; the
declared-size check and the search for formulas without a cached value then read the
kept bytes instead of expanding the members again, and must find what streaming the
members finds; a member named twice is never taken from what was kept. The same
file opened twice is one ZipFile.
"""

import io
import os
import warnings
import zipfile

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

from mailbot.config import PROJECT_ROOT, load_settings
from mailbot.sheets import declared, formats, formulas, limits, read_tables_here

SHIPPED_LIMITS = load_settings(PROJECT_ROOT / "config" / "mailbot.toml", env={}).limits


def _workbook_with(cells: dict[str, object]) -> bytes:
    """A workbook whose sheet holds `cells` ("C6": 12, "C9": "=SUM(C6:C8)"); openpyxl caches no formula result."""
    book = Workbook()
    for ref, value in cells.items():
        book.active[ref] = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@given(
    st.dictionaries(
        st.builds(
            lambda c, r: f"{c}{r}", st.sampled_from(["A", "B", "Z", "AA", "AZ", "BA", "ZZ", "AAA"]), st.integers(1, 300)
        ),
        st.sampled_from([1, "x", "=A1+1", "=SUM(B1:B3)"]),
        min_size=1,
        max_size=12,
    )
)
@hypothesis_settings(max_examples=40, deadline=None)
def test_members_kept_by_the_zip_check_give_what_streaming_them_gives(cells):
    data = _workbook_with(cells)
    archive = formats.open_zip(data)
    expanded, parts = limits.expand_zip(data, archive, SHIPPED_LIMITS)
    assert expanded == sum(i.file_size for i in archive.infolist()) and parts
    assert all(parts[n] == archive.read(n) for n in archive.namelist() if not n.startswith(limits.NEVER_READ))
    sheet = archive.getinfo("xl/worksheets/sheet1.xml")
    places = [coordinate_from_string(ref) for ref in cells]
    written = (max(row for _, row in places), max(column_index_from_string(letters) for letters, _ in places))
    assert declared._extent(parts[sheet.filename]) == declared._xlsx_extent(data, archive, sheet) == written
    assert formulas.uncached_formulas(archive, parts) == formulas.uncached_formulas(archive)
    shown = {ref: value for ref, value in cells.items() if isinstance(value, str) and value.startswith("=")}
    assert len(formulas.uncached_formulas(archive, parts).get("Sheet", {})) == len(shown)


def test_a_package_expanding_to_more_than_inline_bytes_keeps_no_member():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", os.urandom(limits.INLINE_BYTES + 1))
    data = out.getvalue()
    expanded, parts = limits.expand_zip(data, formats.open_zip(data), SHIPPED_LIMITS)
    assert expanded == limits.INLINE_BYTES + 1 and parts == {}


def test_the_same_bytes_are_opened_as_a_zip_once():
    data = _workbook_with({"A1": 1})
    again = bytes(bytearray(data))  # equal, but another file
    assert formats.open_zip(data) is formats.open_zip(data)
    assert formats.open_zip(again) is not formats.open_zip(data)
    assert formats.open_zip(b"PK\x03\x04 not a zip") is None


@pytest.mark.parametrize("huge_first", [True, False])
def test_a_sheet_named_twice_is_checked_in_each_of_its_copies(huge_first):
    normal = _workbook_with({"A1": 1, "B2": 2})
    huge = b'<worksheet><sheetData><row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData></worksheet>'
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(normal)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # "Duplicate name": what the forged file is made of
                    for copy in (huge, body) if huge_first else (body, huge):
                        dst.writestr(info.filename, copy)
            else:
                dst.writestr(info, body)
    data = out.getvalue()
    _, parts = limits.expand_zip(data, formats.open_zip(data), SHIPPED_LIMITS)
    assert "xl/worksheets/sheet1.xml" not in parts and "xl/workbook.xml" in parts
    with pytest.raises(limits.SheetError) as refused:
        read_tables_here("bc.xlsx", data, SHIPPED_LIMITS)
    assert refused.value.code == "file_too_large" and refused.value.reason == "shape"
