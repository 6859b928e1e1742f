"""python -m app: the command line when given a sub-command, else the terminal session.

(The desktop window takes the place of the terminal session once it exists.)"""

from __future__ import annotations

import multiprocessing
import sys


def run() -> int:
    """Dispatch to the CLI; freeze_support keeps frozen builds from re-running main in workers."""
    multiprocessing.freeze_support()
    from app.cli import main

    return main(sys.argv[1:] or ["shell"])


if __name__ == "__main__":
    sys.exit(run())
