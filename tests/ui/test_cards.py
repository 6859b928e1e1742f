"""Recommendation cards: what they show, what clicking and typing on them does, and their artwork."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPalette
from PySide6.QtWidgets import QApplication, QHBoxLayout, QLabel, QWidget
from pytestqt.qtbot import QtBot

from app.bootstrap import Engine
from app.domain.items import ME, Item
from app.domain.music import AudioDescriptors
from app.domain.recommendation import Driver, Recommendation, ScoreBreakdown, ScorePart, SoundMatch
from app.services.preview import TrackPreview
from app.services.recommendations import RecommendRequest
from app.ui.artwork import artwork_for, placeholder
from app.ui.cards import EMPTY_TEXT, CardsView, RecommendationCard
from app.ui.explain import ExplanationPanel
from app.ui.main_window import MainWindow
from app.ui.theme import apply_theme

FARGO = Item("movie:fargo", "movie", "Fargo", creators=("Joel Coen", "Ethan Coen"), year=1996,
             genres=("Crime", "Thriller"))
HEAT = Item("movie:heat", "movie", "Heat", creators=("Michael Mann",), year=1995, genres=("Crime", "Action"))
GRINDER = Item("product:grinder", "product", "Burr Coffee Grinder", creators=("Baratza",), genres=("coffee",))
KETTLE = Item("product:kettle", "product", "Gooseneck Kettle", creators=("Larkwood",), year=2024,
              genres=("kitchen", "coffee", "pour-over"), attributes={"price": "65.00", "category": "kitchen"})


def rec(item: Item, stars: float | None = 4.2, reasons: tuple[str, ...] = ("people with your taste liked it",),
        breakdown: ScoreBreakdown | None = None) -> Recommendation:
    """A recommendation built by hand, as the engine would hand it over."""
    parts = ScoreBreakdown(parts=(ScorePart("collaborative", 0.82, 0.6), ScorePart("content", 0.5, 0.3),
                                  ScorePart("popularity", 0.4, 0.1)),
                           drivers=(Driver("movie:se7en", "Se7en", 5.0, 0.82),))
    chosen = breakdown or parts
    return Recommendation(item=item, score=chosen.total, predicted_stars=stars, breakdown=chosen, reasons=reasons)


def track(tmp_path: Path, name: str = "song", with_file: bool = True) -> Item:
    """A music item whose source is an audio file in its own folder (created when with_file)."""
    folder = tmp_path / name
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / f"{name}.ogg"
    if with_file:
        source.write_bytes(b"OggS not really audio, but a file a player would be handed")
    return Item(f"music:{name}", "music", name.title(), creators=("The Band",), year=2011, genres=("Rock",),
                source=str(source))


def sound_match() -> SoundMatch:
    """A liked track next to this one."""
    return SoundMatch("music:liked", "Liked Song", 5.0, 0.87,
                      this=AudioDescriptors(128.0, "high", "bright", "A", "minor"),
                      other=AudioDescriptors(122.0, "medium", "warm", "C", "major"))


def view_with(qtbot: QtBot, recs: list[Recommendation], ratings: dict[str, float] | None = None,
              width: int = 900) -> CardsView:
    """A shown CardsView holding recs."""
    view = CardsView(TrackPreview.can_play)  # the rule the window asks through its controller
    qtbot.addWidget(view)
    view.resize(width, 700)
    view.show_recommendations(recs, ratings or {})
    view.show()
    qtbot.waitExposed(view)
    return view


def texts(widget: QWidget) -> list[str]:
    """Every visible label's text inside widget."""
    return [label.text() for label in widget.findChildren(QLabel) if label.isVisibleTo(widget) and label.text()]


def test_cards_show_titles_creators_years_genres_predicted_stars_and_the_first_reason(qtbot: QtBot) -> None:
    view = view_with(qtbot, [rec(FARGO, reasons=("close to Se7en, which you rated 5★", "popular overall")),
                             rec(GRINDER, stars=None, reasons=())])
    first, second = view.cards()
    shown = texts(first)
    assert "Fargo" in shown
    assert "Joel Coen, Ethan Coen · 1996" in shown
    assert "~4.2★ predicted" in shown
    assert "close to Se7en, which you rated 5★" in shown
    assert "popular overall" not in shown  # only the first reason on the card; the panel lists them all
    assert first.chips.accessibleName() == "Genres: Crime, Thriller"
    assert first.accessibleName() == "Card 1: Fargo (1996), predicted 4.2 stars"
    assert second.accessibleName() == "Card 2: Burr Coffee Grinder"
    assert not any("predicted" in text for text in texts(second))  # nothing predicted, nothing shown
    assert not view.empty.isVisible()


