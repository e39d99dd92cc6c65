"""Hostile attachments in the new formats: each is refused with a clear problem, quickly,
without expanding what it announces. Built here (megabytes each), not stored."""

from __future__ import annotations

import resource

import pytest
from channels.build_channels import docx_bomb, mail, pdf_many_objects, zipped
from reading.build_files import zip_bomb

from mailbot.config import PROJECT_ROOT, load_settings
from mailbot.reading.message import read_path
from mailbot.sheets.document import read_document

SHIPPED = load_settings(PROJECT_ROOT / "config" / "mailbot.toml", env={})
GROWTH_LIMIT_MB = 300  # what reading one hostile file may add to the process's peak memory


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    files = {
        "docx_bomb": ("BaoCao.docx", docx_bomb(150 * 1024 * 1024)),
        "pdf_million_objects": ("BaoCao.pdf", pdf_many_objects(1_000_000)),
        "zip_member_bomb": ("BaoCao.zip", zipped([("BC.xlsx", zip_bomb(150 * 1024 * 1024))])),
        "zip_in_zip_in_zip": ("BaoCao.zip", zipped([("a.zip", zipped([("b.zip", zipped([("c.csv", b"x")]))]))])),
    }
    paths = {}
    for case, (name, data) in files.items():
        path = folder / f"{case}.eml"
        path.write_bytes(mail(plain="Gửi báo cáo.\n", attachments=[(name, data, ("application", "octet-stream"))]))
        paths[case] = (path, name, data)
    return paths


@pytest.mark.parametrize(
    "case, code",
    [
        ("docx_bomb", "file_too_large"),
        ("pdf_million_objects", "unreadable_file"),
        ("zip_member_bomb", "file_too_large"),
        ("zip_in_zip_in_zip", "file_too_large"),
    ],
)
def test_hostile_file_is_refused_with_bounded_memory(hostile, case, code):
    path, name, data = hostile[case]
    before = peak_mb()
    reading = read_path(path, SHIPPED)
    assert reading.status == "rejected" and reading.figures == {}
    assert [p.code for p in reading.problems] == [code]
    assert name in reading.problems[0].message
    assert peak_mb() - before < GROWTH_LIMIT_MB


def test_a_million_objects_are_never_all_loaded(hostile):
    """The PDF reader opens the page it needs: the million packed objects stay packed."""
    path, name, data = hostile["pdf_million_objects"]
    before = peak_mb()
    with pytest.raises(Exception) as raised:
        read_document(name, data, SHIPPED.limits)
    assert getattr(raised.value, "reason", None) == "empty_document"
    assert peak_mb() - before < 100
