"""The records that flow one way through mailbot.

inbox -> InboundMessage -> sheets -> Table -> reading -> Reading
      -> store -> Submission -> ledger -> DayLedger -> report -> RenderedReport
      -> outbox -> OutboundMail

Every record is frozen. No library object (DataFrame, SQLAlchemy row, imap-tools
message) ever appears in one of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import NamedTuple

# --- problem codes (docs/problems.md) -------------------------------------


class ProblemCode(StrEnum):
    """What can be wrong with a submission; the value is the code in the JSON."""

    NO_SPREADSHEET = "no_spreadsheet"
    UNREADABLE_FILE = "unreadable_file"
    ENCRYPTED_FILE = "encrypted_file"
    FILE_TOO_LARGE = "file_too_large"
    NO_FIGURE = "no_figure"
    SENDER_NOT_AUTHENTICATED = "sender_not_authenticated"
    UNKNOWN_SENDER = "unknown_sender"
    UNKNOWN_UNIT = "unknown_unit"
    UNIT_MISMATCH = "unit_mismatch"
    TOTAL_MISMATCH = "total_mismatch"
    AMBIGUOUS_NUMBER = "ambiguous_number"
    DECREASING_FIGURE = "decreasing_figure"
    ABOVE_POPULATION = "above_population"
    OUTLIER_JUMP = "outlier_jump"
    SEVERAL_UNITS = "several_units"
    CONFLICTING_FIGURES = "conflicting_figures"
    PERIOD_CONFLICT = "period_conflict"
    UNKNOWN_CAMPAIGN = "unknown_campaign"
    READ_FROM_IMAGE = "read_from_image"
    UNVERIFIED_SENDER = "unverified_sender"  # campaign.strict_authentication: not authenticated by the trusted server


# The names the modules import.
NO_SPREADSHEET = ProblemCode.NO_SPREADSHEET
UNREADABLE_FILE = ProblemCode.UNREADABLE_FILE
ENCRYPTED_FILE = ProblemCode.ENCRYPTED_FILE
FILE_TOO_LARGE = ProblemCode.FILE_TOO_LARGE
NO_FIGURE = ProblemCode.NO_FIGURE
SENDER_NOT_AUTHENTICATED = ProblemCode.SENDER_NOT_AUTHENTICATED
UNKNOWN_SENDER = ProblemCode.UNKNOWN_SENDER
UNKNOWN_UNIT = ProblemCode.UNKNOWN_UNIT
UNIT_MISMATCH = ProblemCode.UNIT_MISMATCH
TOTAL_MISMATCH = ProblemCode.TOTAL_MISMATCH
AMBIGUOUS_NUMBER = ProblemCode.AMBIGUOUS_NUMBER
DECREASING_FIGURE = ProblemCode.DECREASING_FIGURE
ABOVE_POPULATION = ProblemCode.ABOVE_POPULATION
OUTLIER_JUMP = ProblemCode.OUTLIER_JUMP
SEVERAL_UNITS = ProblemCode.SEVERAL_UNITS
CONFLICTING_FIGURES = ProblemCode.CONFLICTING_FIGURES
PERIOD_CONFLICT = ProblemCode.PERIOD_CONFLICT
UNKNOWN_CAMPAIGN = ProblemCode.UNKNOWN_CAMPAIGN
READ_FROM_IMAGE = ProblemCode.READ_FROM_IMAGE
UNVERIFIED_SENDER = ProblemCode.UNVERIFIED_SENDER

REJECTING_CODES = frozenset(
    {
        NO_SPREADSHEET,
        UNREADABLE_FILE,
        ENCRYPTED_FILE,
        FILE_TOO_LARGE,
        NO_FIGURE,
        SENDER_NOT_AUTHENTICATED,
    }
)
REVIEW_CODES = frozenset(
    {
        UNKNOWN_SENDER,
        UNKNOWN_UNIT,
        UNIT_MISMATCH,
        TOTAL_MISMATCH,
        AMBIGUOUS_NUMBER,
        DECREASING_FIGURE,
        ABOVE_POPULATION,
        OUTLIER_JUMP,
        SEVERAL_UNITS,
        CONFLICTING_FIGURES,
        PERIOD_CONFLICT,
        UNKNOWN_CAMPAIGN,
        READ_FROM_IMAGE,
        UNVERIFIED_SENDER,
    }
)
ALL_CODES = REJECTING_CODES | REVIEW_CODES

# --- submission statuses, ledger states, kinds of mail and decisions -------


class Status(StrEnum):
    """A submission's status."""

    ACCEPTED = "accepted"
    NEEDS_REVIEW = "needs_review"
    REJECTED = "rejected"


