"""The shortcuts reading takes for speed give the answers of the slow, plain way.

Mail: the compat32 parser splits the message and plain header values skip the
header registry; both must read as the registry reads them. Units: the word index
must name the unit that comparing the text with every name and alias names. Text:
dropping the diacritics through a table must give what dropping each mark one
character at a time gives.
"""

import base64
import dataclasses
import email
import email.policy
import unicodedata
from pathlib import Path

import authres
import build_files as b
from hypothesis import example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from mailbot.config import Unit
from mailbot.reading import auth, mail, unit
from mailbot.reading import text as text_module
from mailbot.reading.message import read_message
from mailbot.reading.text import contains_words, fold, unmarked
from mailbot.reading.unit import unit_index, unit_named, units_named

REGISTRY = email.policy.default


# --- mail headers -------------------------------------------------------------------------------

PLAIN_VALUE = st.from_regex(r"[ \t]*[\x21-\x7e]([\x20-\x7e]|\r\n[ \t])*", fullmatch=True)


@given(
    st.sampled_from(["Subject", "Received", "References", "Authentication-Results", "Precedence", "List-Id"]),
    PLAIN_VALUE,
)
@example("Subject", "a =? b")
@example("Received", "from x\r\n by y; Fri, 14 Aug 2020 15:42:10 +0700")
def test_plain_header_values_read_as_the_registry_reads_them(name, value):
    expected = str(REGISTRY.header_fetch_parse(name, value))
    assert mail.decoded(name, value) == expected


def registry_text(name, value):
    return str(REGISTRY.header_fetch_parse(name, value))


def as_read(decode, name, value):
    """What Headers.first gives: the decoded text, or the raw text where decoding raises."""
    try:
        return decode(name, value)
    except Exception:
        return value


def encoded_word(charset, encoding, data):
    """An RFC 2047 word of those bytes, as mail clients write them (and as broken ones do)."""
    if encoding in "bB":
        text = base64.b64encode(data).decode()
    else:
        text = "".join(chr(c) if chr(c).isalnum() else "_" if c == 32 else f"={c:02X}" for c in data)
    return f"=?{charset}?{encoding}?{text}?="


ENCODED_WORDS = st.builds(
    encoded_word,
    st.sampled_from(["utf-8", "UTF-8", "iso-8859-1", "windows-1258", "utf-8*vi", "unknown-8bit", "x-bogus", "ascii"]),
    st.sampled_from("bBqQ"),
    st.binary(max_size=12) | st.sampled_from(["Báo cáo ngày 14/8".encode(), " Huyện ".encode(), b"\xff\xfe", b"=?"]),
)
BROKEN_WORDS = st.sampled_from(
    [
        "=?utf-8?q?=C3?=",
        "=?utf-8?q?=?=",
        "=?utf-8?x?abc?=",
        "=?utf-8?b?QQ?=",
        "=?utf-8?b?Q?=",
        "=??q?a?=",
        "=?utf-8?q?a",
        "a=?utf-8?q?b?=",
        "=?utf-8?q?a?=b",
        "=?",
        "?=",
        "a?=b",
        "=?utf-8?q?a_b?==?utf-8?q?c?=",
    ]
)
SUBJECTS = st.lists(
    st.tuples(
        ENCODED_WORDS | BROKEN_WORDS | st.from_regex(r"[\x21-\x7e]{1,6}", fullmatch=True),
        st.sampled_from([" ", "  ", "\t", "\r\n ", "\r\n\t", ""]),
    ),
    max_size=6,
).map(lambda words: "".join(w + space for w, space in words))


@given(st.sampled_from(["Subject", "X-Unknown", "References", "Comments"]), SUBJECTS)
@example("Subject", "=?utf-8?b?QsOhbyBjw6Fv?= =?utf-8?q?ng=C3=A0y_14/8?= x =?utf-8?q?a?=")
@example("Subject", " =?utf-8?q?a?=\r\n =?utf-8?q?b?= ")
@example("Subject", "=?utf-8?q?=E1?=")
@hypothesis_settings(max_examples=500)
def test_encoded_words_read_as_the_registry_reads_them(name, value):
    assert as_read(mail.decoded, name, value) == as_read(registry_text, name, value)


ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.\-\x80-\xff\\\"() ]"


