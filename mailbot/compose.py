"""The mail mailbot sends, built with the standard email package.

Each builder returns an OutboundMail serialized once: its Message-ID is derived
from the mail's queue key, so the same event always yields the same message, and
every delivery attempt sends the very same bytes.

One way of building mail: email.mime parts serialized with the compat32 policy
and CRLF line ends. Non-ASCII header text is written as RFC 2047 encoded words
(email.header.Header, folded at 78 columns), bodies as UTF-8 in base64 (exact,
and shorter than quoted-printable for Vietnamese). The newer email policies
parse and re-fold every header they are given, which made each mail cost
several milliseconds; the result here decodes to the same text. A mail of one
text part (an acknowledgement, a review notice) is written straight to the bytes
that part and its headers serialize to (mail_bytes.text_mail), and what is the
same for every mail of a campaign (the From line, the Date of a poll, the
letterhead) is worked out once. Everything mailbot sends says
it is automatic (Auto-Submitted, RFC 3834) so that no robot answers it, and no
acknowledgement goes to a robot, a bounce or the reporting mailbox itself.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime, tzinfo
from email.header import Header
from email.message import Message
from email.mime.application import MIMEApplication
from email.mime.image import MIMEImage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr
from functools import lru_cache

from mailbot.config import Settings, Unit
from mailbot.i18n import format_count, text, where_read
from mailbot.mail_bytes import FoldOnce, TextHeader, text_mail
from mailbot.models import (
    ACCEPTED,
    NEEDS_REVIEW,
    REJECTED,
    MailKind,
    OutboundMail,
    Reading,
    RenderedReport,
    ReviewDecision,
    Source,
    State,
    Submission,
)
from mailbot.reading.mail import is_robot_local_part
from mailbot.replies import defanged, quoted
from mailbot.report import CHART_CID, letter_day, lower_first, render_template, topic_of
from mailbot.report.form import form_bytes, form_file_name
from mailbot.report.templates import load_template

log = logging.getLogger(__name__)

ACK, REMINDER, REPORT, REVIEW = MailKind.ACK, MailKind.REMINDER, MailKind.REPORT, MailKind.REVIEW
ACK_TEMPLATE = "ack.txt.j2"
AUTO_REPLIED = "auto-replied"  # an answer to a message (RFC 3834)
AUTO_GENERATED = "auto-generated"  # sent on mailbot's own schedule
XLSX_SUBTYPE = "vnd.openxmlformats-officedocument.spreadsheetml.sheet"  # application/…


# CRLF line ends; headers folded at 76 columns, so that no RFC 2047 encoded word exceeds 75 characters
SMTP_POLICY = FoldOnce(linesep="\r\n", max_line_length=76)
REPLY_PREFIX = re.compile(r"^\s*(re|aw|tr|sv|vs)\s*:", re.IGNORECASE)
MAX_REFERENCES = 20  # thread ids a reply carries in References, the newest
LINE_BREAKS = re.compile(r"[\r\n]+")  # never inside a header value: a sender's text must not add headers


# --- who may be answered -----------------------------------------------------------------


def is_robot_address(address: str | None, settings: Settings) -> bool:
    """True for an address no acknowledgement may go to: bounces, robots, mailbot itself."""
    if not address or "@" not in address:
        return True
    address = address.strip().lower()
    local = address.split("@", 1)[0]
    own = {settings.campaign.reporting_mailbox, *settings.campaign.report_to}
    return address in own or is_robot_local_part(local)


# --- building blocks -------------------------------------------------------------------------


def message_id_for(settings: Settings, key: str) -> str:
    """A Message-ID that is the same for the same queue key, on the mailbox's domain."""
    mailbox = settings.campaign.reporting_mailbox
    digest = hashlib.sha256(f"{mailbox}\n{key}".encode()).hexdigest()[:24]
    kind = key.split(":", 1)[0]
    return f"<{digest}.{kind}@{mailbox.split('@', 1)[1]}>"  # short enough never to be folded


Headers = list[tuple[str, str | Header]]  # header lines in their order; compat32 folds a Header as RFC 2047 words


