"""The Lists page: the user's named lists on the left, the chosen list's entries on the right.

Every change goes through the Lists service (SQLite is the source of truth) and the view is then
re-read from it, so after a refused change (a duplicate name) the screen shows what is stored.
List reads and writes are single small SQLite statements, fast enough for the GUI thread; the
export, which can be big, runs as a job.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractTableModel,
    QByteArray,
    QEvent,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QFont, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.domain.items import Rating
from app.domain.lists import Playlist
from app.services.lists import Added, ListEntry
from app.ui.export_dialog import ChooseFile, ExportDialog
from app.ui.jobs import Jobs
from app.ui.notices import confirm

if TYPE_CHECKING:  # only for annotations: the page gets a built engine, it never builds one
    from app.bootstrap import Engine

T = TypeVar("T")

ENTRY_MIME = "application/x-chatrec-list-position"
COLUMNS = ("#", "Title", "Creators", "Year", "Your rating")
RATING_COLUMN = 4
NO_LISTS = "No lists yet. Press New to start one, or use “Add to list” on any recommendation."
EMPTY_LIST = ("This list is empty. Add films, tracks or products with “Add to list” on a recommendation "
              "card; reorder them here by dragging or with Alt+Up and Alt+Down.")
NO_SELECTION = "Choose a list on the left to see its entries."
LOADING = "Opening your library…"
SAVES = "lists-save"  # the page's changes are saved one after another, in the order they were made
SLOW_SAVE_MS = 400  # a save still waiting after this long is explained (an import is writing)
STILL_SAVING = ("Saving your change: your library is busy writing an import, and the change follows as soon as "
                "that part is done.")


def stars_text(rating: Rating | None) -> str:
    """Stars as the list shows them: '★★★★☆', '★★★½☆', 'Thumb up', or '' when unrated."""
    if rating is None:
        return ""
    if rating.stars is None:
        return "Thumb up" if (rating.thumb or 0) > 0 else "Thumb down"
    halves = round(rating.stars * 2)
    full, half = divmod(halves, 2)
    return "★" * full + ("½" if half else "") + "☆" * (5 - full - half)


def stars_spoken(rating: Rating | None) -> str:
    """The rating in words for screen readers: '4 of 5 stars', 'not rated'."""
    if rating is None:
        return "not rated"
    if rating.stars is None:
        return stars_text(rating).lower()
    return f"{rating.stars:g} of 5 stars"


class EntriesModel(QAbstractTableModel):
    """A list's entries as table rows; drops and rating edits become requests the page carries out."""

    move_requested = Signal(int, int)  # from, to: 1-based positions
    rate_requested = Signal(str, object)  # item id, stars (int 1-5) or None to clear

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._entries: tuple[ListEntry, ...] = ()

    def set_entries(self, entries: Sequence[ListEntry]) -> None:
        """Show these entries (the list as the store has it now)."""
        self.beginResetModel()
        self._entries = tuple(entries)
        self.endResetModel()

    def entry(self, row: int) -> ListEntry:
        """The entry shown in this row."""
        return self._entries[row]

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        """Entries (a table has no children)."""
        return 0 if parent.isValid() else len(self._entries)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        """Position, title, creators, year, rating."""
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Column names."""
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Cell text, the rating's stars for the editor, and spoken text for screen readers."""
        if not index.isValid():
            return None
        entry = self._entries[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(entry, column)
        if role == Qt.ItemDataRole.EditRole and column == RATING_COLUMN:
            stars = entry.rating.stars if entry.rating else None
            return round(stars) if stars is not None else 0
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return stars_spoken(entry.rating) if column == RATING_COLUMN else self._text(entry, column)
        if role == Qt.ItemDataRole.ToolTipRole and column == RATING_COLUMN:
            return "Your rating: press 1-5 to rate, 0 to clear, or double-click to choose"
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (0, 3):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    @staticmethod
    def _text(entry: ListEntry, column: int) -> str:
        item = entry.item
        values = (str(entry.position), item.title, ", ".join(item.creators), str(item.year or ""),
                  stars_text(entry.rating))
        return values[column]

    def setData(self, index: QModelIndex | QPersistentModelIndex, value: Any,
                role: int = Qt.ItemDataRole.EditRole) -> bool:
        """A rating edit: asks the page to write it (the row updates when the store has it)."""
        if not index.isValid() or index.column() != RATING_COLUMN or role != Qt.ItemDataRole.EditRole:
            return False
        stars = int(value) if value else 0
        self.rate_requested.emit(self._entries[index.row()].item.id, stars if 1 <= stars <= 5 else None)
        return True

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        """Rows drag, the gaps between them take drops, the rating cell edits."""
        if not index.isValid():
            return Qt.ItemFlag.ItemIsDropEnabled
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled
        if index.column() == RATING_COLUMN:
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def supportedDropActions(self) -> Qt.DropAction:
        """Entries only move within the list."""
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:
        """The one type a dragged entry carries: its 1-based position."""
        return [ENTRY_MIME]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        """The dragged row's position."""
        data = QMimeData()
        rows = sorted({i.row() for i in indexes if i.isValid()})
        if rows:
            data.setData(ENTRY_MIME, QByteArray(str(rows[0] + 1).encode()))
        return data

    def canDropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int,
                        parent: QModelIndex | QPersistentModelIndex) -> bool:
        """Only our own entries, only as a move."""
        return action == Qt.DropAction.MoveAction and data.hasFormat(ENTRY_MIME)

    def dropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int,
                     parent: QModelIndex | QPersistentModelIndex) -> bool:
        """Turn a drop into a move request; the rows are then re-read from the store."""
        if not self.canDropMimeData(data, action, row, column, parent):
            return False
        try:
            source = int(bytes(data.data(ENTRY_MIME).data()).decode())
        except ValueError:
            return False
        # Dropped on a row: take its place; in a gap: before row; below the last row: at the end.
        gap = parent.row() if parent.isValid() else (row if row >= 0 else len(self._entries))
        target = gap + 1 if gap < source else gap  # positions shift up once the source leaves
        target = max(1, min(len(self._entries), target))
        if target != source:
            self.move_requested.emit(source, target)
        # False: the view must not remove the source row itself, the store re-read does it.
        return False


