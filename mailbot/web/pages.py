"""The console's pages and forms. Each handler parses, calls one use case, and renders."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import date
from functools import partial
from urllib.parse import quote, urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from mailbot import app as application
from mailbot.app import AccessError, App, Attached, AttachmentView, AuditRow, Decider, ReviewOutcome
from mailbot.errors import MailbotError, NotFoundError, UsageError
from mailbot.i18n import format_day
from mailbot.models import READ_FROM_IMAGE, RenderedReport, Source, Submission
from mailbot.web import shown
from mailbot.web.handlers import (
    CAMPAIGN,
    chosen_campaign,
    chosen_day,
    error_page,
    form_action,
    form_of,
    get,
    keeping_campaign,
    lang,
    page_for,
    page_on_day,
    post,
    render,
    submission_part,
    t,
    the_app,
)
from mailbot.web.render import page
from mailbot.web.security import (
    CSRF_FIELD,
    SESSION_COOKIE,
    SIGNIN_COOKIE,
    Visitor,
    address_of,
    csrf_ok,
    new_token,
    set_cookie,
    visitor,
)

log = logging.getLogger(__name__)

ROWS_SHOWN, COLUMNS_SHOWN = 200, 30
DECISIONS = ("accept", "reject", "assign", "correct")


# --- signing in and out --------------------------------------------------------------------


@get("/signin")
async def signin_page(request: Request) -> Response:
    token = new_token()
    response = page(
        lang(request), "signin.html.j2", next=_safe_next(request), csrf=token, error=None, message=None, me=None
    )
    set_cookie(request, response, SIGNIN_COOKIE, token, max_age=3600)
    return response


@post("/signin")
async def signin(request: Request) -> Response:
    form = await form_of(request)
    target = _safe_next(request, form.get("next"))
    if not csrf_ok(request.cookies.get(SIGNIN_COOKIE), form.get(CSRF_FIELD)):
        return _signin_again(request, target, t(request, "csrf_refused"), 403)
    accounts = the_app(request).accounts
    try:
        session = await run_in_threadpool(
            accounts.sign_in,
            str(form.get("name", "")),
            str(form.get("password", "")),
            address_of(request),
            the_app(request).clock(),
        )
    except AccessError as exc:
        return _signin_again(request, target, str(exc), 401)
    response = RedirectResponse(target, status_code=303)
    lifetime = int((session.expires_at - the_app(request).clock()).total_seconds())
    set_cookie(request, response, SESSION_COOKIE, session.token, max_age=lifetime)
    response.delete_cookie(SIGNIN_COOKIE, path="/")
    return response


def _signin_again(request: Request, target: str, error: str, status: int) -> Response:
    token = new_token()
    response = page(
        lang(request), "signin.html.j2", status, next=target, csrf=token, error=error, message=None, me=None
    )
    set_cookie(request, response, SIGNIN_COOKIE, token, max_age=3600)
    return response


def _safe_next(request: Request, given: str | None = None) -> str:
    target = given or request.query_params.get("next") or "/"
    return target if target.startswith("/") and not target.startswith("//") else "/"


@post("/signout")
async def signout(request: Request) -> Response:
    form = await form_of(request)
    who = await run_in_threadpool(visitor, the_app(request), request)
    if who.session is not None and csrf_ok(who.session.csrf, form.get(CSRF_FIELD)):
        await run_in_threadpool(the_app(request).accounts.sign_out, who.session, who.address, the_app(request).clock())
    response = RedirectResponse("/signin", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# --- the day's board -----------------------------------------------------------------------


@get("/")
@page_for()
async def board(request: Request, who: Visitor) -> Response:
    return await _board(request, who, "board.html.j2")


@get("/board")
@page_for()
async def board_table(request: Request, who: Visitor) -> Response:
    """The board's body alone, for htmx's refresh."""
    return await _board(request, who, "board_table.html.j2")


async def _board(request: Request, who: Visitor, template: str) -> Response:
    app = the_app(request)
    typed = request.query_params.get("d") or ""
    try:
        day = chosen_day(request)
    except UsageError as exc:
        return error_page(request, who, 400, str(exc))
    status = await run_in_threadpool(app.status, day)
    return render(request, who, template, board=shown.board(status, app.settings, _page(request)), typed=typed)


def _page(request: Request) -> int:
    """The ?p= page of a board too long for one (1, the first, when absent or not a number)."""
    typed = request.query_params.get("p") or ""
    return int(typed) if typed.isdigit() else 1


# --- a unit --------------------------------------------------------------------------------


@get("/unit/{unit}")
@page_for()
async def unit_page(request: Request, who: Visitor) -> Response:
    app = the_app(request)
    try:
        owner, unit_id = application.find_unit_anywhere(app.settings, request.path_params["unit"])
        app = app.for_campaign(owner.campaign.id) if app.settings.several else app  # the unit's own campaign
        day = chosen_day(request) or app.today()
    except UsageError as exc:
        return error_page(request, who, 404, str(exc))
    subs = await run_in_threadpool(app.submissions_of, unit_id, day)
    found = await run_in_threadpool(app.history, unit_id, None, day)
    return render(
        request,
        who,
        "unit.html.j2",
        unit=app.settings.unit(unit_id),
        day=format_day(day, app.lang),
        submissions=[shown.submission_row(s, app.settings) for s in subs],
        history=shown.history(found, app.settings),
    )


# --- a submission --------------------------------------------------------------------------


@get("/submission/{id:int}")
@page_for()
async def submission_page(request: Request, who: Visitor) -> Response:
    return await _submission(request, who)


async def _submission(request: Request, who: Visitor, error: str | None = None, status: int = 200) -> Response:
    """The submission's page (as its campaign's, where several are configured); after a decision that failed, with its `error`."""
    number = int(request.path_params["id"])
    try:
        app = await run_in_threadpool(_owner, the_app(request), number)
        detail = await run_in_threadpool(app.submission, number)
        mail = await run_in_threadpool(app.message, number)
    except NotFoundError as exc:
        return error_page(request, who, 404, str(exc))
    sub = detail.submission
    return render(
        request,
        who,
        "submission.html.j2",
        status,
        error=error,
        sub=shown.submission_row(sub, app.settings, mail.sources),
        decisions=[shown.decision_row(d, app.settings) for d in detail.decisions],
        headers=mail.headers,
        received=mail.received or "",
        body=mail.text,
        attachments=[_attachment(a, mail.sources) for a in mail.attachments],
        campaign=_campaign_name(request, app, sub),
        unit_groups=_unit_groups(app, sub),
        images=[shown.figure_image(i, sub, app.settings) for i in await run_in_threadpool(app.figure_images, number)],
        trail=[_audit_row(r, app) for r in app.accounts.trail(50, target=f"submission:{number}")],
    )


def _owner(app: App, number: int) -> App:
    """The use cases of submission `number`'s campaign (where several are configured and it is known); else `app`'s."""
    if not app.settings.several:
        return app
    campaign = app.submission(number).submission.campaign
    return app.for_campaign(campaign) if campaign else app


def _campaign_name(request: Request, app: App, sub: Submission) -> str:
    """The campaign a submission reports for, as its page and the review queue name it ('' with one campaign)."""
    if not app.settings.several:
        return ""
    owner = app.settings.with_campaign(sub.campaign) if sub.campaign else None
    return (owner.campaign.name or owner.campaign.id) if owner else t(request, "campaign_unknown")


def _unit_groups(app: App, sub: Submission) -> list[tuple[str, list[tuple[str, str]]]]:
    """The units review may assign, by campaign: the submission's campaign's, or every campaign's where
    the campaign is not known (assigning a unit settles it); the label is '' with one campaign."""
    campaigns = [app.settings] if sub.campaign or not app.settings.several else list(app.settings.deployment)
    label = app.settings.several and not sub.campaign
    return [(c.campaign.name or c.campaign.id if label else "", [(u.id, u.name) for u in c.units]) for c in campaigns]


def _attachment(attached: AttachmentView, sources: Mapping[str, Source]) -> dict[str, object]:
    """An attachment as its page shows it: name, type, size, problem, and its sheets' first cells."""
    return {
        "number": attached.number,
        "name": attached.name,
        "content_type": attached.content_type,
        "size": attached.size,
        "problem": attached.problem or "",
        "sheets": [
            shown.sheet_grid(table, shown.marked_cells(sources, attached.name, table.sheet), ROWS_SHOWN, COLUMNS_SHOWN)
            for table in attached.tables
        ],
    }


