"""The main window: Discover (conversation, cards, explanation), Lists and Library, with one notice banner."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QPlainTextEdit,
    QProgressBar,
    QSplitter,
    QTabWidget,
    QTextEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.browse import Browse
from app.ui.cards import CardsView
from app.ui.controller import SessionController
from app.ui.conversation_view import ConversationView
from app.ui.explain import ExplanationPanel
from app.ui.jobs import Jobs
from app.ui.notices import NoticeBanner
from app.ui.talk_bar import TalkBar

if TYPE_CHECKING:
    from app.bootstrap import Engine
    from app.domain.items import Rating
    from app.domain.recommendation import Recommendation
    from app.services.conversation import TurnResult
    from app.ui.library_page import LibraryPage
    from app.ui.lists_page import ListsPage

# widgets where Space means something of their own (typing, clicking, choosing): holding it there does not talk
_SPACE_USERS = (QLineEdit, QTextEdit, QPlainTextEdit, QAbstractItemView, QComboBox, QAbstractSpinBox, QAbstractButton)
NEW_LIST = "New list\u2026"
_KEY_PRESS, _KEY_RELEASE = QEvent.Type.KeyPress, QEvent.Type.KeyRelease  # compared by identity: enum members


class MainWindow(QMainWindow):
    """Composes the pages around one SessionController; holds no engine logic of its own."""

    def __init__(self, controller: SessionController, jobs: Jobs, *, log_file: str = "",
                 open_settings: Callable[[], None] | None = None) -> None:
        super().__init__()
        self.controller = controller
        self.jobs = jobs
        self._open_settings = open_settings
        self._space_down = False
        self.setWindowTitle("Chat-Rec")
        self.setObjectName("mainWindow")
        self.resize(1280, 820)
        self.banner = NoticeBanner(log_file=log_file)
        self.conversation = ConversationView()
        self.talk = TalkBar()
        self.cards = CardsView(controller.can_preview)
        self.explanation = ExplanationPanel()
        self.lists_page: ListsPage | None = None
        self._early_cards: tuple[str, ...] = ()  # ids of the cards a running turn showed before its reply
        self._select_first = True  # whether the cards being built end with the first one selected
        self._cards_result: TurnResult | None = None  # the turn whose cards are on screen (their model sentences)
        self._hands_free_pending = False  # the saved hands-free setting waits for the warm-up to end
        self.library_page: LibraryPage | None = None
        self.tabs = QTabWidget()
        self.tabs.setObjectName("pages")
        self.tabs.setDocumentMode(True)
        self.discover = self._discover_page()
        self.tabs.addTab(self.discover, "Discover")
        self.tabs.setAccessibleName("Pages")
        self._add_lazy_pages()
        self.progress_label = QLabel()
        self.progress_bar = QProgressBar()
        self.progress_bar.setAccessibleName("Loading progress")
        self.progress_bar.setMaximumWidth(self.fontMetrics().horizontalAdvance("M") * 16)
        self.statusBar().addPermanentWidget(self.progress_label)
        self.statusBar().addPermanentWidget(self.progress_bar)
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(12, 8, 12, 0)
        column.addLayout(self._header())
        column.addWidget(self.banner)
        column.addWidget(self.tabs, 1)
        self.setCentralWidget(central)
        self._wire()
        self._shortcuts()
        self._set_ready(False)
        _application().installEventFilter(self)  # hold Space to talk from anywhere sensible
        self.talk.talk_button.setFocus()

    # -- layout --------------------------------------------------------------------------------

    def _header(self) -> QHBoxLayout:
        title = QLabel("Chat-Rec")
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        title.setFont(font)
        title.setAccessibleName("Chat-Rec")
        settings = QToolButton()
        settings.setText("\u2699  Settings")
        settings.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        settings.setAccessibleName("Settings")
        settings.setToolTip("Settings (Ctrl+,)")
        settings.clicked.connect(self.open_settings)
        row = QHBoxLayout()
        row.addWidget(title)
        row.addStretch(1)
        row.addWidget(settings)
        return row

    def _discover_page(self) -> QWidget:
        left = QWidget()
        left_column = QVBoxLayout(left)
        left_column.setContentsMargins(0, 0, 0, 0)
        left_column.addWidget(self.conversation, 1)
        left_column.addWidget(self.talk)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setObjectName("discoverSplitter")
        splitter.setChildrenCollapsible(False)
        for widget, stretch in ((left, 3), (self.cards, 4), (self.explanation, 3)):
            splitter.addWidget(widget)
            splitter.setStretchFactor(splitter.indexOf(widget), stretch)
        splitter.setSizes([380, 520, 380])
        return splitter

    def _add_lazy_pages(self) -> None:
        from app.ui.library_page import LibraryPage
        from app.ui.lists_page import ListsPage

        self.lists_page = ListsPage(self.jobs)
        self.library_page = LibraryPage(self.jobs)
        self.tabs.addTab(self.lists_page, "Lists")
        self.tabs.addTab(self.library_page, "Library")
        for page in (self.lists_page, self.library_page):
            page.notice.connect(self.banner.show_notice)
            page.failed.connect(self.banner.show_error)

    def _wire(self) -> None:
        c = self.controller
        c.engine_ready.connect(self._engine_ready)
        c.engine_failed.connect(self._engine_failed)
        c.progress.connect(self._show_progress)
        c.turn_started.connect(self._turn_started)
        c.heard.connect(self.conversation.heard)
        c.turn_finished.connect(self._turn_finished)
        c.cards_ready.connect(self._cards_ready)
        c.reply_text.connect(self.conversation.stream_assistant)
        c.voice_state.connect(self.talk.show_state)
        c.voice_level.connect(self.talk.show_level)
        c.rated.connect(self._rated)
        c.previewing.connect(lambda item_id: self.cards.set_previewing(item_id or None))
        c.notice.connect(self.banner.show_notice)
        c.failed.connect(self._failed)
        self.jobs.failed.connect(lambda name, exc: self.banner.show_error(exc))
        self.talk.asked.connect(c.ask)
        self.talk.talk_pressed.connect(c.start_listening)
        self.talk.talk_released.connect(c.stop_listening)
        self.talk.stop_clicked.connect(c.stop)
        self.talk.hands_free_toggled.connect(self._hands_free_clicked)
        c.hands_free_changed.connect(self.talk.set_hands_free)
        c.warmed_up.connect(self.apply_hands_free_setting)  # whether voice works is known from here
        c.barged_in.connect(self.conversation.cut_short)  # the user's voice stopped the reply mid-sentence
        self.cards.selected.connect(self._card_selected)
        self.cards.rated.connect(lambda item_id, stars: c.rate(item_id, stars=stars))
        self.cards.thumbed.connect(lambda item_id, thumb: c.rate(item_id, thumb=thumb))
        self.cards.add_to_list_requested.connect(self.add_to_list)
        self.cards.preview_requested.connect(c.preview)
        if self.library_page is not None:
            self.library_page.library_changed.connect(self._library_changed)
            self.library_page.care.care_requested.connect(c.look_after)
        c.engine_closed.connect(self._engine_closed)

    def _shortcuts(self) -> None:
        for keys, action, name in (("Ctrl+1", lambda: self.tabs.setCurrentIndex(0), "Show Discover"),
                                   ("Ctrl+2", lambda: self.tabs.setCurrentIndex(1), "Show Lists"),
                                   ("Ctrl+3", lambda: self.tabs.setCurrentIndex(2), "Show Library"),
                                   ("Ctrl+,", self.open_settings, "Open settings"),
                                   ("Ctrl+Q", self.close, "Quit")):
            shortcut = QAction(name, self)
            shortcut.setShortcut(QKeySequence(keys))
            shortcut.triggered.connect(action)
            self.addAction(shortcut)

    # -- reacting to the controller ------------------------------------------------------------

    def _engine_ready(self, engine: Engine) -> None:
        for page in (self.lists_page, self.library_page):
            if page is not None:
                page.set_engine(engine)
                page.setEnabled(True)
        self._set_ready(True)
        # Not yet: whether voice works is known only when the warm-up has loaded the speech models
        self._hands_free_pending = True
        counts = engine.store.domain_counts()
        if not sum(counts.values()):
            self.banner.show_notice("Your library is empty: open Library (Ctrl+3) to add music folders, "
                                    "MovieLens or the demo catalogue.")

    def _engine_closed(self) -> None:
        """The library is closed for a restore or a repair: nothing may ask it anything until it reopens."""
        self._set_ready(False)
        for page in (self.lists_page, self.library_page):
            if page is not None:
                page.setEnabled(False)  # its engine is closed: no import or list edit may start meanwhile
        if self.library_page is not None:
            self.library_page.care.set_engine(None)

    def _engine_failed(self, exc: BaseException) -> None:
        from app.domain.errors import DatabaseDamagedError, EmptyDatabaseError

        self.banner.show_error(exc)
        if self.library_page is not None and isinstance(exc, (DatabaseDamagedError, EmptyDatabaseError)):
            # the library cannot open: the Safety box is the way back (a restore, or a repair)
            self.library_page.setEnabled(True)
            from app.bootstrap import configured

            _settings, paths = configured(self.controller.paths)  # with the data folder the settings name
            self.library_page.care.offer_rescue(paths, damaged=isinstance(exc, DatabaseDamagedError))
        self.progress_label.setText("Could not open your library")
        self.progress_bar.hide()

    def _set_ready(self, ready: bool) -> None:
        self.talk.ask_box.setEnabled(ready)
        self.talk.send_button.setEnabled(ready)
        self.talk.set_voice_available(ready and self.controller.voice_available,
                                      "Opening your library\u2026" if not ready else
                                      "Voice is off: see the notice above; you can still type")

    def _show_progress(self, label: str, done: int, total: int, message: str) -> None:
        finished = total > 0 and done >= total
        self.progress_bar.setVisible(not finished)
        self.progress_bar.setRange(0, total if total > 0 else 0)  # 0..0: a busy indicator
        if total > 0:
            self.progress_bar.setValue(done)
        self.progress_label.setText("" if finished else f"{label}: {message}")
        if finished:
            self.talk.set_voice_available(self.controller.voice_available,
                                          "Voice is off; you can still type")

    def apply_hands_free_setting(self) -> None:
        """Switch hands-free on as the saved settings ask, once the engine is open and voice works."""
        engine = self.controller.engine
        if engine is None or not self._hands_free_pending or not self.controller.voice_available:
            return
        self._hands_free_pending = False  # once per opening: the user's own click wins after that
        if engine.settings.hands_free != self.controller.hands_free:
            self.controller.set_hands_free(engine.settings.hands_free)

    def _hands_free_clicked(self, on: bool) -> None:
        self.controller.set_hands_free(on)
        # The button shows what the controller says, not what was clicked: a refusal (no engine yet) leaves it off
        self.talk.set_hands_free(self.controller.hands_free)

    def _turn_started(self, text: str) -> None:
        if text:
            self.conversation.add_user(text)
            self.talk.show_state("thinking")
        else:
            self.conversation.begin_spoken()

    def _cards_ready(self, cards: tuple[Recommendation, ...]) -> None:
        """The turn's cards, shown while its reply is still being written."""
        self._early_cards = tuple(r.item.id for r in cards)
        self._show_cards(cards)

    def _show_cards(self, cards: tuple[Recommendation, ...], *, select_first: bool = True) -> None:
        # The cards a few at a time, then the explanation of the first, each in its own pass of the event
        # loop: built in one go with their first paint they held the GUI thread for up to 106 ms (bench_ui).
        self._select_first = select_first
        if not select_first:
            self.explanation.show_recommendation(None)  # nothing is selected, so nothing is explained
        self.cards.show_recommendations_in_steps(cards, self.controller.ratings(), then=self._select_first_card)

    def _select_first_card(self) -> None:
        if self._select_first:  # a "next" that arrived meanwhile shows its cards with none selected
            self.cards.select(0)

    def _turn_finished(self, result: TurnResult) -> None:
        self.talk.show_state("idle")
        self.conversation.finish_assistant(result.reply)
        for note in result.fallbacks:
            self.banner.show_notice(note)
        shown_early, self._early_cards = self._early_cards, ()
        if result.browse is not None:
            # A browsing command moves the window as a click would; the ordinary card handling below would
            # replace the grid with the one card an explain, rate or add-to-list command is about.
            self._browse(result.browse, result, shown_early)
        elif result.items and result.intent.action in ("recommend", "refine"):
            self._cards_result = result
            if shown_early != tuple(r.item.id for r in result.items):
                self._show_cards(result.items)
        elif result.items and result.intent.action == "explain":
            self._explain(result.items[0])
        if result.intent.action in ("add_to_list", "export") and self.lists_page is not None:
            self.lists_page.refresh()

    def _browse(self, browse: Browse, result: TurnResult, shown_early: tuple[str, ...]) -> None:
        """Move the selection, the cards or the page as the command says (preview and stop are the controller's)."""
        if browse.kind == "open":
            self.show_page(browse.page)
        elif browse.kind in ("more", "back"):
            if browse.page:
                self.show_page(browse.page)  # "go back" from Lists or Library: to Discover
            if result.items:
                self.show_page("discover")  # the user asked about the cards: let them see the new ones
                self._cards_result = result
                self._select_first = False
                if shown_early != tuple(r.item.id for r in result.items):
                    self._show_cards(result.items, select_first=False)
                else:  # the grid was built early, perhaps with the first card already selected
                    self.cards.clear_selection()
                    self.explanation.show_recommendation(None)
        elif browse.kind in ("select", "read") and browse.item_id:
            self.show_page("discover")
            chosen = next((r for r in result.items if r.item.id == browse.item_id), None)
            if chosen is not None:
                self._explain(chosen)  # a title named but not on the cards: explained, the grid left as is
            else:
                self._select_card(browse.item_id)

    def _explain(self, rec: Recommendation) -> None:
        """Explain rec without touching the grid: selected when it is on a card, else shown on its own."""
        if not self._select_card(rec.item.id):
            self._card_selected(rec)

    def _select_card(self, item_id: str) -> bool:
        """Select item_id's card and explain it, as clicking it does; False when no card shows it."""
        if not self.cards.select_item(item_id):
            return False
        rec = self.cards.selected_recommendation()
        # Selecting the card already selected emits nothing, but the panel may be explaining another title
        if rec is not None and self.explanation.recommendation() is not rec:
            self._card_selected(rec)
        return True

    def show_page(self, page: str) -> None:
        """Bring a page forward by name: discover, lists or library (as Ctrl+1-3 do); others are ignored."""
        widget = {"discover": self.discover, "lists": self.lists_page, "library": self.library_page}.get(page)
        if widget is not None:
            self.tabs.setCurrentWidget(widget)

    def current_page(self) -> str:
        """The name of the page in front: discover, lists or library."""
        for name, widget in (("lists", self.lists_page), ("library", self.library_page)):
            if widget is not None and self.tabs.currentWidget() is widget:
                return name
        return "discover"

    def _card_selected(self, rec: Recommendation) -> None:
        self.explanation.show_recommendation(rec, self._model_sentence(rec))

    def _model_sentence(self, rec: Recommendation) -> str:
        # The card's line in the latest turn that showed it: after "why the second one?" the latest turn has no
        # card lines, and the sentence the model wrote for that card is on its line in the cards' own turn
        for result in (self.controller.last_result, self._cards_result):
            sentence = result.answer.model_sentence_of(rec.item.id) if result is not None else None
            if sentence is not None:
                return sentence
        return ""

    def _rated(self, rating: Rating) -> None:
        if rating.stars is not None:
            self.cards.set_rating(rating.item_id, rating.stars)
        else:
            self.cards.set_thumb(rating.item_id, rating.thumb)
        title = self._title_of(rating.item_id)
        how = f"{rating.stars:g}\u2605" if rating.stars is not None else ("thumbs up" if rating.thumb == 1
                                                                          else "thumbs down")
        self.banner.show_notice(f"Rated {title} {how}. Your next answer takes it into account.")
        if self.lists_page is not None:
            self.lists_page.refresh()

    def _library_changed(self) -> None:
        if self.lists_page is not None:
            self.lists_page.refresh()

    def _failed(self, exc: BaseException) -> None:
        self.talk.show_state("idle")
        self.conversation.heard("")  # a spoken turn that failed leaves no empty bubble
        self.banner.show_error(exc)

    def _title_of(self, item_id: str) -> str:
        for card in self.cards.cards():
            if card.recommendation.item.id == item_id:
                return card.recommendation.item.title
        return item_id

    # -- actions -------------------------------------------------------------------------------

    def add_to_list(self, item_id: str) -> None:
        """Offer the user's lists (and a new one) for a card; the Lists page does the adding."""
        engine = self.controller.engine
        if engine is None or self.lists_page is None:
            return
        menu = QMenu(self)
        menu.setAccessibleName("Add to list")
        for playlist in engine.lists.all():
            menu.addAction(playlist.name)
        menu.addSeparator()
        menu.addAction(NEW_LIST)
        chosen = self._choose_from(menu)
        if chosen is None:
            return
        name = chosen
        if chosen == NEW_LIST:
            name = self._ask_list_name()
            if not name:
                return
        self.lists_page.add_items(name, [item_id])

    def _choose_from(self, menu: QMenu) -> str | None:
        """The menu's chosen entry (tests replace this)."""
        picked = menu.exec(self.cursor().pos())
        return picked.text() if picked is not None else None

    def _ask_list_name(self) -> str:
        """A new list's name (tests replace this)."""
        name, ok = QInputDialog.getText(self, "New list", "Name of the new list:")
        return name.strip() if ok else ""

    def open_settings(self) -> None:
        """Open the settings dialog (the app wires it: it needs the settings and paths)."""
        if self._open_settings is not None:
            self._open_settings()

    # -- hold Space to talk --------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Space held down talks, unless the focused control uses Space itself (typing, buttons, lists)."""
        # Every event of every widget passes through here (thousands while a turn's cards are built):
        # anything but a key is let through at once. The class test comes first because event.type()
        # builds a Python enum member each call, which cost more than the rest of this filter.
        if not isinstance(event, QKeyEvent):
            return False
        kind = event.type()
        if kind is not _KEY_PRESS and kind is not _KEY_RELEASE:
            return False
        if event.key() == Qt.Key.Key_Space and self.isActiveWindow() and self._space_talks():
            if event.isAutoRepeat():
                return True
            if kind == QEvent.Type.KeyPress and not self._space_down:
                self._space_down = True
                self.controller.start_listening()
            elif kind == QEvent.Type.KeyRelease and self._space_down:
                self._space_down = False
                self.controller.stop_listening()
            return True
        return super().eventFilter(watched, event)

    def _space_talks(self) -> bool:
        focused = QApplication.focusWidget()
        if focused is self.talk.talk_button:
            return True  # the button handles Space itself as press and release, which we want anyway
        return self.tabs.currentIndex() == 0 and not isinstance(focused, _SPACE_USERS) \
            and self.talk.talk_button.isEnabled()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Stop jobs and close the engine before the window goes."""
        _application().removeEventFilter(self)
        self.controller.close()
        super().closeEvent(event)


def _application() -> QApplication:
    app = QApplication.instance()
    assert isinstance(app, QApplication), "the window needs a QApplication"
    return app
