"""Message + tables -> Reading: who reported, for which day, which figures, what is wrong.

    read_message(raw, settings, *, received_at=None, path=None, headers_only=False, size=None)
    read_spreadsheet(name, data, settings, path=None)
    read_path(path, settings)

None of them raises on bad input: every mail or file gives a Reading whose
problems say what is wrong and how to fix it (docs/json.md#parse, docs/problems.md, docs/rules.md#numbers).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from mailbot import i18n
from mailbot.config import Settings, Unit
from mailbot.models import (
    FILE_TOO_LARGE,
    PERIOD_CONFLICT,
    SENDER_NOT_AUTHENTICATED,
    UNIT_MISMATCH,
    UNKNOWN_SENDER,
    UNKNOWN_UNIT,
    UNREADABLE_FILE,
    UNVERIFIED_SENDER,
    Problem,
    Reading,
)
from mailbot.reading import auth, mail
from mailbot.reading.content import Content, is_candidate, read_files
from mailbot.reading.period import first_stated, is_reply, stated_date
from mailbot.reading.unit import unit_named, unit_of_sender, units_named
from mailbot.sheets.limits import mib

__all__ = ["read_message", "read_spreadsheet", "read_path"]

log = logging.getLogger(__name__)
HEADER_LINE = re.compile(rb"^[!-9;-~]+[ \t]*:")
KNOWN_HEADERS = frozenset(
    {
        b"from",
        b"to",
        b"cc",
        b"subject",
        b"date",
        b"received",
        b"message-id",
        b"mime-version",
        b"content-type",
        b"return-path",
        b"reply-to",
        b"delivered-to",
        b"resent-from",
        b"resent-date",
        b"sender",
    }
)


@dataclass(frozen=True)
class _Who:
    unit: str | None
    problems: tuple[Problem, ...]


def read_message(
    raw: bytes,
    settings: Settings,
    *,
    received_at: datetime | None = None,
    path: str | None = None,
    headers_only: bool = False,
    size: int | None = None,
) -> Reading:
    """What mailbot understands from one message. `received_at` (server arrival) wins over headers."""
    lang = settings.language
    over = mail.excess(raw, settings.limits)
    if over is not None:
        return _refused_message(raw, over, settings, received_at, path)
    limits = settings.limits
    facts = mail.parse(
        raw, settings.campaign.reporting_mailbox, with_body=not headers_only, max_references=limits.max_references
    )
    arrival = received_at or facts.stamped_at or facts.sent_at
    arrival = arrival.astimezone(settings.campaign.tz) if arrival else None
    names = [a.name or i18n.text("reading.unnamed", lang, n=i + 1) for i, a in enumerate(facts.attachments)]
    day = arrival.date() if arrival else None
    if headers_only:
        content = _too_large_message(size if size is not None else len(raw), settings)
    else:
        files = [
            (name, a.data)
            for name, a in zip(names, facts.attachments, strict=True)
            if is_candidate(a.name, mail.is_spreadsheet_type(a.content_type), a.data)
        ]
        content = read_files(
            files,
            settings,
            arrival=day,
            report_day=lambda titles: _period(facts.subject, [*names, *titles], day, settings)[0],
            body=facts.body,
        )
    who = _who(facts, names, content, settings)
    period, doubt = _period(facts.subject, [*names, *content.titles], day, settings)
    if settings.campaign.once:  # one report: whatever day the mail states, it is that report
        period, doubt = _campaign_period(period, settings), ()
    verdict = _verdict(facts, settings)  # the header is parsed once
    return Reading(
        path=path,
        message_id=facts.message_id,
        sender=facts.sender,
        received_at=arrival,
        period=period,
        late=_late(arrival, period, settings),
        unit=who.unit,
        figures=dict(content.figures),
        sources=dict(content.sources),
        problems=tuple(content.problems) + doubt + who.problems + _authentication(facts, settings, verdict),
        subject=facts.subject,
        sender_verified=verdict.passed,
        attachments=tuple(a.name for a in facts.attachments if a.name),
        references=facts.references,
        reply_to=None if facts.robot else facts.sender,
    )


def read_spreadsheet(name: str, data: bytes, settings: Settings, path: str | None = None) -> Reading:
    """A bare spreadsheet file: no message, so no sender, arrival time or lateness."""
    content = read_files([(name, data)], settings, report_day=lambda titles: first_stated([name, *titles]))
    named = unit_named([[name], content.titles], settings)
    problems = tuple(content.problems)
    if named is None:
        problems += (i18n.problem(UNKNOWN_UNIT, settings.language),)
    return Reading(
        path=path,
        message_id=None,
        sender=None,
        received_at=None,
        period=_campaign_period(first_stated([name, *content.titles]), settings),
        late=None,
        unit=named.id if named else None,
        figures=dict(content.figures),
        sources=dict(content.sources),
        problems=problems,
        attachments=(name,),
    )


def read_path(path: Path, settings: Settings) -> Reading:
    """An .eml file or a spreadsheet file, told apart by its bytes."""
    path = Path(path)
    data = path.read_bytes()
    if looks_like_mail(data):
        return read_message(data, settings, path=str(path))
    return read_spreadsheet(path.name, data, settings, path=str(path))


def looks_like_mail(data: bytes) -> bool:
    """True if the bytes start with a block of RFC 5322 header lines naming a known header."""
    head = data.lstrip(b"\r\n")[:16384].replace(b"\r\n", b"\n")
    block = head.split(b"\n\n", 1)[0]
    lines = block.split(b"\n")
    if lines and lines[0].startswith(b"From "):
        lines = lines[1:]  # mbox separator line
    fields = [line for line in lines if line and line[:1] not in (b" ", b"\t")]
    shaped = [line for line in fields if HEADER_LINE.match(line)]
    if not fields or not HEADER_LINE.match(fields[0]) or len(shaped) * 2 < len(fields):
        return False  # real mail may have a few broken header lines, a table has no header block
    names = {line.split(b":", 1)[0].strip().lower() for line in shaped}
    return bool(names & KNOWN_HEADERS)


def _refused_message(
    raw: bytes, over: mail.Excess, settings: Settings, received_at: datetime | None, path: str | None
) -> Reading:
    """A message over the structure limits: file_too_large, with what its first header lines tell."""
    lang = settings.language
    facts = mail.safe_facts(raw, settings.campaign.reporting_mailbox)
    arrival = received_at or (facts.stamped_at or facts.sent_at if facts else None)
    arrival = arrival.astimezone(settings.campaign.tz) if arrival else None
    detail = i18n.text(f"reading.detail_message_{over.reason}", lang, **over.params)
    problem = i18n.problem(FILE_TOO_LARGE, lang, what=i18n.text("reading.what_message", lang), detail=detail)
    registered = unit_of_sender(facts.sender, settings) if facts else None
    period = arrival.date() if arrival else None
    verdict = _verdict(facts, settings) if facts else auth.NO_VERDICT
    return Reading(
        path=path,
        message_id=facts.message_id if facts else None,
        sender=facts.sender if facts else None,
        received_at=arrival,
        period=period,
        late=_late(arrival, period, settings),
        unit=registered.id if registered else None,
        figures={},
        problems=(problem,) + (_authentication(facts, settings, verdict) if facts else ()),
        subject=facts.subject if facts else None,
        sender_verified=verdict.passed,
        references=facts.references if facts else (),
        reply_to=facts.sender if facts and not facts.robot else None,
    )


def _too_large_message(size: int, settings: Settings) -> Content:
    lang, limit = settings.language, settings.limits.max_message_bytes
    detail = i18n.text("reading.detail_message", lang, size=mib(size), limit=mib(limit))
    what = i18n.text("reading.what_message", lang)
    return Content(problems=[i18n.problem(FILE_TOO_LARGE, lang, what=what, detail=detail)])


def _who(facts: mail.MailFacts, names: list[str], content: Content, settings: Settings) -> _Who:
    """The unit: the registered sender's, held for review if the report names another as its author."""
    lang = settings.language
    if mail.is_unreadable_address(facts.sender):
        detail = i18n.text("reading.detail_bad_sender", lang, sender=facts.sender)
        return _Who(None, (Problem(UNREADABLE_FILE, i18n.text("problems.unreadable_message", lang, detail=detail)),))
    registered = unit_of_sender(facts.sender, settings)
    if registered is not None:
        other = _other_author(registered, facts.subject, names, content, lang, settings)
        if other is None:
            return _Who(registered.id, ())
        unit, where = other
        mismatch = i18n.problem(UNIT_MISMATCH, lang, where, unit_name=registered.name, other_name=unit.name)
        return _Who(registered.id, (mismatch,))
    named = unit_named([[facts.subject or ""], names, content.titles], settings)
    sender = facts.sender or i18n.text("reading.no_sender", lang)
    problems = [i18n.problem(UNKNOWN_SENDER, lang, sender=sender)]
    if named is None:
        problems.append(i18n.problem(UNKNOWN_UNIT, lang))
    return _Who(named.id if named else None, tuple(problems))