@post("/submission/{id:int}")
@form_action
async def decide(request: Request, who: Visitor, form: dict[str, str]) -> Response:
    number = int(request.path_params["id"])
    action = form.get("action")
    decider = Decider(who.name, (form.get("reason") or "").strip() or None, form.get("force") == "1", who.address)
    try:
        app = await run_in_threadpool(_owner, the_app(request), number)
        outcome = await run_in_threadpool(_decision(request, app, number, action, form, decider))
    except MailbotError as exc:
        return await _submission(request, who, error=str(exc), status=400)
    done = "decided" if outcome.changed else "unchanged"
    back = form.get("back") if form.get("back") in ("/review",) else f"/submission/{number}"
    return RedirectResponse(keeping_campaign(request)(f"{back}?{urlencode({'ok': done})}"), status_code=303)


def _decision(
    request: Request, app: App, number: int, action: str | None, form: dict[str, str], decider: Decider
) -> Callable[[], ReviewOutcome]:
    """The use case the form's `action` asks for, ready to run; an unknown action is a UsageError."""
    if action in ("accept", "reject"):
        return partial(app.accept if action == "accept" else app.reject, number, decider)
    if action == "assign":
        return partial(app.assign, number, form.get("unit") or "", decider)  # a unit of any campaign
    if action == "correct":
        value = application.parse_count(form.get("value") or "", app.lang)
        accept = form.get("accept") == "1"  # the console never forces a correction
        return partial(app.correct_first, number, value, replace(decider, force=False), then_accept=accept)
    raise UsageError(t(request, "unknown_action"))