def new_message(
    settings: Settings, content: Message, *, key: str, to: tuple[str, ...], subject: str, now: datetime, auto: str
) -> Message:
    """`content` (a text part or a multipart) with the headers every mailbot mail carries."""
    for name, value in mail_headers(settings, key=key, to=to, subject=subject, now=now, auto=auto):
        content[name] = value  # type: ignore[assignment]  # typeshed types header values as str only
    return content


def mail_headers(
    settings: Settings, *, key: str, to: tuple[str, ...], subject: str, now: datetime, auto: str
) -> Headers:
    """The headers every mailbot mail carries, after those of its content."""
    return [
        ("From", from_line(settings.language, settings.campaign.reporting_mailbox)),
        ("To", one_line(", ".join(to))),
        ("Subject", header_text(subject, "Subject")),
        ("Date", date_line(now, settings.campaign.tz)),
        ("Message-ID", message_id_for(settings, key)),
        ("Auto-Submitted", auto),
        ("X-Auto-Response-Suppress", "All"),  # no out-of-office answers from Exchange/Outlook
        ("Content-Language", settings.language),
    ]


@lru_cache(maxsize=64)
def from_line(lang: str, mailbox: str) -> str:
    """ "Hộp thư tiếp nhận báo cáo <baocao@…>", the name as RFC 2047 words: the same for every mail of a campaign."""
    return formataddr((text("mail.from_name", lang), mailbox), charset="utf-8")


@lru_cache(maxsize=64)
def date_line(now: datetime, tz: tzinfo) -> str:
    """The Date of a mail composed at `now`, in the campaign's time zone: the same for every mail of a poll."""
    return format_datetime(now.astimezone(tz))


def header_text(value: str, name: str) -> str | Header:
    """Header text on one line, as it is when ASCII, else as RFC 2047 encoded words (UTF-8)."""
    value = one_line(value)
    return value if value.isascii() else TextHeader(value, name)


def one_line(value: str) -> str:
    return LINE_BREAKS.sub(" ", value)


def text_part(body: str, subtype: str = "plain") -> MIMEText:
    return MIMEText(body, subtype, "utf-8")  # base64: the utf-8 charset's default body encoding


def inner(part: Message) -> Message:
    """A part inside a multipart: MIME-Version belongs to the message's top level only."""
    del part["MIME-Version"]
    return part


def text_outbound(
    key: str, kind: str, recipients: tuple[str, ...], headers: Headers, body: str, campaign: str | None
) -> OutboundMail:
    """A mail of one text part: the bytes outbound() writes of new_message(text_part(body)), made straight."""
    return OutboundMail(
        key=key,
        kind=kind,
        recipients=recipients,
        message_id=str(dict(headers)["Message-ID"]),
        raw=text_mail(SMTP_POLICY, headers, body),
        campaign=campaign,
    )


def outbound(key: str, kind: str, recipients: tuple[str, ...], message: Message, campaign: str | None) -> OutboundMail:
    return OutboundMail(
        key=key,
        kind=kind,
        recipients=recipients,
        message_id=message["Message-ID"],
        raw=message.as_bytes(policy=SMTP_POLICY),
        campaign=campaign,
    )


def reply_subject(subject: str | None, settings: Settings) -> str:
    subject = quoted((subject or "").strip()) or text("mail.ack_subject_fallback", settings.language)
    return subject if REPLY_PREFIX.match(subject) else f"Re: {subject}"


def thread(message_id: str | None, references: tuple[str, ...]) -> Headers:
    """In-Reply-To and References that put the reply in the sender's thread."""
    if not message_id:
        return []
    chain = [r for r in references if r != message_id][-MAX_REFERENCES:] + [message_id]
    return [("In-Reply-To", one_line(message_id)), ("References", one_line(" ".join(chain)))]


def figure_lines(
    settings: Settings, figures: Mapping[str, int], sources: Mapping[str, Source] | None = None
) -> list[str]:
    """ "Số lượng cài đặt Bluezone: 17.356 (đọc tại ô C24, trang tính "Báo cáo", tệp BC.xlsx)"."""
    lang = settings.language
    labels = {m.id: m.label for m in settings.campaign.metrics}
    lines = []
    for metric, value in figures.items():
        line = f"{labels.get(metric, metric)}: {format_count(value, lang)}"
        source = (sources or {}).get(metric)
        if source is not None:
            line += " (" + text("mail.read_at", lang, where=where_read(source, lang)) + ")"
        lines.append(line)
    return lines