def _other_author(
    own: Unit, subject: str | None, names: list[str], content: Content, lang: str, settings: Settings
) -> tuple[Unit, str] | None:
    """Another unit the subject, an attachment's name or a sheet's title rows name, and where."""
    places: list[tuple[str, dict[str, str], list[str]]] = [("reading.in_subject", {}, [subject or ""])]
    places += [("reading.in_file_name", {"file": name}, [name]) for name in names]
    places += [("reading.in_titles", {"file": h.file, "sheet": h.sheet}, list(h.titles)) for h in content.headings]
    for where, params, texts in places:  # where it is said, worded only once another unit is found
        for unit in units_named(texts, settings):
            if unit.id != own.id:
                return unit, i18n.text(where, lang, **params)
    return None


def _period(
    subject: str | None, own_texts: list[str], arrival: date | None, settings: Settings
) -> tuple[date | None, tuple[Problem, ...]]:
    """The report day: the subject's, then the attachment's own, then the arrival day.

    A reply's or forward's subject may quote an older day: the attachment's own date then
    wins, and where the attachment states none and the subject's day is not the arrival
    day, nothing settles it: the arrival day is kept and the report waits for review.
    """
    said = stated_date(subject, arrival) if subject else None
    own = first_stated(own_texts, arrival)
    if said is None or not is_reply(subject, settings.campaign.reply_prefixes):
        return said or own or arrival, ()
    if own is not None or arrival is None or said == arrival:
        return own or said, ()
    lang = settings.language
    dates = i18n.text(
        "reading.period_reply", lang, said=i18n.format_day(said, lang), arrival=i18n.format_day(arrival, lang)
    )
    return arrival, (i18n.problem(PERIOD_CONFLICT, lang, dates=dates, period=i18n.format_day(arrival, lang)),)


