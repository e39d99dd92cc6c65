"""The console's page for a figure received by telephone (the `record` use case)."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from mailbot import app as application
from mailbot.errors import MailbotError
from mailbot.i18n import format_day
from mailbot.web.handlers import form_action, get, page_for, post, render, t, the_app
from mailbot.web.security import Visitor

FIELDS = ("unit", "figure", "d", "at", "metric", "note")


@get("/record")
@page_for("reviewer")
async def record_page(request: Request, who: Visitor) -> Response:
    """The form, filled from ?unit= and ?d= (the board links a missing unit here)."""
    app = the_app(request)
    typed = {name: request.query_params.get(name, "") for name in FIELDS}
    if typed["unit"]:
        try:
            typed["unit"] = app.unit(typed["unit"])
        except MailbotError:
            typed["unit"] = ""
    typed["d"] = typed["d"] or format_day(app.today(), app.lang)
    return _form(request, who, typed)


@post("/record")
@form_action
async def record_figure(request: Request, who: Visitor, form: dict[str, str]) -> Response:
    app = the_app(request)
    typed = {name: (form.get(name) or "").strip() for name in FIELDS}
    try:
        day = application.parse_date(typed["d"], app.lang, option=t(request, "day_label")) if typed["d"] else None
        outcome = await run_in_threadpool(
            app.record,
            typed["unit"],
            typed["figure"],
            who.name,
            note=typed["note"] or None,
            day=day,
            metric=typed["metric"] or None,
            at=typed["at"] or None,
            address=who.address,
        )
    except MailbotError as exc:
        return _form(request, who, typed, error=str(exc), status=400)
    if outcome.duplicate or outcome.submission_id is None:
        return RedirectResponse(f"/record?{urlencode({'ok': 'recorded_again'})}", status_code=303)
    return RedirectResponse(f"/submission/{outcome.submission_id}?{urlencode({'ok': 'recorded'})}", status_code=303)


def _form(
    request: Request, who: Visitor, typed: dict[str, str], error: str | None = None, status: int = 200
) -> Response:
    app = the_app(request)
    return render(
        request,
        who,
        "record.html.j2",
        status,
        error=error,
        typed=typed,
        units=[(u.id, u.name) for u in app.settings.units],
        metrics=[(m.id, m.label) for m in app.settings.campaign.metrics],
    )
