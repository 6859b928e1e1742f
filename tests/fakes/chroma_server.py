"""A real Chroma server (`chroma run`, the venv's own) on a free loopback port, for the tests."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class ChromaServer:
    """`chroma run --path folder` on port; start, stop and start again (same port, same or empty folder)."""

    folder: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Where the app reaches it."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ChromaServer:
        """Start and wait for its heartbeat (about 2 s)."""
        chroma = Path(sys.executable).with_name("chroma")
        self.process = subprocess.Popen([str(chroma), "run", "--path", str(self.folder), "--host", "127.0.0.1",
                                         "--port", str(self.port)], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{self.url}/api/v2/heartbeat", timeout=0.5).close()
                return self
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(f"chroma run exited with {self.process.returncode}") from None
                time.sleep(0.1)
        raise RuntimeError(f"chroma run did not answer on {self.url} within 60 s")

    def stop(self) -> None:
        """Stop it (SIGTERM, as a service manager would)."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None
