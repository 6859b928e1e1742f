"""The settings of a remote Ollama: ollama_token and ollama_headers are checked when read, saved and typed."""

from __future__ import annotations

import stat
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from app.config import Settings, check_setting, load_settings, save_settings, validate_settings
from app.domain.errors import InputError

TOKEN = "tok-7f3a9c1e5b"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "settings.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_empty_by_default() -> None:
    assert (Settings().ollama_token, Settings().ollama_headers) == ("", "")


def test_good_values_load(tmp_path: Path) -> None:
    path = _write(tmp_path, f'ollama_host = "https://ollama.example.com"\nollama_token = "{TOKEN}"\n'
                            'ollama_headers = "X-Api-Key: abc; X-Team: music"\n')
    settings = load_settings(path)
    assert (settings.ollama_token, settings.ollama_headers) == (TOKEN, "X-Api-Key: abc; X-Team: music")


def test_headers_on_several_lines_load(tmp_path: Path) -> None:
    path = _write(tmp_path, 'ollama_headers = """\nCF-Access-Client-Id: 1.access\nCF-Access-Client-Secret: s;t\n"""\n')
    assert "CF-Access-Client-Secret: s;t" in load_settings(path).ollama_headers


@pytest.mark.parametrize(("headers", "why"), [
    ("X-Api-Key abc123", "header 1 has no 'Name:' before its value"),
    ("X Api Key: abc123", "header 1's name is not valid"),
    ("Content-Type: text/plain", "Content-Type is set by the HTTP client"),
])
def test_bad_header_text_is_refused_naming_the_file_and_field(tmp_path: Path, headers: str, why: str) -> None:
    path = _write(tmp_path, f'ollama_headers = "{headers}"\n')
    with pytest.raises(InputError, match=why) as err:
        load_settings(path)
    assert err.value.field == "ollama_headers" and err.value.file == str(path)
    assert str(path) in str(err.value) and "field 'ollama_headers'" in str(err.value)
    assert "abc123" not in str(err.value)  # a value may be a secret: it is never quoted


@pytest.mark.parametrize("token", ["two words", f"Bearer {TOKEN}", "caf\u00e9"])
def test_a_token_that_cannot_be_sent_is_refused_without_quoting_it(tmp_path: Path, token: str) -> None:
    path = _write(tmp_path, f'ollama_token = "{token}"\n')
    with pytest.raises(InputError) as err:
        load_settings(path)
    assert err.value.field == "ollama_token"
    assert token not in str(err.value) and TOKEN not in str(err.value)


def test_a_token_and_an_authorization_header_together_are_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, f'ollama_token = "{TOKEN}"\nollama_headers = "authorization: Basic dXNlcjpwYXNz"\n')
    with pytest.raises(InputError, match="sets Authorization, and so does ollama_token") as err:
        load_settings(path)
    assert err.value.field == "ollama_headers"
    with pytest.raises(InputError, match="keep one of them"):
        validate_settings(replace(Settings(), ollama_token=TOKEN, ollama_headers="Authorization: Basic x"))
    # either one alone is fine: Basic authentication through the headers is how some proxies want it
    validate_settings(replace(Settings(), ollama_headers="Authorization: Basic dXNlcjpwYXNz"))


def test_check_setting_answers_the_settings_dialog() -> None:
    assert check_setting("ollama_headers", "X-Api-Key: abc") is None
    assert check_setting("ollama_headers", "nonsense") is not None
    assert check_setting("ollama_token", TOKEN) is None
    assert check_setting("ollama_token", "a b") is not None


def test_saved_with_the_other_settings_and_readable_by_the_user_alone(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    settings = replace(Settings(), ollama_token=TOKEN, ollama_headers="X-Api-Key: a;b\nX-Team: music")
    save_settings(path, settings)
    assert load_settings(path) == settings
    if sys.platform != "win32":
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0  # the token is not readable by other users


def test_the_chroma_server_takes_a_token_and_headers_checked_the_same_way(tmp_path):
    from app.config import load_settings
    from app.domain.errors import InputError

    path = tmp_path / "settings.toml"
    path.write_text('chroma_token = "abc"\nchroma_headers = "X-Team: films; X-Key: 1"\n', encoding="utf-8")
    settings = load_settings(path)
    assert settings.chroma_token == "abc" and settings.chroma_headers.startswith("X-Team")
    path.write_text('chroma_token = "abc"\nchroma_headers = "Authorization: Basic x"\n', encoding="utf-8")
    with pytest.raises(InputError, match="chroma_headers"):
        load_settings(path)
