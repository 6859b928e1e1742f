"""Use cases: they talk to ports and the store, never to an engine's library."""
