"""`python -m mailbot` and the `mailbot` command.

The command line is loaded with the garbage collector paused, then what was loaded
is frozen (gc.freeze): loading makes a great many objects and no garbage, and they
live as long as the command. Collecting during the imports, walking those objects at
every full collection of the command, and once more at exit, was a fifth of the time
of a command that has little to do (an empty `poll --once`).
"""

import gc


def run() -> None:
    gc.disable()
    try:
        from mailbot.cli import main
    finally:
        gc.freeze()
        gc.enable()
    main()


if __name__ == "__main__":
    run()
