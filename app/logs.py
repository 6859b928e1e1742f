"""Logging: a rotating file in the user log dir, and warnings on stderr where a person sees them."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

_OURS = "chatrec-handler"


def configure_logging(log_dir: Path) -> Path:
    """Send INFO and up to log_dir/chatrec.log and WARNING and up to stderr; returns the file."""
    log_dir.mkdir(parents=True, exist_ok=True)
    path = log_dir / "chatrec.log"
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "name", None) == _OURS]:
        root.removeHandler(handler)  # calling twice (tests, the GUI after the CLI) must not double up
        handler.close()
    to_file = logging.handlers.RotatingFileHandler(path, maxBytes=1_000_000, backupCount=3, encoding="utf-8")
    to_file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    to_file.setLevel(logging.INFO)
    to_stderr = logging.StreamHandler()
    to_stderr.setFormatter(logging.Formatter("chatrec: %(levelname)s: %(message)s"))
    to_stderr.setLevel(logging.WARNING)
    for handler in (to_file, to_stderr):
        handler.name = _OURS
        root.addHandler(handler)
    root.setLevel(logging.INFO)
    return path