class State(StrEnum):
    """How a unit stands on a report day (UnitDay.state)."""

    ON_TIME = "on_time"
    LATE = "late"
    MISSING = "missing"
    NEEDS_REVIEW = "needs_review"
    REJECTED = "rejected"


class MailKind(StrEnum):
    """What an outgoing mail is (OutboundMail.kind, the first part of its queue key)."""

    ACK = "ack"
    REMINDER = "reminder"
    REPORT = "report"
    REVIEW = "review"


class Action(StrEnum):
    """What a reviewer decided (ReviewDecision.action)."""

    ACCEPT = "accept"
    REJECT = "reject"
    ASSIGN = "assign"
    CORRECT = "correct"


class MailState(StrEnum):
    """Where a mail is in the outbox (QueuedMail.state)."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    HELD = "held"


# The names the modules import: a status and the ledger state of the same name are equal strings.
ACCEPTED = Status.ACCEPTED
NEEDS_REVIEW = Status.NEEDS_REVIEW
REJECTED = Status.REJECTED

ON_TIME = State.ON_TIME
LATE = State.LATE
MISSING = State.MISSING


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a submission, with a message a person can act on."""

    code: str
    message: str
    where: str | None = None  # "baocao.xlsx, sheet Sheet1, cell C15"

    def __post_init__(self) -> None:
        if self.code not in ALL_CODES:
            raise ValueError(f"unknown problem code {self.code!r}")

    def to_json(self) -> dict:
        return {"code": self.code, "message": self.message}


def status_of(problems: tuple[Problem, ...] | list[Problem]) -> str:
    """docs/problems.md: any rejecting problem rejects, any review problem holds."""
    codes = {p.code for p in problems}
    if codes & REJECTING_CODES:
        return REJECTED
    if codes & REVIEW_CODES:
        return NEEDS_REVIEW
    return ACCEPTED


# --- inbox ------------------------------------------------------------------


@dataclass(frozen=True)
class InboundMessage:
    """A message as the mailbox handed it over.

    `received_at` is the server's arrival time (IMAP INTERNALDATE, Maildir file
    delivery time); None when the source knows none. `headers_only` is true when
    the body was not downloaded because the message is over the size limit; `raw`
    then holds the headers alone and `size` the size the server announced.
    """

    source: str  # "imap://user@host:143/INBOX", "maildir:///var/inbox"
    key: str  # source-specific position: Maildir key, or "<uidvalidity>:<uid>"
    raw: bytes
    received_at: datetime | None
    size: int
    headers_only: bool = False
    uid: int | None = None
    uidvalidity: int | None = None


# --- sheets -----------------------------------------------------------------

CellValue = str | int | float | bool | None


@dataclass(frozen=True)
class Table:
    """One sheet of one attachment, as plain values.

    `cells[r][c]` is the cell's value: text, a number (the cached value of a
    formula), a bool, or None. `fonts`, where the file records them, holds the
    font name of each cell (same shape) so that legacy TCVN3/VNI text can be
    recognised; None where the format has no fonts.
    """

    file_name: str
    sheet: str
    cells: tuple[tuple[CellValue, ...], ...]
    fonts: tuple[tuple[str | None, ...], ...] | None = None
    merged: tuple[tuple[int, int, int, int], ...] = ()  # merged ranges (row1, col1, row2, col2), inclusive
    from_image: bool = False  # read from a picture by character recognition: a person checks each figure


# --- reading ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Source:
    """Where a figure was read, so a person can check it without guessing.

    `file` is the attachment's name (None for the mail's own text), `sheet` the
    sheet or table's name, `cell` the spreadsheet address ("C24") for tables and
    `line` the 1-based line number for text.
    """

    file: str | None = None
    sheet: str | None = None
    cell: str | None = None
    line: int | None = None

    def to_json(self) -> dict:
        return {"file": self.file, "sheet": self.sheet, "cell": self.cell, "line": self.line}

    @classmethod
    def from_json(cls, data: Mapping) -> Source:
        return cls(file=data.get("file"), sheet=data.get("sheet"), cell=data.get("cell"), line=data.get("line"))


