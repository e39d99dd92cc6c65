"""Reading the answers to UID FETCH: sizes, arrival times and message bytes.

Pure functions over the data imaplib returns, so they are easy to check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
UID_RE = re.compile(rb"\bUID (\d+)")
SIZE_RE = re.compile(rb"\bRFC822\.SIZE (\d+)")
INTERNALDATE_RE = re.compile(rb'\bINTERNALDATE "([^"]+)"')
DATE_RE = re.compile(r"^\s*(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$")


@dataclass(frozen=True)
class Announced:
    """What the server says about a message before it is downloaded."""

    uid: int
    size: int
    internaldate: datetime


def parse_internaldate(text: str) -> datetime:
    """'14-Aug-2020 16:20:00 +0700' -> an aware datetime (RFC 3501 date-time)."""
    match = DATE_RE.match(text)
    if not match or match.group(2).lower() not in MONTHS:
        raise ValueError(f"not an IMAP INTERNALDATE: {text!r}")
    day, month, year, hour, minute, second, sign, off_h, off_m = match.groups()
    offset = timedelta(hours=int(off_h), minutes=int(off_m)) * (-1 if sign == "-" else 1)
    return datetime(
        int(year),
        MONTHS.index(month.lower()) + 1,
        int(day),
        int(hour),
        int(minute),
        int(second),
        tzinfo=timezone(offset),
    )


def parse_announced(data: list) -> dict[int, Announced]:
    """UID FETCH (UID RFC822.SIZE INTERNALDATE) -> uid: Announced.

    Unsolicited FETCH responses (flag changes by other clients) carry no size and
    are ignored.
    """
    found: dict[int, Announced] = {}
    for item in data:
        line = item[0] if isinstance(item, tuple) else item
        if not isinstance(line, bytes):
            continue
        uid, size, date = UID_RE.search(line), SIZE_RE.search(line), INTERNALDATE_RE.search(line)
        if uid and size and date:
            found[int(uid.group(1))] = Announced(
                int(uid.group(1)), int(size.group(1)), parse_internaldate(date.group(1).decode())
            )
    return found


def parse_bodies(data: list) -> dict[int, bytes]:
    """UID FETCH (UID BODY.PEEK[...]) -> uid: the literal's bytes.

    imaplib gives a (prefix, literal) tuple per message, followed by the rest of
    the response line; the UID may stand in either.
    """
    found: dict[int, bytes] = {}
    for index, item in enumerate(data):
        if not isinstance(item, tuple) or len(item) != 2:
            continue
        prefix, literal = item
        uid = UID_RE.search(prefix)
        if uid is None and index + 1 < len(data) and isinstance(data[index + 1], bytes):
            uid = UID_RE.search(data[index + 1])
        if uid is not None and isinstance(literal, bytes):
            found[int(uid.group(1))] = literal
    return found


def uid_set(uids: list[int]) -> str:
    """[1, 2, 3, 7] -> '1:3,7' (compact, so that long lists stay short lines)."""
    runs: list[list[int]] = []  # [first, last] of each run of consecutive UIDs
    for uid in sorted(set(uids)):
        if runs and uid == runs[-1][1] + 1:
            runs[-1][1] = uid
        else:
            runs.append([uid, uid])
    return ",".join(str(first) if first == last else f"{first}:{last}" for first, last in runs)
