"""Every channel a district reports through, from a real .eml file to what mailbot records.

The cases and their hand-written answers are built by make_channels.py; each is read
through `mailbot parse` (the library call and the command), and the messages a
person reads say where the figure was read and what to send instead.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from local_servers import missing_message

from mailbot.config import PROJECT_ROOT, load_settings
from mailbot.reading.message import read_path
from mailbot.sheets import ocr

CORPUS = Path(__file__).resolve().parent / "corpus"
CASES = sorted(p.with_suffix("") for p in CORPUS.glob("*.eml.json"))
SHIPPED = load_settings(PROJECT_ROOT / "config" / "mailbot.toml", env={})


def answer(path: Path) -> dict:
    return json.loads(path.with_name(path.name + ".json").read_text(encoding="utf-8"))


def test_every_channel_has_cases():
    names = {p.name for p in CASES}
    for prefix in ("text_", "html_", "docx_", "pdf_", "zip_", "seven_zip", "winmail", "image_"):
        assert any(n.startswith(prefix) for n in names), prefix


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_channel_matches_stored_answer(path):
    expected = answer(path)
    if expected["ocr"] and ocr.tesseract() is None:
        pytest.fail(missing_message("tesseract"))
    got = read_path(path, SHIPPED)
    assert got.unit == expected["unit"]
    assert dict(got.figures) == expected["figures"]
    assert got.status == expected["status"]
    assert [p.code for p in got.problems] == expected["problems"]
    sources = {k: v.to_json() for k, v in got.sources.items()}
    for metric, source in sources.items():  # table cells are given once the table reader names them
        assert source == expected["sources"][metric]
    if any(s["line"] for s in expected["sources"].values()):
        assert sources == expected["sources"]
    for problem in got.problems:
        assert problem.message.strip() and "{" not in problem.message


def test_parse_command_prints_the_line_of_a_figure_typed_into_the_mail():
    path = CORPUS / "text_sentence.eml"
    done = subprocess.run(
        [sys.executable, "-m", "mailbot", "parse", str(path), "--json"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    line = json.loads(done.stdout.splitlines()[0])
    assert line["figures"] == {"installs": 17356} and line["status"] == "accepted"
    assert line["sources"] == {"installs": {"file": None, "sheet": None, "cell": None, "line": 3}}


def messages(name: str) -> str:
    return " ".join(p.message for p in read_path(CORPUS / name, SHIPPED).problems)


def test_two_counts_say_which_line_and_how_to_write_it():
    said = messages("text_two_counts.eml")
    assert "dòng 1" in said and "500, 17.356" in said and "17.356 lượt" in said


def test_a_count_far_from_the_metric_says_where():
    said = messages("text_count_far_from_metric.eml")
    assert "17.356" in said and "dòng 4" in said


def test_conflicting_text_names_both_figures():
    said = messages("text_conflicts_with_attachment.eml")
    assert "17.500" in said and "17.356" in said and "dòng 1" in said


def test_old_word_asks_for_docx_or_xlsx():
    said = messages("old_word_without_converter.eml")
    assert "BaoCao.doc" in said and ".docx" in said and ".xlsx" in said


def test_nested_archives_are_refused_as_too_deep():
    said = messages("zip_in_zip_in_zip.eml")
    assert "BaoCao.zip" in said and "lồng nhau" in said


def test_nothing_stated_says_the_mail_can_carry_the_figure_in_its_text():
    said = messages("text_names_metric_without_figure.eml")
    assert "nội dung thư" in said and ".xlsx" in said
