"""The few errors mailbot raises. Each carries what failed and how to fix it."""

from __future__ import annotations


class MailbotError(Exception):
    """Base of every error a person may see. `hint` says how to fix it."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class ConfigError(MailbotError):
    """The configuration or environment is wrong: a usage error."""

    exit_code = 2


class UsageError(MailbotError):
    """A command was called with arguments that cannot work."""

    exit_code = 2


class NotFoundError(MailbotError):
    """Something named on the command line does not exist."""

    exit_code = 1


class SourceError(MailbotError):
    """The inbox could not be read: server down, wrong password, bad Maildir.

    `key` names what happened (its catalogue entry under [inbox]): `unreachable` and
    `dropped` may pass by themselves, the others need a person to change something.
    """

    key: str | None = None


class StoreError(MailbotError):
    """The store could not be opened or written."""


class DeliveryError(MailbotError):
    """Outgoing mail could not be handed over."""

    def __init__(self, message: str, hint: str | None = None, permanent: bool = False) -> None:
        super().__init__(message, hint)
        self.permanent = permanent


class SpreadsheetError(MailbotError):
    """An attachment could not be read; `code` is its problem code (docs/problems.md)."""

    def __init__(self, code: str, message: str, hint: str | None = None) -> None:
        super().__init__(message, hint)
        self.code = code