def _domain(facts: mail.MailFacts) -> str | None:
    return facts.sender.rsplit("@", 1)[1] if facts.sender and "@" in facts.sender else None


def _verdict(facts: mail.MailFacts, settings: Settings) -> auth.AuthVerdict:
    return auth.verdict(list(facts.auth_results), settings.campaign.trusted_authserv_id, _domain(facts))


def _authentication(facts: mail.MailFacts, settings: Settings, verdict: auth.AuthVerdict) -> tuple[Problem, ...]:
    domain = _domain(facts)
    if not verdict.failed:
        if settings.campaign.strict_authentication and not verdict.passed and unit_of_sender(facts.sender, settings):
            return (i18n.problem(UNVERIFIED_SENDER, settings.language, sender=facts.sender),)
        return ()
    detail = i18n.text(
        "reading.auth_dmarc" if verdict.reason == "dmarc" else "reading.auth_dkim_spf", settings.language
    )
    return (i18n.problem(SENDER_NOT_AUTHENTICATED, settings.language, domain=domain, detail=detail),)


def _campaign_period(stated: date | None, settings: Settings) -> date | None:
    """The report a stated day belongs to (for a campaign with one report, always that one)."""
    campaign = settings.campaign
    if campaign.once and campaign.due_day is not None:
        return campaign.due_day
    return stated


def _late(arrival: datetime | None, period: date | None, settings: Settings) -> bool | None:
    if arrival is None or period is None:
        return None
    return arrival > settings.campaign.deadline_of(period)
