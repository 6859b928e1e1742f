"""A stand-in for files.grouplens.org on loopback: serves bytes with sizes and Range, and can drop a line once."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Files:
    """What the server serves, what it was asked, and how much of a body it sends before dropping."""

    def __init__(self) -> None:
        self.served: dict[str, bytes] = {}
        self.ranges: list[str] = []
        self.cut_after: int | None = None


def handler_for(files: Files) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_HEAD(self) -> None:
            self._answer(body=False)

        def do_GET(self) -> None:
            self._answer(body=True)

        def _answer(self, body: bool) -> None:
            data = files.served.get(self.path)
            if data is None:
                self.send_error(404)
                return
            start = 0
            asked = self.headers.get("Range")
            if asked:
                files.ranges.append(asked)
                start = int(asked.removeprefix("bytes=").split("-")[0])
            self.send_response(206 if asked else 200)
            self.send_header("Content-Length", str(len(data) - start))
            self.end_headers()
            if body:
                payload = data[start:]
                if files.cut_after is not None and self.path.endswith(".zip"):
                    payload, files.cut_after = payload[:files.cut_after], None  # the line drops once
                self.wfile.write(payload)

    return Handler


@contextmanager
def serving() -> Iterator[tuple[str, Files]]:
    """The base URL of a fresh server and what it serves."""
    files = Files()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(files))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/datasets/movielens", files
    httpd.shutdown()
    httpd.server_close()


def publish(files: Files, release: bytes, md5: str | None = None) -> None:
    files.served["/datasets/movielens/ml-latest-small.zip"] = release
    files.served["/datasets/movielens/ml-latest-small.zip.md5"] = \
        f"{md5 or hashlib.md5(release).hexdigest()}  ml-latest-small.zip\n".encode()
