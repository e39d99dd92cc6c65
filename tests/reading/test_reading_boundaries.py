"""Multipart delimiter lines are matched as the email package matches them, with no pattern compiled per boundary."""

import re
import uuid

import pytest

from mailbot.reading import boundaries, mail

SEPARATORS = ["--===============1234567890123456789==", "--a.b(c)*d+e?f", "--with space\tand tab", "--back\\slash"]


def feedparser_pattern(separator: str) -> str:
    """The pattern email.feedparser compiles for a multipart's boundary (Lib/email/feedparser.py)."""
    return "(?P<sep>" + re.escape(separator) + r")(?P<end>--)?(?P<ws>[ \t]*)(?P<linesep>\r\n|\r|\n)?$"


@pytest.mark.parametrize("separator", SEPARATORS)
def test_a_delimiter_matches_every_line_as_the_feedparsers_pattern_does(separator):
    real = re.compile(feedparser_pattern(separator))
    mine = boundaries._FeedParserRe.compile(feedparser_pattern(separator))
    assert isinstance(mine, boundaries.Delimiter)
    endings = [
        "",
        "\n",
        "\r\n",
        "\r",
        "--",
        "--\r\n",
        "  \r\n",
        " \t\n",
        "  x",
        "x",
        "--x",
        "\n\n",
        "-",
        "---",
        "--  \n",
    ]
    for line in [separator + ending for ending in endings] + [separator[:-1], "", "x" + separator]:
        expected, found = real.match(line), mine.match(line)
        assert (expected is None) == (found is None), repr(line)
        if expected:
            assert [expected.group(g) for g in ("end", "ws", "linesep")] == [
                found.group(g) for g in ("end", "ws", "linesep")
            ]


def test_other_patterns_are_compiled_by_re():
    assert boundaries._FeedParserRe.compile(r"\d+").match("12")
    assert boundaries._FeedParserRe.compile(feedparser_pattern("--b"), re.I).match("--B")


def test_reading_a_message_leaves_no_pattern_of_its_boundary_in_res_cache():
    boundary = f"mb-{uuid.uuid4().hex}"
    raw = "\r\n".join(
        [
            "From: a@b.vn",
            "Subject: x",
            f'Content-Type: multipart/mixed; boundary="{boundary}"',
            "",
            f"--{boundary}",
            "Content-Type: text/plain",
            "",
            "y",
            f"--{boundary}",
            'Content-Type: application/octet-stream; name="a.xlsx"',
            "Content-Disposition: attachment; filename=a.xlsx",
            "",
            "PK",
            f"--{boundary}--",
            "",
        ]
    ).encode()
    re.purge()

    facts = mail.parse(raw, "c@d.vn")

    assert [a.name for a in facts.attachments] == ["a.xlsx"]
    assert not any(re.escape(boundary) in str(key[1]) for key in re._cache)  # what the change is about
