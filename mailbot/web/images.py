"""The pictures a figure was read from by text recognition, served to signed-in users only.

A picture goes to the browser with the type its own bytes show (PNG, JPEG, GIF,
WebP), never the sender's declared one, with `nosniff` and a policy that runs
nothing: an HTML or SVG file named .png is not a picture and is refused.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from mailbot.errors import NotFoundError
from mailbot.web.pages import content_disposition, render, signed_in, t, the_app

PICTURE_POLICY = "default-src 'none'; sandbox"


async def submission_image(request: Request) -> Response:
    who = await signed_in(request)
    if isinstance(who, Response):
        return who
    number, part = int(request.path_params["id"]), int(request.path_params["n"])
    try:
        found = await run_in_threadpool(the_app(request).picture, number, part)
    except NotFoundError as exc:
        return render(request, who, "error.html.j2", 404, error=str(exc))
    if found is None:
        return render(request, who, "error.html.j2", 404, error=t(request, "not_a_picture", n=part))
    data, kind, name = found
    headers = {
        "Content-Disposition": content_disposition(name, "inline"),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": PICTURE_POLICY,
    }
    return Response(data, media_type=kind, headers=headers)
