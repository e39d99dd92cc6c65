"""The pictures a figure was read from by text recognition, served to signed-in users only.

A picture goes to the browser with the type its own bytes show (PNG, JPEG, GIF,
WebP), never the sender's declared one, with `nosniff` and a policy that runs
nothing: an HTML or SVG file named .png is not a picture and is refused.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from mailbot.web.handlers import get, page_for, submission_part, the_app
from mailbot.web.pages import content_disposition
from mailbot.web.security import Visitor

PICTURE_POLICY = "default-src 'none'; sandbox"


@get("/submission/{id:int}/image/{n:int}")
@page_for()
async def submission_image(request: Request, who: Visitor) -> Response:
    return await submission_part(request, who, the_app(request).picture, "not_a_picture", _picture)


def _picture(found: tuple[bytes, str, str]) -> Response:
    """The picture's bytes, typed by themselves, shown inline and running nothing."""
    data, kind, name = found
    headers = {
        "Content-Disposition": content_disposition(name, "inline"),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": PICTURE_POLICY,
    }
    return Response(data, media_type=kind, headers=headers)
