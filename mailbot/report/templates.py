"""Jinja2 templates of templates/<lang>/: the report and every mail body.

The only module that imports Jinja2. Templates receive finished strings (every
number and date is formatted by the caller), with StrictUndefined and HTML
autoescaping.
"""

from __future__ import annotations

from functools import cache

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from mailbot.i18n import TEMPLATES_DIR


@cache
def _environment(lang: str) -> Environment:
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR / lang)),
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # each template read once per process: not a look at its file for every mail
    )


def load_template(name: str, lang: str) -> None:
    """Compile templates/<lang>/<name> now (it is compiled once per process, at its first use otherwise)."""
    _environment(lang).get_template(name)


def render_template(name: str, lang: str, **context: object) -> str:
    """templates/<lang>/<name> rendered with finished strings."""
    return _environment(lang).get_template(name).render(**context)