@dataclass(frozen=True)
class Reading:
    """What mailbot understood from one message or one bare spreadsheet file."""

    path: str | None
    message_id: str | None
    sender: str | None  # the From address, lower-cased; never the display name
    received_at: datetime | None  # server arrival time, local time zone
    period: date | None
    late: bool | None
    unit: str | None
    figures: Mapping[str, int]
    problems: tuple[Problem, ...]
    subject: str | None = None
    attachments: tuple[str, ...] = ()  # attachment names as sent (never paths)
    references: tuple[str, ...] = ()  # Message-IDs of the thread, oldest first
    reply_to: str | None = None  # where an answer goes; None for robots
    sender_verified: bool = False  # the trusted server authenticated the From domain (DMARC, DKIM or SPF pass)
    sources: Mapping[str, Source] = field(default_factory=dict)  # metric id -> where its figure was read
    campaign: str | None = None  # the campaign it reports for; None where that could not be told

    @property
    def status(self) -> str:
        return status_of(self.problems)

    def to_json(self) -> dict:
        """docs/json.md#parse."""
        return {
            "path": self.path,
            "message_id": self.message_id,
            "from": self.sender,
            "received_at": self.received_at.isoformat() if self.received_at else None,
            "period": self.period.isoformat() if self.period else None,
            "late": self.late,
            "unit": self.unit,
            "figures": dict(self.figures),
            **({"sources": {k: v.to_json() for k, v in self.sources.items()}} if self.figures else {}),
            "status": self.status,
            "problems": [p.to_json() for p in self.problems],
        }


# --- store ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Submission:
    """A reading as stored, with the review decisions applied.

    `figures` are the figures that count (a reviewer's correction replaces the
    read figure); `read_figures` are those read from the file. `status` is the
    current status: a review decision changes it.
    """

    id: int
    message_row: int
    unit: str | None
    period: date | None
    received_at: datetime
    sender: str | None
    figures: Mapping[str, int]
    status: str
    problems: tuple[Problem, ...]
    read_figures: Mapping[str, int] = field(default_factory=dict)
    subject: str | None = None
    message_id: str | None = None
    decided_by: str | None = None
    decision_note: str | None = None
    sources: Mapping[str, Source] = field(default_factory=dict)
    campaign: str | None = None  # the campaign it reports for; None while that is not known (unknown_campaign)


class Counted(NamedTuple):
    """What counts for a unit and day (its latest accepted submission's figures), and no more.

    The trend and each unit's carried figures need only this, so the store reads only
    these columns for them (a Submission decodes its problems, sources and read figures too).
    A national trend reads some 45,000 of them: a named tuple is made in a third of a frozen
    dataclass's time.
    """

    unit: str
    period: date
    figures: Mapping[str, int]


@dataclass(frozen=True)
class ReviewDecision:
    submission_id: int
    action: str  # "accept" | "reject" | "assign" | "correct"
    by: str
    at: datetime
    reason: str | None = None
    unit: str | None = None
    figures: Mapping[str, int] | None = None
    problems: tuple[Problem, ...] | None = None  # replaces the submission's problems when given
    login: str | None = None  # the operating-system login that recorded it (set by the store)
    # An assignment to a unit of another campaign moves the submission there, read again as that
    # campaign's mail: its campaign, and the day and figures (with where they were read) of that reading.
    campaign: str | None = None
    reading: Reading | None = None


# --- ledger -----------------------------------------------------------------


