"""`python -m mailbot` and the `mailbot` command.

The command line is loaded with the garbage collector paused, then what was loaded
is frozen (gc.freeze): loading makes a great many objects and no garbage, and they
live as long as the command. Collecting during the imports, walking those objects at
every full collection of the command, and once more at exit, was a fifth of the time
of a command that has little to do (an empty `poll --once`).

The interpreter hands the GIL between threads every millisecond instead of every
five. A poll's threads wait on sockets (the delivery lane on the SMTP server's
replies, the pool's threads on the reading workers) while its main thread computes;
each reply woke a thread that then waited up to a whole interval for the GIL, two
waits for every acknowledgement sent. Beside a thread that computes, one mail sent
to an SMTP server took 3.0–16 ms at five milliseconds and 1.7–3.7 ms at one (0.7 ms
with nothing beside it; bench/switching.py, two runs).
"""

import gc
import sys

SWITCH_SECONDS = 0.001


def run() -> None:
    sys.setswitchinterval(SWITCH_SECONDS)
    gc.disable()
    try:
        from mailbot.cli import main
    finally:
        gc.freeze()
        gc.enable()
    main()


if __name__ == "__main__":
    run()
