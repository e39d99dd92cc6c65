"""A large campaign for the benchmarks: a TOML configuration with many units, and
realistic report mails from them, built with mailbot.samples like the demo's.

Unit i is `u0001`…; its name is a two-syllable Vietnamese place name ("Huyện An
Bình"), its registered sender `vanphong.u0001@<domain>`. Message i comes from
unit i % units for report day FIRST_DAY + i // units, so that every unit keeps
one report a day and its history stays bounded however many messages there are.
"""

from __future__ import annotations

import os
import random
import re
from concurrent.futures import ProcessPoolExecutor
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from mailbot.config import Unit
from mailbot.samples import district_report_mail, district_workbook

DOMAIN = "baocao-bench.gov.vn"
MAILBOX = f"baocao@{DOMAIN}"
AUTHSERV_ID = f"mx.{DOMAIN}"
TIME_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
FIRST_DAY = date(2020, 8, 1)
METRIC_LABEL = "Số lượng cài đặt Bluezone"
SYLLABLES = (
    "An",
    "Bình",
    "Cẩm",
    "Châu",
    "Đông",
    "Gia",
    "Hòa",
    "Hưng",
    "Kim",
    "Lạc",
    "Long",
    "Minh",
    "Nam",
    "Nghĩa",
    "Ninh",
    "Phú",
    "Phúc",
    "Quang",
    "Quế",
    "Sơn",
    "Tân",
    "Thanh",
    "Thuận",
    "Tiên",
    "Trung",
    "Vĩnh",
    "Xuân",
    "Yên",
)
KINDS = ("Huyện", "Thị xã", "Thành phố")
LATE_EVERY = 17  # one message in 17 arrives after the 16:00 deadline
CRLF = re.compile(rb"\r?\n")


@lru_cache(maxsize=4)
def bench_units(count: int) -> tuple[Unit, ...]:
    """`count` units with Vietnamese names, one sender each and a population (the same for the same count)."""
    pairs = [f"{a} {b}" for a in SYLLABLES for b in SYLLABLES if a != b]
    random.Random(7).shuffle(pairs)
    if count > len(pairs):  # a national campaign: three-syllable names after the two-syllable ones
        triples = [f"{a} {b}" for a in SYLLABLES for b in pairs if a not in b.split()]
        random.Random(8).shuffle(triples)
        pairs += triples
    if count > len(pairs):
        raise ValueError(f"at most {len(pairs)} units can be named")
    units = []
    for number, place in enumerate(pairs[:count], start=1):
        kind = KINDS[0] if number % 10 else KINDS[number // 10 % 2 + 1]
        population = 60_000 + random.Random(number).randrange(240_000)
        sender = f"vanphong.u{number:04d}@{DOMAIN}"
        units.append(Unit(f"u{number:04d}", f"{kind} {place}", (sender,), population=population))
    return tuple(units)


def write_config(folder: Path, unit_count: int) -> Path:
    """The campaign's TOML file with `unit_count` units; returns its path."""
    lines = [
        'language = "vi"',
        "",
        "[campaign]",
        'name = "Số lượng cài đặt Bluezone (benchmark)"',
        'time_zone = "Asia/Ho_Chi_Minh"',
        'deadline = "16:00:00"',
        "population = 120000000",
        "goal_percent = 60",
        'area_name = "toàn quốc"',
        f'reporting_mailbox = "{MAILBOX}"',
        f'report_to = ["ict@{DOMAIN}"]',
        f'trusted_authserv_id = "{AUTHSERV_ID}"',
        "",
        "[[metrics]]",
        'id = "installs"',
        f'label = "{METRIC_LABEL}"',
        'kind = "count"',
        "cumulative = true",
        f'aliases = ["{METRIC_LABEL}", "Số lượng cài đặt"]',
        "",
    ]
    for unit in bench_units(unit_count):
        lines += [
            "[[units]]",
            f'id = "{unit.id}"',
            f'name = "{unit.name}"',
            f'senders = ["{unit.senders[0]}"]',
            f"population = {unit.population}",
            "",
        ]
    lines += ["[schedule]", "poll_every_seconds = 60", "", "[inbox]", "batch_size = 50", ""]
    path = folder / "bench-campaign.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


# --- mails ----------------------------------------------------------------------------------------


def report_day(index: int, unit_count: int) -> date:
    return FIRST_DAY + timedelta(days=index // unit_count)


def arrival(index: int, unit_count: int) -> datetime:
    """When the server received message `index`: the morning of its day, a few late ones."""
    day = report_day(index, unit_count)
    position = index % unit_count
    if index % LATE_EVERY == LATE_EVERY - 1:
        return datetime.combine(day, time(16, 5), tzinfo=TIME_ZONE) + timedelta(seconds=position)
    return datetime.combine(day, time(7, 30), tzinfo=TIME_ZONE) + timedelta(seconds=30 * position)


def figure_of(unit: Unit, day: date) -> int:
    """A cumulative figure that grows a little every day (and stays below the population)."""
    days = min((day - FIRST_DAY).days, 300)
    rng = random.Random(f"{unit.id}{day}")
    return unit.population // 10 + days * (unit.population // 400) + rng.randrange(50)


def one_mail(index: int, unit: Unit, day: date, at: datetime) -> bytes:
    workbook = district_workbook(unit.name, figure_of(unit, day), day, METRIC_LABEL, communes=12 + index % 19)
    raw = district_report_mail(
        sender=unit.senders[0],
        office=f"UBND {unit.name}",
        unit=unit.name,
        unit_id=unit.id,
        to=MAILBOX,
        day=day,
        sent_at=at - timedelta(minutes=1),
        attachment=workbook,
        domain=DOMAIN,
        extra_headers={
            "Authentication-Results": f"{AUTHSERV_ID}; dkim=pass header.d={DOMAIN}; "
            f"spf=pass smtp.mailfrom={unit.senders[0]}; dmarc=pass header.from={DOMAIN}"
        },
    )
    return CRLF.sub(b"\r\n", raw)  # as a mail client hands it to IMAP APPEND


def _mail_at(args: tuple[int, int]) -> tuple[bytes, datetime]:
    index, unit_count = args
    unit = bench_units(unit_count)[index % unit_count]
    at = arrival(index, unit_count)
    return one_mail(index, unit, report_day(index, unit_count), at), at


def generate(count: int, unit_count: int) -> list[tuple[bytes, datetime]]:
    """`count` report mails with their arrival times, built on every core."""
    jobs = [(i, unit_count) for i in range(count)]
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        return list(pool.map(_mail_at, jobs, chunksize=100))


def acknowledgements(n: int, work: Path) -> list:
    """The acknowledgements of the first N report mails, read as a reading worker reads them and composed as a
    poll composes them (mailbot.compose), each an OutboundMail (the config is written into `work`)."""
    from mailbot import compose, workers
    from mailbot.clock import utcnow
    from mailbot.config import load_settings
    from mailbot.models import InboundMessage
    from mailbot.reading import arrived

    workers._serving = True  # read here, as a reading worker reads
    settings = load_settings(write_config(work, 700), env={})
    mails = []
    for i, (raw, at) in enumerate(generate(n, 700), 1):
        _, reading = arrived.read_here(settings, InboundMessage("bench", f"1:{i}", raw, at, len(raw), uid=i))
        ack = compose.acknowledgement(settings, reading, replaced=None, now=utcnow(), key_basis=str(i))
        if ack is not None:
            mails.append(ack)
    return mails