@dataclass(frozen=True)
class UnitDay:
    """One unit's line of the day's table."""

    unit: str
    name: str
    state: str  # on_time | late | missing | needs_review | rejected
    figures: Mapping[str, int]
    received_at: datetime | None
    submissions: int
    problems: tuple[Problem, ...]
    change: Mapping[str, int | None] = field(default_factory=dict)
    population: int | None = None
    coverage: float | None = None  # per cent of population, first metric
    rank: int | None = None
    correction: bool = False
    counted_submission: int | None = None
    corrected_at: datetime | None = None  # arrival of the counted correction, when correction
    pending_figures: Mapping[str, int] = field(default_factory=dict)  # newer figures waiting for review
    sources: Mapping[str, Source] = field(default_factory=dict)  # where each counted figure was read, metric order
    last_counted: LastCounted | None = None  # the latest counted figures before the day, when none counts today
    derived: Mapping[str, float | None] = field(default_factory=dict)  # the campaign's shares, per cent

    @property
    def source(self) -> Source | None:
        """Where the first counted figure was read: the one place a table has room to show."""
        return next(iter(self.sources.values()), None)

    def to_json(self) -> dict:
        """docs/json.md#status."""
        return {
            "unit": self.unit,
            "name": self.name,
            "state": self.state,
            "figures": dict(self.figures),
            "received_at": self.received_at.isoformat() if self.received_at else None,
            "submissions": self.submissions,
            "problems": [p.to_json() for p in self.problems],
            "source": {metric: place.to_json() for metric, place in self.sources.items()} or None,
            "last_counted": self.last_counted.to_json() if self.last_counted else None,
            **({"derived": dict(self.derived)} if self.derived else {}),
        }


@dataclass(frozen=True)
class LastCounted:
    """A unit's latest counted figures before a day, carried into that day's estimate."""

    day: date
    figures: Mapping[str, int]

    def to_json(self) -> dict:
        return {"date": self.day.isoformat(), "figures": dict(self.figures)}


@dataclass(frozen=True)
class DayLedger:
    day: date
    deadline: datetime
    as_of: datetime
    reporting_day: bool
    units: tuple[UnitDay, ...]
    totals: Mapping[str, int]
    reported: int
    expected: int
    population: int | None = None
    coverage: float | None = None  # per cent of population, first metric
    goal_percent: float | None = None
    no_reporting_reason: str | None = None  # why D has no reporting, when it has none
    rank_by: str | None = None  # "coverage" or "figure": what UnitDay.rank orders by
    change: Mapping[str, int | None] = field(default_factory=dict)  # sum of the known unit changes
    estimate: Mapping[str, int] = field(default_factory=dict)  # cumulative metrics: counted + carried figures
    derived: Mapping[str, float | None] = field(default_factory=dict)  # the campaign's shares of the totals

    def to_json(self) -> dict:
        """docs/json.md#status."""
        totals: dict[str, object] = dict(self.totals)
        totals["reported"] = self.reported
        totals["expected"] = self.expected
        totals["estimate"] = dict(self.estimate)
        if self.derived:
            totals["derived"] = dict(self.derived)
        return {
            "date": self.day.isoformat(),
            "deadline": self.deadline.isoformat(),
            "units": [u.to_json() for u in self.units],
            "totals": totals,
        }


@dataclass(frozen=True)
class TrendPoint:
    """The province's figures of one day: counted, plus carried figures of units not counted that day.

    `figures` is None when the day has no reporting or nothing counts or carries;
    `carried` names the units whose figure is carried from an earlier day.
    """

    day: date
    figures: Mapping[str, int] | None
    carried: tuple[str, ...] = ()


# --- report and outbox ------------------------------------------------------


@dataclass(frozen=True)
class RenderedReport:
    day: date
    subject: str
    html: str
    text: str
    xlsx: bytes
    chart_png: bytes
    update: bool = False
    file_stem: str = ""  # name of the report's files and attachment, without extension
    as_of: datetime | None = None  # when the report's figures were taken
    pdf: bytes | None = None  # the same report printed to PDF, when the campaign asks for it (pdf_in_report)


@dataclass(frozen=True)
class OutboundMail:
    """A message ready to go: serialized once, so every attempt is identical.

    `key` makes queueing idempotent: "ack:<message row>", "reminder:<unit>:<day>",
    "report:<day>:<n>". `raw` carries its own stable Message-ID.
    """

    key: str
    kind: str  # ack | reminder | report
    recipients: tuple[str, ...]
    message_id: str
    raw: bytes
    campaign: str | None = (
        None  # the campaign it is mail of; None for a deployment's own (an unknown campaign's answer)
    )


@dataclass(frozen=True)
class SourceMark:
    """How far a mailbox folder has been ingested (IMAP: UIDVALIDITY + highest UID)."""

    uidvalidity: int | None
    last_uid: int


@dataclass(frozen=True)
class QueuedMail:
    """A row of the outbox as the sender sees it."""

    id: int
    key: str
    kind: str
    recipients: tuple[str, ...]
    message_id: str
    raw: bytes
    attempts: int
    state: str  # pending | sending | sent | held
    last_error: str | None = None
