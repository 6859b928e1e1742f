import subprocess
import sys
from pathlib import Path

import pytest

from app.domain.errors import DataDirBusyError
from app.store.lock import DataDirLock

HOLDER = """
import sys
from pathlib import Path
from app.store.lock import DataDirLock
held = DataDirLock(Path(sys.argv[1])).acquire()  # kept: a collected lock is released
print("locked", flush=True)
sys.stdin.readline()
"""


def test_a_second_process_on_the_same_data_dir_gets_a_clear_message(tmp_path: Path) -> None:
    lock_path = tmp_path / "data" / "chatrec.lock"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(lock_path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parents[3])
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(DataDirBusyError) as caught:
            DataDirLock(lock_path).acquire()
        message = str(caught.value)
        assert str(lock_path.parent) in message and f"process {holder.pid}" in message
    finally:
        holder.communicate("\n", timeout=10)
    # once the holder has gone, the data dir is free again
    DataDirLock(lock_path).acquire().release()


def test_a_killed_holder_frees_the_data_dir(tmp_path: Path) -> None:
    lock_path = tmp_path / "chatrec.lock"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(lock_path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parents[3])
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    holder.kill()
    holder.wait(timeout=10)
    DataDirLock(lock_path).acquire().release()


TAKER = """
import sys, time
from pathlib import Path
from app.store.lock import DataDirLock
with DataDirLock(Path(sys.argv[1]), timeout_s=10):
    time.sleep(0.3)  # a short command's work
print("done", flush=True)
"""


def test_short_commands_at_once_wait_their_turn_instead_of_being_refused(tmp_path: Path) -> None:
    lock_path = tmp_path / "chatrec.lock"
    takers = [subprocess.Popen([sys.executable, "-c", TAKER, str(lock_path)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, cwd=Path(__file__).parents[3]) for _ in range(6)]
    results = [taker.communicate(timeout=60) for taker in takers]
    assert [out.strip() for out, _err in results] == ["done"] * 6, [err for _out, err in results]


def test_the_default_wait_is_a_few_seconds_and_a_setting() -> None:
    from app.config import Settings

    assert 2 <= Settings().lock_timeout_s <= 10


def test_the_message_names_the_holder_even_before_it_has_written_its_id(tmp_path: Path) -> None:
    lock_path = tmp_path / "chatrec.lock"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(lock_path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parents[3])
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        lock_path.with_suffix(".pid").unlink()  # as if refused between its lock and its id
        with pytest.raises(DataDirBusyError, match=r"another Chat-Rec \(a process that has not written its id yet\)"):
            DataDirLock(lock_path).acquire()
    finally:
        holder.communicate("\n", timeout=10)


def test_a_lock_taken_on_one_thread_is_released_from_another(tmp_path: Path) -> None:
    import threading

    lock_path = tmp_path / "chatrec.lock"
    held: list[DataDirLock] = []
    opener = threading.Thread(target=lambda: held.append(DataDirLock(lock_path).acquire()))
    opener.start()
    opener.join()
    held[0].release()  # the window closes the engine on its own thread
    DataDirLock(lock_path, timeout_s=0.5).acquire().release()


def test_a_folder_nobody_here_can_write_is_read_without_the_lock(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from filelock import FileLock

    def refused(self: object, *args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(FileLock, "acquire", refused)
    monkeypatch.setattr(os, "access", lambda path, mode: mode != os.W_OK)  # root writes anything: pretend
    lock = DataDirLock(tmp_path / "chatrec.lock").acquire()
    lock.release()  # nothing held, nothing to give back


def test_a_pid_file_that_cannot_be_written_does_not_leave_the_lock_held(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    real_replace = os.replace

    def refused(source: object, target: object) -> None:
        raise PermissionError(13, "Permission denied")

    lock_path = tmp_path / "chatrec.lock"
    monkeypatch.setattr(os, "replace", refused)
    held = DataDirLock(lock_path).acquire()  # no exception: the lock is taken, only the id is missing
    monkeypatch.setattr(os, "replace", real_replace)
    held.release()
    DataDirLock(lock_path, timeout_s=0.2).acquire().release()