@given(st.from_regex(rf"\s?<?{ATEXT}{{0,8}}@?{ATEXT}{{0,8}}(>|> |>x|>>)?", fullmatch=True))
@example("<179617224444.6839.11647793421092554390@baocao-bench.gov.vn>")
@example("<a..b@c>")
@example("<.a@c>")
@example("<a@c.>")
@example("<b\udcc3\udca1o@c>")  # 8-bit bytes of a raw header: the registry shows them as U+FFFD
def test_message_ids_read_as_the_registry_reads_them(value):
    assert as_read(mail.decoded, "Message-ID", value) == as_read(registry_text, "Message-ID", value)


DATES = st.one_of(
    st.from_regex(
        r"((Mon|Fri|Xyz), ?)?[0-9]{1,2} (Jan|Aug|Dec|Foo) [0-9]{2,4} [0-9]{1,2}:[0-9]{2}(:[0-9]{2})?"
        r"( ([+-][0-9]{4}|GMT|UT|EST|PDT|-0000|[A-Z]{1,3}))?( \([a-zA-Z ]*\))?",
        fullmatch=True,
    ),
    st.text(alphabet="0123456789 :,+-ADFGJMTUaceglnoprtuy()", max_size=40),
)


@given(DATES)
@example("Fri, 14 Aug 2020 15:41:55 -0000")
@example("14 Aug 20 15:41 +0700")
@example("")
def test_dates_read_as_the_registry_reads_them(value):
    raw = f"Date: {value}\n\nbody\n".encode()
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    try:
        expected = mail._date(str(REGISTRY.header_fetch_parse("Date", value)))
    except Exception:  # the registry fails: the raw text is read
        expected = mail._date(value)
    assert mail.Headers(message).date("Date") == expected


TOKEN = r"[!#$%&'+\-.0-9A-Z^_`a-z{|}~]{1,12}"
QUOTED = r'"[ !#-\[\]-~]{1,20}"'
PARAMS = rf"(( ?; ?|;\r\n\t){TOKEN}=({TOKEN}|{QUOTED})){{0,3}}"
CONTENT_TYPES = st.from_regex(rf"({TOKEN}/{TOKEN}|application/vnd\.ms-excel|text/csv){PARAMS}", fullmatch=True)
DISPOSITIONS = st.from_regex(rf"(attachment|inline|{TOKEN})(; ?filename=({TOKEN}|{QUOTED}))?{PARAMS}", fullmatch=True)


@given(CONTENT_TYPES, DISPOSITIONS, st.sampled_from(["base64", "7bit", "quoted-printable", "x-weird"]))
@example('application/vnd.ms-excel; name="bao cao.xls"', 'attachment; filename="Bao cao 14-8.xls"', "base64")
@hypothesis_settings(max_examples=200)
def test_plain_mime_headers_read_as_the_registry_reads_them(content_type, disposition, encoding):
    raw = (
        f"Content-Type: {content_type}\r\nContent-Disposition: {disposition}\r\n"
        f"Content-Transfer-Encoding: {encoding}\r\n\r\nUEsDBBQ=\r\n"
    ).encode()
    fast = email.message_from_bytes(raw, policy=email.policy.compat32)
    slow = email.message_from_bytes(raw, policy=REGISTRY)
    if not mail.has_plain_mime_headers(fast) or fast.is_multipart() or slow.is_multipart():
        return
    assert mail._content_type(fast) == mail._content_type(slow)
    assert mail._file_name(fast) == mail._file_name(slow)
    assert mail._payload(fast) == mail._payload(slow)


def test_encoded_names_are_not_taken_for_plain():
    raw = (
        b'Content-Type: application/vnd.ms-excel; name="=?utf-8?b?QsOhbyBjw6FvLnhscw==?="\r\n'
        b"Content-Disposition: attachment; filename*=utf-8''B%C3%A1o%20c%C3%A1o.xls\r\n\r\nx\r\n"
    )
    part = email.message_from_bytes(raw, policy=email.policy.compat32)
    assert not mail.has_plain_mime_headers(part)
    assert [a.name for a in mail.attachments(part)] == ["Báo cáo.xls"]


