"""`mailbot user …`: the console's people. Argument parsing and printing only."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table

from mailbot import i18n
from mailbot.cli import opened, out, settings_from, views
from mailbot.cli.options import ConfigOption
from mailbot.config import Settings
from mailbot.errors import UsageError
from mailbot.i18n import format_time, section_texts

user_app = typer.Typer(help="Create, list, disable users of the web console; new passwords and API tokens.")
NameArgument = Annotated[str, typer.Argument(help="The user's sign-in name, e.g. nguyen.van.a.", show_default=False)]
RoleOption = Annotated[
    str,
    typer.Option(
        "--role", help="viewer (sees), reviewer (also decides) or admin (also manages users).", show_default=False
    ),
]


t = section_texts("users")


def _by() -> str:
    """Who acts at this terminal, as the audit trail names them (mailbot.app.reviewer)."""
    from mailbot import app as application

    return application.reviewer(None)


def read_password(settings: Settings) -> str:
    """The password: typed twice at a terminal, else the first line of standard input."""
    if sys.stdin.isatty():
        first = typer.prompt(t(settings, "password_prompt"), hide_input=True, err=True)
        again = typer.prompt(t(settings, "password_prompt"), hide_input=True, err=True)
        if first != again:
            raise i18n.error(UsageError, "users.passwords_differ", settings.language)
        return first
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise i18n.error(UsageError, "users.no_password", settings.language)
    return line


@user_app.command("add")
def user_add(name: NameArgument, role: RoleOption, config: ConfigOption = None) -> None:
    """Create a user; the password is read from standard input."""
    settings = settings_from(config)
    password = read_password(settings)
    with opened(settings) as app_:
        user = app_.accounts.add(name, role, password, app_.clock(), by=_by(), address="cli")
    out.print(t(settings, "added", name=user.name, role=user.role), markup=False)


@user_app.command("list")
def user_list(config: ConfigOption = None) -> None:
    """List the users, their roles and whether they are disabled."""
    settings = settings_from(config)
    with opened(settings) as app_:
        people = app_.accounts.users()
    if not people:
        out.print(t(settings, "none"), markup=False)
        return
    table = Table()
    for key in ("col_name", "col_role", "col_state", "col_created"):
        table.add_column(t(settings, key))
    for user in people:
        table.add_row(
            user.name,
            user.role,
            t(settings, "state_disabled" if user.disabled else "state_active"),
            format_time(views.local(user.created_at, settings), settings.language),
        )
    out.print(table)


@user_app.command("disable")
def user_disable(name: NameArgument, config: ConfigOption = None) -> None:
    """Disable a user: no more sign-ins or API calls; their sessions end."""
    settings = settings_from(config)
    with opened(settings) as app_:
        app_.accounts.disable(name, app_.clock(), by=_by(), address="cli")
    out.print(t(settings, "disabled_done", name=name), markup=False)


@user_app.command("passwd")
def user_passwd(name: NameArgument, config: ConfigOption = None) -> None:
    """Set a new password (from standard input); the user's sessions end."""
    settings = settings_from(config)
    password = read_password(settings)
    with opened(settings) as app_:
        app_.accounts.set_password(name, password, app_.clock(), by=_by(), address="cli")
    out.print(t(settings, "passwd_done", name=name), markup=False)


@user_app.command("token")
def user_token(name: NameArgument, config: ConfigOption = None) -> None:
    """Print a new API token for the user (for `Authorization: Bearer …`); it is shown only once."""
    settings = settings_from(config)
    with opened(settings) as app_:
        token = app_.accounts.new_token(name, app_.clock(), by=_by(), address="cli")
    out.print(token, markup=False, soft_wrap=True)