def test_no_cards_shows_a_sentence_instead_of_a_blank_area(qtbot: QtBot) -> None:
    view = view_with(qtbot, [rec(FARGO)])
    view.clear()
    assert view.cards() == []
    assert view.empty.isVisible() and view.empty.text() == EMPTY_TEXT
    assert view.selected_recommendation() is None


def test_the_users_own_rating_shows_on_its_card_and_set_rating_updates_it(qtbot: QtBot) -> None:
    view = view_with(qtbot, [rec(FARGO), rec(HEAT)], ratings={"movie:heat": 3.0})
    fargo, heat = view.cards()
    assert fargo.stars.accessibleDescription().startswith("Not rated")
    assert heat.stars.accessibleDescription() == "Rated 3 of 5 stars"
    view.set_rating("movie:fargo", 4.5)
    assert fargo.stars.accessibleDescription() == "Rated 4.5 of 5 stars"
    assert "You rated it 4.5 stars" in fargo.accessibleDescription()


def _pixel(widget: QWidget, point: QPoint) -> QColor:
    return widget.grab().toImage().pixelColor(point * widget.devicePixelRatioF())


def _close(a: QColor, b: QColor, tolerance: int = 40) -> bool:
    return abs(a.red() - b.red()) + abs(a.green() - b.green()) + abs(a.blue() - b.blue()) <= tolerance


def test_clicking_a_card_emits_selected_and_highlights_it(qtbot: QtBot) -> None:
    recs = [rec(FARGO), rec(HEAT)]
    view = view_with(qtbot, recs)
    heat = view.cards()[1]
    highlight = heat.palette().color(QPalette.ColorRole.Highlight)
    edge = QPoint(heat.width() // 2, 2)  # on the card's top border
    assert not _close(_pixel(heat, edge), highlight)
    with qtbot.waitSignal(view.selected) as blocker:
        qtbot.mouseClick(heat, Qt.MouseButton.LeftButton, pos=QPoint(heat.width() - 20, 20))
    assert blocker.args == [recs[1]]
    assert view.selected_recommendation() == recs[1]
    assert _close(_pixel(heat, edge), highlight)  # outlined in the palette's highlight
    assert not _close(_pixel(view.cards()[0], edge), highlight)


def test_select_by_index_and_arrow_keys_move_the_selection(qtbot: QtBot) -> None:
    recs = [rec(FARGO), rec(HEAT), rec(GRINDER)]
    view = view_with(qtbot, recs, width=500)  # one column: Down goes to the next card
    view.activateWindow()
    with qtbot.waitSignal(view.selected) as blocker:
        view.select(0)
    assert blocker.args == [recs[0]]
    view.cards()[0].setFocus(Qt.FocusReason.TabFocusReason)
    with qtbot.waitSignal(view.selected) as blocker:
        qtbot.keyClick(view.cards()[0], Qt.Key.Key_Down)
    assert blocker.args == [recs[1]]
    assert view.selected_recommendation() == recs[1]


def test_enter_on_a_focused_card_selects_it(qtbot: QtBot) -> None:
    recs = [rec(FARGO), rec(HEAT)]
    view = view_with(qtbot, recs)
    heat = view.cards()[1]
    with qtbot.waitSignal(view.selected) as blocker:
        qtbot.keyClick(heat, Qt.Key.Key_Return)
    assert blocker.args == [recs[1]]


def test_tab_walks_through_a_cards_controls_to_the_next_card_and_selects_it(qtbot: QtBot) -> None:
    recs = [rec(FARGO), rec(HEAT)]
    view = view_with(qtbot, recs)
    view.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is view)
    first, second = view.cards()
    first.setFocus(Qt.FocusReason.TabFocusReason)
    assert view.selected_recommendation() == recs[0]  # focusing a card selects it
    visited = []
    for _ in range(5):  # the stars, two thumbs, "Add to list", then the next card
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        visited.append(QApplication.focusWidget())
    assert visited == [first.stars, first.thumb_up, first.thumb_down, first.add, second]
    assert view.selected_recommendation() == recs[1]


