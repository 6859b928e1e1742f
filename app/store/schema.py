"""The SQLite schema as numbered migrations; PRAGMA user_version records the last applied."""

from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
    # 1: the catalogue, people, ratings, lists and import runs. A rating's origin is the import
    # that brought it, or 'desk' when made in the app: a re-import replaces only its own ratings.
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE import_runs (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        source TEXT NOT NULL,
        started REAL NOT NULL,
        finished REAL,
        status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed', 'interrupted')),
        items INTEGER NOT NULL DEFAULT 0,
        users INTEGER NOT NULL DEFAULT 0,
        ratings INTEGER NOT NULL DEFAULT 0,
        message TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE items (
        id TEXT PRIMARY KEY,
        domain TEXT NOT NULL CHECK (domain IN ('movie', 'music', 'product')),
        title TEXT NOT NULL CHECK (title <> ''),
        creators TEXT NOT NULL DEFAULT '[]',
        year INTEGER,
        genres TEXT NOT NULL DEFAULT '[]',
        description TEXT NOT NULL DEFAULT '',
        source TEXT NOT NULL DEFAULT '',
        external_ids TEXT NOT NULL DEFAULT '{}',
        attributes TEXT NOT NULL DEFAULT '{}',
        origin TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX items_domain ON items (domain);
    CREATE INDEX items_origin ON items (origin);
    CREATE TABLE users (
        id TEXT PRIMARY KEY,
        attributes TEXT NOT NULL DEFAULT '{}',
        origin TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE ratings (
        user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        item_id TEXT NOT NULL REFERENCES items (id) ON DELETE CASCADE,
        stars REAL CHECK (stars IS NULL OR stars BETWEEN 1 AND 5),
        thumb INTEGER CHECK (thumb IS NULL OR thumb IN (-1, 1)),
        timestamp REAL NOT NULL,
        origin TEXT NOT NULL DEFAULT 'desk',
        PRIMARY KEY (user_id, item_id),
        CHECK (stars IS NOT NULL OR thumb IS NOT NULL)
    ) WITHOUT ROWID;
    CREATE INDEX ratings_item ON ratings (item_id);
    CREATE INDEX ratings_origin ON ratings (origin);
    CREATE TABLE lists (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE CHECK (name <> ''),
        created REAL NOT NULL
    );
    CREATE TABLE list_entries (
        list_id INTEGER NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        item_id TEXT NOT NULL REFERENCES items (id) ON DELETE CASCADE,
        PRIMARY KEY (list_id, position)
    );
    INSERT INTO meta (key, value) VALUES ('catalogue_version', '0');
    """,
    # 2: music files. One row per audio file a folder scan found (or left out, and why): its size
    # and mtime tell a re-scan what changed; the raw feature vector is the source the audio index
    # is rebuilt from. Deleting a track's item deletes its row, so the next scan looks again.
    """
    CREATE TABLE music_files (
        path TEXT PRIMARY KEY,
        root TEXT NOT NULL,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        item_id TEXT REFERENCES items (id) ON DELETE CASCADE,
        status TEXT NOT NULL CHECK (status IN ('indexed', 'skipped')),
        reason TEXT NOT NULL DEFAULT '',
        features BLOB,
        extractor TEXT NOT NULL DEFAULT '',
        checked REAL NOT NULL,
        CHECK (status = 'skipped' OR (item_id IS NOT NULL AND features IS NOT NULL))
    );
    CREATE INDEX music_files_root ON music_files (root);
    CREATE INDEX music_files_item ON music_files (item_id);
    """,
    # 3: conversations. A session holds what the user asked for so far (its last intent, the items
    # they said they liked or not); each turn keeps what was said, understood and shown, so "the
    # second one" and "not that one" refer to real cards after a restart too.
    """
    CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        created REAL NOT NULL,
        updated REAL NOT NULL,
        state TEXT NOT NULL DEFAULT '{}'
    );
    CREATE TABLE turns (
        session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        number INTEGER NOT NULL,
        at REAL NOT NULL,
        user_text TEXT NOT NULL,
        reply TEXT NOT NULL,
        intent TEXT NOT NULL DEFAULT '{}',
        shown TEXT NOT NULL DEFAULT '[]',
        backend TEXT NOT NULL DEFAULT '',
        fallbacks TEXT NOT NULL DEFAULT '[]',
        timings TEXT NOT NULL DEFAULT '{}',
        PRIMARY KEY (session_id, number)
    );
    """,
)