class StarDelegate(QStyledItemDelegate):
    """Edits the rating cell with a combo box a keyboard and a screen reader can use."""

    CHOICES = ("Not rated", "★☆☆☆☆  1 star", "★★☆☆☆  2 stars", "★★★☆☆  3 stars", "★★★★☆  4 stars",
               "★★★★★  5 stars")

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem,
                     index: QModelIndex | QPersistentModelIndex) -> QWidget:
        """A combo box of 'Not rated' and 1-5 stars."""
        box = QComboBox(parent)
        box.setAccessibleName("Your rating")
        box.addItems(list(self.CHOICES))
        # Commit as soon as a choice is made, so one click or keypress rates.
        box.activated.connect(lambda _=0: self.commitData.emit(box))
        return box

    def setEditorData(self, editor: QWidget, index: QModelIndex | QPersistentModelIndex) -> None:
        """Start at the current stars."""
        if isinstance(editor, QComboBox):
            editor.setCurrentIndex(int(index.data(Qt.ItemDataRole.EditRole) or 0))

    def setModelData(self, editor: QWidget, model: QAbstractItemModel,
                     index: QModelIndex | QPersistentModelIndex) -> None:
        """Write the chosen stars (0 clears)."""
        if isinstance(editor, QComboBox):
            model.setData(index, editor.currentIndex(), Qt.ItemDataRole.EditRole)