def test_unquoted_boundary_with_equals_sign_still_splits_the_message(shipped):
    """Some mail clients leave such a boundary unquoted; the attachment must still be found."""
    workbook = b.xlsx(b.district_rows("UBND HUYỆN NAM SÁCH", [10000, 7356], 17356))
    sent = b.mail(
        sender="vanphong.namsach@haiduong.gov.vn",
        subject="Báo cáo ngày 14/8/2020",
        attachments=[("NamSach.xlsx", workbook, ("application", "vnd.ms-excel"))],
    )
    boundary = email.message_from_bytes(sent).get_boundary().encode()
    raw = sent.replace(b'boundary="' + boundary + b'"', b"boundary=----=_Part_1_2." + boundary)
    raw = raw.replace(b"--" + boundary, b"------=_Part_1_2." + boundary)
    reading = read_message(raw, shipped)
    assert reading.attachments == ("NamSach.xlsx",)
    assert reading.figures == {"installs": 17356} and reading.unit == "nam-sach"


# --- mail limits --------------------------------------------------------------------------------


def header_end_plain(raw, limit):
    """The plain way: both kinds of empty line looked for in the first `limit` bytes and some."""
    head = raw[: limit + 4]
    ends = [i for i in (head.find(b"\n\n"), head.find(b"\r\n\r\n")) if 0 <= i <= limit]
    if ends:
        return min(ends)
    return len(raw) if len(raw) <= limit else None


def line_over_plain(raw, limit):
    """The plain way: every line measured."""
    return next((len(line) for line in raw.split(b"\n") if len(line) > limit), None)


def boundaries_plain(raw):
    return [(m.start(), m.group(1) or m.group(2)) for m in mail.BOUNDARY.finditer(raw)]


def delimiters_plain(raw):
    return [(m.start(), m.group(1)) for m in mail.DELIMITER.finditer(raw)]


# Bytes that make header ends, long lines, boundary parameters and delimiter lines likely.
RAW = st.lists(
    st.sampled_from([b"\n", b"\r\n", b"\r", b"\n\n", b"\r\n\r\n", b"\n\r\n", b"--", b"--b", b"--b--", b"b", b"x"])
    | st.sampled_from(
        [b"boundary=", b"BoUnDaRy =", b'boundary="b"', b"boundary= b;", b"boundaryboundary=b", b" ", b"\t"]
    )
    | st.binary(max_size=6),
    max_size=40,
).map(b"".join)


@given(RAW, st.integers(0, 40))
@example(b"a\n\r\n\nb", 10)
@example(b"ab\r\n\r\n", 2)
@example(b"x" * 12 + b"\n\n", 10)
@hypothesis_settings(max_examples=500)
def test_limit_scans_find_what_the_plain_way_finds(raw, limit):
    assert mail._header_end(raw, limit) == header_end_plain(raw, limit)
    assert mail._line_over(raw, limit) == line_over_plain(raw, limit)
    assert mail._delimiters(raw) == delimiters_plain(raw)
    for piece in (1, 7, 8, 9, 64, mail.SCAN_BYTES):
        assert mail._boundaries(raw, piece) == boundaries_plain(raw)


def test_limit_scans_of_a_big_message():
    lines = b"".join(b"l" * (i % 90) + (b"\r\n" if i % 3 else b"\n") for i in range(60_000))
    boundary = b"--==b=="
    pad = b"X-Pad: " + b"p" * (mail.SCAN_BYTES - 46) + b"\r\n"  # the parameter's word across two pieces
    raw = pad + b"Content-Type: multipart/mixed;\r\n Boundary=" + boundary[2:] + b"\r\n\r\n" + boundary + b"\r\n"
    raw += lines
    raw += b"\r\n" + boundary + b"--\r\n" + b"y" * 1000 + b"\n"
    for limit in (89, 90, 999, 1000, 2**20):
        assert mail._line_over(raw, limit) == line_over_plain(raw, limit)
    assert mail._header_end(raw, 100) == header_end_plain(raw, 100) is None
    assert mail._boundaries(raw) == boundaries_plain(raw) != []
    assert mail._delimiters(raw) == delimiters_plain(raw) != []


# --- Authentication-Results -------------------------------------------------------------------


def parsed_as(parse, value):
    """Everything a parse gives: the header's fields, each result's and each property's; or the error's kind."""
    try:
        header = parse(value)
    except Exception as error:
        return type(error).__name__, str(error)
    fields = {k: v for k, v in vars(header).items() if k not in ("feature_context", "results")}
    results = [
        (
            type(r).__name__,
            {k: v for k, v in vars(r).items() if k != "properties"},
            [vars(p) for p in getattr(r, "properties", ())],
        )
        for r in header.results
    ]
    return fields, results


