"""RESULTS.md and the printed summary, from the figures of one run."""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass, field

from bench import servers
from mailbot.config.settings import Limits

GOAL_INGEST_RATIO = 6.0  # mailbot over the bare imap-tools fetch
GOAL_PEER_RATIO = 0.8  # mailbot over the hand-written calamine script
GOAL_RSS_MB = 300.0
GOAL_LATENCY_P95 = 3.0
GOAL_REPORT_SECONDS = 2.0
GOAL_GROWTH_SPREAD = 1.25  # per-message time at the largest size / at the smallest
REPLIES_PER_DAY = Limits.replies_per_day  # the benchmark campaign keeps the default reply limit


def acknowledgements_allowed(n: int, units: int) -> int:
    """The answers a poll of the benchmark's N mails may send: mail i comes from unit i mod `units`, all in one
    poll, and a sender gets at most REPLIES_PER_DAY answers in 24 hours (the rest are stored, not answered)."""
    each, extra = divmod(n, units)
    return sum(min(each + (unit < extra), REPLIES_PER_DAY) for unit in range(units))


@dataclass
class Run:
    args: object
    machine: dict[str, str] = field(default_factory=dict)
    ingest: list = field(default_factory=list)  # ingest.IngestFigures, by size
    fixed: object | None = None  # ingest.MailbotRun on an empty mailbox
    growth: list = field(default_factory=list)  # ingest.IngestFigures
    latency: object | None = None
    latency_floor: object | None = None  # a bare IDLE client seeing EXISTS
    latency_load: object | None = None  # latency.LatencyFigures while a backlog is ingested
    reading: dict | None = None
    report: object | None = None
    national: object | None = None  # national.NationalFigures
    stages: dict[str, float] = field(default_factory=dict)
    import_seconds: float | None = None
    errors: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def machine() -> dict[str, str]:
    memory = "?"
    try:
        with open("/proc/meminfo") as info:
            kib = int(next(line for line in info if line.startswith("MemTotal")).split()[1])
        memory = f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    return {
        "cores": str(os.cpu_count()),
        "memory": memory,
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()} {platform.machine()}",
        "processor": platform.processor() or "?",
        "dovecot": servers.dovecot_version(),
    }


def verdict(met: bool) -> str:
    return "met" if met else "**missed**"


