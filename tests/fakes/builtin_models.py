"""Fake built-in model packages: Qwen in three small parts and SmolLM2 as one file, found like the real ones."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from app.bootstrap import MODEL_CACHE_VARIABLE
from app.llm import builtin
from app.llm.builtin import QWEN, SMOLLM2, Part

PIECES = (b"GGUF-qwen-1|", b"qwen-2|", b"qwen-3")


@dataclass
class Builtins:
    """Fake built-in packages: Qwen in three small parts and SmolLM2 as one file, found like real ones."""

    roots: dict[str, Path]
    qwen: builtin.BuiltinModel
    smol: builtin.BuiltinModel

    def damage_qwen(self) -> None:
        (self.roots["fake_qwen_2"] / "data" / "part02.bin").write_bytes(b"broken")

    def uninstall(self, module: str) -> None:
        del self.roots[module]


def install_fake_builtins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Builtins:
    """Replace the real built-in models by small fakes under tmp_path for the rest of the test."""
    roots: dict[str, Path] = {}
    parts = []
    for n, piece in enumerate(PIECES, start=1):
        root = tmp_path / "site-packages" / f"fake_qwen_{n}"
        (root / "data").mkdir(parents=True)
        (root / "data" / f"part0{n}.bin").write_bytes(piece)
        roots[root.name] = root
        parts.append(Part(root.name, f"fake-qwen-{n}", "0.9.0", f"data/part0{n}.bin", len(piece)))
    whole = b"".join(PIECES)
    qwen = replace(QWEN, filename="qwen-fake.gguf", size=len(whole), sha256=hashlib.sha256(whole).hexdigest(),
                   parts=tuple(parts))
    smol_root = tmp_path / "site-packages" / "fake_smol"
    smol_root.mkdir()
    (smol_root / "smol.gguf").write_bytes(b"GGUF-smol")
    roots["fake_smol"] = smol_root
    smol = replace(SMOLLM2, parts=(Part("fake_smol", "fake-smol", "0.1.2", "smol.gguf", 0),))
    monkeypatch.setattr(builtin, "BUILTIN_MODELS", (qwen, smol))
    monkeypatch.setattr(builtin, "installed_package_dir", roots.get)
    monkeypatch.delenv(MODEL_CACHE_VARIABLE, raising=False)
    return Builtins(roots, qwen, smol)
