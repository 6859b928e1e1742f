"""The Linux package: its desktop file and metainfo validate; install.sh puts the program, launcher, menu
entry, icons and metainfo in place, upgrades in one piece and keeps added models; uninstall.sh takes away
exactly what install.sh put down and keeps the user's data unless asked; the archive installs as unpacked.

The fake program is a shell script that prints "ok": these tests check the packaging, not the app.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
import tarfile
import tomllib
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
LINUX = ROOT / "packaging" / "linux"
ICONS = ROOT / "resources" / "icons"
APP_ID = "io.github.chatrec.ChatRec"
DESKTOP = LINUX / f"{APP_ID}.desktop"
METAINFO = LINUX / f"{APP_ID}.metainfo.xml"
TOOLS = ("desktop-file-validate", "appstreamcli", "shellcheck", "bash", "tar")
CACHE_TOOLS = ("update-desktop-database", "gtk-update-icon-cache")

if not sys.platform.startswith("linux"):
    pytest.skip("the Linux package is built and tested on Linux", allow_module_level=True)
_missing = [tool for tool in TOOLS if shutil.which(tool) is None]
if _missing:
    pytest.fail(f"the Linux packaging tests need {', '.join(_missing)}, which are not installed: "
                "run make packaging-tools", pytrace=False)

sys.path.insert(0, str(LINUX))
from make_archive import make_archive, package_files  # noqa: E402

VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


# --- helpers ------------------------------------------------------------------------------------

def _fake_one_folder(folder: Path, says: str = "ok") -> Path:
    """A one-folder build in miniature: the executable, a library folder, a library and its symlink."""
    (folder / "_internal" / "lib").mkdir(parents=True)
    executable = folder / "chat-rec"
    executable.write_text(f"#!/bin/sh\necho {says}\n", encoding="utf-8")
    executable.chmod(0o755)
    (folder / "_internal" / "lib" / "libfake.so.1").write_bytes(b"\x7fELF fake")
    (folder / "_internal" / "lib" / "libfake.so").symlink_to("libfake.so.1")
    return folder


def _package(folder: Path, says: str = "ok") -> Path:
    """An unpacked package folder as the archive holds it, with the fake program as app/."""
    _fake_one_folder(folder / "app", says)
    for relative, source, mode in package_files(VERSION):
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(source.read_bytes() if isinstance(source, Path) else source)
        target.chmod(mode)
    return folder


@pytest.fixture
def package(tmp_path: Path) -> Path:
    return _package(tmp_path / f"chat-rec-{VERSION}")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A bare environment whose home and data folders are inside tmp_path: nothing touches the real user."""
    home = tmp_path / "home"
    home.mkdir()
    return {"HOME": str(home), "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8",
            "XDG_DATA_HOME": str(tmp_path / "prefix" / "share")}


def _run(script: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(script), *args], env=env, capture_output=True, text=True, timeout=60, check=False)


def _ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return result


def _tree(root: Path) -> dict[str, str]:
    """Every path under root with its kind and, for files and links, what it holds."""
    found: dict[str, str] = {}
    if not root.exists():
        return found
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if path.is_symlink():
            found[relative] = f"link -> {os.readlink(path)}"
        elif path.is_dir():
            found[relative] = "folder"
        else:
            found[relative] = f"file {path.read_bytes()!r}"
    return found


def _desktop_exec(desktop: Path) -> str:
    """The program an installed desktop file's Exec key starts, unescaped as the Desktop Entry spec says."""
    line = next(line for line in desktop.read_text(encoding="utf-8").splitlines() if line.startswith("Exec="))
    value = line.removeprefix("Exec=").replace("\\\\", "\\")  # the string escape comes off first
    if not value.startswith('"'):
        return value.split(" ")[0]
    argument, index = [], 1
    while value[index] != '"':
        if value[index] == "\\":
            index += 1
        argument.append(value[index])
        index += 1
    return "".join(argument).replace("%%", "%")