def summary_rows(run: Run) -> list[tuple[str, str, str, str, str, str]]:
    """(benchmark, mailbot, baseline, ratio, goal, verdict) lines."""
    rows = []
    for figures in run.ingest:
        m = figures.mailbot
        rounds = f", median of {len(figures.rounds)} rounds" if figures.rounds else ""
        rows.append(
            (
                f"ingest N={figures.n:,} (`poll --once`{rounds})",
                f"{m.seconds:.2f} s, {figures.per_second:.0f} msg/s",
                f"{figures.baseline_seconds:.2f} s",
                f"{figures.ratio:.1f}×",
                f"≤ {GOAL_INGEST_RATIO:g}×",
                verdict(figures.ratio <= GOAL_INGEST_RATIO),
            )
        )
        if figures.process_ratio is not None and figures.fetch_process is not None:
            rows.append(
                (
                    f"ingest N={figures.n:,} vs the bare fetch in its own process",
                    f"{m.seconds:.2f} s",
                    f"{figures.fetch_process.seconds:.2f} s",
                    f"{figures.process_ratio:.1f}×",
                    "",
                    "",
                )
            )
        rows += _peer_summary_rows(figures)
        rows.append(
            (
                f"peak RSS N={figures.n:,}",
                f"{m.peak_rss_mb:.0f} MB",
                "",
                "",
                f"≤ {GOAL_RSS_MB:g} MB, flat",
                verdict(m.peak_rss_mb <= GOAL_RSS_MB),
            )
        )
        allowed = acknowledgements_allowed(figures.n, getattr(run.args, "units", 700))
        rows.append(
            (
                f"acknowledgements delivered N={figures.n:,}",
                f"{figures.acks_at_sink:,}",
                f"{allowed:,} allowed of {figures.n:,}",
                "",
                f"all that the reply limit ({REPLIES_PER_DAY} a sender in 24 h) allows",
                verdict(figures.acks_at_sink == allowed),
            )
        )
    if run.latency:
        lat, floor = run.latency, run.latency_floor
        base = f"p50 {floor.p50:.2f} s, p95 {floor.p95:.2f} s" if floor else ""
        ratio = f"{lat.p50 / floor.p50:.1f}× (p50)" if floor else ""
        rows.append(
            (
                f"latency APPEND → ack ({len(lat.samples)} msgs)",
                f"p50 {lat.p50:.2f} s, p95 {lat.p95:.2f} s",
                base,
                ratio,
                f"p95 ≤ {GOAL_LATENCY_P95:g} s",
                verdict(lat.p95 <= GOAL_LATENCY_P95 and not lat.lost),
            )
        )
    if run.latency_load:
        load = run.latency_load
        rows.append(
            (
                f"latency under load: ack while {load.backlog:,} older mails are ingested ({len(load.samples)} msgs)",
                f"p50 {load.p50:.2f} s, p95 {load.p95:.2f} s",
                f"idle p95 {run.latency.p95:.2f} s" if run.latency else "",
                f"{load.p95 / run.latency.p95:.1f}× (p95)" if run.latency else "",
                f"p95 ≤ {GOAL_LATENCY_P95:g} s",
                verdict(load.p95 <= GOAL_LATENCY_P95 and not load.lost and load.during_backlog > 0),
            )
        )
    if run.reading:
        rows.append(
            (
                "reading one workbook",
                f"{run.reading['mailbot_ms']:.2f} ms",
                f"{run.reading['calamine_ms']:.2f} ms",
                f"{run.reading['ratio']:.2f}×",
                "",
                "",
            )
        )
    if run.report:
        rep = run.report
        rows.append(
            (
                f"ledger, {rep.units} units × {rep.days} days",
                f"{rep.ledger_seconds:.3f} s",
                f"{rep.baseline_seconds * 1000:.1f} ms",
                f"{rep.ledger_ratio:.0f}×",
                "",
                "",
            )
        )
        rows.append(
            (
                "report (HTML + XLSX + chart)",
                f"{rep.report_seconds:.2f} s",
                f"{rep.baseline_seconds * 1000:.1f} ms",
                f"{rep.report_ratio:.0f}×",
                f"≤ {GOAL_REPORT_SECONDS:g} s",
                verdict(rep.report_seconds <= GOAL_REPORT_SECONDS),
            )
        )
    rows += _national_summary_rows(run.national)
    if len(run.growth) >= 2:
        per = [net_per_message(g, run) for g in run.growth]
        spread = per[-1] / per[0]
        rows.append(
            (
                "growth " + "/".join(f"{g.n}" for g in run.growth),
                " / ".join(f"{p:.1f}" for p in per) + " ms/msg net",
                "",
                f"{spread:.2f}×",
                f"≤ {GOAL_GROWTH_SPREAD:g}× (flat)",
                verdict(spread <= GOAL_GROWTH_SPREAD),
            )
        )
    sizes = measured_sizes(run)
    if len(sizes) >= 2:
        rss = [f.mailbot.peak_rss_mb for f in sizes]
        rows.append(
            (
                "peak RSS " + "/".join(f"{f.n}" for f in sizes),
                " / ".join(f"{r:.0f}" for r in rss) + " MB",
                "",
                f"{rss[-1] / rss[0]:.2f}×",
                f"≤ {GOAL_RSS_MB:g} MB, ≤ {GOAL_GROWTH_SPREAD:g}× (flat)",
                verdict(max(rss) <= GOAL_RSS_MB and rss[-1] / rss[0] <= GOAL_GROWTH_SPREAD),
            )
        )
    return rows


def _national_summary_rows(figures) -> list[tuple[str, str, str, str, str, str]]:
    """The national campaign's figures: goals judged on wall time (the CPU time of the process and of
    the copies it forked shown beside it)."""
    if figures is None:
        return []
    from bench import national

    rows = []
    for name, (wall, cpu, copies) in figures.seconds.items():
        goal = national.goal_of(name)
        rows.append(
            (
                f"national {figures.units:,} × {figures.days} d: {name}",
                f"{wall:.3f} s ({_cpu_shares(cpu, copies)})",
                f"{figures.baseline_seconds * 1000:.1f} ms",
                f"{wall / figures.baseline_seconds:.0f}×",
                f"≤ {goal:g} s" if goal else "",
                verdict(wall <= goal) if goal else "",
            )
        )
    return rows


