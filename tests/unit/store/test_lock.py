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