def clock_day(moment: datetime, settings: Settings) -> str:
    """ "09 giờ 00 ngày 14/8/2020" / "09:00 on 14/08/2020"."""
    return clock_words(moment, settings.campaign.tz, settings.language)


def clock_words(moment: datetime, tz: tzinfo, lang: str) -> str:
    """clock_day in time zone `tz` and language `lang`."""
    local = moment.astimezone(tz)
    return text(
        "mail.clock_day",
        lang,
        hour=f"{local.hour:02d}",
        minute=f"{local.minute:02d}",
        day=letter_day(local.date(), lang),
    )


@lru_cache(maxsize=64)
def deadline_words(deadline: datetime, tz: tzinfo, lang: str) -> str:
    """clock_day of a deadline, which every mail of the day names."""
    return clock_words(deadline, tz, lang)


def addressee(settings: Settings, unit: Unit | None) -> str:
    """ "UBND huyện Gia Lộc": the campaign's prefix, the unit's type then lower-case mid-sentence."""
    if unit is None:
        return text("mail.addressee_unknown", settings.language)
    prefix = settings.campaign.addressee_prefix
    return f"{prefix} {lower_first(unit.name)}" if prefix else unit.name


def letterhead(settings: Settings) -> dict:
    """Who speaks in a mail: the department that received the report, and the signature."""
    campaign = settings.campaign
    return dict(
        _letterhead(
            settings.language,
            campaign.department,
            campaign.sender_name,
            campaign.contact,
            campaign.telephone,
            campaign.reporting_mailbox,
        )
    )


@lru_cache(maxsize=64)
def _letterhead(lang: str, department: str, signer: str, contact: str, telephone: str, mailbox: str) -> dict:
    """letterhead, the same for every mail of a campaign (each caller is handed a copy)."""
    return dict(
        department=department or text("mail.department_fallback", lang),
        signer=signer or text("mail.from_name", lang),
        contact=contact,
        telephone=telephone,
        mailbox=mailbox,
    )


# --- acknowledgement -------------------------------------------------------------------------


def acknowledgement(
    settings: Settings, reading: Reading, *, replaced: Submission | None, now: datetime, key_basis: str | None = None
) -> OutboundMail | None:
    """The answer to one ingested message; None when nobody (no person) is to be answered."""
    to = reading.reply_to
    if to is None or is_robot_address(to, settings):
        log.info("no acknowledgement for %s: %s is not a person to answer", reading.message_id, to)
        return None
    basis = key_basis or hashlib.sha256((reading.message_id or reading.path or "").encode("utf-8")).hexdigest()
    key = ack_key(basis)
    body = render_template(ACK_TEMPLATE, settings.language, **ack_context(settings, reading, replaced))
    subject = reply_subject(reading.subject, settings)
    headers = mail_headers(settings, key=key, to=(to,), now=now, auto=AUTO_REPLIED, subject=subject)
    headers += thread(reading.message_id, reading.references)
    return text_outbound(key, ACK, (to,), headers, body, reading.campaign)


def load_templates(settings: Settings) -> None:
    """Compile the answers' templates of every campaign's language now, not at the first answer."""
    for language in sorted({campaign.language for campaign in settings.deployment}):
        load_template(ACK_TEMPLATE, language)


def ack_key(basis: str) -> str:
    """The queue key of the acknowledgement of the message whose digest (or other basis) this is."""
    return f"{ACK}:{basis}"


def ack_context(settings: Settings, reading: Reading, replaced: Submission | None) -> dict:
    unit = settings.unit(reading.unit) if reading.unit else None
    period = reading.period
    status = reading.status
    deadline = settings.campaign.deadline_of(period) if period else None
    replaced_shown = replaced if replaced is not None and status != REJECTED else None
    return dict(
        **letterhead(settings),
        addressee=addressee(settings, unit),
        status=status,
        accepted=status == ACCEPTED,
        needs_review=status == NEEDS_REVIEW,
        rejected=status == REJECTED,
        # a campaign with one report names no day: the deadline line says when it was due
        period=letter_day(period, settings.language) if period and not settings.campaign.once else None,
        received=clock_day(reading.received_at, settings) if reading.received_at else None,
        deadline=deadline_words(deadline, settings.campaign.tz, settings.language) if deadline else None,
        timeliness=_timeliness(reading, replaced_shown, deadline),
        figures=figure_lines(settings, reading.figures, reading.sources),
        replaced_received=clock_day(replaced_shown.received_at, settings) if replaced_shown else None,
        replaced_figures=figure_lines(settings, replaced_shown.figures) if replaced_shown else [],
        problems=[defanged(p.message) for p in reading.problems],
        campaign=settings.campaign.name,
    )