def _cpu_shares(cpu: float, copies: float) -> str:
    return f"CPU {cpu:.3f} s" + (f" + {copies:.3f} s in a forked copy" if copies >= 0.001 else "")


def _peer_summary_rows(figures) -> list[tuple[str, str, str, str, str, str]]:
    """mailbot against the hand-written script, one line per pandas engine (ratio below 1: mailbot is faster)."""
    rows = []
    for engine, peer in figures.peers.items():
        ratio = figures.peer_ratio(engine)
        goal = f"≤ {GOAL_PEER_RATIO:g}×" if engine == "calamine" else ""
        rows.append(
            (
                f"ingest N={figures.n:,} vs hand-written script ({engine})",
                f"{figures.mailbot.seconds:.2f} s",
                f"{peer.run.seconds:.2f} s",
                f"{ratio:.2f}×",
                goal,
                verdict(ratio <= GOAL_PEER_RATIO) if goal else "",
            )
        )
    return rows


def _peer_section(run: Run) -> list[str]:
    rows = []
    for f in run.ingest:
        for engine, peer in f.peers.items():
            rows.append(
                (
                    f"{f.n:,}",
                    f"`bench/peer_script.py {engine}`",
                    f"{peer.run.seconds:.2f}",
                    f"{peer.run.seconds / f.baseline_seconds:.1f}×",
                    f"{peer.run.peak_rss_mb:.0f}",
                    f"{peer.replies_at_sink:,}",
                    f"{f.peer_ratio(engine):.2f}×",
                )
            )
        if f.fetch_process is not None:
            rows.append(
                (
                    f"{f.n:,}",
                    "`bench/fetch_script.py` (the bare fetch)",
                    f"{f.fetch_process.seconds:.2f}",
                    f"{f.fetch_process.seconds / f.baseline_seconds:.1f}×",
                    f"{f.fetch_process.peak_rss_mb:.0f}",
                    "",
                    f"{f.process_ratio:.2f}×" if f.process_ratio is not None else "",
                )
            )
        if f.peers:
            rows.append(
                (
                    f"{f.n:,}",
                    "`mailbot poll --once`",
                    f"{f.mailbot.seconds:.2f}",
                    f"{f.ratio:.1f}×",
                    f"{f.mailbot.peak_rss_mb:.0f}",
                    f"{f.acks_at_sink:,}",
                    "1.00×",
                )
            )
    if not rows:
        return []
    return [
        "Peers, on the same mailbox in the same run, each in its own process (wall time includes start and "
        "imports): `bench/peer_script.py` is what a Python user would write by hand: imap-tools fetch, "
        "`pandas.read_excel` (calamine engine, then the default openpyxl engine), the figure column found by its "
        "header, one SQLite commit, one smtplib connection sending a reply per mail; no other check. "
        "`bench/fetch_script.py` is the bare fetch of the first table (timed there inside the benchmark's "
        "process, warm) as a script of its own, so that its time includes an interpreter's start and the import "
        "of imap-tools, as mailbot's does; the goal's ratio stays the one against the warm fetch. "
        "mailbot ÷ peer below 1 means mailbot is faster.",
        "",
        table(("N", "pipeline", "seconds", "× bare fetch", "peak RSS MB", "replies at sink", "mailbot ÷ this"), rows),
        "",
    ]


def measured_sizes(run: Run) -> list:
    """Every ingest size measured (growth and ingest share N), each once, smallest first."""
    return sorted({id(x): x for x in run.growth + run.ingest}.values(), key=lambda x: x.n)


def net_per_message(figures, run: Run) -> float:
    """Milliseconds per message once the fixed cost of a run (start, imports, connections) is taken off."""
    fixed = run.fixed.seconds if run.fixed is not None else 0.0
    return (figures.mailbot.seconds - fixed) / figures.n * 1000


