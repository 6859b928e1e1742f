"""Storage: SQLite (the source of truth) and Chroma (a rebuildable index)."""