def _validate_desktop(path: Path) -> str:
    result = subprocess.run(["desktop-file-validate", str(path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return (result.stdout + result.stderr).strip()


# --- the files as they are in the repository ------------------------------------------------------

def test_the_desktop_file_validates_without_warnings_or_hints():
    assert _validate_desktop(DESKTOP) == ""


def test_the_desktop_file_starts_chat_rec_with_its_icon_and_window_class():
    lines = DESKTOP.read_text(encoding="utf-8").splitlines()
    assert "Exec=chat-rec" in lines  # the placeholder install.sh rewrites
    assert "Icon=chat-rec" in lines and "Terminal=false" in lines
    assert "StartupWMClass=Chat-Rec" in lines  # the class Qt gives the window: the application name


def _validate_appstream(*command: str) -> None:
    result = subprocess.run(["appstreamcli", *command, "--no-net"], capture_output=True, text=True, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert not [line for line in output.splitlines() if line.strip().startswith(("E:", "W:"))], output


def test_the_metainfo_validates_without_errors_or_warnings():
    _validate_appstream("validate", str(METAINFO))


def test_the_metainfo_names_the_desktop_file_the_launcher_and_this_version():
    component = ElementTree.parse(METAINFO).getroot()
    assert component.get("type") == "desktop-application"
    assert component.findtext("id") == APP_ID
    assert component.findtext("launchable") == DESKTOP.name
    assert component.findtext("provides/binary") == "chat-rec"
    rating = component.find("content_rating")
    assert rating is not None and rating.get("type") == "oars-1.1"
    newest = component.find("releases/release")
    assert newest is not None and newest.get("version") == VERSION  # pyproject's version is released


def test_the_scripts_are_shellcheck_clean():
    result = subprocess.run(["shellcheck", str(LINUX / "install.sh"), str(LINUX / "uninstall.sh")],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_icons_are_rendered_at_every_size_each_platform_uses():
    for size in (16, 32, 48, 64, 128, 256, 512):
        with Image.open(ICONS / "hicolor" / f"{size}x{size}" / "apps" / "chat-rec.png") as image:
            assert image.size == (size, size) and image.mode == "RGBA"
            assert image.getchannel("A").getpixel((0, 0)) == 0  # a transparent corner: a bubble, not a square
    with Image.open(ICONS / "chat-rec.ico") as ico:
        assert ico.info["sizes"] == {(size, size) for size in (16, 24, 32, 48, 64, 128, 256)}
    with Image.open(ICONS / "chat-rec.icns") as icns:
        assert icns.size == (1024, 1024)


# --- install.sh -------------------------------------------------------------------------------------

def test_install_puts_the_program_launcher_menu_entry_icons_and_metainfo_in_place(package, tmp_path, env):
    prefix = tmp_path / "prefix"
    result = _ok(_run(package / "install.sh", "--prefix", str(prefix), env=env))

    share = prefix / "share"
    executable = share / "chat-rec-app" / "app" / "chat-rec"
    launcher = prefix / "bin" / "chat-rec"
    assert launcher.is_symlink() and os.readlink(launcher) == str(executable)
    assert subprocess.run([str(launcher)], capture_output=True, text=True, check=True).stdout == "ok\n"
    assert (share / "chat-rec-app" / "app" / "_internal" / "lib" / "libfake.so").is_symlink()

    desktop = share / "applications" / f"{APP_ID}.desktop"
    assert _desktop_exec(desktop) == str(executable)
    assert _validate_desktop(desktop) == ""
    assert (share / "metainfo" / f"{APP_ID}.metainfo.xml").read_bytes() == METAINFO.read_bytes()
    _validate_appstream("validate-tree", str(prefix))  # the metainfo finds its desktop file where installed
    for size in (16, 32, 48, 64, 128, 256, 512):
        assert (share / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "chat-rec.png").is_file()
    assert (share / "icons" / "hicolor" / "scalable" / "apps" / "chat-rec.svg").is_file()
    assert os.access(share / "chat-rec-app" / "uninstall.sh", os.X_OK)
    for where in (executable, launcher, desktop, share / "chat-rec-app" / "uninstall.sh"):
        assert str(where) in result.stdout  # it says where everything went


def test_an_upgrade_replaces_the_program_whole_keeps_added_models_and_leaves_nothing_behind(tmp_path, env):
    prefix = tmp_path / "prefix"
    old = _package(tmp_path / "old", says="old")
    (old / "app" / "only-in-old.txt").write_text("gone after the upgrade", encoding="utf-8")
    old_icon = old / "share" / "icons" / "hicolor" / "24x24" / "apps" / "chat-rec.png"
    old_icon.parent.mkdir(parents=True)
    shutil.copy(old / "share" / "icons" / "hicolor" / "32x32" / "apps" / "chat-rec.png", old_icon)
    _ok(_run(old / "install.sh", "--prefix", str(prefix), env=env))
    app = prefix / "share" / "chat-rec-app" / "app"
    (app / "models").mkdir()
    (app / "models" / "my-model.gguf").write_bytes(b"weights the user dropped in")

    new = _package(tmp_path / "new", says="new")
    result = _ok(_run(new / "install.sh", "--prefix", str(prefix), env=env))

    assert subprocess.run([str(prefix / "bin" / "chat-rec")], capture_output=True, text=True).stdout == "new\n"
    assert not (app / "only-in-old.txt").exists()  # the program was replaced, not copied over
    assert (app / "models" / "my-model.gguf").read_bytes() == b"weights the user dropped in"
    assert "my-model.gguf" in result.stdout
    assert not (prefix / "share" / "icons" / "hicolor" / "24x24" / "apps" / "chat-rec.png").exists()
    leftovers = [path for path in prefix.rglob("*") if ".chat-rec-app." in path.name or path.name.endswith(".tmp")]
    assert leftovers == []
    assert _desktop_exec(prefix / "share" / "applications" / f"{APP_ID}.desktop") == str(app / "chat-rec")


def test_a_prefix_with_spaces_quotes_and_dollars_gets_an_exec_line_that_validates(package, tmp_path, env):
    prefix = tmp_path / 'my apps "here" $HOME 100%'
    _ok(_run(package / "install.sh", f"--prefix={prefix}", env=env))
    desktop = prefix / "share" / "applications" / f"{APP_ID}.desktop"
    assert _validate_desktop(desktop) == ""
    assert _desktop_exec(desktop) == str(prefix / "share" / "chat-rec-app" / "app" / "chat-rec")


def test_install_without_the_cache_tools_still_installs(package, tmp_path, env):
    # a PATH with every command the scripts name but update-desktop-database and gtk-update-icon-cache
    path = tmp_path / "path"
    path.mkdir()
    scripts = "".join((LINUX / script).read_text(encoding="utf-8") for script in ("install.sh", "uninstall.sh"))
    for name in set(re.findall(r"[A-Za-z][\w.+-]*", scripts)) - set(CACHE_TOOLS):
        found = [Path(folder) / name for folder in ("/usr/bin", "/bin") if (Path(folder) / name).is_file()]
        if found:
            (path / name).symlink_to(found[0])
    env = {**env, "PATH": str(path)}
    prefix = tmp_path / "prefix"
    _ok(_run(package / "install.sh", "--prefix", str(prefix), env=env))
    assert (prefix / "share" / "applications" / f"{APP_ID}.desktop").is_file()
    assert not (prefix / "share" / "applications" / "mimeinfo.cache").exists()
    _ok(_run(prefix / "share" / "chat-rec-app" / "uninstall.sh", env=env))
    assert not (prefix / "share").exists()


def test_install_without_the_program_folder_fails_naming_it_and_installs_nothing(package, tmp_path, env):
    shutil.rmtree(package / "app")
    prefix = tmp_path / "prefix"
    result = _run(package / "install.sh", "--prefix", str(prefix), env=env)
    assert result.returncode != 0
    assert f"the program folder {package / 'app'} is missing" in result.stderr
    assert "nothing was installed" in result.stderr
    assert not prefix.exists()


@pytest.mark.parametrize("script", ["install.sh", "uninstall.sh"])
def test_an_unknown_option_fails_with_the_usage(package, env, script):
    result = _run(package / script, "--frobnicate", env=env)
    assert result.returncode == 2
    assert "unknown option: --frobnicate" in result.stderr and "Usage:" in result.stderr


@pytest.mark.parametrize("script", ["install.sh", "uninstall.sh"])
def test_help_prints_the_usage(package, env, script):
    result = _ok(_run(package / script, "--help", env=env))
    assert result.stdout.startswith("Usage:") and "--prefix DIR" in result.stdout


# --- uninstall.sh ---------------------------------------------------------------------------------

def test_uninstall_removes_exactly_what_install_put_down_and_keeps_the_data(package, tmp_path, env):
    prefix = tmp_path / "prefix"
    data = prefix / "share" / "chat-rec"
    data.mkdir(parents=True)
    (data / "chatrec.sqlite3").write_bytes(b"the user's library")
    neighbour = prefix / "share" / "applications" / "someone-else.desktop"
    neighbour.parent.mkdir()
    neighbour.write_text("[Desktop Entry]\n", encoding="utf-8")
    before = _tree(prefix)

    _ok(_run(package / "install.sh", "--prefix", str(prefix), env=env))
    result = _ok(_run(package / "uninstall.sh", "--prefix", str(prefix), env=env))

    assert _tree(prefix) == before
    assert "Your data stays" in result.stdout and str(data) in result.stdout
    assert str(prefix / "share" / "applications" / f"{APP_ID}.desktop") in result.stdout  # says what it removed


def test_the_installed_uninstall_script_removes_its_own_install(package, tmp_path, env):
    prefix = tmp_path / "prefix"
    _ok(_run(package / "install.sh", "--prefix", str(prefix), env=env))
    _ok(_run(prefix / "share" / "chat-rec-app" / "uninstall.sh", env=env))
    assert not prefix.exists()  # every folder install.sh created, down to the prefix itself


def test_uninstall_keeps_models_the_user_added_to_the_program(package, tmp_path, env):
    prefix = tmp_path / "prefix"
    _ok(_run(package / "install.sh", "--prefix", str(prefix), env=env))
    model = prefix / "share" / "chat-rec-app" / "app" / "models" / "whisper-small"
    model.mkdir(parents=True)
    (model / "model.bin").write_bytes(b"weights")
    result = _ok(_run(package / "uninstall.sh", "--prefix", str(prefix), env=env))
    assert (model / "model.bin").read_bytes() == b"weights"
    assert _tree(prefix / "share" / "chat-rec-app") == {"app": "folder", "app/models": "folder",
                                                       "app/models/whisper-small": "folder",
                                                       "app/models/whisper-small/model.bin": "file b'weights'"}
    assert str(model) in result.stdout


def test_uninstall_with_purge_data_deletes_the_data_without_asking_and_says_what(package, tmp_path, env):
    prefix = tmp_path / "prefix"
    home = Path(env["HOME"])
    folders = {"library": prefix / "share" / "chat-rec", "settings": home / ".config" / "chat-rec",
               "cache": home / ".cache" / "chat-rec", "logs": home / ".local" / "state" / "chat-rec"}
    for folder in folders.values():
        folder.mkdir(parents=True)
        (folder / "something").write_text("x", encoding="utf-8")
    (folders["settings"] / "settings.toml").write_text('data_dir = "/srv/my library"\n', encoding="utf-8")
    _ok(_run(package / "install.sh", "--prefix", str(prefix), env=env))

    result = _ok(subprocess.run([str(package / "uninstall.sh"), "--prefix", str(prefix), "--purge-data"], env=env,
                                stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60, check=False))

    for label, folder in folders.items():
        assert not folder.exists()
        assert f"{label}: {folder}" in result.stdout
    assert "/srv/my library" in result.stdout  # a library folder chosen in Settings is named, not deleted
    assert _tree(prefix) == {"share": "folder"}  # the folder the library was in was there before install


def test_uninstall_when_nothing_is_installed_says_so(tmp_path, package, env):
    result = _run(package / "uninstall.sh", "--prefix", str(tmp_path / "nowhere"), env=env)
    assert result.returncode == 1
    assert "Chat-Rec is not installed" in result.stderr


# --- the archive --------------------------------------------------------------------------------------

def test_the_archive_holds_one_folder_with_modes_links_and_owners_and_installs_as_unpacked(tmp_path, env):
    one_folder = _fake_one_folder(tmp_path / "dist" / "chat-rec")
    archive = make_archive(one_folder, VERSION, tmp_path / "out")

    assert archive == tmp_path / "out" / f"chat-rec-{VERSION}-linux-x86_64.tar.gz"
    assert [path.name for path in archive.parent.iterdir()] == [archive.name]  # no temp file left
    top = f"chat-rec-{VERSION}"
    with tarfile.open(archive) as tar:
        members = {member.name: member for member in tar.getmembers()}
        names = list(members)
    assert names[0] == top and all(name.startswith(f"{top}/") for name in names[1:])
    assert {member.uid for member in members.values()} == {0} and {member.gid for member in members.values()} == {0}
    for executable in ("app/chat-rec", "install.sh", "uninstall.sh"):
        assert members[f"{top}/{executable}"].mode & stat.S_IXUSR
    link = members[f"{top}/app/_internal/lib/libfake.so"]
    assert link.issym() and link.linkname == "libfake.so.1"
    for expected in (f"share/applications/{APP_ID}.desktop", f"share/metainfo/{APP_ID}.metainfo.xml",
                     "share/icons/hicolor/256x256/apps/chat-rec.png", "README.txt"):
        assert f"{top}/{expected}" in members
    assert make_archive(one_folder, VERSION, tmp_path / "again").read_bytes() == archive.read_bytes()

    unpacked = tmp_path / "unpacked"
    unpacked.mkdir()
    subprocess.run(["tar", "-xzf", str(archive), "-C", str(unpacked)], check=True)
    assert f"Chat-Rec {VERSION} for Linux" in (unpacked / top / "README.txt").read_text(encoding="utf-8")
    prefix = tmp_path / "prefix"
    # as build.py runs it: `sh install.sh` starts it again under bash
    _ok(subprocess.run(["sh", str(unpacked / top / "install.sh"), "--prefix", str(prefix)], env=env,
                       capture_output=True, text=True, timeout=60, check=False))
    assert subprocess.run([str(prefix / "bin" / "chat-rec")], capture_output=True, text=True).stdout == "ok\n"
    assert (prefix / "share" / "chat-rec-app" / "app" / "_internal" / "lib" / "libfake.so").is_symlink()


def test_the_archive_refuses_a_folder_without_the_executable(tmp_path):
    (tmp_path / "dist").mkdir()
    with pytest.raises(FileNotFoundError, match="chat-rec is missing or not executable"):
        make_archive(tmp_path / "dist", VERSION, tmp_path / "out")


def test_the_archive_refuses_a_version_the_metainfo_does_not_release(tmp_path):
    one_folder = _fake_one_folder(tmp_path / "dist" / "chat-rec")
    with pytest.raises(ValueError, match=r"add <release version=\"9.9.9\""):
        make_archive(one_folder, "9.9.9", tmp_path / "out")
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


def test_the_archive_refuses_a_symlink_that_would_dangle_once_installed(tmp_path):
    one_folder = _fake_one_folder(tmp_path / "dist" / "chat-rec")
    (one_folder / "_internal" / "outside").symlink_to("/usr/lib/libc.so.6")
    with pytest.raises(ValueError, match="outside the one-folder build"):
        make_archive(one_folder, VERSION, tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []
