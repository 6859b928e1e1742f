"""The user-facing error tree: every message says what was wrong and where."""

from __future__ import annotations


class ChatRecError(Exception):
    """Base of every error a user may see; the message is written for them."""


class InputError(ChatRecError):
    """Bad input in a file: names the file, the line and the field."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 field: str | None = None) -> None:
        self.file = file
        self.line = line
        self.field = field
        self.reason = message
        where = []
        if file is not None:
            where.append(str(file))
        if line is not None:
            where.append(f"line {line}")
        if field is not None:
            where.append(f"field '{field}'")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class UnknownItemError(ChatRecError):
    """An item id that is not in the catalogue."""

    def __init__(self, item_id: str) -> None:
        self.item_id = item_id
        super().__init__(f"unknown item '{item_id}': run `chatrec search TEXT` to find an item id")


class UnknownUserError(ChatRecError):
    """A user id that has no ratings and is not known to the store."""

    def __init__(self, user_id: str) -> None:
        self.user_id = user_id
        super().__init__(f"unknown user '{user_id}': users are 'me' or ids such as 'ml:1' from an import")


class InvalidRatingError(ChatRecError):
    """A rating outside what the app accepts (1-5 stars, thumbs up or down)."""


class DataDirBusyError(ChatRecError):
    """Another Chat-Rec process holds the data directory."""


class StoreError(ChatRecError):
    """The database could not be read or written."""


class DatabaseDamagedError(StoreError):
    """The database file is damaged: writes are refused until it is repaired or restored."""


class EmptyDatabaseError(StoreError):
    """The database file is there but holds zero bytes: cut short, not a new library."""


class ReadOnlyLibraryError(StoreError):
    """The library can be read but not written (file permissions, a read-only disk)."""


class ModelMissingError(ChatRecError):
    """A model or data package the app needs is not installed."""


class RequestTooLongError(ChatRecError):
    """A typed or spoken request longer than a turn takes."""

    def __init__(self, length: int, limit: int) -> None:
        self.length = length
        self.limit = limit
        super().__init__(f"the request is {length:,} characters long; a request is at most {limit:,} characters: "
                         "say what you are looking for in a sentence or two")


class NothingToGoOnError(ChatRecError):
    """A recommendation was asked for with no ratings anywhere and no words to search by."""


class CancelledError(ChatRecError):
    """The user cancelled a long-running job."""

    def __init__(self, what: str = "the job") -> None:
        super().__init__(f"{what} was cancelled")


class AudioFileError(ChatRecError):
    """A music file that cannot be read or analysed; the reason is written for the user."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class ChatModelError(ChatRecError):
    """The language model could not answer: down, too slow, or not installed; the message says which."""


class ChatModelUnavailableError(ChatModelError):
    """The language model's server or file cannot be reached or loaded."""


class ChatModelTimeoutError(ChatModelError):
    """The language model took longer than the configured timeout."""
