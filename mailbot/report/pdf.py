"""The report as a PDF: the same HTML as the mail, printed on A4 landscape by WeasyPrint.

The only module that imports WeasyPrint, and only when a PDF is made: it needs the
`pdf` extra (`pip install 'mailbot[pdf]'`) and the system's Pango and fonts with
Vietnamese letters (Debian: libpango-1.0-0, libpangoft2-1.0-0, fonts-liberation,
fonts-dejavu-core). Without them the caller gets one MailbotError naming what to
install. The page size and margins are the template's @page rule; the chart, which
the mail refers to as cid:, is served from the report's own PNG, and nothing else is
fetched: a report never makes the renderer reach the network or the disk.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from types import ModuleType

from mailbot import i18n
from mailbot.errors import MailbotError
from mailbot.report.view import CHART_SRC

log = logging.getLogger(__name__)

PIP_PACKAGE = "mailbot[pdf]"
APT_PACKAGES = "libpango-1.0-0 libpangoft2-1.0-0 fonts-liberation fonts-dejavu-core"


class PdfUnavailable(MailbotError):
    """WeasyPrint or the system libraries it needs are not installed."""


def _weasyprint(lang: str) -> ModuleType:
    """The weasyprint module, or PdfUnavailable saying what to install."""
    try:
        import weasyprint
    except ImportError as exc:
        raise i18n.error(PdfUnavailable, "errors.pdf_missing_package", lang, pip=PIP_PACKAGE, apt=APT_PACKAGES) from exc
    except OSError as exc:  # the package is there, a system library (Pango) is not
        reason = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise i18n.error(PdfUnavailable, "errors.pdf_missing_libraries", lang, apt=APT_PACKAGES, reason=reason) from exc
    return weasyprint


def available(lang: str) -> str | None:
    """None when a PDF can be made, else the message saying what to install."""
    try:
        _weasyprint(lang)
    except PdfUnavailable as exc:
        return str(exc)
    return None


def pdf_bytes(html: str, chart_png: bytes, lang: str) -> bytes:
    """The report's HTML as PDF bytes, its chart taken from `chart_png`."""
    weasyprint = _weasyprint(lang)
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class ChartOnly(URLFetcher):
        """Serves the chart; refuses every other address (a file, the network)."""

        def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> URLFetcherResponse:
            if url == CHART_SRC:
                return URLFetcherResponse(url, chart_png, {"Content-Type": "image/png"})
            raise ValueError(f"the report's PDF fetches nothing but its chart, not {url[:80]!r}")

    document = weasyprint.HTML(string=html, url_fetcher=ChartOnly(), base_url=".")
    pdf = document.write_pdf()
    log.info("report PDF rendered (%s bytes)", len(pdf))
    return pdf
