"""What a command starts before the application layer loads, so that it goes on beside that loading.

Part of the application layer, apart from mailbot.app because it must run before mailbot.app is imported: the
store, SQLAlchemy and the use cases take about a fifth of a second to load, time in which the zygote of the
reading workers (mailbot.zygote) imports the readers on the other core.
"""

from __future__ import annotations


def start_reading_workers() -> None:
    """For a command that is about to read mail (a poll, the service): the interpreter its reading workers are
    forked from starts now."""
    from mailbot import workers

    workers.start_zygote()
