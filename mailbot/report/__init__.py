"""DayLedger -> RenderedReport: the consolidated report as HTML, plain text, XLSX, a chart, a PDF.

view.py formats every string, templates.py (Jinja2) lays them out, xlsx.py
(XlsxWriter) writes the workbook, chart_data.py names what mailbot/chart.py
draws and pdf.py (WeasyPrint) prints the HTML. `render_template` is also how compose.py renders the mail bodies.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

from mailbot.config import Settings
from mailbot.files import write_atomically
from mailbot.i18n import text
from mailbot.models import DayLedger, RenderedReport, Submission
from mailbot.report.chart_data import chart_content, chart_drawn, chart_png, chart_units, forget_drawn_charts
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
    "forget_drawn_charts",
    "letter_day",
    "lower_first",
    "file_stem",
    "render",
    "render_html",
    "render_workbook",
    "render_template",
    "report_pdf",
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
    # A chart to draw is drawn in a forked copy while this process writes the rest, where a fork is safe.
    with chart_drawn(settings, ledger, trend) as drawn_chart:
        view = build_view(settings, ledger, update)
        subject = _subject(settings, ledger, update)
        html = render_template("report.html.j2", lang, view=view, subject=subject)
        plain = render_template("report.txt.j2", lang, view=view, subject=subject)
        xlsx = workbook_bytes(settings, ledger, view, submissions)
        chart = drawn_chart()
    log.info("report for %s rendered (%s units, update=%s)", ledger.day, len(ledger.units), update)
    return RenderedReport(
        day=ledger.day,
        subject=subject,
        html=html,
        text=plain,
        xlsx=xlsx,
        chart_png=chart,
        update=update,
        file_stem=file_stem(settings, ledger.day),
        as_of=ledger.as_of,
        pdf=_pdf(html, chart, lang) if settings.campaign.pdf_in_report else None,
    )


def render_html(settings: Settings, ledger: DayLedger, update: bool = False) -> str:
    """The report's HTML as `render` makes it, and nothing else (the console shows it apart)."""
    view = build_view(settings, ledger, update)
    return render_template("report.html.j2", settings.language, view=view, subject=_subject(settings, ledger, update))


def render_workbook(
    settings: Settings, ledger: DayLedger, submissions: list[Submission], update: bool = False
) -> bytes:
    """The report's workbook as `render` makes it, and nothing else (the console offers it apart)."""
    return workbook_bytes(settings, ledger, build_view(settings, ledger, update), submissions)


def _subject(settings: Settings, ledger: DayLedger, update: bool) -> str:
    lang = settings.language
    metric = topic_of(settings)
    key = "subject_update" if update else "subject"
    return once_words(settings, key, metric_lower=metric) or text(
        f"report.{key}", lang, metric_lower=metric, day=letter_day(ledger.day, lang)
    )


def file_stem(settings: Settings, day: date) -> str:
    """The name of the report's files and attachments, without extension."""
    return text("report.file_stem", settings.language, day=day.isoformat())


def report_pdf(report: RenderedReport, lang: str) -> bytes:
    """The report as a PDF: the one rendered with it, else printed now from its HTML."""
    from mailbot.report.pdf import pdf_bytes

    return report.pdf if report.pdf is not None else pdf_bytes(report.html, report.chart_png, lang)


def _pdf(html: str, chart: bytes, lang: str) -> bytes | None:
    """The PDF the report mail attaches. The configuration was refused where WeasyPrint is
    missing; should it fail still, the report goes without its PDF rather than not at all."""
    from mailbot.report.pdf import PdfUnavailable, pdf_bytes

    try:
        return pdf_bytes(html, chart, lang)
    except PdfUnavailable as exc:
        log.error("the report's PDF could not be made, the report goes without it: %s", exc)
        return None


def write_files(report: RenderedReport, out_dir: Path) -> list[Path]:
    """Write the report's HTML (showing the PNG beside it), PNG and XLSX, and its PDF when it
    has one; returns the paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = report.file_stem or f"report-{report.day.isoformat()}"
    png = out_dir / f"{stem}.png"
    html = report.html.replace(f'src="{CHART_SRC}"', f'src="{png.name}"')
    paths = [out_dir / f"{stem}.html", png, out_dir / f"{stem}.xlsx"]
    contents = [html.encode("utf-8"), report.chart_png, report.xlsx]
    if report.pdf is not None:
        paths.append(out_dir / f"{stem}.pdf")
        contents.append(report.pdf)
    for path, content in zip(paths, contents, strict=True):
        write_atomically(path, content)
    return paths
