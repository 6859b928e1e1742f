"""Every setting is declared once, with its doc and what it may be; validation, the command line's choices and the
chat model chooser follow that declaration (change it, and they change with it)."""

from __future__ import annotations

from dataclasses import fields, replace

import pytest

from app import config
from app.cli import _build_parser
from app.config import SETTINGS, Choice, Settings, check_setting, setting_choices, setting_values
from app.llm.choose import ChatModelChooser


def declare(monkeypatch: pytest.MonkeyPatch, name: str, **changes: object) -> None:
    """Change one setting's declaration for the rest of the test."""
    monkeypatch.setitem(config.SETTINGS, name, replace(SETTINGS[name], **changes))  # type: ignore[arg-type]


def test_every_setting_is_declared_with_its_default_type_and_a_one_line_doc() -> None:
    assert list(SETTINGS) == [spec.name for spec in fields(Settings)]
    defaults = Settings()
    for name, spec in SETTINGS.items():
        assert spec.default == getattr(defaults, name) and spec.kind is type(spec.default), name
        assert spec.doc and "\n" not in spec.doc and spec.doc[0].isupper() and not spec.doc.endswith("."), name
        assert check_setting(name, spec.default) is None, name  # every default is valid
        assert not spec.choices or spec.default in spec.values, name


def test_choices_carry_what_the_user_reads() -> None:
    assert setting_values("theme") == ("system", "dark", "light")
    assert setting_choices("theme") == (("Follow the system", "system"), ("Dark", "dark"), ("Light", "light"))
    assert set(setting_values("llm_backend")) == {"auto", "ollama", "embedded"}
    assert all(label for name in ("llm_backend", "llm_rerank", "llm_replies", "theme")
               for label, _value in setting_choices(name))


def test_validation_follows_the_declared_choices_and_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    assert check_setting("theme", "sepia") == "must be one of system, dark, light, got 'sepia'"
    declare(monkeypatch, "theme", choices=(*SETTINGS["theme"].choices, Choice("Sepia", "sepia")))
    assert check_setting("theme", "sepia") is None
    assert check_setting("default_k", 2) is None
    declare(monkeypatch, "default_k", minimum=3)
    assert check_setting("default_k", 2) == "must be at least 3, got 2"
    declare(monkeypatch, "models_dir", folder=False)
    assert check_setting("models_dir", "relative") is None


def test_the_command_lines_backend_choices_are_the_settings(monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    for backend in setting_values("llm_backend"):
        assert _build_parser().parse_args(["ask", "hello", "--backend", backend]).backend == backend
    with pytest.raises(SystemExit):
        _build_parser().parse_args(["ask", "hello", "--backend", "remote"])
    assert "remote" in capsys.readouterr().err
    declare(monkeypatch, "llm_backend", choices=(*SETTINGS["llm_backend"].choices, Choice("A remote model", "remote")))
    assert _build_parser().parse_args(["ask", "hello", "--backend", "remote"]).backend == "remote"


def test_the_chat_model_chooser_takes_the_declared_backends(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.domain.errors import ChatRecError

    for backend in setting_values("llm_backend"):
        assert ChatModelChooser(backend, lambda: pytest.fail("not asked"), lambda: None).backend == backend
    with pytest.raises(ChatRecError, match="choose one of " + ", ".join(setting_values("llm_backend"))):
        ChatModelChooser("remote", lambda: pytest.fail("not asked"), lambda: None)
    declare(monkeypatch, "llm_backend", choices=(*SETTINGS["llm_backend"].choices, Choice("A remote model", "remote")))
    assert ChatModelChooser("remote", lambda: pytest.fail("not asked"), lambda: None).backend == "remote"
