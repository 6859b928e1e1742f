"""The frozen app's entry point: the same dispatch as `python -m app` (freeze_support runs first there)."""

import sys

from app.__main__ import run

if __name__ == "__main__":
    sys.exit(run())