def _timeliness(reading: Reading, replaced: Submission | None, deadline: datetime | None) -> str | None:
    """on_time, late, or late_correction (a late correction of an on-time report stays on time)."""
    if reading.late is None or deadline is None:
        return None
    if reading.late and replaced is not None and replaced.received_at <= deadline:
        return "late_correction"
    return State.LATE if reading.late else State.ON_TIME


# --- reminder --------------------------------------------------------------------------------


def reminder(
    settings: Settings, unit: Unit, day: date, now: datetime, rejected: Submission | None = None
) -> OutboundMail:
    """The polite reminder to a unit that has nothing counted for `day` yet.

    `rejected`: the unit's latest mail for the day, when every one was rejected; the
    reminder then says which mail and why, not that nothing was received. A campaign
    with one report reminds on several days: each day's reminder is its own mail.
    """
    lang = settings.language
    campaign = settings.campaign
    period = campaign.period_of(day)
    key = f"{REMINDER}:{unit.id}:{period.isoformat()}"
    if campaign.once:
        key += f":{day.isoformat()}"
    metric = topic_of(settings)
    to = tuple(unit.senders)
    subject, report_of = _reminder_words(settings, metric, period)
    deadline = campaign.deadline_of(period)
    body = render_template(
        "reminder.txt.j2",
        lang,
        **letterhead(settings),
        addressee=addressee(settings, unit),
        metric_lower=metric,
        day=letter_day(period, lang),
        report_of=report_of,
        now=clock_day(now, settings),
        deadline=clock_day(deadline, settings),
        past_deadline=now > deadline,
        metrics=[m.label for m in campaign.metrics],
        rejected_received=clock_day(rejected.received_at, settings) if rejected else None,
        rejected_subject=one_line(rejected.subject or "") if rejected else None,
        rejected_problems=[defanged(p.message) for p in rejected.problems] if rejected else [],
    )
    content = _with_form(settings, unit, period, key, text_part(body))
    message = new_message(settings, content, key=key, to=to, subject=subject, now=now, auto=AUTO_GENERATED)
    return outbound(key, REMINDER, to, message, settings.campaign.id)


def _with_form(settings: Settings, unit: Unit, period: date, key: str, body: Message) -> Message:
    """The reminder's text, with the blank report form attached when the campaign says so."""
    if not settings.campaign.form_in_reminders:
        return body
    day = None if settings.campaign.once else period
    form = inner(MIMEApplication(form_bytes(settings, unit, day), XLSX_SUBTYPE))
    form.add_header("Content-Disposition", "attachment", filename=form_file_name(settings))
    content = MIMEMultipart("mixed", _subparts=[inner(body), form])
    stable_boundaries(key, (content,))
    return content


def _reminder_words(settings: Settings, metric: str, period: date) -> tuple[str, str]:
    """The reminder's subject and how it names the report ("ngày 14/8/2020", "hạn trước ngày 17/8/2020")."""
    lang, campaign = settings.language, settings.campaign
    if campaign.once and campaign.due_before:
        due = letter_day(campaign.due_before, lang)
        subject = text("campaigns.reminder_subject_once", lang, metric_lower=metric, due_before=due)
        return subject, text("campaigns.report_of_once", lang, due_before=due)
    day = letter_day(period, lang)
    subject = text("mail.reminder_subject", lang, metric_lower=metric, day=day)
    return subject, text("campaigns.report_of_day", lang, day=day)


# --- the consolidated report -----------------------------------------------------------------


