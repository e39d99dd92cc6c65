"""The console's JSON API for other systems: bearer tokens, the same JSON as the command line."""

from __future__ import annotations

from datetime import date

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mailbot import app as application
from mailbot.app import ProvinceHistory, User
from mailbot.errors import MailbotError
from mailbot.i18n import text
from mailbot.web.handlers import get, the_app


def _refused(request: Request) -> Response:
    message = text("web.token_refused", the_app(request).lang)
    return JSONResponse({"error": message}, status_code=401, headers={"WWW-Authenticate": 'Bearer realm="mailbot"'})


async def _token_user(request: Request) -> User | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return await run_in_threadpool(the_app(request).accounts.token_user, token.strip())


def _day(request: Request, name: str = "date") -> date | None:
    typed = request.query_params.get(name)
    return application.parse_date(typed, the_app(request).lang, option=name) if typed else None


@get("/api/status")
async def status(request: Request) -> Response:
    """`mailbot status --date D --json`, to the byte."""
    if await _token_user(request) is None:
        return _refused(request)
    try:
        day = _day(request)
        chosen = the_app(request).for_campaign(request.query_params.get("campaign"))  # several campaigns: ?campaign=ID
    except MailbotError as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    return JSONResponse(await run_in_threadpool(chosen.status_json, day))


@get("/api/history")
async def history(request: Request) -> Response:
    """?unit=&from=&to=: the daily series of a unit, or of the area without one."""
    if await _token_user(request) is None:
        return _refused(request)
    try:
        unit = request.query_params.get("unit")
        app = the_app(request).for_unit_or_campaign(unit, request.query_params.get("campaign"))
        found = await run_in_threadpool(app.history, unit, _day(request, "from"), _day(request, "to"))
    except MailbotError as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    named = {"campaign": app.settings.campaign.id} if app.settings.several else {}  # contract §9
    if isinstance(found, ProvinceHistory):
        days = [application.status_json(d) | {"units": None} for d in found.days]
        series = [{k: v for k, v in d.items() if k != "units"} for d in days]
        return JSONResponse({**named, "unit": None, "days": series})
    rows = [
        {"date": day.isoformat(), **(row.to_json() if row else {"state": None, "note": reason})}
        for day, row, reason in found.rows
    ]
    return JSONResponse({**named, "unit": found.unit, "days": rows})


@get("/api/review")
async def review(request: Request) -> Response:
    """The submissions waiting for review, as `mailbot review list --json` gives them."""
    if await _token_user(request) is None:
        return _refused(request)
    app = the_app(request)
    waiting = await run_in_threadpool(app.waiting_everywhere)
    return JSONResponse({"waiting": [app.waiting_json(s) for s in waiting]})


@get("/healthz")
async def healthz(request: Request) -> Response:
    if await run_in_threadpool(the_app(request).readable):
        return JSONResponse({"ok": True})
    return JSONResponse({"ok": False}, status_code=503)
