"""DayLedger -> RenderedReport: the consolidated report as HTML, plain text, XLSX and a chart.

view.py formats every string, templates.py (Jinja2) lays them out, xlsx.py
(XlsxWriter) writes the workbook and chart_data.py names what mailbot/chart.py
draws. `render_template` is also how compose.py renders the mail bodies.
"""

from __future__ import annotations

import logging
from pathlib import Path

from mailbot.config import Settings
from mailbot.files import write_atomically
from mailbot.i18n import text
from mailbot.models import DayLedger, RenderedReport, Submission
from mailbot.report.chart_data import chart_content, chart_png, chart_units
from mailbot.report.shares import once_words
from mailbot.report.templates import render_template
from mailbot.report.view import CHART_CID, CHART_SRC, ReportView, build_view, letter_day, lower_first, topic_of
from mailbot.report.xlsx import FORMULA_STARTS, STATE_FILLS, workbook_bytes

__all__ = [
    "CHART_CID",
    "CHART_SRC",
    "FORMULA_STARTS",
    "STATE_FILLS",
    "ReportView",
    "build_view",
    "chart_content",
    "chart_png",
    "chart_units",
    "letter_day",
    "lower_first",
    "render",
    "render_template",
    "topic_of",
    "workbook_bytes",
    "write_files",
]

log = logging.getLogger(__name__)


def render(
    settings: Settings,
    ledger: DayLedger,
    trend: list,  # ledger.province_trend's TrendPoints, or (day, figures) pairs
    submissions: list[Submission],
    update: bool = False,
) -> RenderedReport:
    """The day's consolidated report; `update` marks a version sent after an earlier one."""
    lang = settings.language
    view = build_view(settings, ledger, update)
    metric = topic_of(settings)
    day = letter_day(ledger.day, lang)
    key = "subject_update" if update else "subject"
    subject = once_words(settings, key, metric_lower=metric) or text(
        f"report.{key}", lang, metric_lower=metric, day=day
    )
    html = render_template("report.html.j2", lang, view=view, subject=subject)
    plain = render_template("report.txt.j2", lang, view=view, subject=subject)
    log.info("report for %s rendered (%s units, update=%s)", ledger.day, len(ledger.units), update)
    return RenderedReport(
        day=ledger.day,
        subject=subject,
        html=html,
        text=plain,
        xlsx=workbook_bytes(settings, ledger, view, submissions),
        chart_png=chart_png(settings, ledger, trend),
        update=update,
        file_stem=text("report.file_stem", lang, day=ledger.day.isoformat()),
        as_of=ledger.as_of,
    )


def write_files(report: RenderedReport, out_dir: Path) -> list[Path]:
    """Write the report's HTML (showing the PNG beside it), PNG and XLSX; returns the paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = report.file_stem or f"report-{report.day.isoformat()}"
    png = out_dir / f"{stem}.png"
    html = report.html.replace(f'src="{CHART_SRC}"', f'src="{png.name}"')
    paths = [out_dir / f"{stem}.html", png, out_dir / f"{stem}.xlsx"]
    for path, content in zip(paths, (html.encode("utf-8"), report.chart_png, report.xlsx), strict=True):
        write_atomically(path, content)
    return paths
