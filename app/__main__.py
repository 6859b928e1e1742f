"""python -m app: the desktop app, or the command line when given a sub-command."""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Sequence

_DESKTOP_OPTIONS = ("--smoke-screenshot", "--theme", "--quit-when-shown")


def _has_display() -> bool:
    """Whether a window can be shown: always on Windows and macOS, on Linux when X11 or Wayland is there."""
    if sys.platform in ("win32", "darwin") or os.environ.get("QT_QPA_PLATFORM"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _desktop(argv: Sequence[str]) -> int:
    smoke = any(a.startswith("--smoke-screenshot") for a in argv)
    if smoke and not _has_display():
        os.environ["QT_QPA_PLATFORM"] = "offscreen"  # a script's screenshot needs no screen
    if not _has_display():
        print("chatrec: no display found, so the terminal session starts instead "
              "(the window needs X11, Wayland, Windows or macOS)", file=sys.stderr)
        from app.cli import main as cli

        return cli(["shell"])
    from app.ui.app import main as desktop

    return desktop(argv)


def _frozen_setup() -> None:
    """What a PyInstaller build needs before anything else loads: streams, and the DLLs it ships."""
    # A windowed Windows or macOS build has no console: print() and logging would fail on None.
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115 (lives as long as the app)
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle and sys.platform == "win32":
        # Windows may hold an older onnxruntime.dll in System32 that would be loaded first.
        capi = os.path.join(bundle, "onnxruntime", "capi")
        if os.path.isdir(capi):
            os.add_dll_directory(capi)


def run() -> int:
    """Dispatch; freeze_support keeps frozen builds from re-running main in workers."""
    multiprocessing.freeze_support()
    _frozen_setup()
    argv = sys.argv[1:]
    if not argv or argv[0].startswith(_DESKTOP_OPTIONS):
        return _desktop(argv)
    from app.cli import main

    return main(argv)


if __name__ == "__main__":
    sys.exit(run())
