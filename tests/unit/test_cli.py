import json
import os
import re
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

import app.bootstrap
from app.bootstrap import Engine
from app.cli import main
from app.paths import AppPaths
from tests.fakes.embedder import FakeEmbedder
from tests.fakes.grouplens_server import Files, publish
from tests.fakes.vector_store import InMemoryVectorStore
from tests.files import within
from tests.unit.catalog.test_grouplens import ML_LATEST as ML_LATEST_FILES
from tests.unit.catalog.test_grouplens import zipped


@pytest.fixture
def on_fakes(paths: AppPaths, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> AppPaths:
    """The CLI opens its own engine: hand it the fakes, on the tiny catalogue's data dir."""
    engine.close()
    vectors = InMemoryVectorStore()
    real_open = app.bootstrap.open_engine

    def fake_open(*args: object, **kwargs: object) -> Engine:
        return real_open(paths, embedder=FakeEmbedder(), vector_store=vectors)

    monkeypatch.setattr("app.bootstrap.open_engine", fake_open)
    return paths


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_recommend_json_has_the_documented_shape(on_fakes: AppPaths, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "recommend", "--user", "ml:0", "--k", "3", "--json")
    payload = json.loads(out)
    assert code == 0 and payload["user"] == "ml:0" and len(payload["items"]) == 3
    first = payload["items"][0]
    assert {"id", "title", "domain", "score", "predicted_stars", "breakdown", "reasons"} <= set(first)
    assert first["breakdown"] and first["reasons"]
    assert sum(first["breakdown"].values()) == pytest.approx(first["score"], abs=1e-3)


def test_rate_then_recommend_reflects_the_rating(on_fakes: AppPaths, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "rate", "movie:toy-story", "5")[0] == 0
    assert run(capsys, "rate", "movie:aladdin", "5")[0] == 0
    _, out, _ = run(capsys, "recommend", "--domain", "movie", "--k", "2", "--json")
    assert all("Animation" in item["genres"] for item in json.loads(out)["items"])


@pytest.mark.parametrize(("argv", "message"), [
    (["rate", "movie:toy-story", "7"], "stars must be between 1 and 5, got 7"),
    (["rate", "movie:nope", "4"], "unknown item 'movie:nope'"),
    (["recommend", "--user", "ml:4242"], "unknown user 'ml:4242'"),
    (["similar", "movie:nope"], "unknown item 'movie:nope'"),
])
def test_bad_input_exits_2_with_a_message(on_fakes: AppPaths, capsys: pytest.CaptureFixture[str],
                                          argv: list[str], message: str) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "" and message in err


def test_a_malformed_product_file_names_the_line_and_imports_nothing(
        on_fakes: AppPaths, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "shop.csv"
    bad.write_text("title,description,category,price,tags\nKettle,boils,kitchen,12.5,tea\n"
                   "Mug,holds tea,kitchen,cheap,tea\n", encoding="utf-8")
    code, _, err = run(capsys, "import", "products", str(bad))
    assert code == 2 and "shop.csv" in err and "line 3" in err and "price" in err
    _, out, _ = run(capsys, "status", "--json")
    assert json.loads(out)["domains"].get("product") == 1  # only the tiny catalogue's grinder


def test_a_nul_byte_in_a_product_title_is_refused_by_line_and_field_and_imports_nothing(
        on_fakes: AppPaths, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "shop.csv"
    bad.write_text("title,category,price\nKettle,kitchen,12.5\nMu\0g,kitchen,4\n", encoding="utf-8")
    code, _, err = run(capsys, "import", "products", str(bad))
    assert code == 2 and f"{bad}, line 3, field 'title': contains a NUL byte" in err
    _, out, _ = run(capsys, "status", "--json")
    assert json.loads(out)["domains"].get("product") == 1  # only the tiny catalogue's grinder


@pytest.mark.parametrize(("argv", "name"), [
    (["import", "products"], "shop.csv"),
    (["import", "products", "--ratings"], "ratings.csv"),
    (["import", "listens"], "scrobbles.csv"),
    (["import", "history"], "letterboxd.zip"),
    (["import", "movielens", "--from"], "ml-latest-small.zip"),
])
def test_importing_a_named_pipe_says_what_it_is_and_frees_the_data_folder(
        on_fakes: AppPaths, tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], name: str) -> None:
    pipe = tmp_path / name
    os.mkfifo(pipe)
    shop = tmp_path / "shop.json"
    shop.write_text('[{"title": "Kettle", "category": "kitchen", "price": 12}]', encoding="utf-8")
    args = [*argv, str(pipe)] if argv[-1] != "--ratings" else ["import", "products", str(shop), "--ratings", str(pipe)]
    code, _, err = within(10, lambda: run(capsys, *args))
    assert code == 2 and f"{pipe}: is a named pipe (FIFO), not a file" in err
    assert run(capsys, "status")[0] == 0  # the data folder is free again, and nothing was imported
    _, out, _ = run(capsys, "status", "--json")
    assert json.loads(out)["items"] == 14


def test_status_and_search_and_similar(on_fakes: AppPaths, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "status", "--json")
    status = json.loads(out)
    assert status["items"] == 14 and status["imports"][0]["status"] == "done"
    _, out, _ = run(capsys, "search", "burr grinder espresso", "--json")
    assert json.loads(out)["items"][0]["id"] == "product:grinder"
    _, out, _ = run(capsys, "similar", "movie:fargo", "--k", "2")
    assert "Fargo" in out


def test_a_rebuilt_index_is_logged_to_the_user_log_dir(on_fakes: AppPaths, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "reindex")[0] == 0
    assert run(capsys, "status")[0] == 0
    log = (on_fakes.logs / "chatrec.log").read_text(encoding="utf-8")
    assert "rebuilt the vector index from the database: 14 items" in log


def test_eval_prints_the_table_and_marks_the_shipped_ranker(monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    metrics = {"P@5": 0.3, "R@5": 0.1, "NDCG@5": 0.35, "P@10": 0.25, "R@10": 0.2, "NDCG@10": 0.33}
    result = {"dataset": "ml-100k", "shipped": "hybrid+text",
              "protocol": {"split": "per-user random 20%", "relevant": "test rating >= 4",
                           "evaluated_users": 922, "skipped_users": 21},
              "models": {"ease": metrics, "hybrid+text": metrics}}
    seen: list[str] = []

    def fake_evaluate(dataset: str, progress: object = None) -> dict[str, object]:
        seen.append(dataset)
        return result

    monkeypatch.setattr("app.recommend.evaluate.evaluate_dataset", fake_evaluate)
    code, out, _ = run(capsys, "eval", "--dataset", "ml-1m", "--json")
    assert code == 0 and seen == ["ml-1m"] and json.loads(out) == result
    code, out, _ = run(capsys, "eval")
    assert "922 users evaluated, 21 skipped" in out and "hybrid+text *" in out and "ease " in out


def test_an_unexpected_error_gives_a_message_and_the_log_holds_the_traceback(
        on_fakes: AppPaths, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the disk said no")

    monkeypatch.setattr("app.services.recommendations.Recommendations.recommend", broken)
    code, out, err = run(capsys, "recommend")
    log = on_fakes.logs / "chatrec.log"
    assert code == 1 and out == ""
    assert "internal error: RuntimeError: the disk said no" in err and str(log) in err
    assert "Traceback" in log.read_text(encoding="utf-8")


def test_list_commands_create_add_show_and_export(on_fakes: AppPaths, capsys: pytest.CaptureFixture[str],
                                                  tmp_path: Path) -> None:
    assert run(capsys, "list", "create", "Crime Night")[0] == 0
    assert run(capsys, "list", "add", "Crime Night", "movie:fargo", "movie:heat")[0] == 0
    code, out, _ = run(capsys, "list", "show", "Crime Night", "--json")
    assert code == 0 and [i["id"] for i in json.loads(out)["lists"][0]["items"]] == ["movie:fargo", "movie:heat"]
    target = tmp_path / "crime.xspf"
    code, out, _ = run(capsys, "list", "export", "Crime Night", str(target), "--json")
    assert code == 0 and json.loads(out)["written"] == 2 and target.read_text(encoding="utf-8").startswith("<?xml")


def test_list_export_refuses_to_replace_a_file_and_says_how(on_fakes: AppPaths, capsys: pytest.CaptureFixture[str],
                                                             tmp_path: Path) -> None:
    run(capsys, "list", "create", "Mine")
    target = tmp_path / "mine.json"
    target.write_text("keep me", encoding="utf-8")
    code, _, err = run(capsys, "list", "export", "Mine", str(target))
    assert code == 2 and "--overwrite" in err and target.read_text(encoding="utf-8") == "keep me"


def test_list_export_needs_a_known_format(on_fakes: AppPaths, capsys: pytest.CaptureFixture[str],
                                          tmp_path: Path) -> None:
    run(capsys, "list", "create", "Mine")
    code, _, err = run(capsys, "list", "export", "Mine", str(tmp_path / "mine.txt"))
    assert code == 2 and "--format" in err


def test_ask_answers_a_turn_with_the_documented_json(on_fakes: AppPaths, capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    class NoModel:
        def get(self) -> tuple[None, tuple[str, ...]]:
            return None, ()

    monkeypatch.setattr("app.bootstrap.chat_models", lambda *args, **kwargs: NoModel())
    code, out, _ = run(capsys, "ask", "3 movies like Fargo", "--json")
    payload = json.loads(out)
    assert code == 0 and set(payload) >= {"reply", "items", "intent", "backend", "fallbacks", "timings_ms"}
    assert len(payload["items"]) == 3 and payload["intent"]["liked"] == ["Fargo"]


def no_model(monkeypatch: pytest.MonkeyPatch) -> None:
    class NoModel:
        def get(self) -> tuple[None, tuple[str, ...]]:
            return None, ()

    monkeypatch.setattr("app.bootstrap.chat_models", lambda *args, **kwargs: NoModel())


def test_a_browsing_command_says_in_json_what_it_moves(on_fakes: AppPaths, capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    no_model(monkeypatch)
    code, out, _ = run(capsys, "ask", "3 movies like Fargo", "--json")
    first = json.loads(out)
    assert code == 0 and first["browse"] is None
    code, out, _ = run(capsys, "ask", "the second one", "--session", first["session"], "--json")
    picked = json.loads(out)
    assert code == 0 and picked["browse"] == {"kind": "select", "item_id": first["items"][1]["id"]}
    code, out, _ = run(capsys, "ask", "next", "--session", first["session"], "--json")
    more = json.loads(out)
    assert more["browse"] == {"kind": "more"} and not {i["id"] for i in more["items"]} & \
        {i["id"] for i in first["items"]}


def test_ask_with_bytes_that_are_not_utf8_answers_instead_of_crashing(
        on_fakes: AppPaths, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    no_model(monkeypatch)
    said = b"crime films \xff please".decode("utf-8", "surrogateescape")  # as Python decodes a bad argv
    code, out, err = run(capsys, "ask", said, "--json")
    assert code == 0 and err == "" and json.loads(out)["items"]


def test_ask_with_a_request_too_long_to_be_one_exits_2_naming_the_limit_and_saves_no_conversation(
        on_fakes: AppPaths, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    no_model(monkeypatch)
    code, out, err = run(capsys, "ask", "crime films " + "x" * 100_000)
    assert code == 2 and out == ""
    assert err.startswith("chatrec: error: the request is 100,012 characters long; a request is at most 2,000")
    code, out, _ = run(capsys, "ask", "crime films", "--json")
    assert code == 0 and json.loads(out)["session"]  # the one conversation there is: this one
    with closing(sqlite3.connect(on_fakes.database)) as db:
        assert db.execute("SELECT count(*) FROM sessions").fetchone()[0] == 1


SHOP = ("title,description,category,price,tags\n"
        "Gooseneck Kettle,a pour-over kettle for coffee,kitchen,65,coffee;pour-over\n"
        "Ceramic Dripper,a ceramic dripper for pour-over coffee,kitchen,24.5,coffee;pour-over\n")


def with_shop(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Import two priced products next to the tiny catalogue's films and its unpriced grinder."""
    shop = tmp_path / "shop.csv"
    shop.write_text(SHOP, encoding="utf-8")
    assert run(capsys, "import", "products", str(shop))[0] == 0


def test_json_items_carry_a_products_price_as_a_number_and_nothing_for_a_movie(
        on_fakes: AppPaths, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with_shop(capsys, tmp_path)
    _, out, _ = run(capsys, "search", "gooseneck kettle", "--domain", "product", "--json")
    by_id = {item["id"]: item for item in json.loads(out)["items"]}
    assert by_id["product:gooseneck-kettle"]["price"] == 65.0
    assert isinstance(by_id["product:gooseneck-kettle"]["price"], float)
    assert by_id["product:ceramic-dripper"]["price"] == 24.5
    assert "price" not in by_id["product:grinder"]  # a product without a price carries none
    _, out, _ = run(capsys, "recommend", "--user", "ml:0", "--domain", "movie", "--k", "3", "--json")
    films = json.loads(out)["items"]
    assert films and not any("price" in item for item in films)
    _, out, _ = run(capsys, "similar", "product:ceramic-dripper", "--k", "3", "--json")
    assert {i["id"]: i.get("price") for i in json.loads(out)["items"]}.get("product:gooseneck-kettle") == 65.0


def test_human_lines_show_a_products_price_after_its_title(on_fakes: AppPaths, capsys: pytest.CaptureFixture[str],
                                                          tmp_path: Path) -> None:
    with_shop(capsys, tmp_path)
    _, out, _ = run(capsys, "search", "gooseneck kettle", "--domain", "product")
    lines = out.splitlines()
    assert " 1. Gooseneck Kettle · 65.00  [product:gooseneck-kettle]" in lines
    assert any(line.endswith(". Burr Coffee Grinder  [product:grinder]") for line in lines)  # no price, no mark
    _, out, _ = run(capsys, "recommend", "--user", "ml:0", "--domain", "movie", "--k", "2")
    assert "·" not in out


def test_list_show_carries_prices_in_json_and_text(on_fakes: AppPaths, capsys: pytest.CaptureFixture[str],
                                                   tmp_path: Path) -> None:
    with_shop(capsys, tmp_path)
    run(capsys, "list", "create", "Coffee corner")
    run(capsys, "list", "add", "Coffee corner", "product:ceramic-dripper", "movie:fargo")
    _, out, _ = run(capsys, "list", "show", "Coffee corner", "--json")
    dripper, fargo = json.loads(out)["lists"][0]["items"]
    assert dripper["price"] == 24.5 and "price" not in fargo
    _, out, _ = run(capsys, "list", "show", "Coffee corner")
    assert "   1. Ceramic Dripper · 24.50  [product:ceramic-dripper]" in out.splitlines()


def test_ask_shows_prices_on_the_replys_product_lines_and_in_json(on_fakes: AppPaths,
                                                                  capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    class NoModel:
        def get(self) -> tuple[None, tuple[str, ...]]:
            return None, ()

    monkeypatch.setattr("app.bootstrap.chat_models", lambda *args, **kwargs: NoModel())
    with_shop(capsys, tmp_path)
    code, out, _ = run(capsys, "ask", "I want to buy something for pour-over coffee", "--json")
    items, written = json.loads(out)["items"], json.loads(out)["reply"]
    assert code == 0 and {i["id"]: i.get("price") for i in items}.get("product:ceramic-dripper") == 24.5
    _, out, _ = run(capsys, "ask", "I want to buy something for pour-over coffee")
    lines = out.splitlines()  # the reply: "Only 3 coffee products ...", then "1. Gooseneck Kettle · 65.00: ..."
    assert any(re.fullmatch(r"\d+\. Ceramic Dripper · 24\.50: .+", line) for line in lines), out
    assert any(re.fullmatch(r"\d+\. Burr Coffee Grinder: .+", line) for line in lines), out  # unpriced: as before
    # Printed as the turn wrote it, each price once, after its title on the card's own line.
    reply, _, session = out.rpartition("\n[session ")
    assert reply == written == ("Only 3 coffee products for \u201ccoffee\u201d fit, so here they are.\n"
                                "1. Gooseneck Kettle · 65.00: fits \u201ccoffee\u201d\n"
                                "2. Ceramic Dripper · 24.50: the lowest price here\n"
                                "3. Burr Coffee Grinder: another coffee choice\n"
                                "Tell me two or three titles you love and the next picks will be about you.")
    assert re.fullmatch(r"(\w+): continue with --session \1]\n", session), out


def test_import_movielens_from_grouplens_zip_then_search(on_fakes: AppPaths, capsys: pytest.CaptureFixture[str],
                                                            tmp_path: Path) -> None:
    from tests.unit.catalog.test_grouplens import ML_LATEST, zipped

    release = zipped(tmp_path, "ml-latest-small.zip", ML_LATEST)
    code, out, _ = run(capsys, "import", "movielens", "--from", str(release), "--json")
    imported = json.loads(out)["import"]
    assert code == 0 and imported["source"] == "ml-latest-small" and imported["ratings"] == 2
    code, out, _ = run(capsys, "search", "American President", "--json")
    assert code == 0 and "The American President" in out


def test_import_movielens_from_something_else_names_the_file(on_fakes: AppPaths, capsys: pytest.CaptureFixture[str],
                                                             tmp_path: Path) -> None:
    bad = tmp_path / "ml-1m.zip"
    bad.write_text("not a zip", encoding="utf-8")
    code, _, err = run(capsys, "import", "movielens", "--from", str(bad))
    assert code == 2 and str(bad) in err and "not a readable zip" in err


def test_import_history_json_reports_what_matched(on_fakes: AppPaths, capsys: pytest.CaptureFixture[str],
                                                  tmp_path: Path) -> None:
    export = tmp_path / "ratings.csv"
    export.write_text("Date,Name,Year,Letterboxd URI,Rating\n2024-01-05,Fargo,1996,u,5\n"
                      "2024-01-06,Paddington 2,2017,u,4\n", encoding="utf-8")
    code, out, _ = run(capsys, "import", "history", str(export), "--json")
    report = json.loads(out)
    assert code == 0 and report["format"] == "letterboxd"
    assert (report["matched"], report["imported"], report["unmatched"]) == (1, 1, ["Paddington 2 (2017)"])
    _, out, _ = run(capsys, "recommend", "--domain", "movie", "--k", "3", "--json")
    items = json.loads(out)["items"]
    assert all("Crime" in item["genres"] for item in items)  # the imported 5 stars count
    assert "movie:fargo" not in [item["id"] for item in items]  # rated now, so not recommended
    assert any("Fargo" in reason for item in items for reason in item["reasons"])  # and named in the reasons


def test_import_history_of_an_unknown_file_names_it(on_fakes: AppPaths, capsys: pytest.CaptureFixture[str],
                                                    tmp_path: Path) -> None:
    other = tmp_path / "notes.csv"
    other.write_text("a,b\n1,2\n", encoding="utf-8")
    code, _, err = run(capsys, "import", "history", str(other))
    assert code == 2 and str(other) in err and "neither a Letterboxd export" in err


def test_rate_by_title_finds_the_one_item_or_says_which_it_could_be(on_fakes: AppPaths,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "rate", "fargo", "5", "--json")
    assert code == 0 and "movie:fargo" in out
    code, _, err = run(capsys, "rate", "Paddington 2", "4")
    assert code == 2 and "nothing in your library is called 'Paddington 2'" in err


def test_rate_by_a_title_several_items_share_lists_them_and_the_year_picks_one(
        on_fakes: AppPaths, capsys: pytest.CaptureFixture[str]) -> None:
    from app.bootstrap import open_engine
    from app.domain.items import Item
    from app.store.sqlite import CatalogueImport

    engine = open_engine(on_fakes)
    engine.store.import_catalogue(CatalogueImport("products", "extra", "t", [
        Item("movie:heat-1986", "movie", "Heat", year=1986)]))
    engine.close()
    code, _, err = run(capsys, "rate", "Heat", "4")
    assert code == 2 and "2 items are called 'Heat'" in err and "= movie:heat-1986" in err and "= movie:heat." in err
    assert run(capsys, "rate", "Heat (1986)", "4")[0] == 0


def test_download_movielens_asks_for_consent_then_downloads_and_imports(
        on_fakes: AppPaths, capsys: pytest.CaptureFixture[str], tmp_path: Path, grouplens: tuple[str, Files],
        monkeypatch: pytest.MonkeyPatch) -> None:
    url, files = grouplens
    publish(files, zipped(tmp_path, "source.zip", ML_LATEST_FILES).read_bytes())
    monkeypatch.setattr("app.catalog.grouplens_download.GROUPLENS", url)
    code, _, err = run(capsys, "import", "movielens", "--download", "ml-latest-small")
    assert code == 2 and "ml-latest-small (0.0 MB)" in err and "redistribute" in err and "--agree" in err
    assert files.ranges == [] and not any((on_fakes.cache / "downloads").glob("*.zip"))  # nothing fetched yet
    code, out, _ = run(capsys, "import", "movielens", "--download", "ml-latest-small", "--agree", "--json")
    assert code == 0 and json.loads(out)["import"]["ratings"] == 2


def test_a_remote_ollama_over_plain_http_gets_a_warning_that_never_shows_its_password(
        capsys: pytest.CaptureFixture[str]) -> None:
    from app.cli import _warn_about_plain_http
    from app.config import Settings

    _warn_about_plain_http(Settings(ollama_host="http://ann:pw@10.0.0.5:11434"), None)
    err = capsys.readouterr().err
    assert "10.0.0.5" in err and "unencrypted" in err and "pw" not in err
    _warn_about_plain_http(Settings(ollama_host="http://10.0.0.5:11434"), "embedded")  # Ollama not used
    _warn_about_plain_http(Settings(ollama_host="https://llm.example.org"), None)
    _warn_about_plain_http(Settings(ollama_host="http://127.0.0.1:11434"), None)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("argv", [["search", "caf\udce9"], ["list", "create", "caf\udce9 list"],
                                  ["recommend", "--query", "caf\udce9"]])
def test_text_the_terminal_could_not_decode_is_read_not_a_crash(on_fakes: AppPaths, argv: list[str],
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    code = main(argv)
    err = capsys.readouterr().err
    assert "internal error" not in err and "surrogates" not in err
    assert code == 0


def test_progress_to_a_log_is_a_line_every_ten_seconds_with_the_time_left(capsys: pytest.CaptureFixture[str]) -> None:
    from app.cli import _Printer

    now = [0.0]
    printer = _Printer(as_json=False, clock=lambda: now[0])
    for done in range(0, 100_001, 1000):  # one report every 0.5 s for 50 s
        printer.progress(done, 100_000, "indexing item texts")
        now[0] += 0.5
    lines = capsys.readouterr().err.splitlines()
    assert 5 <= len(lines) <= 7  # not 101 lines: one at the start, one per 10 s, the last
    assert lines[0] == "indexing item texts 0/100,000"
    assert lines[1] == "indexing item texts 20,000/100,000, about 40 s left"
    assert lines[-1].startswith("indexing item texts 100,000/100,000")


def test_progress_stays_out_of_json_output(capsys: pytest.CaptureFixture[str]) -> None:
    from app.cli import _Printer

    _Printer(as_json=True).progress(5, 10, "indexing item texts")
    assert capsys.readouterr().err == ""