@get("/submission/{id:int}/eml")
@page_for()
async def download_eml(request: Request, who: Visitor) -> Response:
    number = int(request.path_params["id"])
    try:
        raw = await run_in_threadpool(the_app(request).raw_message, number)
    except NotFoundError as exc:
        return error_page(request, who, 404, str(exc))
    return _download(raw, f"submission-{number}.eml", "message/rfc822")


@get("/submission/{id:int}/attachment/{n:int}")
@page_for()
async def download_attachment(request: Request, who: Visitor) -> Response:
    def saved(found: Attached) -> Response:
        return _download(found.data, found.name or f"attachment-{request.path_params['n']}", "application/octet-stream")

    return await submission_part(request, who, the_app(request).attachment, "no_attachment", saved)


def _download(data: bytes, name: str, content_type: str) -> Response:
    """A file to save, never to open in the console's own origin."""
    headers = {"Content-Disposition": content_disposition(name), "X-Content-Type-Options": "nosniff"}
    return Response(data, media_type=content_type, headers=headers)


def content_disposition(name: str, kind: str = "attachment") -> str:
    """The header naming a file the sender named: ASCII for old clients, UTF-8 for the others."""
    ascii_name = "".join(ch if ch.isascii() and ch.isprintable() and ch not in '"\\;' else "_" for ch in name)
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


# --- the review queue ----------------------------------------------------------------------


@get("/review")
@page_for()
async def review_page(request: Request, who: Visitor) -> Response:
    """What waits for review: where several campaigns are configured, every campaign's unless ?campaign=
    names one (whose queue also holds the mail whose campaign is not known), each naming its campaign."""
    app = the_app(request)
    rows = [await _waiting_row(request, app, sub) for sub in await run_in_threadpool(_waiting, request, app)]
    return render(request, who, "review.html.j2", waiting=rows, campaign_chosen=chosen_campaign(request) is not None)


def _waiting(request: Request, app: App) -> list[Submission]:
    if not app.settings.several or chosen_campaign(request) is not None:
        return app.waiting()
    found = {sub.id: sub for each in app.campaign_apps() for sub in each.waiting()}
    return sorted(found.values(), key=lambda sub: (sub.received_at, sub.id))


async def _waiting_row(request: Request, app: App, sub: Submission) -> dict[str, object]:
    """A submission of the review queue (as its campaign's), with the pictures its figure was read from, if any."""
    app = app.for_campaign(sub.campaign) if app.settings.several and sub.campaign else app
    row = shown.submission_row(sub, app.settings)
    row["campaign"] = _campaign_name(request, app, sub)
    read_from_image = any(p.code == READ_FROM_IMAGE for p in sub.problems)
    images = await run_in_threadpool(app.figure_images, sub.id) if read_from_image else []
    row["images"] = [shown.figure_image(i, sub, app.settings) for i in images]
    return row


# --- the report ----------------------------------------------------------------------------


@get("/report")
@page_on_day
async def report_page(request: Request, who: Visitor, day: date) -> Response:
    app = the_app(request)
    waiting = await run_in_threadpool(app.report_waiting, day)
    return render(
        request,
        who,
        "report.html.j2",
        day=format_day(day, app.lang),
        iso=day.isoformat(),
        query=urlencode({"d": day.isoformat(), **_campaign_query(request)}),
        held=shown.when(waiting, app.settings) if waiting else "",
    )