def authres_parse(value):
    return authres.AuthenticationResultsHeader.parse_value(value)


def mailbot_parse(value):
    return auth._Parsing.parse_value(authres.core_features(), value)


AUTH_JUNK = (
    st.just("")
    | st.just("")
    | st.just("")
    | st.sampled_from(
        [" ", "\t", ";", "=", ".", "/", "(", ")", '"', "@", "\\", "\r\n ", "é", "(c)", "(a (b) c)", '"q s"']
    )
)
AUTH_PROPERTIES = st.sampled_from(
    [
        "header.d=haiduong.gov.vn", "Header.From=haiduong.gov.vn", "smtp.mailfrom=a@haiduong.gov.vn",
        "smtp.helo=mx.b", "header.i=@haiduong.gov.vn", 'smtp.mailfrom="a b"@c.d', '"q"', "smtp.mailfrom=",
        "bogus.d=x", "policy.x=y", "body.hash=x", "header.d = x", "header . d=x", "header.d=x (c)",
    ]
)  # fmt: skip


@st.composite
def auth_values(draw):
    """Authentication-Results values as servers write them, with now and then a piece out of place."""
    value = draw(st.sampled_from(["mx.haiduong.gov.vn", "MX.Example", "mx", "", "a..b"])) + draw(AUTH_JUNK)
    value += draw(st.sampled_from(["", "", " 1", " 2", " (c)", " 1 (v)"]))
    for _ in range(draw(st.integers(0, 3))):
        value += draw(st.sampled_from(["; ", ";", " ; ", ";\r\n "]))
        if draw(st.integers(0, 9)) == 0:
            value += draw(st.sampled_from(["none", "None", "nonex=pass"]))
            continue
        value += draw(st.sampled_from(["dkim", "spf", "DMARC", "iprev", "x-foo", "dkim/1", "auth"]))
        value += draw(st.sampled_from(["=", "=", " = "])) + draw(st.sampled_from(["pass", "fail", "Neutral", ""]))
        value += draw(st.sampled_from(["", "", " (good)", ' reason="bad sig"', " Reason=x", " reason="]))
        for prop in draw(st.lists(AUTH_PROPERTIES, max_size=3)):
            value += " " + prop + draw(AUTH_JUNK)
    return value + draw(AUTH_JUNK)


@given(auth_values())
@example("mx.haiduong.gov.vn; dkim=pass header.d=haiduong.gov.vn; spf=fail smtp.mailfrom=a@haiduong.gov.vn")
@example('mx.x 1 (v); dkim/1=pass (ok) reason="good sig" header.i=@x.y (c); nonexistent=pass')
@example("mx.x; None")
@example("mx.x; spf=pass smtp.mailfrom=; dkim=Pass")
@example("mx.x; dkim=pass bogus.d=x header.d=y")
@example("mx.x (unclosed; spf=pass")
@hypothesis_settings(max_examples=1000)
def test_authentication_results_parse_as_authres_parses_them(value):
    assert parsed_as(mailbot_parse, value) == parsed_as(authres_parse, value)


def test_stored_authentication_results_parse_as_authres_parses_them():
    values = {
        " ".join(value.split())
        for path in Path(__file__).resolve().parent.parent.rglob("*.eml")
        for value in email.message_from_bytes(path.read_bytes()).get_all("Authentication-Results") or ()
    }
    assert len(values) > 10
    for value in values:
        assert parsed_as(mailbot_parse, value) == parsed_as(authres_parse, value)
    assert auth._ANCHORED  # the patterns are compiled once, kept


# --- units --------------------------------------------------------------------------------------


def named_by_every_name(sources, settings):
    """The plain way: compare each source with every unit's names, longest match first."""
    area = fold(settings.campaign.area_name)
    pairs = {(u.id, fold(n)) for u in settings.units for n in (u.name, *u.aliases)}
    needles = sorted((p for p in pairs if p[1]), key=lambda p: -len(p[1]))
    for texts in sources:
        folded = [fold(t) for t in texts if t]
        joined = " | ".join(f" {f} ".replace(f" {area} ", " | ").strip() if area else f for f in folded)
        scores = {}
        for unit_id, needle in needles:
            if unit_id not in scores and contains_words(joined, needle):
                scores[unit_id] = len(needle)
        if scores:
            top = max(scores.values())
            winners = [u for u in settings.units if scores.get(u.id) == top]
            return winners[0] if len(winners) == 1 else None
    return None


