"""An option not given costs nothing: typer's coercion of an option (a pydantic validator) is built for a value only.

mailbot/cli/deferred.py replaces typer's build of each option's coercion by one that waits for a value;
these tests hold it to typer's own results, and to the point of it: a command that is given no option
with a value does not import pydantic.
"""

from __future__ import annotations

import pytest
import typer
import typer.core
from typer.testing import CliRunner

from mailbot.cli import app, deferred
from tests.cli.test_start_up import loaded_by_command, short_command_env

COMMAND = typer.main.get_command(app)


def every_parameter(command, path=("mailbot",)):
    """(the command's words, its parameter) for every parameter of every command and group under `command`."""
    for param in command.params:
        yield " ".join(path), param
    for name, sub in getattr(command, "commands", {}).items():
        yield from every_parameter(sub, (*path, name))


PARAMETERS = [
    pytest.param(param, id=f"{words} {param.name}")
    for words, param in every_parameter(COMMAND)
    if hasattr(param, "type_descriptor")  # typer's own (click's --help is not coerced)
]


def help_context():
    """A context of the command line to coerce in, as typer has one while it parses."""
    return COMMAND.make_context("mailbot", ["--help"], resilient_parsing=True)


def test_the_commands_have_options_to_defer():
    assert len(PARAMETERS) > 20


@pytest.mark.parametrize("param", PARAMETERS)
def test_an_option_not_given_comes_out_as_typer_makes_it(param):
    ctx = help_context()
    real = deferred._build(param.type_descriptor)

    assert deferred.DeferredCoercion(param.type_descriptor).coerce(None, param, ctx) == real.coerce(None, param, ctx)


@pytest.mark.parametrize("param", PARAMETERS)
def test_an_option_given_is_coerced_by_typer_own_coercion(param):
    coercion = deferred.DeferredCoercion(param.type_descriptor)
    ctx = help_context()
    try:
        coercion.coerce("1", param, ctx)
    except Exception:  # "1" is not every option's value: what counts is whose coercion judged it
        pass

    assert type(coercion.built).__module__ == "typer._coercion"


def test_typer_builds_its_coercion_through_the_deferred_one():
    assert typer.core.build_runtime_param is deferred.DeferredCoercion


def test_a_value_given_is_still_checked_as_typer_checks_it():
    result = CliRunner().invoke(app, ["outbox", "retry", "not-a-number"], env={"COLUMNS": "200"})

    assert result.exit_code == 2
    assert "Invalid value for 'ids': Input should be a valid integer" in result.output  # pydantic's words


@pytest.mark.parametrize("command", [["status"], ["poll", "--once"]])
def test_a_command_given_no_option_with_a_value_does_not_load_pydantic(tmp_path, command):
    env = short_command_env(tmp_path)  # the shipped campaign, named by $MAILBOT_CONFIG: no --config given

    assert loaded_by_command(command, env, tmp_path, watched=("pydantic",)) == []