class ListsPage(QWidget):
    """Make, rename, delete, fill, reorder, rate and export the user's lists."""

    notice = Signal(str)
    failed = Signal(object)
    lists_changed = Signal()

    def __init__(self, jobs: Jobs, parent: QWidget | None = None, *, choose_file: ChooseFile | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("listsPage")
        self._jobs = jobs
        self._engine: Engine | None = None
        self._choose_file = choose_file
        self._current: str | None = None
        self._filling = False  # itemChanged fires while the list is being filled: not a rename
        self._saving = 0  # changes sent to the store and not yet written
        self.export_dialog: ExportDialog | None = None

        self.lists_view = QListWidget(self)
        self.lists_view.setObjectName("listsList")
        self.lists_view.setAccessibleName("Your lists")
        self.lists_view.setToolTip("F2 or double-click renames a list; Delete deletes it")
        self.lists_view.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                        | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.lists_view.currentItemChanged.connect(self._list_chosen)
        self.lists_view.itemChanged.connect(self._list_edited)
        self.no_lists_label = self._hint(NO_LISTS, "listsEmptyHint")
        self.lists_stack = QStackedWidget(self)
        self.lists_stack.addWidget(self.no_lists_label)
        self.lists_stack.addWidget(self.lists_view)

        self.new_button = self._button("New", "Make a new list", "Make a new, empty list (Ctrl+N)", self.new_list)
        self.rename_button = self._button("Rename", "Rename the list", "Rename the chosen list (F2)",
                                          self.start_rename)
        self.delete_list_button = self._button("Delete", "Delete the list", "Delete the chosen list (Delete)",
                                               self.delete_list)
        list_buttons = QHBoxLayout()
        for button in (self.new_button, self.rename_button, self.delete_list_button):
            list_buttons.addWidget(button)
        list_buttons.addStretch(1)

        left = QWidget(self)
        left.setObjectName("listsPane")
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.setSpacing(8)
        left_layout.addWidget(self._title("Lists"))
        left_layout.addWidget(self.lists_stack, 1)
        left_layout.addLayout(list_buttons)

        self.model = EntriesModel(self)
        self.model.move_requested.connect(self.move_entry)
        self.model.rate_requested.connect(self.rate_item)
        self.entries_view = QTableView(self)
        self.entries_view.setObjectName("listEntries")
        self.entries_view.setAccessibleName("Entries of the list")
        self.entries_view.setModel(self.model)
        self.entries_view.setItemDelegateForColumn(RATING_COLUMN, StarDelegate(self.entries_view))
        self.entries_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.entries_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.entries_view.setDragEnabled(True)
        self.entries_view.setAcceptDrops(True)
        self.entries_view.setDropIndicatorShown(True)
        self.entries_view.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.entries_view.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.entries_view.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                          | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.entries_view.setAlternatingRowColors(True)
        self.entries_view.verticalHeader().hide()
        header = self.entries_view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.entries_hint = self._hint(NO_SELECTION, "listEntriesHint")
        self.entries_stack = QStackedWidget(self)
        self.entries_stack.addWidget(self.entries_hint)
        self.entries_stack.addWidget(self.entries_view)

        self.list_title = self._title("")
        self.up_button = self._button("Move up", "Move the entry up", "Move the chosen entry up (Alt+Up)",
                                      lambda: self.move_selected(-1))
        self.down_button = self._button("Move down", "Move the entry down", "Move the chosen entry down (Alt+Down)",
                                        lambda: self.move_selected(1))
        self.remove_button = self._button("Remove", "Remove the entry from the list",
                                          "Remove the chosen entry from this list (Delete); the item stays "
                                          "in your library", self.remove_selected)
        self.export_button = self._button("Export…", "Export the list",
                                          "Write the list as a playlist or table (M3U8, XSPF, JSPF, CSV, JSON)",
                                          self.open_export_dialog)
        entry_buttons = QHBoxLayout()
        for button in (self.up_button, self.down_button, self.remove_button):
            entry_buttons.addWidget(button)
        entry_buttons.addStretch(1)
        entry_buttons.addWidget(self.export_button)

        right = QWidget(self)
        right.setObjectName("listDetailPane")
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.setSpacing(8)
        right_layout.addWidget(self.list_title)
        right_layout.addWidget(self.entries_stack, 1)
        right_layout.addLayout(entry_buttons)

        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 3)
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 16, 16, 16)
        layout.addWidget(splitter)

        new_shortcut = QShortcut(QKeySequence("Ctrl+N"), self)
        new_shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        new_shortcut.activated.connect(lambda: self.new_list())
        # Keys are read by an event filter, not QShortcut: a shortcut would also fire while a list
        # name or a rating is being edited in place (Delete in the name editor must delete a letter).
        self.lists_view.installEventFilter(self)
        self.entries_view.installEventFilter(self)
        self.entries_hint.setText(LOADING)
        self.lists_stack.setCurrentWidget(self.lists_view)
        self.setEnabled(False)  # until the engine is open
        self._update_buttons()

    # --- wiring ----------------------------------------------------------------------------------
    def set_engine(self, engine: Engine) -> None:
        """Use this engine's lists; the page becomes usable."""
        self._engine = engine
        self.setEnabled(True)
        self.refresh()

    def refresh(self) -> None:
        """Re-read every list and the chosen list's entries from the store."""
        if self._engine is None:
            return
        try:
            names = [p.name for p in self._engine.lists.all()]
        except Exception as exc:  # shown on the banner; the view keeps what it had
            self.failed.emit(exc)
            return
        keep = self._current if self._current in names else (names[0] if names else None)
        self._filling = True
        try:
            self.lists_view.clear()
            for name in names:
                item = QListWidgetItem(name)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
                item.setData(Qt.ItemDataRole.UserRole, name)
                self.lists_view.addItem(item)
            self._current = keep
            if keep is not None:
                self.lists_view.setCurrentRow(names.index(keep))
        finally:
            self._filling = False
        self.lists_stack.setCurrentWidget(self.lists_view if names else self.no_lists_label)
        self._show_entries()

    # --- what the page shows ---------------------------------------------------------------------
    def list_names(self) -> list[str]:
        """The list names shown, in order."""
        return [str(self.lists_view.item(i).data(Qt.ItemDataRole.UserRole)) for i in range(self.lists_view.count())]

    def current_list(self) -> str | None:
        """The chosen list's name."""
        return self._current

    def select_list(self, name: str) -> None:
        """Show this list's entries."""
        names = self.list_names()
        if name in names:
            self.lists_view.setCurrentRow(names.index(name))

    def entry_titles(self) -> list[str]:
        """The titles of the chosen list's entries, in order."""
        return [self.model.entry(r).item.title for r in range(self.model.rowCount())]

    def selected_position(self) -> int | None:
        """The 1-based position of the chosen entry."""
        index = self.entries_view.currentIndex()
        return index.row() + 1 if index.isValid() else None

    def select_position(self, position: int) -> None:
        """Choose the entry at this 1-based position."""
        if 1 <= position <= self.model.rowCount():
            self.entries_view.selectRow(position - 1)
            self.entries_view.setCurrentIndex(self.model.index(position - 1, 1))

    # --- list actions ----------------------------------------------------------------------------
    def new_list(self, name: str | None = None) -> None:
        """Make a list (named 'New list', 'New list 2'... unless given) and start renaming it in place."""
        engine = self._engine
        if engine is None:
            return

        def created(playlist: Playlist) -> None:
            self._current = playlist.name
            self._changed()
            if name is None:
                self.start_rename()

        self._write(lambda: engine.lists.create(name or None), created)

    def start_rename(self) -> None:
        """Edit the chosen list's name in place."""
        item = self.lists_view.currentItem()
        if item is not None:
            self.lists_view.setFocus()
            self.lists_view.editItem(item)

    def rename_list(self, name: str, new_name: str) -> None:
        """Rename a list; a refusal (a duplicate name, say) goes to `failed` and the old name comes back."""
        engine = self._engine
        if engine is None:
            return
        clean = new_name.strip()
        if clean == name:
            return

        def renamed(_playlist: object) -> None:
            if self._current == name:
                self._current = clean
            self._changed()
            self.notice.emit(f"Renamed “{name}” to “{clean}”.")

        self._write(lambda: engine.lists.rename(name, clean), renamed)

    def delete_list(self) -> None:
        """Delete the chosen list after a confirmation."""
        engine, name = self._engine, self._current
        if engine is None or name is None or not self._confirm_delete(name):
            return

        def deleted(_result: object) -> None:
            if self._current == name:
                self._current = None
            self.notice.emit(f"Deleted the list “{name}”.")
            self._changed()

        self._write(lambda: engine.lists.delete(name), deleted)

    def _confirm_delete(self, name: str) -> bool:
        """Ask before deleting a list; tests override this so nothing blocks."""
        return confirm(self, "Delete the list?", f"Delete the list “{name}”? The items stay in your library.")

    def add_items(self, list_name: str, item_ids: Sequence[str]) -> None:
        """Append items to a list, making the list first when it is new (a card's 'Add to list')."""
        engine = self._engine
        if engine is None:
            return

        def added(result: Added) -> None:
            count, already = len(result.added), len(result.already_there)
            noun = "entry" if count == 1 else "entries"
            text = f"Added {count} {noun} to “{result.playlist.name}”."
            if already:
                text += f" {already} {'was' if already == 1 else 'were'} there already."
            self.notice.emit(text)
            self._current = result.playlist.name
            self._changed()

        self._write(lambda: engine.lists.add(list_name, list(item_ids), create_missing=True), added)

    # --- entry actions ---------------------------------------------------------------------------
    def move_entry(self, from_position: int, to_position: int) -> None:
        """Move an entry to another position (drag and drop, Alt+Up/Down and the buttons end here)."""
        engine, name = self._engine, self._current
        if engine is None or name is None or self._still_saving():
            return

        def moved(_playlist: object) -> None:
            self._show_entries()
            self.select_position(to_position)

        self._write(lambda: engine.lists.move(name, from_position, to_position), moved)

    def move_selected(self, step: int) -> None:
        """Move the chosen entry up (-1) or down (+1)."""
        position = self.selected_position()
        if position is None:
            return
        target = position + step
        if 1 <= target <= self.model.rowCount():
            self.move_entry(position, target)

    def remove_selected(self) -> None:
        """Remove the chosen entry from the list (the item stays in the catalogue)."""
        engine, name, position = self._engine, self._current, self.selected_position()
        if engine is None or name is None or position is None or self._still_saving():
            return
        title = self.model.entry(position - 1).item.title

        def removed(_playlist: object) -> None:
            self.notice.emit(f"Removed “{title}” from “{name}”.")
            self._show_entries()
            self.select_position(min(position, self.model.rowCount()))
            self.lists_changed.emit()

        self._write(lambda: engine.lists.remove(name, position=position), removed)

    def rate_selected(self, stars: int | None) -> None:
        """Rate the chosen entry 1-5 stars, or clear its rating with None."""
        position = self.selected_position()
        if position is not None:
            self.rate_item(self.model.entry(position - 1).item.id, stars)

    def rate_item(self, item_id: str, stars: int | None) -> None:
        """Write the desk user's rating of an item (None clears it) and show it at once."""
        engine = self._engine
        if engine is None or self._still_saving():
            return
        position = self.selected_position()

        def rated(_result: object) -> None:
            self._show_entries()
            if position is not None:
                self.select_position(position)

        self._write(lambda: engine.ratings.set_stars(item_id, stars), rated)

    def open_export_dialog(self) -> ExportDialog | None:
        """Open the export dialog for the chosen list (non-blocking); returns it."""
        engine, name = self._engine, self._current
        if engine is None or name is None:
            return None
        if self.export_dialog is not None:
            self.export_dialog.close()
        dialog = ExportDialog(self._jobs, engine.lists, name, self, choose_file=self._choose_file,
                              folder=self._export_folder())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.notice.connect(self.notice)
        dialog.failed.connect(self.failed)
        dialog.destroyed.connect(lambda _=None: self._forget_dialog(dialog))
        self.export_dialog = dialog
        dialog.open()
        return dialog

    # --- internals -------------------------------------------------------------------------------
    def _forget_dialog(self, dialog: ExportDialog) -> None:
        if self.export_dialog is dialog:
            self.export_dialog = None

    @staticmethod
    def _export_folder() -> Path:
        music = Path.home() / "Music"  # where most players and media servers look first
        return music if music.is_dir() else Path.home()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Delete, Enter, Alt+Up/Down and 0-5 on the lists and entries (not while a name is being edited)."""
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return super().eventFilter(watched, event)
        key, mods = event.key(), event.modifiers()
        if watched is self.lists_view and self.lists_view.state() != QAbstractItemView.State.EditingState:
            if key == Qt.Key.Key_Delete:
                self.delete_list()
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.model.rowCount():
                # Enter opens the chosen list: the keyboard goes on to its entries.
                self.entries_view.setFocus()
                if self.selected_position() is None:
                    self.select_position(1)
                return True
        elif watched is self.entries_view and self.entries_view.state() != QAbstractItemView.State.EditingState:
            alt = mods & Qt.KeyboardModifier.AltModifier
            if key == Qt.Key.Key_Delete:
                self.remove_selected()
                return True
            if alt and key in (Qt.Key.Key_Up, Qt.Key.Key_Down):
                self.move_selected(-1 if key == Qt.Key.Key_Up else 1)
                return True
            if not alt and Qt.Key.Key_0 <= key <= Qt.Key.Key_5:
                self.rate_selected(int(key - Qt.Key.Key_0) or None)
                return True
        return super().eventFilter(watched, event)

    def saving(self) -> bool:
        """True while a change made here is still being written to the library."""
        return self._saving > 0

    def _write(self, change: Callable[[], T], then: Callable[[T], None]) -> None:
        """Save a change off the GUI thread, after the ones before it; then show it (or the refusal).

        The store may be busy with an import's transaction for seconds: the window must not wait.
        """
        self._saving += 1
        self._update_buttons()
        QTimer.singleShot(SLOW_SAVE_MS, self._explain_slow_save)

        def done(result: T) -> None:
            self._saving -= 1
            then(result)
            self._update_buttons()

        def refused(exc: BaseException) -> None:
            self._saving -= 1
            self.failed.emit(exc)  # every refusal reaches the banner; ChatRecError messages are for users
            self.refresh()  # so the view shows what the store has

        self._jobs.queue(SAVES, lambda ctx: change(), on_done=done, on_error=refused)

    def _still_saving(self) -> bool:
        """True (and says so) while earlier changes wait: edits by position need the saved order."""
        if self._saving:
            self.notice.emit(STILL_SAVING)
        return bool(self._saving)

    def _explain_slow_save(self) -> None:
        self._still_saving()

    def _changed(self) -> None:
        self.refresh()
        self.lists_changed.emit()

    def _list_chosen(self, current: QListWidgetItem | None, previous: QListWidgetItem | None) -> None:
        if self._filling:
            return
        self._current = str(current.data(Qt.ItemDataRole.UserRole)) if current is not None else None
        self._show_entries()

    def _list_edited(self, item: QListWidgetItem) -> None:
        if self._filling:
            return
        old, new = str(item.data(Qt.ItemDataRole.UserRole)), item.text()
        if new.strip() != old:
            self.rename_list(old, new)
        else:
            self.refresh()

    def _show_entries(self) -> None:
        engine, name = self._engine, self._current
        entries: tuple[ListEntry, ...] = ()
        if engine is not None and name is not None:
            try:
                entries = engine.lists.show(name).entries
            except Exception as exc:  # e.g. the list was deleted elsewhere
                self.failed.emit(exc)
                name = self._current = None
        self.model.set_entries(entries)
        count = f" · {len(entries)} {'entry' if len(entries) == 1 else 'entries'}" if name is not None else ""
        self.list_title.setText((name or "") + count)
        if name is None:
            self.entries_hint.setText(NO_SELECTION if engine is not None else LOADING)
        elif not entries:
            self.entries_hint.setText(EMPTY_LIST)
        self.entries_stack.setCurrentWidget(self.entries_view if entries else self.entries_hint)
        self._update_buttons()

    def _update_buttons(self) -> None:
        chosen = self._current is not None
        has_entries = self.model.rowCount() > 0
        self.rename_button.setEnabled(chosen)
        self.delete_list_button.setEnabled(chosen)
        self.export_button.setEnabled(chosen)
        for button in (self.up_button, self.down_button, self.remove_button):
            button.setEnabled(has_entries and not self._saving)

    def _button(self, text: str, name: str, tip: str, slot: Any) -> QPushButton:
        button = QPushButton(text, self)
        button.setAccessibleName(name)
        button.setToolTip(tip)
        button.clicked.connect(lambda _=False: slot())
        return button

    def _title(self, text: str) -> QLabel:
        label = QLabel(text, self)
        font = QFont(label.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.2)
        label.setFont(font)
        return label

    def _hint(self, text: str, name: str) -> QLabel:
        label = QLabel(text, self)
        label.setObjectName(name)
        label.setWordWrap(True)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setAccessibleName(text)
        return label