WORDS = [
    "Huyện",
    "Thị xã",
    "Thành phố",
    "TP.",
    "Nam",
    "Sách",
    "Hải",
    "Dương",
    "Kinh",
    "Môn",
    "Chí",
    "Linh",
    "Tứ",
    "Kỳ",
    "Kì",
    "tỉnh",
    "UBND",
    "báo cáo",
    "Thanh",
    "Hà",
    "Miện",
    "An",
    "Bình",
    "Giang",
    "-",
    "_",
    "14/8/2020",
]
TEXTS = st.lists(st.lists(st.sampled_from(WORDS), max_size=8).map(" ".join), max_size=3)


@given(sources=st.lists(TEXTS, min_size=1, max_size=3))
@example(sources=[["UBND TỈNH HẢI DƯƠNG", "Thành phố Hải Dương"]])
@example(sources=[["Huyện Nam Sách và Huyện Thanh Hà"]])
def test_word_index_names_the_unit_every_name_names(sources, shipped):
    expected = named_by_every_name(sources, shipped)
    assert unit_named(sources, shipped) == expected


def test_many_units_and_changed_settings(shipped):
    extra = tuple(Unit(id=f"u{i}", name=f"Huyện Số {i}", senders=(f"vp{i}@x.gov.vn",)) for i in range(700))
    crowded = dataclasses.replace(shipped, units=shipped.units + extra)
    assert unit_named([["Báo cáo Huyện Số 512"]], crowded).id == "u512"
    assert unit_named([["Báo cáo Huyện Số 512"]], shipped) is None
    assert unit_named([["UBND HUYỆN NAM SÁCH"]], crowded).id == "nam-sach"
    fewer = dataclasses.replace(shipped, units=tuple(u for u in shipped.units if u.id != "nam-sach"))
    assert unit_named([["UBND HUYỆN NAM SÁCH"]], fewer) is None


def test_the_units_a_text_names_are_kept_per_area_and_few(shipped):
    assert [u.id for u in units_named(["Báo cáo TP Hải Dương"], shipped)] == ["hai-duong"]
    campaign = dataclasses.replace(shipped.campaign, area_name="TP Hải Dương")
    assert units_named(["Báo cáo TP Hải Dương"], dataclasses.replace(shipped, campaign=campaign)) == ()
    assert [u.id for u in units_named(["Báo cáo TP Hải Dương"], shipped)] == ["hai-duong"]
    index = unit_index(shipped.units)
    for i in range(unit.MAX_NAMED + 10):
        units_named([f"Huyện Nam Sách {i}"], shipped)
    assert len(index.named) <= unit.MAX_NAMED
    assert [u.id for u in units_named(["Huyện Nam Sách 1"], shipped)] == ["nam-sach"]
    long_text = "Huyện Thanh Hà " + "x " * unit.MAX_NAMED_CHARS
    assert [u.id for u in units_named([long_text], shipped)] == ["thanh-ha"]
    assert ("tỉnh Hải Dương", (long_text,)) not in index.named


# --- text ---------------------------------------------------------------------------------------


def unmarked_char_by_char(text):
    """The plain way: decompose, drop every combining mark one character at a time, lower the case."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


@given(st.text(max_size=60) | st.lists(st.sampled_from([*WORDS, "ngày 14 tháng 8 năm 2020", "İ", "ǅ"])).map(" ".join))
@example("Tiếng Việt có dấu: Đường, ĐỒNG, ngày 14 tháng 8")
@example("e\u0301\u0323 \u0130 \u1e9e ﬁ")
@hypothesis_settings(max_examples=300)
def test_text_without_diacritics_is_what_dropping_each_mark_gives(text):
    assert unmarked(text) == unmarked_char_by_char(text)


def test_the_marks_kept_stay_few_whatever_the_text():
    every_character = "".join(chr(code) for code in range(0x20, 0x30000) if not 0xD800 <= code < 0xE000)
    assert unmarked(every_character) == unmarked_char_by_char(every_character)
    assert len(text_module._WITHOUT_MARKS) <= text_module.MARKS_KNOWN