def _star_point(card: RecommendationCard, stars: int) -> QPoint:
    size = card.stars.fontMetrics().height() * 1.35
    return QPoint(math.floor(2 + (stars - 0.5) * size), card.stars.height() // 2)


def test_clicking_the_fourth_star_rates_four_and_shows_four_stars(qtbot: QtBot) -> None:
    view = view_with(qtbot, [rec(FARGO)])
    card = view.cards()[0]
    with qtbot.waitSignal(view.rated) as blocker:
        qtbot.mouseClick(card.stars, Qt.MouseButton.LeftButton, pos=_star_point(card, 4))
    assert blocker.args == ["movie:fargo", 4.0]
    assert card.stars.accessibleDescription() == "Rated 4 of 5 stars"
    highlight = card.palette().color(QPalette.ColorRole.Highlight)
    card.stars.leaveEvent(QEvent(QEvent.Type.Leave))  # drop any hover preview: the grab shows the rating
    assert _close(_pixel(card.stars, _star_point(card, 4)), highlight)
    assert not _close(_pixel(card.stars, _star_point(card, 5)), highlight)


def test_rating_from_the_keyboard(qtbot: QtBot) -> None:
    view = view_with(qtbot, [rec(FARGO)])
    card = view.cards()[0]
    with qtbot.waitSignal(view.rated) as blocker:
        qtbot.keyClick(card.stars, Qt.Key.Key_3)
    assert blocker.args == ["movie:fargo", 3.0]
    with qtbot.waitSignal(view.rated) as blocker:
        qtbot.keyClick(card.stars, Qt.Key.Key_Right)
    assert blocker.args == ["movie:fargo", 4.0]
    with qtbot.waitSignal(view.rated) as blocker:
        qtbot.keyClick(card.stars, Qt.Key.Key_Left)
    assert blocker.args == ["movie:fargo", 3.0]
    with qtbot.waitSignal(view.rated) as blocker:
        qtbot.keyClick(card, Qt.Key.Key_5)  # digits work on the focused card itself too
    assert blocker.args == ["movie:fargo", 5.0]
    assert card.stars.accessibleDescription() == "Rated 5 of 5 stars"


def test_thumbs_add_to_list_and_preview_report_the_item(qtbot: QtBot, tmp_path: Path) -> None:
    song = track(tmp_path)
    view = view_with(qtbot, [rec(song), rec(FARGO)])
    card = view.cards()[0]
    with qtbot.waitSignal(view.thumbed) as blocker:
        qtbot.mouseClick(card.thumb_up, Qt.MouseButton.LeftButton)
    assert blocker.args == ["music:song", 1]
    assert card.thumb_up.isChecked() and not card.thumb_down.isChecked()
    with qtbot.waitSignal(view.thumbed) as blocker:
        qtbot.mouseClick(card.thumb_down, Qt.MouseButton.LeftButton)
    assert blocker.args == ["music:song", -1]
    assert card.thumb_down.isChecked() and not card.thumb_up.isChecked()
    with qtbot.waitSignal(view.add_to_list_requested) as blocker:
        qtbot.mouseClick(card.add, Qt.MouseButton.LeftButton)
    assert blocker.args == ["music:song"]
    assert card.preview is not None
    with qtbot.waitSignal(view.preview_requested) as blocker:
        qtbot.mouseClick(card.preview, Qt.MouseButton.LeftButton)
    assert blocker.args == ["music:song"]
    view.set_previewing("music:song")
    assert card.preview.accessibleName() == "Stop the preview of Song"


def test_only_music_with_a_file_gets_a_preview_button(qtbot: QtBot, tmp_path: Path) -> None:
    view = view_with(qtbot, [rec(track(tmp_path, "here")), rec(track(tmp_path, "gone", with_file=False)),
                             rec(FARGO)])
    playable, missing, movie = view.cards()
    assert playable.preview is not None and playable.preview.isVisibleTo(playable)
    assert missing.preview is None and movie.preview is None
    names = [w.accessibleName() for w in missing.findChildren(QWidget)]
    assert not any(name.startswith("Preview") for name in names)


def test_the_cards_offer_a_preview_exactly_where_the_rule_they_are_given_says(qtbot: QtBot, tmp_path: Path) -> None:
    asked: list[str] = []

    def films_only(item: Item) -> bool:
        asked.append(item.id)
        return item.domain == "movie"

    view = CardsView(films_only)
    qtbot.addWidget(view)
    view.show_recommendations([rec(track(tmp_path)), rec(FARGO)], {})
    song, film = view.cards()
    assert asked == ["music:song", "movie:fargo"]  # the view asks; it has no rule of its own
    assert song.preview is None and film.preview is not None
    assert film.preview.accessibleName() == "Preview Fargo"


def test_the_windows_cards_ask_the_engines_track_preview(qtbot: QtBot, window: MainWindow, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    controller = window.controller
    assert controller.engine is not None
    here, gone = track(tmp_path, "here"), track(tmp_path, "gone", with_file=False)
    assert [controller.can_preview(item) for item in (here, gone, FARGO)] == [True, False, False]
    monkeypatch.setattr(controller.engine.preview, "can_play", lambda item: item.domain == "movie")
    window.cards.show_recommendations([rec(here), rec(FARGO)], {})
    assert [card.preview is not None for card in window.cards.cards()] == [False, True]


def test_every_control_has_an_accessible_name(qtbot: QtBot, tmp_path: Path) -> None:
    view = view_with(qtbot, [rec(track(tmp_path)), rec(FARGO)])
    for card in view.cards():
        for control in card._controls():
            assert control.accessibleName(), control


def test_cards_wrap_to_the_width(qtbot: QtBot) -> None:
    recs = [rec(FARGO), rec(HEAT), rec(GRINDER)]
    wide = view_with(qtbot, recs, width=2000)
    a, b, _ = wide.cards()
    assert a.y() == b.y() and b.x() > a.x()  # side by side
    narrow = view_with(qtbot, recs, width=420)
    a, b, _ = narrow.cards()
    assert b.y() > a.y() and a.x() == b.x()  # one column


def _same(a: QImage, b: QImage) -> bool:
    return a.size() == b.size() and a.convertToFormat(QImage.Format.Format_ARGB32) == \
        b.convertToFormat(QImage.Format.Format_ARGB32)


def test_placeholder_artwork_is_the_same_for_an_id_and_differs_between_ids(qtbot: QtBot) -> None:
    again = Item("movie:fargo", "movie", "Fargo")
    assert _same(placeholder(FARGO, 96).toImage(), placeholder(again, 96).toImage())
    centre = QPoint(10, 48)  # off the initials, on the tile's colour
    assert placeholder(FARGO, 96).toImage().pixelColor(centre) != placeholder(HEAT, 96).toImage().pixelColor(centre)
    assert _same(artwork_for(FARGO, 96).toImage(), placeholder(FARGO, 96).toImage())  # no image: the placeholder


def test_a_cover_next_to_the_track_is_used_and_a_corrupt_one_falls_back(qtbot: QtBot, tmp_path: Path) -> None:
    good = track(tmp_path, "good")
    cover = QImage(64, 64, QImage.Format.Format_RGB32)
    cover.fill(QColor(10, 200, 30))
    assert cover.save(str(Path(good.source).parent / "cover.jpg"))
    art = artwork_for(good, 48).toImage()
    assert _close(art.pixelColor(24, 24), QColor(10, 200, 30))
    bad = track(tmp_path, "bad")
    (Path(bad.source).parent / "cover.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is not a jpeg at all")
    assert _same(artwork_for(bad, 48).toImage(), placeholder(bad, 48).toImage())
    attr = Item("product:lamp", "product", "Lamp", attributes={"image": str(tmp_path / "nope.png")})
    assert _same(artwork_for(attr, 48).toImage(), placeholder(attr, 48).toImage())


def test_a_real_recommendation_from_the_engine_fills_a_card(qtbot: QtBot, engine: Engine) -> None:
    engine.store.rate(ME, "movie:fargo", stars=5.0)
    engine.store.rate(ME, "movie:heat", stars=5.0)
    recs = engine.recommendations.recommend(RecommendRequest(user=ME, k=3))
    assert recs
    view = view_with(qtbot, recs)
    assert [c.title.text() for c in view.cards()] == [r.item.title for r in recs]
    for card, one in zip(view.cards(), recs, strict=True):
        if one.predicted_stars is not None:
            assert f"~{one.predicted_stars:.1f}★ predicted" in texts(card)


def dark_palette() -> QPalette:
    """A dark palette like the app's dark theme."""
    palette = QPalette()
    roles = {QPalette.ColorRole.Window: QColor(32, 33, 36), QPalette.ColorRole.WindowText: QColor(232, 234, 237),
             QPalette.ColorRole.Base: QColor(41, 42, 46), QPalette.ColorRole.AlternateBase: QColor(48, 49, 54),
             QPalette.ColorRole.Text: QColor(232, 234, 237), QPalette.ColorRole.Button: QColor(52, 53, 58),
             QPalette.ColorRole.ButtonText: QColor(232, 234, 237), QPalette.ColorRole.Mid: QColor(90, 92, 98),
             QPalette.ColorRole.Highlight: QColor(138, 180, 248),
             QPalette.ColorRole.HighlightedText: QColor(32, 33, 36),
             QPalette.ColorRole.PlaceholderText: QColor(154, 160, 166)}
    for role, colour in roles.items():
        palette.setColor(role, colour)
    return palette


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_screenshot_of_three_cards_and_the_panel(qtbot: QtBot, tmp_path: Path, theme: str) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    old = app.palette()
    if theme == "dark":
        app.setPalette(dark_palette())
    try:
        song = track(tmp_path)
        music = rec(song, stars=4.6, reasons=("sounds like Liked Song, which you rated 5★",),
                    breakdown=ScoreBreakdown(parts=(ScorePart("audio", 0.87, 0.5), ScorePart("content", 0.6, 0.3),
                                                    ScorePart("popularity", 0.2, 0.2)), sound=sound_match()))
        recs = [rec(FARGO, reasons=("people with your taste liked it; close to Se7en, which you rated 5★",)),
                music, rec(GRINDER, stars=None, reasons=("matches what you asked for",))]
        window = QWidget()
        window.setObjectName("screenshotWindow")
        qtbot.addWidget(window)
        layout = QHBoxLayout(window)
        cards, panel = CardsView(TrackPreview.can_play, window), ExplanationPanel(window)
        layout.addWidget(cards, 3)
        layout.addWidget(panel, 2)
        cards.selected.connect(lambda r: panel.show_recommendation(r, "Fargo is a dark, funny crime story."))
        cards.show_recommendations(recs, {"movie:fargo": 5.0})
        window.resize(1280, 760)
        window.show()
        qtbot.waitExposed(window)
        shown = 0 if theme == "light" else 1  # the dark shot shows a track's sound next to a liked one
        cards.select(shown)
        assert panel.recommendation() == recs[shown]
        qtbot.wait(50)  # let the layouts settle as they would before the next paint
        shot = tmp_path / f"cards-{theme}.png"
        assert window.grab().save(str(shot))
        assert shot.stat().st_size > 10_000
    finally:
        app.setPalette(old)


def test_cards_shown_in_steps_arrive_in_order_and_a_newer_answer_replaces_them(qtbot: QtBot) -> None:
    # A turn's cards are built a few per pass of the event loop, so the window keeps painting between them.
    from app.ui.cards import CARDS_PER_PASS

    films = [Item(f"movie:film-{i}", "movie", f"Film {i}", year=1990 + i) for i in range(CARDS_PER_PASS * 2 + 1)]
    view = view_with(qtbot, [])
    done: list[str] = []
    view.show_recommendations_in_steps([rec(f) for f in films], {}, then=lambda: done.append("old"))
    assert len(view.cards()) == CARDS_PER_PASS  # the first few at once, the rest in later passes
    view.show_recommendations_in_steps([rec(HEAT), rec(FARGO)], {"movie:heat": 4.0}, then=lambda: done.append("new"))
    qtbot.waitUntil(lambda: done == ["new"], timeout=5000)
    qtbot.wait(50)  # the older answer's remaining steps never come back
    assert [c.recommendation.item.title for c in view.cards()] == ["Heat", "Fargo"]
    assert done == ["new"]
    view.show_recommendations_in_steps([rec(f) for f in films], {}, then=lambda: done.append("all"))
    qtbot.waitUntil(lambda: done[-1] == "all", timeout=5000)
    assert [c.recommendation.item.title for c in view.cards()] == [f.title for f in films]
    assert [c.index for c in view.cards()] == list(range(len(films)))


def test_a_products_card_shows_its_price_beside_its_category_and_says_it(qtbot: QtBot) -> None:
    view = view_with(qtbot, [rec(KETTLE), rec(FARGO), rec(GRINDER, stars=None)])
    kettle, fargo, grinder = view.cards()
    assert "65.00" in texts(kettle)
    assert kettle.price.isVisibleTo(kettle) and kettle.price.accessibleName() == "Price: 65.00"
    assert kettle.accessibleName() == "Card 1: Gooseneck Kettle (2024), price 65.00, predicted 4.2 stars"
    assert "Price 65.00" in kettle.accessibleDescription()
    # on the category's line, right after the chips
    chips, price = kettle.chips.geometry(), kettle.price.geometry()
    assert chips.top() < price.center().y() < chips.bottom()
    assert 0 <= price.left() - chips.right() <= 3 * kettle.fontMetrics().averageCharWidth()
    for card in (fargo, grinder):  # a film, and a product without a price: no price, no empty label
        assert not card.price.isVisibleTo(card) and "price" not in card.accessibleName()
        assert "Price" not in card.accessibleDescription()


def test_a_narrow_card_keeps_the_whole_price_and_drops_tags_instead(qtbot: QtBot) -> None:
    tagged = Item("product:tent", "product", "Two-Person Tent", genres=("outdoor & camping", "backpacking",
                                                                       "ultralight", "waterproof"),
                  attributes={"price": "1249.90"})
    card = view_with(qtbot, [rec(tagged)], width=420).cards()[0]
    assert card.chips.width() < card.chips.sizeHint().width()  # not every tag fits
    assert card.price.width() >= card.price.fontMetrics().horizontalAdvance("1249.90")
    assert card.rect().contains(card.price.geometry())


def _share(card: RecommendationCard, part: QWidget, colour: QColor) -> float:
    """The share of the pixels of part, as painted on its card, that are close to colour."""
    image = card.grab().toImage()
    ratio = card.devicePixelRatioF()
    area = part.geometry()
    points = [(math.floor(x * ratio), math.floor(y * ratio))
              for x in range(area.left(), area.right() + 1) for y in range(area.top(), area.bottom() + 1)]
    return sum(_close(image.pixelColor(x, y), colour, 60) for x, y in points) / len(points)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_price_reads_in_both_themes_and_at_twice_the_text_size(qtbot: QtBot, themed: QApplication,
                                                                  theme: str) -> None:
    apply_theme(themed, theme)
    normal = view_with(qtbot, [rec(KETTLE)], width=600).cards()[0]
    font = QFont(themed.font())
    font.setPointSizeF(font.pointSizeF() * 2)
    themed.setFont(font)
    view = view_with(qtbot, [rec(KETTLE)], width=1100)
    qtbot.wait(20)
    card = view.cards()[0]
    label = card.price
    assert label.font().pointSizeF() >= 1.9 * normal.price.font().pointSizeF()  # it grew with the text
    # whole, on the card, and tall enough for its text
    assert label.isVisible() and card.rect().contains(label.geometry())
    assert label.width() >= label.fontMetrics().horizontalAdvance("65.00")
    assert label.height() >= label.fontMetrics().height()
    # drawn in the theme's text colour, which stands out from the card's fill
    text, fill = label.palette().color(QPalette.ColorRole.Text), card.palette().color(QPalette.ColorRole.Base)
    assert abs(text.lightness() - fill.lightness()) > 150
    assert label.palette().color(label.foregroundRole()) == text
    # the digits really are painted in it on the card's fill: some ink, mostly background
    assert _share(card, label, text) > 0.03 and _share(card, label, fill) > 0.4
