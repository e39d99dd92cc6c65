"""What every console handler shares: the app, the words, the page, and who may ask.

Each handler says where it is served (`@get(path)`, `@post(path)`: they add it to
ROUTES). A page is written `@page_for(role)` and receives the signed-in visitor; a form that
changes something is written `@form_action` and receives a reviewer and the form, its
CSRF token already checked. Whoever may not ask gets the refusal (the sign-in page,
401 or 403) before the handler runs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from functools import wraps
from typing import TypeVar
from urllib.parse import quote, urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from mailbot import app as application
from mailbot.app import App
from mailbot.errors import NotFoundError, UsageError
from mailbot.i18n import text
from mailbot.web.render import page
from mailbot.web.security import CSRF_FIELD, Visitor, csrf_ok, visitor

T = TypeVar("T")
Endpoint = Callable[[Request], Awaitable[Response]]
Page = Callable[[Request, Visitor], Awaitable[Response]]
DayPage = Callable[[Request, Visitor, date], Awaitable[Response]]
Form = Callable[[Request, Visitor, dict[str, str]], Awaitable[Response]]


ROUTES: list[Route] = []  # every page, form and API call of the console, in the order declared


def get(path: str) -> Callable[[Endpoint], Endpoint]:
    """Serve the handler below at `path` for GET (and HEAD)."""
    return _served_at(path, "GET")


def post(path: str) -> Callable[[Endpoint], Endpoint]:
    """Serve the handler below at `path` for POST (a form)."""
    return _served_at(path, "POST")


def _served_at(path: str, method: str) -> Callable[[Endpoint], Endpoint]:
    def add(endpoint: Endpoint) -> Endpoint:
        ROUTES.append(Route(path, endpoint, methods=[method]))
        return endpoint

    return add


CAMPAIGN = "campaign"  # the query parameter naming the campaign a page shows, where several are configured


def the_app(request: Request) -> App:
    """The console's use cases: where several campaigns are configured, those of the ?campaign= one
    (the first campaign's without it, or for an id the deployment lacks: `campaign_refused` says so)."""
    cached = getattr(request.state, "mailbot_app", None)
    if cached is not None:
        return cached
    base: App = request.app.state.mailbot
    wanted = chosen_campaign(request)
    chosen = base.for_campaign(wanted) if wanted and wanted in campaign_ids(base) else base
    request.state.mailbot_app = chosen
    return chosen


def campaign_ids(app: App) -> list[str]:
    return [c.campaign.id for c in app.settings.campaigns]


def chosen_campaign(request: Request) -> str | None:
    """The campaign the visitor chose (?campaign=), where several are configured; None: none chosen."""
    base: App = request.app.state.mailbot
    if not base.settings.several:
        return None
    return (request.query_params.get(CAMPAIGN) or "").strip() or None


def campaign_refused(request: Request) -> str | None:
    """What is wrong with the ?campaign= asked for (an id the deployment lacks), or None."""
    wanted = chosen_campaign(request)
    base: App = request.app.state.mailbot
    if wanted is None or wanted in campaign_ids(base):
        return None
    return t(request, "unknown_campaign", value=wanted, known=", ".join(campaign_ids(base)))


def keeping_campaign(request: Request) -> Callable[[str], str]:
    """`keep(url)`: the URL with the chosen campaign added, so that links and forms keep it (unchanged without one)."""
    wanted = chosen_campaign(request) if campaign_refused(request) is None else None

    def keep(url: str) -> str:
        if wanted is None:
            return url
        return f"{url}{'&' if '?' in url else '?'}{urlencode({CAMPAIGN: wanted})}"

    return keep


def campaign_switch(request: Request) -> list[dict[str, object]]:
    """The campaigns a page may switch between (none for a deployment of one): id, name and whether shown
    now (the chosen one, else the first, whose board and report a page without ?campaign= shows)."""
    base: App = request.app.state.mailbot
    if not base.settings.several:
        return []
    current = chosen_campaign(request) or base.settings.campaign.id
    return [
        {"id": c.campaign.id, "name": c.campaign.name or c.campaign.id, "current": c.campaign.id == current}
        for c in base.settings.campaigns
    ]


def lang(request: Request) -> str:
    return the_app(request).lang


def t(request: Request, key: str, **params: object) -> str:
    return text(f"web.{key}", lang(request), **params)


def render(request: Request, who: Visitor, name: str, status: int = 200, **context: object) -> Response:
    context.setdefault("message", request.query_params.get("ok") and t(request, f"ok_{request.query_params['ok']}"))
    context.setdefault("error", None)
    context.setdefault("refresh", request.app.state.refresh_seconds)
    context.setdefault("keep", keeping_campaign(request))
    context.setdefault("campaigns", campaign_switch(request))
    return page(lang(request), name, status, me=who, csrf=who.session.csrf if who.session else "", **context)


def error_page(request: Request, who: Visitor, status: int, error: str) -> Response:
    """The console's error page, saying `error` with the HTTP `status`."""
    return render(request, who, "error.html.j2", status, error=error)


def _role_needed(request: Request, who: Visitor, role: str) -> Response:
    return error_page(request, who, 403, t(request, "role_needed", role=t(request, f"role_{role}")))


async def signed_in(request: Request, role: str = "viewer") -> Visitor | Response:
    """The visitor, or the response that refuses them: the sign-in page, or 403 for a role too low."""
    who = await run_in_threadpool(visitor, the_app(request), request)
    if who.session is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/signin?next={quote(target)}", status_code=303)
    if not who.may(role):
        return _role_needed(request, who, role)
    return who


async def changing(request: Request) -> tuple[Visitor, dict[str, str]] | Response:
    """A request that changes something: a reviewer's session and the form's CSRF token."""
    form = await form_of(request)
    who = await run_in_threadpool(visitor, the_app(request), request)
    if who.session is None:
        return error_page(request, who, 401, t(request, "signed_out"))
    if not csrf_ok(who.session.csrf, form.get(CSRF_FIELD)):
        return error_page(request, who, 403, t(request, "csrf_refused"))
    if not who.may("reviewer"):
        return _role_needed(request, who, "reviewer")
    return who, form


def page_for(role: str = "viewer") -> Callable[[Page], Endpoint]:
    """A page for visitors of `role` or above: the handler receives the visitor."""

    def wrap(handler: Page) -> Endpoint:
        @wraps(handler)
        async def endpoint(request: Request) -> Response:
            who = await signed_in(request, role)
            if isinstance(who, Response):
                return who
            refused = campaign_refused(request)
            return error_page(request, who, 404, refused) if refused else await handler(request, who)

        return endpoint

    return wrap


def page_on_day(handler: DayPage) -> Endpoint:
    """A viewer's page of the ?d= day (today if none); a day that cannot be read is answered with 400."""

    @page_for()
    @wraps(handler)
    async def endpoint(request: Request, who: Visitor) -> Response:
        try:
            day = chosen_day(request) or the_app(request).today()
        except UsageError as exc:
            return error_page(request, who, 400, str(exc))
        return await handler(request, who, day)

    return endpoint


def form_action(handler: Form) -> Endpoint:
    """A form that changes something: the handler receives a reviewer and the form, its CSRF token checked."""

    @wraps(handler)
    async def endpoint(request: Request) -> Response:
        checked = await changing(request)
        if isinstance(checked, Response):
            return checked
        refused = campaign_refused(request)
        return error_page(request, checked[0], 404, refused) if refused else await handler(request, *checked)

    return endpoint


async def form_of(request: Request) -> dict[str, str]:
    """The form's text fields (a file field is never expected and is left out)."""
    return {k: v for k, v in (await request.form()).items() if isinstance(v, str)}


def chosen_day(request: Request) -> date | None:
    """The ?d= day (dd/mm/yyyy or YYYY-MM-DD), or None for today; a bad one is a UsageError."""
    typed = (request.query_params.get("d") or "").strip()
    return application.parse_date(typed, lang(request), option=t(request, "day_label")) if typed else None


async def submission_part(
    request: Request, who: Visitor, find: Callable[[int, int], T | None], missing: str, answer: Callable[[T], Response]
) -> Response:
    """The `answer` with the path's part `n` of submission `id` as `find` finds it, else the 404 page.

    `missing` is the key of the words saying the submission has no such part.
    """
    number, part = int(request.path_params["id"]), int(request.path_params["n"])
    try:
        found = await run_in_threadpool(find, number, part)
    except NotFoundError as exc:
        return error_page(request, who, 404, str(exc))
    if found is None:
        return error_page(request, who, 404, t(request, missing, n=part))
    return answer(found)
