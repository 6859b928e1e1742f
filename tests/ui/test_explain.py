"""The explanation panel shows exactly what the engine computed: parts, drivers, sound, reasons, words."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from app.bootstrap import Engine
from app.domain.items import ME
from app.domain.recommendation import PART_LABELS, Driver, ScoreBreakdown, ScorePart
from app.services.recommendations import RecommendRequest
from app.ui.explain import EMPTY_TEXT, ExplanationPanel
from tests.ui.test_cards import FARGO, rec, sound_match, track


def panel_for(qtbot: QtBot) -> ExplanationPanel:
    """A shown, empty panel."""
    panel = ExplanationPanel()
    qtbot.addWidget(panel)
    panel.resize(520, 800)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def test_nothing_selected_shows_a_helpful_sentence(qtbot: QtBot) -> None:
    panel = panel_for(qtbot)
    assert panel.empty.isVisible() and panel.empty.text() == EMPTY_TEXT
    panel.show_recommendation(rec(FARGO))
    assert not panel.empty.isVisible()
    panel.show_recommendation(None)
    assert panel.empty.isVisible() and panel.shown_text() == EMPTY_TEXT


def test_every_part_is_listed_with_its_value_weight_and_contribution_largest_first(qtbot: QtBot) -> None:
    panel = panel_for(qtbot)
    breakdown = ScoreBreakdown(parts=(ScorePart("popularity", 0.4, 0.1), ScorePart("collaborative", 0.82, 0.6),
                                      ScorePart("content", 0.5, 0.3)))
    panel.show_recommendation(rec(FARGO, breakdown=breakdown))
    description = panel.chart.accessibleDescription()
    expected = ["People with your taste liked it (collaborative): value 0.82 × weight 0.60 = 0.49",
                "Close to what you liked (content): value 0.50 × weight 0.30 = 0.15",
                "Popular overall (popularity): value 0.40 × weight 0.10 = 0.040"]
    positions = [description.index(line) for line in expected]
    assert positions == sorted(positions)  # ordered by contribution, as ScoreBreakdown.as_dict orders them
    assert "Total score 0.68" in description
    assert panel.chart.rows() == [("People with your taste liked it (collaborative)", "0.82 × 0.60 = 0.49"),
                                  ("Close to what you liked (content)", "0.50 × 0.30 = 0.15"),
                                  ("Popular overall (popularity)", "0.40 × 0.10 = 0.040")]  # the bars' labels
    assert panel.title.text() == "Fargo"
    assert "Predicted ~4.2★ · score 0.68" in panel.shown_text()


def test_a_part_not_in_the_breakdown_is_never_shown(qtbot: QtBot) -> None:
    panel = panel_for(qtbot)
    panel.show_recommendation(rec(FARGO, reasons=(), breakdown=ScoreBreakdown(parts=(ScorePart("query", 0.9, 1.0),))))
    shown = panel.shown_text()
    assert "(query)" in shown and "0.90 × 1.00 = 0.90" in shown
    for name, human in PART_LABELS.items():
        if name != "query":
            assert f"({name})" not in shown and human not in shown.lower()
    assert not panel.drivers.isVisible() and not panel.sound.isVisible() and not panel.reasons.isVisible()


def test_drivers_reasons_and_the_assistants_words(qtbot: QtBot) -> None:
    panel = panel_for(qtbot)
    breakdown = ScoreBreakdown(parts=(ScorePart("content", 0.7, 0.5),),
                               drivers=(Driver("movie:se7en", "Se7en", 5.0, 0.82), Driver("movie:heat", "Heat", 4.5,
                                                                                         0.613)))
    one = rec(FARGO, breakdown=breakdown, reasons=("close to Se7en, which you rated 5★", "popular overall"))
    panel.show_recommendation(one, "Fargo is a dark, funny crime story.")
    shown = panel.shown_text()
    assert "Because you rated" in shown
    assert "Se7en 5★ (similarity 0.82)" in shown and "Heat 4.5★ (similarity 0.61)" in shown
    assert "• close to Se7en, which you rated 5★" in shown and "• popular overall" in shown
    assert panel.assistant.isVisible() and "The assistant said" in shown
    assert "“Fargo is a dark, funny crime story.”" in shown
    panel.show_recommendation(one)  # no sentence this time: the assistant's block goes away
    assert not panel.assistant.isVisible()
    assert panel.shown_text().count("Se7en 5★") == 1  # the old lines were replaced, not added to


def test_a_tracks_sound_is_shown_next_to_the_liked_track(qtbot: QtBot, tmp_path: Path) -> None:
    panel = panel_for(qtbot)
    song = track(tmp_path)
    breakdown = ScoreBreakdown(parts=(ScorePart("audio", 0.87, 0.5),), sound=sound_match())
    panel.show_recommendation(rec(song, breakdown=breakdown))
    shown = panel.shown_text()
    assert panel.sound.isVisible()
    for text in ("Sounds like a track you liked", "This track: Song", "Liked Song (5★)", "Tempo", "128 BPM",
                 "122 BPM", "high", "medium", "bright", "warm", "A minor", "C major", "Sound similarity 0.87"):
        assert text in shown, text
    table = panel.findChild(QWidget, "soundTable")
    assert isinstance(table, QWidget)
    assert "This track: 128 BPM, high energy, bright sound, A minor" in table.accessibleDescription()


def test_the_engines_own_breakdown_is_shown_part_by_part(qtbot: QtBot, engine: Engine) -> None:
    engine.store.rate(ME, "movie:fargo", stars=5.0)
    engine.store.rate(ME, "movie:se7en", stars=5.0)
    first = engine.recommendations.recommend(RecommendRequest(user=ME, k=3))[0]
    panel = panel_for(qtbot)
    panel.show_recommendation(first)
    description = panel.chart.accessibleDescription()
    for part in first.breakdown.parts:
        assert f"({part.name}): value" in description or f"{part.name}: value" in description
    for driver in first.breakdown.drivers:
        assert driver.title in panel.shown_text()
    for reason in first.reasons:
        assert f"• {reason}" in panel.shown_text()