def table(headers: tuple[str, ...], rows: list[tuple]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


SUMMARY_HEADERS = ("benchmark", "mailbot", "baseline", "ratio", "goal", "")


def markdown(run: Run, command: str) -> str:
    parts = [
        "# mailbot benchmark results",
        "",
        f"Command: `{command}`",
        "",
        "Machine: " + ", ".join(f"{k} {v}" for k, v in run.machine.items()),
        "",
        "Every figure is measured in this run, against real servers on loopback (Dovecot for IMAP, "
        "aiosmtpd for SMTP, SQLite files in a temporary folder).",
        "",
        "## Summary",
        "",
        table(SUMMARY_HEADERS, summary_rows(run)),
        "",
    ]
    parts += _ingest_section(run) + _latency_section(run) + _reading_section(run) + _report_section(run)
    parts += _national_section(run)
    if run.notes:
        parts += ["## Notes", ""] + [f"- {note}" for note in run.notes] + [""]
    if run.errors:
        parts += ["## Benchmarks that failed", ""] + [f"- **{k}**: `{v}`" for k, v in run.errors.items()] + [""]
    return "\n".join(parts)


def _ingest_section(run: Run) -> list[str]:
    if not run.ingest and not run.growth:
        return []
    lines = [
        "## 1. Ingest and 5. Growth",
        "",
        "Baseline: imap-tools fetches every message with its attachments in batches of 50 "
        "(`fetch(bulk=50, mark_seen=False)`), same Dovecot account, just before mailbot. "
        "mailbot: `mailbot poll --once` in its own process (imap:// inbox, smtp:// sink, fresh SQLite store); "
        "peak RSS from wait4().",
        "",
    ]
    if run.fixed is not None:
        lines += [
            f"Fixed cost of one `mailbot poll --once` on an empty mailbox: {run.fixed.seconds:.2f} s "
            f"(peak RSS {run.fixed.peak_rss_mb:.0f} MB)"
            + (
                f"; interpreter start + `import mailbot.cli` alone: {run.import_seconds:.2f} s."
                if run.import_seconds
                else "."
            ),
            "",
        ]
    rows = []
    for f in measured_sizes(run):
        net = net_per_message(f, run)
        rows.append(
            (
                f"{f.n:,}",
                f"{f.load_seconds:.1f}",
                f"{f.baseline_seconds:.2f}",
                f"{f.mailbot.seconds:.2f}",
                f"{f.ratio:.1f}×",
                f"{f.per_second:.0f}",
                f"{f.mailbot.seconds / f.n * 1000:.1f}",
                f"{net:.1f}",
                f"{f.mailbot.peak_rss_mb:.0f}",
                f"{f.stored:,}",
                f"{f.acks_at_sink:,}",
                ", ".join(f"{k} {v}" for k, v in sorted(f.statuses.items())),
            )
        )
    lines += [
        table(
            (
                "N",
                "APPEND s",
                "baseline s",
                "mailbot s",
                "ratio",
                "msg/s",
                "ms/msg",
                "ms/msg without fixed cost",
                "peak RSS MB",
                "stored",
                "acks at sink",
                "submissions",
            ),
            rows,
        ),
        "",
    ]
    lines += _rounds_section(run)
    lines += _peer_section(run)
    if run.stages:
        lines += [
            "Where the time goes, per message (the calls a poll makes for each batch, timed part by part "
            "in-process (`bench/stages.py`), then delivery of every acknowledgement and the CLI's table):",
            "",
            table(
                ("stage", "ms per message"),
                [(k, f"{v:.2f}") for k, v in run.stages.items()]
                + [("**total**", f"**{sum(run.stages.values()):.2f}**")],
            ),
            "",
        ]
    return lines


def _rounds_section(run: Run) -> list[str]:
    """Every round of a size measured more than once: the figures above are its median round's."""
    rows = []
    for f in measured_sizes(run):
        for number, each in enumerate(f.rounds, 1):
            calamine = each.peer_ratio("calamine")
            rows.append(
                (
                    f"{f.n:,}",
                    f"{number}" + (" (median)" if each is f else ""),
                    f"{each.baseline_seconds:.2f}",
                    " / ".join(f"{seconds:.2f}" for seconds in each.baseline_each),
                    f"{each.mailbot.seconds:.2f}",
                    f"{each.ratio:.1f}×",
                    f"{calamine:.2f}×" if calamine is not None else "",
                    f"{each.mailbot.peak_rss_mb:.0f}",
                )
            )
    if not rows:
        return []
    return [
        "Each size below 20,000 is measured in several rounds, each on a fresh account with its own baseline, "
        "peers and poll back to back; the figures above are those of the median round by its ratio to the bare "
        "fetch (on a shared machine a poll of a few seconds varies by a third from one minute to the next). "
        "The baseline of a round is the mean of the bare fetch timed twice: before the peers and after the poll:",
        "",
        table(
            (
                "N",
                "round",
                "baseline s",
                "fetch before / after s",
                "mailbot s",
                "ratio",
                "÷ calamine script",
                "peak RSS MB",
            ),
            rows,
        ),
        "",
    ]


def _latency_section(run: Run) -> list[str]:
    from bench.latency import LOAD_PAUSE

    lat = run.latency
    if lat is None:
        return []
    load, floor = run.latency_load, run.latency_floor
    measured = [("`mailbot run`: APPEND → acknowledgement at the sink", lat)]
    if load is not None:
        measured.append((f"`mailbot run` under load: {load.backlog:,} older mails waiting at its start", load))
    if floor is not None:
        measured.append(("baseline: bare IDLE client, APPEND → `* n EXISTS`", floor))
    rows = [(name, len(f.samples), f"{f.p50:.3f}", f"{f.p95:.3f}", f"{f.worst:.3f}", f.lost) for name, f in measured]
    return [
        "## 2. Latency",
        "",
        "`mailbot run` watching by IDLE; each message APPENDed alone; time from just before the APPEND to the "
        "sink accepting the acknowledgement. Baseline: how long Dovecot itself takes to tell an idling client.",
        "",
        table(("measure", "messages", "p50 s", "p95 s", "worst s", "lost"), rows),
        "",
        *(
            [
                f"Under load: `mailbot run` started with {load.backlog:,} mails of earlier days in the mailbox; once "
                f"it had stored the first, today's reports were APPENDed one every {LOAD_PAUSE:g} s without waiting "
                f"for their answers. {load.during_backlog} of the {len(load.samples) + load.lost} were appended "
                f"before the backlog was all stored ({load.backlog_seconds:.1f} s after the start).",
                "",
            ]
            if load is not None
            else []
        ),
    ]


def _reading_section(run: Run) -> list[str]:
    if not run.reading:
        return []
    return [
        "## 3. Reading",
        "",
        "From `bench/bench_reading.py` (one district workbook, medians over its rounds):",
        "",
        "```",
        run.reading["output"].strip(),
        "```",
        "",
    ]


def _report_section(run: Run) -> list[str]:
    rep = run.report
    if rep is None:
        return []
    return [
        "## 4. Ledger and report",
        "",
        f"{rep.units} units × {rep.days} days in SQLite ({rep.rows:,} submissions); the last day has "
        f"{rep.day_rows} rows. Baseline: `SELECT * FROM submissions WHERE period = ?` with sqlite3. "
        "Medians of 3 calls; the first report of the process is shown apart (imports, font cache).",
        "",
        table(
            ("measure", "seconds"),
            [
                ("plain SELECT of the day", f"{rep.baseline_seconds:.4f}"),
                ("service.day_ledger", f"{rep.ledger_seconds:.3f}"),
                ("service.build_report, first call", f"{rep.report_cold_seconds:.2f}"),
                ("service.build_report", f"{rep.report_seconds:.2f}"),
            ]
            + [(f"— part: {k}", f"{v:.3f}") for k, v in rep.parts.items()],
        ),
        "",
    ]


def _national_section(run: Run) -> list[str]:
    figures = run.national
    if figures is None:
        return []
    rows = [
        (name, f"{wall:.3f}", f"{cpu:.3f}", f"{copies:.3f}" if copies >= 0.001 else "")
        for name, (wall, cpu, copies) in figures.seconds.items()
    ]
    return [
        "## 6. A national campaign",
        "",
        f"`bench/national.py`: {figures.units:,} units × {figures.days} days in SQLite ({figures.rows:,} "
        "submissions), the last day asked for; each call timed in the benchmark's process, medians of 3 after "
        "one warm-up call. Goals judged on wall time. A report with a chart to draw draws it in a forked copy of "
        "the process on the second core while the process writes the rest (mailbot/forked.py), so the CPU time "
        "of the process and that of the copy are shown apart. "
        f"Baseline: a plain SELECT of the day's rows, {figures.baseline_seconds * 1000:.1f} ms.",
        "",
        table(("measure", "wall s", "CPU s", "CPU s of the copy"), rows),
        "",
    ]
