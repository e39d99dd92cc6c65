"""The console's pages: Jinja2 templates of mailbot/web/templates, autoescaped.

Templates receive finished strings (numbers, dates and states already worded) and
`t`, the catalogue in the configured language. Everything a sender wrote reaches
them as plain text and is escaped on output.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.responses import HTMLResponse

from mailbot.i18n import text

TEMPLATES = Path(__file__).resolve().parent / "templates"


@cache
def environment(lang: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["t"] = lambda key, **params: text(f"web.{key}", lang, **params)
    env.globals["lang"] = lang
    return env


def page(lang: str, name: str, status: int = 200, **context: object) -> HTMLResponse:
    return HTMLResponse(environment(lang).get_template(name).render(**context), status_code=status)
