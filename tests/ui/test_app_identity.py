"""The window carries the app's icon and the id its installed launcher and AppStream entry use."""

from pathlib import Path

from app.ui.app import DESKTOP_ID, app_icon

ROOT = Path(__file__).resolve().parents[2]


def test_the_window_icon_has_every_size_from_menu_to_dock(qapp):
    sizes = {(size.width(), size.height()) for size in app_icon().availableSizes()}
    assert {(16, 16), (32, 32), (48, 48), (256, 256)} <= sizes


def test_the_desktop_id_names_the_installed_launcher_and_metainfo():
    assert (ROOT / "packaging" / "linux" / f"{DESKTOP_ID}.desktop").is_file()
    metainfo = (ROOT / "packaging" / "linux" / f"{DESKTOP_ID}.metainfo.xml").read_text(encoding="utf-8")
    assert f"<id>{DESKTOP_ID}</id>" in metainfo
    assert f'<launchable type="desktop-id">{DESKTOP_ID}.desktop</launchable>' in metainfo
