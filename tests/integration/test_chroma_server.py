"""The app on a real Chroma server (`chroma_url`): both indexes there, a server started again empty, a
server gone mid-session, an old server, and credentials for a proxy in front of it."""

from __future__ import annotations

import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import chromadb
import pytest

from app.bootstrap import Engine, open_engine
from app.domain.errors import StoreError
from app.domain.items import ME
from app.paths import AppPaths
from app.store.chroma import ChromaVectorStore
from tests.fakes.chat_model import FixedChatSource
from tests.fakes.chroma_server import ChromaServer
from tests.fakes.embedder import FakeEmbedder
from tests.tiny_catalogue import tiny_catalogue

pytestmark = pytest.mark.integration


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ChromaServer]:
    running = ChromaServer(tmp_path / "server").start()
    yield running
    running.stop()


def _engine_on(server: ChromaServer, paths: AppPaths) -> Engine:
    paths.ensure()
    paths.config_file.write_text(f'chroma_url = "{server.url}"\n', encoding="utf-8")
    engine = open_engine(paths, embedder=FakeEmbedder(), chat=FixedChatSource())
    if not engine.store.count("items"):
        engine.store.import_catalogue(tiny_catalogue())
    return engine


def test_both_indexes_live_on_the_server_and_nothing_local_is_made(server: ChromaServer, paths: AppPaths):
    engine = _engine_on(server, paths)
    try:
        assert engine.recommendations.search("coffee grinder", 3)
        # the sound index opens with the first track; open it as bootstrap does, with the same settings
        from app.bootstrap import _open_chroma

        _open_chroma(engine.paths, engine.settings, "audio").close()
        names = {c.name for c in chromadb.HttpClient(host="127.0.0.1", port=server.port).list_collections()}
        assert {"items", "audio"} <= names
        assert not paths.chroma.exists() and not paths.chroma_audio.exists()
    finally:
        engine.close()


def test_a_server_gone_mid_session_is_named_nothing_is_lost_and_it_is_used_again_when_back(
        server: ChromaServer, paths: AppPaths):
    engine = _engine_on(server, paths)
    try:
        first = [r.item.id for r in engine.recommendations.search("coffee grinder", 1)]
        server.stop()
        with pytest.raises(StoreError, match=rf"Chroma server at {server.url} is running.*nothing is lost"):
            engine.recommendations.search("coffee grinder", 3)
        engine.store.rate(ME, first[0], 5)  # the database does not need the server
        server.start()  # same folder, same port: no restart of the app
        assert [r.item.id for r in engine.recommendations.search("coffee grinder", 1)] == first
        assert engine.store.ratings_of(ME)[0].item_id == first[0]
    finally:
        engine.close()


def test_a_server_started_again_empty_gets_the_index_rebuilt_from_the_database(server: ChromaServer,
                                                                               paths: AppPaths):
    engine = _engine_on(server, paths)
    try:
        first = [r.item.id for r in engine.recommendations.search("coffee grinder", 1)]
        server.stop()
        shutil.rmtree(server.folder)
        server.start()
        with pytest.raises(StoreError, match=r"no longer holds the 'items' index.*rebuilt from the database"):
            engine.recommendations.search("coffee grinder", 3)
        assert [r.item.id for r in engine.recommendations.search("coffee grinder", 1)] == first
        assert engine.index.is_current()
    finally:
        engine.close()


class _Recorder(http.server.BaseHTTPRequestHandler):
    """Stands in for an old (0.x) Chroma server or a proxy: records headers, answers by path."""

    seen: ClassVar[list[dict[str, str]]] = []
    answers: ClassVar[dict[str, int]] = {}

    def do_GET(self) -> None:
        type(self).seen.append(dict(self.headers))
        self.send_response(self.answers.get(self.path, 404))
        self.end_headers()
        self.wfile.write(b'"ok"')

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def stand_in() -> Iterator[tuple[str, type[_Recorder]]]:
    class Handler(_Recorder):
        seen: ClassVar[list[dict[str, str]]] = []
        answers: ClassVar[dict[str, int]] = {}

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", Handler
    httpd.shutdown()


def test_an_old_chroma_server_is_named_as_such(stand_in: tuple[str, type[_Recorder]]):
    url, handler = stand_in
    handler.answers = {"/api/v1/heartbeat": 200, "/api/v2/heartbeat": 404}
    with pytest.raises(StoreError, match=r"older API \(a 0.x server\); this app needs a Chroma 1.x server"):
        ChromaVectorStore(url=url)


def test_the_token_for_a_proxy_is_sent_and_a_refusal_says_what_to_set(stand_in: tuple[str, type[_Recorder]]):
    url, handler = stand_in
    handler.answers = {"/api/v2/heartbeat": 401}
    with pytest.raises(StoreError, match="wants credentials; set chroma_token or chroma_headers") as caught:
        ChromaVectorStore(url=url, headers={"Authorization": "Bearer s3cret", "X-Team": "films"})
    assert handler.seen[0]["Authorization"] == "Bearer s3cret" and handler.seen[0]["X-Team"] == "films"
    assert "s3cret" not in str(caught.value)


def test_a_server_that_is_not_there_is_named_with_how_to_start_one(tmp_path: Path):
    from tests.fakes.chroma_server import free_port

    with pytest.raises(StoreError, match=r"does not answer .*chroma run --path DIR"):
        ChromaVectorStore(url=f"http://127.0.0.1:{free_port()}")


def test_the_settings_token_and_headers_reach_the_server(stand_in: tuple[str, type[_Recorder]], paths: AppPaths):
    from app.bootstrap import _open_chroma
    from app.config import load_settings

    url, handler = stand_in
    handler.answers = {"/api/v2/heartbeat": 403}
    paths.ensure()
    paths.config_file.write_text(f'chroma_url = "{url}"\nchroma_token = "t0ken"\n'
                                 'chroma_headers = "X-Team: films"\n', encoding="utf-8")
    with pytest.raises(StoreError, match="wants credentials"):
        _open_chroma(paths, load_settings(paths.config_file))
    assert handler.seen[-1]["Authorization"] == "Bearer t0ken" and handler.seen[-1]["X-Team"] == "films"