def report_mail(
    settings: Settings, report: RenderedReport, recipients: tuple[str, ...], version: int, now: datetime | None = None
) -> OutboundMail:
    """The report as a mail: text and HTML bodies, the chart inline (cid:), the workbook attached,
    and the PDF too when the campaign asks for it (pdf_in_report).

    multipart/mixed [multipart/alternative [text/plain, multipart/related [text/html, image/png]], xlsx, pdf?]
    """
    campaign = f"{settings.campaign.id}:" if settings.several else ""
    key = f"{REPORT}:{campaign}{report.day.isoformat()}:{version}"
    moment = now or report_moment(settings, report)
    chart = inner(MIMEImage(report.chart_png, "png"))
    chart["Content-ID"] = f"<{CHART_CID}>"
    chart.add_header("Content-Disposition", "inline", filename=file_name(report.file_stem or "chart", "png"))
    html = MIMEMultipart("related", _subparts=[inner(text_part(report.html, "html")), chart])
    workbook = inner(MIMEApplication(report.xlsx, XLSX_SUBTYPE))
    workbook.add_header("Content-Disposition", "attachment", filename=file_name(report.file_stem or "report", "xlsx"))
    bodies = MIMEMultipart("alternative", _subparts=[inner(text_part(report.text)), inner(html)])
    attached = [workbook]
    if report.pdf is not None:
        printed = inner(MIMEApplication(report.pdf, "pdf"))
        printed.add_header("Content-Disposition", "attachment", filename=file_name(report.file_stem or "report", "pdf"))
        attached.append(printed)
    content = MIMEMultipart("mixed", _subparts=[inner(bodies), *attached])
    stable_boundaries(key, (content, bodies, html))
    message = new_message(
        settings, content, key=key, to=tuple(recipients), subject=report.subject, now=moment, auto=AUTO_GENERATED
    )
    return outbound(key, REPORT, tuple(recipients), message, settings.campaign.id)


def stable_boundaries(key: str, multiparts: tuple[Message, ...]) -> None:
    """Boundaries derived from the key, so the same event gives the same bytes.

    Every leaf part is base64, whose alphabet has no "_": no line of content can
    look like a boundary.
    """
    seed = hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]
    for number, multipart in enumerate(multiparts):
        multipart.set_boundary(f"=_{seed}.{number}")


def file_name(stem: str, extension: str) -> str | tuple[str, str, str]:
    """A Content-Disposition file name; RFC 2231 (UTF-8) when it is not ASCII."""
    name = f"{stem}.{extension}"
    return name if name.isascii() else ("utf-8", "", name)


def report_moment(settings: Settings, report: RenderedReport) -> datetime:
    """Without a `now`, the report's Date is the time its figures were taken."""
    return report.as_of or settings.campaign.deadline_of(report.day)


# --- after a review decision -----------------------------------------------------------------

DECIDED_STATUS = {"accept": ACCEPTED, "reject": REJECTED, "correct": ACCEPTED}  # assign keeps the status


def decided(submission: Submission, decision: ReviewDecision) -> Submission:
    """The submission as the decision leaves it: the notice tells the figures that count now."""
    return replace(
        submission,
        status=DECIDED_STATUS.get(decision.action, submission.status),
        unit=decision.unit or submission.unit,
        figures=dict(decision.figures) if decision.figures is not None else submission.figures,
    )


def review_notice(
    settings: Settings, submission: Submission, decision: ReviewDecision, after: Submission | None = None
) -> OutboundMail | None:
    """Tell the sender what a reviewer decided about their report; None for robots."""
    to = submission.sender
    if to is None or is_robot_address(to, settings):
        return None
    key = f"{REVIEW}:{submission.id}:{decision.action}:{decision.at.isoformat()}"
    lang = settings.language
    period = letter_day(submission.period, lang) if submission.period else "–"
    result = after or decided(submission, decision)
    unit = settings.unit(result.unit) if result.unit else None
    body = render_template(
        "review.txt.j2",
        lang,
        **letterhead(settings),
        addressee=addressee(settings, unit),
        action=decision.action,
        period=period,
        unit_name=unit.name if unit else None,
        received=clock_day(submission.received_at, settings),
        figures=figure_lines(settings, result.figures),
        read_figures=figure_lines(settings, submission.read_figures) if decision.action == "correct" else [],
        reason=decision.reason,
        status=result.status,
    )
    subject = reply_subject(submission.subject, settings)
    headers = mail_headers(settings, key=key, to=(to,), now=decision.at, auto=AUTO_REPLIED, subject=subject)
    headers += thread(submission.message_id, ())
    return text_outbound(key, REVIEW, (to,), headers, body, settings.campaign.id)
