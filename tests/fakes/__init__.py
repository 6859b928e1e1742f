"""Fast, deterministic stand-ins for the ports' real adapters (same contracts, no engines)."""

from tests.fakes.embedder import FakeEmbedder
from tests.fakes.vector_store import InMemoryVectorStore

__all__ = ["FakeEmbedder", "InMemoryVectorStore"]
