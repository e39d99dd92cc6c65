"""A message of a plain shape is taken apart by mailbot.reading.splitting into the tree the feedparser makes.

Every message the fast path takes must give the same Message objects as
email.feedparser (headers as set, payloads, preamble, epilogue, default type,
defects); every other shape must be left to the feedparser (None).
"""

import email.feedparser
import email.policy
from email.message import Message
from pathlib import Path

import build_files as b
from hypothesis import example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from mailbot.reading import mail, splitting

TESTS = Path(__file__).resolve().parent.parent


def feedparser_tree(raw: bytes) -> Message:
    parser = email.feedparser.BytesFeedParser(policy=email.policy.compat32)
    parser.feed(raw)
    return parser.close()


def difference(fast, slow, where="message"):
    """Where two trees differ (None if they are the same): every attribute of every Message, defects by kind."""
    if type(fast) is not type(slow):
        return f"{where}: {type(fast).__name__} against {type(slow).__name__}"
    if isinstance(fast, list):
        if len(fast) != len(slow):
            return f"{where}: {len(fast)} parts against {len(slow)}"
        pairs = enumerate(zip(fast, slow, strict=True))
        return next((d for i, pair in pairs if (d := difference(*pair, f"{where}[{i}]"))), None)
    if isinstance(fast, Message):
        mine, theirs = dict(vars(fast)), dict(vars(slow))
        if [type(d) for d in mine.pop("defects")] != [type(d) for d in theirs.pop("defects")]:
            return f"{where}: defects"
        payloads = mine.pop("_payload"), theirs.pop("_payload")
        if mine != theirs:
            return f"{where}: {mine} against {theirs}"
        return difference(*payloads, f"{where}.payload")
    return None if fast == slow else f"{where}: {fast!r:.100} against {slow!r:.100}"


def check(raw: bytes) -> bool:
    """True if the fast path took the message; it must have given the feedparser's tree."""
    fast = splitting.split_plain(raw)
    if fast is not None:
        assert difference(fast, feedparser_tree(raw)) is None, difference(fast, feedparser_tree(raw))
    return fast is not None


def test_the_stored_mail_splits_as_the_feedparser_splits_it():
    """The corpora of odd and real mail: whatever the fast path takes, it takes apart as the feedparser does."""
    files = sorted(TESTS.rglob("*.eml"))
    taken = [path for path in files if check(path.read_bytes())]
    assert len(files) > 200 and len(taken) > len(files) / 2
    assert (TESTS / "reading" / "corpus" / "eml_forwarded_rfc822.eml") not in taken  # message/rfc822: left


def test_report_mail_takes_the_fast_path():
    workbook = b.xlsx(b.district_rows("UBND HUYỆN NAM SÁCH", [10000, 7356], 17356))
    sent = b.mail(
        sender="vanphong.namsach@haiduong.gov.vn",
        subject="Báo cáo ngày 14/8/2020",
        body="Kính gửi Sở,\n\nBáo cáo số lượng cài đặt.",
        attachments=[("NamSach.xlsx", workbook, ("application", "vnd.ms-excel"))],
    )
    for raw in (sent, sent.replace(b"\r\n", b"\n"), sent.replace(b"\n", b"\r\n").replace(b"\r\r", b"\r")):
        assert check(raw)
        assert mail.split(raw).get_payload(1).get_payload(decode=True) == workbook


# Pieces that make every turn of the feedparser likely: boundaries that are prefixes of each other,
# delimiter lines with spaces, "--" or other text after them, envelope and broken header lines.
BOUNDARIES = st.sampled_from(["b", "bb", "b--", "b c", "=_x", "b\\", ""])
BODY_LINES = st.sampled_from(
    ["text", "", " ", "--b", "--b--", "--bb", "--b ", "--b--x", "--bbx", "From x", "a: b", "\udcc3\udca1", "--=_x"]
)
HEADER_LINES = st.sampled_from(
    [
        "Subject: hi",
        "X-A:b",
        "X-Folded: a\n b",
        "Subject:",
        "From x@y Mon",
        ":no name",
        " first continuation",
        "Bad Header: x",
        "X-8bit: \udcc3\udca1",
        "Content-Transfer-Encoding: base64",
    ]
)