@get("/report/{kind}")
@page_on_day
async def report_file(request: Request, who: Visitor, day: date) -> Response:
    """Each file makes only its part of the report, from the store as it is now."""
    app = the_app(request)
    kind = request.path_params["kind"]
    stem = app.report_file_stem(day)
    if kind == "pdf":
        return await _report_pdf(request, who, app, await run_in_threadpool(app.report, day), stem)
    if kind == "png":
        return Response(await run_in_threadpool(app.report_chart, day), media_type="image/png")
    if kind == "xlsx":
        sheet = await run_in_threadpool(app.report_workbook, day)
        return _download(sheet, f"{stem}.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    html = await run_in_threadpool(app.report_html, day)
    if kind == "html":
        chart = f"/report/png?{urlencode({'d': day.isoformat(), **_campaign_query(request)})}"
        headers = {"Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"}
        return Response(app.report_preview(html, chart), media_type="text/html; charset=utf-8", headers=headers)
    return _download(
        app.report_preview(html, f"{stem}.png").encode(), f"{stem}.html", "text/html"
    )  # with the chart saved beside it


async def _report_pdf(request: Request, who: Visitor, app: App, rendered: RenderedReport, stem: str) -> Response:
    """The report as a PDF to save; where this installation cannot print, a page saying what to install."""
    try:
        printed = await run_in_threadpool(app.print_report, rendered)
    except MailbotError as exc:
        return error_page(request, who, 503, str(exc))
    return _download(printed, f"{stem}.pdf", "application/pdf")


@post("/report")
@form_action
async def report_send(request: Request, who: Visitor, form: dict[str, str]) -> Response:
    return await _report_action(request, who, form, App.send_report, "report_sent")


@post("/report/approve")
@form_action
async def report_approve(request: Request, who: Visitor, form: dict[str, str]) -> Response:
    """A reviewer approves the day's held report: it goes out now (schedule.hold_report)."""
    return await _report_action(request, who, form, App.approve_report, "report_approved")


async def _report_action(
    request: Request, who: Visitor, form: dict[str, str], use_case: Callable[..., object], done: str
) -> Response:
    """Send the form's day's report through the app's `use_case`, then say `done` on the report page."""
    app = the_app(request)
    try:
        day = application.parse_date(form.get("d") or "", app.lang, option=t(request, "day_label"))
        await run_in_threadpool(use_case, app, day, who.name, who.address)
    except MailbotError as exc:
        return error_page(request, who, 400, str(exc))
    query = urlencode({"d": day.isoformat(), "ok": done, **_campaign_query(request)})
    return RedirectResponse(f"/report?{query}", status_code=303)


def _campaign_query(request: Request) -> dict[str, str]:
    """The ?campaign= of the request, to keep in the report's links ({} without one)."""
    wanted = chosen_campaign(request)
    return {CAMPAIGN: wanted} if wanted else {}


# --- the outbox and the audit trail --------------------------------------------------------


@get("/outbox")
@page_for()
async def outbox_page(request: Request, who: Visitor) -> Response:
    app = the_app(request)
    mails = [shown.mail_row(m, app.settings) for m in await run_in_threadpool(app.outbox)]
    return render(request, who, "outbox.html.j2", mails=mails)


@post("/outbox")
@form_action
async def outbox_retry(request: Request, who: Visitor, form: dict[str, str]) -> Response:
    ids = [int(form["id"])] if str(form.get("id", "")).isdigit() else None
    await run_in_threadpool(the_app(request).retry, ids, who.name, who.address)
    return RedirectResponse("/outbox?ok=retried", status_code=303)


@get("/audit")
@page_for()
async def audit_page(request: Request, who: Visitor) -> Response:
    app = the_app(request)
    rows = await run_in_threadpool(app.accounts.trail, 300)
    return render(request, who, "audit.html.j2", rows=[_audit_row(r, app) for r in rows])


def _audit_row(row: AuditRow, app: App) -> dict[str, str]:
    detail = ", ".join(f"{k}: {v}" for k, v in row.detail.items() if v not in (None, "", []))
    return {
        "at": shown.when(row.at, app.settings),
        "who": row.who,
        "address": row.address or "–",
        "action": row.action,
        "target": row.target or "",
        "detail": detail,
    }
