"""No attachment can stop the service: each reader fault is caused for real in a worker process."""

import dataclasses
import io

import openpyxl
import pytest
from robust.hostile import CRAFTED, FAULTS, fault

from mailbot.config import PROJECT_ROOT, load_settings  # noqa: E402
from mailbot.errors import SpreadsheetError  # noqa: E402
from mailbot.reading.message import read_message  # noqa: E402
from mailbot.sheets import read_tables  # noqa: E402

EXPECTED = {
    "error": ("unreadable_file", "crashed"),
    "panic": ("unreadable_file", "crashed"),
    "segfault": ("unreadable_file", "crashed"),
    "abort": ("unreadable_file", "crashed"),
    "memory": ("file_too_large", "memory"),
    "cpu": ("file_too_large", "slow"),
    "hang": ("file_too_large", "slow"),
}


@pytest.fixture(scope="module")
def quick():
    """The shipped campaign with limits a test reaches quickly: 1 CPU second, 256 MB."""
    shipped = load_settings(PROJECT_ROOT / "config" / "mailbot.toml", env={})
    limits = dataclasses.replace(shipped.limits, read_timeout_seconds=1, worker_memory_mb=256)
    return dataclasses.replace(shipped, limits=limits)


@pytest.fixture(autouse=True)
def faults(monkeypatch):
    monkeypatch.setenv("MAILBOT_READER_FAULTS", "1")


def refusal(data: bytes, limits, name: str = "bc.xlsx") -> tuple[str, str]:
    with pytest.raises(SpreadsheetError) as caught:
        read_tables(name, data, limits)
    return caught.value.code, caught.value.reason


@pytest.mark.parametrize("kind", [*FAULTS, "hang"])
def test_a_reader_fault_is_that_attachments_problem_and_the_next_file_is_read(kind, quick):
    assert refusal(f"MAILBOT-FAULT:{kind}\n".encode(), quick.limits) == EXPECTED[kind]
    tables = read_tables(
        "bc.xlsx", (PROJECT_ROOT / "tests/reading/corpus/xlsx_single_row.xlsx").read_bytes(), quick.limits
    )
    assert tables and tables[0].cells


def test_a_real_calamine_panic_is_unreadable_file(quick):
    assert refusal((CRAFTED / "calamine_panic.xls").read_bytes(), quick.limits, "bc.xls") == (
        "unreadable_file",
        "crashed",
    )


def test_a_real_calamine_abort_on_a_huge_allocation_is_unreadable_file(quick):
    assert refusal((CRAFTED / "calamine_abort_alloc.xls").read_bytes(), quick.limits, "bc.xls") == (
        "unreadable_file",
        "crashed",
    )


def test_the_problem_message_says_in_vietnamese_what_happened(quick):
    reading = read_message(fault("memory"), quick)
    [problem] = reading.problems
    assert reading.status == "rejected" and problem.code == "file_too_large"
    assert "256 MB bộ nhớ" in problem.message and "memory.xlsx" in problem.message


def test_an_xlsx_with_one_cell_at_the_last_address_is_refused_before_it_is_opened(quick):
    book = openpyxl.Workbook()
    book.active["A1"] = "Số lượng cài đặt Bluezone"
    book.active["XFD1048576"] = 1
    data = io.BytesIO()
    book.save(data)
    # Opened, calamine would ask for 17 billion cells and abort ("crashed"): refused by its declared size.
    assert refusal(data.getvalue(), quick.limits) == ("file_too_large", "shape")


def test_an_xls_declaring_the_largest_sheet_is_refused_before_it_is_opened(quick):
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("Bao cao")
    sheet.write(0, 0, "Số lượng cài đặt Bluezone")
    sheet.write(65535, 255, 1)
    data = io.BytesIO()
    book.save(data)
    assert refusal(data.getvalue(), quick.limits, "bc.xls") == ("file_too_large", "shape")