@st.composite
def parts(draw, depth=0):
    kind = draw(st.sampled_from(["leaf", "leaf", "multipart", "multipart", "rfc822", "digest", "report"]))
    if depth >= 3:
        kind = "leaf"
    boundary = draw(BOUNDARIES)
    content_type = {
        "leaf": draw(st.sampled_from(["text/plain", 'application/octet-stream; name="a.xls"', "text/html", "bad", ""])),
        "multipart": draw(st.sampled_from(["multipart/mixed", "multipart/alternative", "Multipart/Related"])),
        "rfc822": "message/rfc822",
        "digest": "multipart/digest",
        "report": "message/delivery-status",
    }[kind]
    if kind in ("multipart", "digest") and draw(st.booleans() | st.just(True)):
        content_type += draw(st.sampled_from([f'; boundary="{boundary}"', f"; boundary={boundary}", ";\n boundary=b"]))
    lines = [
        f"Content-Type: {content_type}" if content_type else "X-Untyped: 1",
        *draw(st.lists(HEADER_LINES, max_size=2)),
    ]
    draw(st.randoms()).shuffle(lines)
    text = "\n".join(lines) + "\n"
    text += draw(st.sampled_from(["\n", "\n", "", " \n"]))  # the empty line, or none
    if kind not in ("multipart", "digest"):
        if kind == "rfc822":
            return text + draw(parts(depth + 1))
        return text + "\n".join(draw(st.lists(BODY_LINES, max_size=4))) + draw(st.sampled_from(["\n", ""]))
    text += "".join(line + "\n" for line in draw(st.lists(BODY_LINES, max_size=2)))  # the preamble
    for _ in range(draw(st.integers(0, 3))):
        text += "--" + boundary + draw(st.sampled_from(["", "", " \t", "x", "--"])) + "\n"
        text += draw(parts(depth + 1)) + draw(st.sampled_from(["\n", "", "\n\n"]))
    closing = draw(st.sampled_from(["--" + boundary + "--", "--" + boundary + "-- ", "", "--" + boundary]))
    text += closing + draw(st.sampled_from(["\n", ""]))
    return text + "".join(line + "\n" for line in draw(st.lists(BODY_LINES, max_size=2)))  # the epilogue


@st.composite
def messages(draw):
    text = "From: a@b\nSubject: x\n" + draw(parts())
    ends = draw(st.sampled_from(["lf", "crlf", "mixed", "lone cr"]))
    if ends == "crlf":
        text = text.replace("\n", "\r\n")
    elif ends != "lf":
        chosen = draw(st.lists(st.booleans(), min_size=text.count("\n"), max_size=text.count("\n")))
        pieces = text.split("\n")
        swapped = "\r" if ends == "lone cr" else "\r\n"
        text = pieces[0] + "".join((swapped if s else "\n") + p for s, p in zip(chosen, pieces[1:], strict=True))
    return text.encode("ascii", "surrogateescape")


@given(messages())
@example(b'Content-Type: multipart/mixed; boundary="b"\n\n--b\n\nx\n--b--\n')
@example(b'Content-Type: multipart/mixed; boundary="b"\n\npre\n--b \n\nx\n--b--')
@example(b'Content-Type: multipart/mixed; boundary="b"\n\n--b\n\n--bb\n--b\n\ny\n--b--\nafter\n--b\n')
@example(b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n\r\n')
@example(b'Content-Type: multipart/mixed; boundary="b"\n\n--b\n--b\n\nx\n--b--\n')
@example(b'Content-Type: multipart/mixed; boundary="b"\n\n--b\n\nx\n--b')
@example(
    b'Content-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: multipart/alternative; boundary="bb"\n\n'
    b"--bb\n\nx\n--bb--\n\n--b--\n"
)
@example(b'Content-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: multipart/mixed; boundary="c"\n\n--b--\n')
@example(b'Content-Type: multipart/mixed; boundary="b"\n\n--b\nX: y\n--b--\n')
@example(b"Subject: a\r\n\r\nbody\rmore\r\n")
@example(  # a nested multipart's empty epilogue is None
    b'Content-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: multipart/alternative; boundary="bb"\n\n'
    b"--bb\n\nx\n--bb--\n--b--\n\nafter\n"
)
@example(b'Content-Type: multipart/digest; boundary="b"\n\n--b\nContent-Type: text/plain\n\nx\n--b--\n')
@hypothesis_settings(max_examples=1500, deadline=None)
def test_generated_mail_splits_as_the_feedparser_splits_it(raw):
    check(raw)


def test_plain_shapes_take_the_fast_path():
    """Each shape the fast path is for is taken (a fast path that always gave None would pass the rest)."""
    shapes = [
        b"Subject: a\n\nbody\n",
        b"Subject: a\r\n X-Folded\r\n\r\nbody",
        b'Content-Type: multipart/mixed; boundary="b"\n\npre\n--b\n\nx\n--b--\nepilogue\n',
        b'Content-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: multipart/alternative; boundary="bb"\n\n'
        b"--bb\n\nx\n--bb--\n\n--b--",
        b'Content-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: multipart/alternative; boundary="bb"\n\n'
        b"--bb\n\nx\n--bb--\n--b--\n\nafter\n",
    ]
    assert all(check(raw) for raw in shapes)
    left = [
        b"From a@b Mon Aug 14\nSubject: a\n\nbody\n",
        b"Subject: a\n\rbody\n",
        b"Subject: a\nbody\n",
        b'Content-Type: multipart/mixed; boundary="b"\n\n--b\n\nx\n',
        b"Content-Type: message/rfc822\n\nSubject: inner\n\nx\n",
    ]
    assert not any(check(raw) for raw in left)


def test_a_big_message_is_fed_to_the_feedparser_in_pieces():
    raw = b"Subject: a\n\n" + b"x" * 76 + b"\n"
    big = raw + (b"y" * 76 + b"\n") * (splitting.MAX_BYTES // 77)
    assert check(raw) and not check(big)
