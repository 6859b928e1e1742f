"""Headless sub-commands: every one prints text for people or, with --json, one JSON object."""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from app.config import setting_values
from app.domain.errors import ChatRecError
from app.domain.items import DOMAINS, ME, Item
from app.domain.progress import PhasePace
from app.domain.recommendation import Recommendation
from app.logs import configure_logging
from app.paths import app_paths
from app.prices import currency_of, price_of, price_suffix


def item_json(rec: Recommendation) -> dict[str, Any]:
    """The item object every command prints: id, title, domain, price, score, stars, breakdown, reasons."""
    item = rec.item
    return {
        "id": item.id, "title": item.title, "domain": item.domain, "year": item.year,
        **_price_json(item),
        "creators": list(item.creators), "genres": list(item.genres),
        "score": round(rec.score, 4),
        "predicted_stars": None if rec.predicted_stars is None else round(rec.predicted_stars, 2),
        "breakdown": rec.breakdown.as_dict(),
        "drivers": [{"id": d.item_id, "title": d.title, "stars": d.stars, "similarity": d.similarity}
                    for d in rec.breakdown.drivers],
        "reasons": list(rec.reasons),
        **_music_json(rec),
    }


def _price_json(item: Item) -> dict[str, Any]:
    """A priced item's price as a number in the catalogue's currency (and that currency when known); else nothing."""
    price = price_of(item.attributes)
    if price is None:
        return {}
    currency = currency_of(item.attributes)
    return {"price": price, **({"currency": currency} if currency else {})}


def _music_json(rec: Recommendation) -> dict[str, Any]:
    """A track's file, album and sound descriptors; the sound match behind its reasons."""
    item = rec.item
    if item.domain != "music":
        return {}
    from app.catalog.music_items import descriptors_of

    sound = descriptors_of(item)
    match = rec.breakdown.sound
    return {"path": item.source, "album": item.attributes.get("album", ""),
            "sound": sound.as_dict() if sound else None,
            "sounds_like": None if match is None else {
                "id": match.item_id, "title": match.title, "stars": match.stars,
                "similarity": match.similarity, "descriptors": match.other.as_dict()}}


_LOGGED_PROGRESS_S = 10.0  # how often progress is written when stderr is not a terminal


class _Printer:
    """Writes either human text or one JSON object; progress goes to stderr for people only."""

    def __init__(self, as_json: bool, clock: Callable[[], float] = time.monotonic) -> None:
        self.as_json = as_json
        self._clock = clock
        self._last = -math.inf
        self._pace = PhasePace(clock)

    def progress(self, done: int, total: int, message: str) -> None:
        """Show progress with the time left on stderr: redrawn in place on a terminal, a line every
        10 s when stderr goes to a file or a pipe (a log, a script), never in JSON mode."""
        if self.as_json:
            return
        eta = self._pace.eta(done, total, message)
        terminal = sys.stderr.isatty()
        now = self._clock()
        if now - self._last < (0.2 if terminal else _LOGGED_PROGRESS_S) and done != total:
            return
        self._last = now
        share = f" {done:,}/{total:,}" if total else ""
        line = f"{message}{share}{', ' + eta if eta else ''}"
        if terminal:
            print(f"\r{line}\033[K", end="", file=sys.stderr, flush=True)
        else:
            print(line, file=sys.stderr, flush=True)

    def emit(self, payload: dict[str, Any], text: str) -> None:
        """Print the JSON payload or the text."""
        if self.as_json:
            print(json.dumps(payload, ensure_ascii=False, indent=None))
        else:
            if not self.as_json and sys.stderr.isatty():
                print("\r\033[K", end="", file=sys.stderr)
            print(text)


def _format_items(recs: Sequence[Recommendation]) -> str:
    if not recs:
        return "nothing found"
    lines = []
    for rank, rec in enumerate(recs, start=1):
        year = f" ({rec.item.year})" if rec.item.year else ""
        stars = f"  ~{rec.predicted_stars:.1f}★" if rec.predicted_stars is not None else ""
        lines.append(f"{rank:>2}. {rec.item.title}{year}{price_suffix(rec.item.attributes)}  [{rec.item.id}]{stars}")
        for reason in rec.reasons:
            lines.append(f"      - {reason}")
    return "\n".join(lines)


def _text(value: str) -> str:
    """A text argument with bytes the terminal could not decode as U+FFFD (Python keeps them as lone
    surrogates, which crash every print and database write). Paths keep theirs: a file name may hold them."""
    from app.domain.conversation import replace_undecodable

    return replace_undecodable(value)


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chatrec", description="Chat-Rec: explainable recommendations.")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="print one JSON object")
    sub = parser.add_subparsers(dest="command", required=True)

    imp = sub.add_parser("import", help="import a catalogue")
    imp_sub = imp.add_subparsers(dest="what", required=True)
    ml = imp_sub.add_parser("movielens", parents=[common],
                            help="MovieLens: GroupLens's own zip or folder (--from), or the 100K/1M development copies")
    ml.add_argument("--size", choices=["100k", "1m"], default="100k",
                    help="the development copy to import (from the RecBole packages) when --from is not given")
    ml.add_argument("--from", dest="source", type=Path, metavar="PATH",
                    help="ml-100k.zip, ml-1m.zip, ml-latest-small.zip, ml-25m.zip... or the folder it unpacks to")
    ml.add_argument("--download", metavar="RELEASE",
                    help="download this release from GroupLens and import it (ml-latest-small, ml-100k, ml-1m, "
                         "ml-25m, ml-32m, ml-latest); shows its size and terms, and needs --agree")
    ml.add_argument("--agree", action="store_true", help="agree to GroupLens's terms for --download")
    prod = imp_sub.add_parser("products", parents=[common], help="a product catalogue (CSV or JSON)")
    prod.add_argument("file", type=Path)
    prod.add_argument("--ratings", type=Path, help="a ratings CSV: user,item,stars[,timestamp]")
    imp_sub.add_parser("demo", parents=[common], help="the sample product catalogue we ship")
    music = imp_sub.add_parser("music", parents=[common], help="music folders (tags and sound)")
    music.add_argument("folders", nargs="*", metavar="DIR",
                       help="folders to scan; none = re-scan every folder imported before")
    history = imp_sub.add_parser("history", parents=[common],
                                 help="your history: Letterboxd's export, IMDb's ratings.csv or Spotify's "
                                      "streaming history (zips or files)")
    history.add_argument("files", type=Path, nargs="+", metavar="FILE")
    listens = imp_sub.add_parser("listens", parents=[common],
                                 help="listening history: a ListenBrainz export or a Last.fm scrobbles CSV")
    listens.add_argument("file", type=Path)

    sub.add_parser("reindex", parents=[common], help="rebuild the vector index from the database")
    rate = sub.add_parser("rate", parents=[common], help="rate an item 1-5 stars")
    rate.add_argument("item", type=_text, help="its id, or its title (\"Fargo\", \"Heat (1995)\")")
    rate.add_argument("stars", type=float)
    rate.add_argument("--user", default=ME, type=_text)

    rec = sub.add_parser("recommend", parents=[common], help="recommend items with reasons")
    rec.add_argument("--user", default=ME, type=_text)
    rec.add_argument("--query", type=_text)
    rec.add_argument("--domain", choices=DOMAINS)
    rec.add_argument("--k", type=int, default=None, metavar="K",
                     help="how many (default: the default_k setting)")
    rec.add_argument("--year-min", type=int)
    rec.add_argument("--year-max", type=int)
    rec.add_argument("--genre", action="append", default=[], type=_text, help="repeatable")
    rec.add_argument("--include-rated", action="store_true")

    search = sub.add_parser("search", parents=[common], help="find items by text")
    search.add_argument("text", type=_text)
    search.add_argument("--domain", choices=DOMAINS)
    search.add_argument("--k", type=int, default=None, metavar="K",
                        help="how many (default: the default_k setting)")
    similar = sub.add_parser("similar", parents=[common], help="items like an item (tracks: by sound)")
    similar.add_argument("item", help="an item id, or a music file's path")
    similar.add_argument("--k", type=int, default=None, metavar="K",
                         help="how many (default: the default_k setting)")

    ask = sub.add_parser("ask", parents=[common], help="one conversational turn: say what you want")
    ask.add_argument("text", type=_text)
    ask.add_argument("--session", help="continue this conversation (its id is printed with every answer)")
    ask.add_argument("--backend", choices=setting_values("llm_backend"),
                     help="the language model: Ollama, the embedded one, or auto (the setting's default)")

    lists = sub.add_parser("list", help="lists and playlists: create, add, show, export")
    list_sub = lists.add_subparsers(dest="list_command", required=True)
    create = list_sub.add_parser("create", parents=[common], help="a new, empty list")
    create.add_argument("name", type=_text)
    add = list_sub.add_parser("add", parents=[common], help="append items (ids) to a list")
    add.add_argument("name", type=_text)
    add.add_argument("items", nargs="+", metavar="ITEM", type=_text)
    show = list_sub.add_parser("show", parents=[common], help="a list's entries with your ratings")
    show.add_argument("name", nargs="?", type=_text, help="a list; none = every list")
    export = list_sub.add_parser("export", parents=[common], help="write a list as m3u8, xspf, jspf, csv or json")
    export.add_argument("name", type=_text)
    export.add_argument("file", type=Path)
    export.add_argument("--format", help="m3u8, xspf, jspf, csv or json (default: from the file's extension)")
    export.add_argument("--overwrite", action="store_true", help="replace the file if it exists")
    export.add_argument("--relative", action="store_true", help="M3U8/XSPF: paths relative to the playlist file")
    export.add_argument("--map", action="append", default=[], metavar="FROM=TO",
                        help="rewrite a path prefix for a media server, e.g. /home/me/Music=/music (repeatable)")

    voice = sub.add_parser("voice", parents=[common], help="a spoken turn from a recording: hear, answer, speak")
    voice.add_argument("--in", dest="recording", type=Path, required=True, help="the spoken request (wav, flac...)")
    voice.add_argument("--out", type=Path, help="write the spoken reply here (wav)")
    voice.add_argument("--session", help="continue this conversation")
    say = sub.add_parser("say", parents=[common], help="speak any text into a wav file")
    say.add_argument("text", type=_text)
    say.add_argument("--out", type=Path, required=True)

    ev = sub.add_parser("eval", parents=[common], help="evaluate the rankers (docs/evaluation.md)")
    ev.add_argument("--dataset", choices=["ml-100k", "ml-1m"], default="ml-100k")
    sub.add_parser("status", parents=[common], help="what is imported and indexed")
    sub.add_parser("models", parents=[common],
                   help="the chat, speech, voice and text models: which the settings choose, and what else there is")
    sub.add_parser("shell", help="ask, rate and ask again, in the terminal")
    sub.add_parser("backup", parents=[common], help="back up the library's database now")
    restore = sub.add_parser("restore", parents=[common], help="go back to a backup of the database")
    restore.add_argument("backup", nargs="?", default="", help="the backup's file name (default: the newest)")
    restore.add_argument("--list", action="store_true", help="list the backups instead")
    sub.add_parser("repair", parents=[common],
                   help="rebuild a damaged database from what can be read (the damaged file is kept aside)")
    from app.selftest import CHECKS

    check = sub.add_parser("selftest", parents=[common],
                           help="try every part (index, embedder, speech, voice, chat model, music analysis, window)")
    check.add_argument("--only", nargs="+", choices=list(CHECKS), metavar="CHECK",
                       help=f"run only these checks: {', '.join(CHECKS)}")
    return parser


def _run_maintenance(args: argparse.Namespace, out: _Printer) -> None:
    from app import maintenance

    if args.command == "backup":
        made = maintenance.back_up_library()
        out.emit({"backup": None if made is None else str(made)},
                 "the library is empty: nothing to back up" if made is None else f"backed up to {made}")
    elif args.command == "restore" and args.list:
        found = maintenance.library_backups()
        out.emit({"backups": [_backup_json(b) for b in found]},
                 "\n".join(f"{b.path.name}  {_when(b.taken)}  {b.reason}  {b.size / 1e6:.1f} MB" for b in found)
                 or "no backups yet (one is taken before every import)")
    elif args.command == "restore":
        done = maintenance.restore_library(args.backup)
        kept = done.replaced_kept_at
        out.emit({"restored": _backup_json(done.backup), "replaced_kept_at": None if kept is None else str(kept)},
                 f"restored {done.backup.path.name} ({_when(done.backup.taken)}, {done.backup.reason})"
                 + ("" if kept is None else f"; the database it replaced is kept as {kept}")
                 + "; the search index is rebuilt on next use")
    else:
        report = maintenance.repair_library()
        lines = [f"repaired: {sum(report.rows.values()):,} rows recovered "
                 f"({report.rows.get('items', 0):,} items, {report.rows.get('ratings', 0):,} ratings)"]
        lines += [f"  {table}: damage stopped the reading ({why}); rows stored there are lost"
                  for table, why in report.stopped.items()]
        if report.dropped:
            lines.append(f"  {report.dropped:,} rows dropped: what they referred to was lost")
        lines.append(f"the damaged file is kept as {report.damaged_copy}; the search index is rebuilt on next use")
        out.emit({"rows": report.rows, "stopped": report.stopped, "dropped": report.dropped,
                  "damaged_copy": str(report.damaged_copy)}, "\n".join(lines))


def _backup_json(backup: Any) -> dict[str, Any]:
    return {"file": str(backup.path), "taken": _when(backup.taken), "reason": backup.reason, "bytes": backup.size}


def _when(seconds: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(seconds))


def _run_selftest(args: argparse.Namespace, out: _Printer) -> int:
    from app.bootstrap import configured
    from app.selftest import CheckResult, run_checks

    def show(name: str, result: CheckResult) -> None:
        if not out.as_json:
            print(f"{'ok  ' if result.ok else 'FAIL'} {name:<15} {result.seconds:5.1f} s  {result.detail}", flush=True)

    settings, paths = configured()
    started = time.perf_counter()
    results = run_checks(settings, paths, tuple(args.only or ()), on_result=show)
    ok = all(result.ok for result in results.values())
    payload = {"ok": ok, "seconds": round(time.perf_counter() - started, 2),
               "checks": {name: result.as_dict() for name, result in results.items()}}
    failed = [name for name, result in results.items() if not result.ok]
    out.emit(payload, "every check passed" if ok else f"failed: {', '.join(failed)} (details above)")
    return 0 if ok else 1


def _run_eval(args: argparse.Namespace, out: _Printer) -> None:
    from app.recommend.evaluate import evaluate_dataset

    result = evaluate_dataset(args.dataset, progress=out.progress)
    protocol = result["protocol"]
    lines = [f"{args.dataset}: {protocol['split']}; relevant = {protocol['relevant']}; "
             f"{protocol['evaluated_users']} users evaluated, {protocol['skipped_users']} skipped "
             "(no relevant test item); * = the ranker the app ships",
             f"{'model':<14}" + "".join(
        f"{m:>9}" for m in ("P@5", "R@5", "NDCG@5", "P@10", "R@10", "NDCG@10"))]
    for name, metrics in result["models"].items():
        mark = " *" if name == result.get("shipped") else ""
        lines.append(f"{name + mark:<14}" + "".join(
            f"{metrics[m]:>9.4f}" for m in ("P@5", "R@5", "NDCG@5", "P@10", "R@10", "NDCG@10")))
    out.emit(result, "\n".join(lines))


def _run_engine_command(args: argparse.Namespace, out: _Printer) -> None:
    from app.bootstrap import open_engine
    from app.services.recommendations import RecommendRequest

    engine = open_engine()
    if getattr(args, "k", 0) is None:  # no --k: as many as the default_k setting says
        args.k = engine.settings.default_k
    try:
        command = {"import": f"import {getattr(args, 'what', '')}",
                   "list": f"list {getattr(args, 'list_command', '')}"}.get(args.command, args.command)
        handlers: dict[str, Callable[[], None]] = {
            "import movielens": lambda: _report_import(_movielens(engine, args, out), out),
            "import products": lambda: _report_import(
                engine.catalogue.import_products(args.file, args.ratings, out.progress), out),
            "import demo": lambda: _report_import(engine.catalogue.import_demo(out.progress), out),
            "import music": lambda: _report_music(engine.music.import_folders(args.folders, out.progress), out),
            "import listens": lambda: _report_listens(engine.listens.import_file(args.file, out.progress), out),
            "import history": lambda: _report_history(engine.history.import_files(args.files, out.progress), out),
            "reindex": lambda: _report_reindex(engine.index.rebuild(out.progress), out),
            "rate": lambda: _report_rating(engine.ratings.rate(_item_ref(engine, args.item), stars=args.stars,
                                                               user=args.user), out),
            "recommend": lambda: _report_items(engine.recommendations.recommend(RecommendRequest(
                user=args.user, k=args.k, query=args.query, domain=args.domain, year_min=args.year_min,
                year_max=args.year_max, genres=tuple(args.genre), exclude_rated=not args.include_rated),
                out.progress), out, user=args.user),
            "search": lambda: _report_items(engine.recommendations.search(args.text, args.k, args.domain,
                                                                       progress=out.progress), out),
            "similar": lambda: _report_items(
                engine.recommendations.similar(_item_ref(engine, args.item), args.k), out),
            "status": lambda: _report_status(engine, out),
            "ask": lambda: _report_turn(_conversation(engine, args.backend).turn(args.text, args.session), out),
            "voice": lambda: _run_voice(engine, args, out),
            "shell": lambda: _run_shell(engine),
            "list create": lambda: _report_lists(engine, [engine.lists.create(args.name).name], out),
            "list add": lambda: _report_lists(engine, [engine.lists.add(args.name, args.items).playlist.name], out),
            "list show": lambda: _report_lists(engine, [args.name] if args.name else
                                               [p.name for p in engine.lists.all()], out),
            "list export": lambda: _report_export(engine, args, out),
        }
        handlers[command]()
    finally:
        engine.close()


def _run_shell(engine: Any) -> None:
    _warn_about_plain_http(engine.settings, None)
    from app.shell import Shell

    Shell(engine).run()


def _report_import(run: Any, out: _Printer) -> None:
    payload = {"import": {"id": run.id, "kind": run.kind, "source": run.source, "status": run.status,
                          "items": run.items, "users": run.users, "ratings": run.ratings,
                          "seconds": round((run.finished or run.started) - run.started, 2)}}
    out.emit(payload, f"imported {run.kind} from {run.source}: {run.items} items, {run.users} users, "
                      f"{run.ratings} ratings")


def _warn_about_plain_http(settings: Any, backend: str | None) -> None:
    """Say once, on stderr, when requests to a remote Ollama would travel unencrypted."""
    from app.domain.remote import insecure_host_warning

    if (backend or settings.llm_backend) != "embedded":
        warning = insecure_host_warning(settings.ollama_host)  # never the raw host: it may hold a password
        if warning:
            print(f"chatrec: warning: {warning}", file=sys.stderr)


def _conversation(engine: Any, backend: str | None) -> Any:
    _warn_about_plain_http(engine.settings, backend)
    if backend is None:
        return engine.conversation
    from app.bootstrap import chat_models

    return engine.conversation.with_chat(chat_models(engine.settings, engine.paths, backend))


def _browse_json(browse: Any) -> dict[str, str] | None:
    """What a browsing command moves ("next", "play the third"), for scripts driving a window; None otherwise."""
    if browse is None:
        return None
    return {key: value for key, value in (("kind", browse.kind), ("item_id", browse.item_id),
                                          ("page", browse.page)) if value}


def _report_turn(result: Any, out: _Printer) -> None:
    payload = {"reply": result.reply, "items": [item_json(r) for r in result.items],
               "intent": result.intent.as_dict(), "backend": result.backend, "fallbacks": list(result.fallbacks),
               "timings_ms": result.timings_ms, "session": result.session_id, "browse": _browse_json(result.browse)}
    lines = [result.reply]  # each card's line carries its product's price already (app/services/replies.py)
    if result.fallbacks:
        lines.append("(" + "; ".join(result.fallbacks) + ")")
    lines.append(f"[session {result.session_id}: continue with --session {result.session_id}]")
    out.emit(payload, "\n".join(lines))


def _report_lists(engine: Any, names: Sequence[str], out: _Printer) -> None:
    views = [engine.lists.show(name) for name in names]
    payload = {"lists": [{"name": v.name, "items": [
        {"position": e.position, "id": e.item.id, "title": e.item.title, "domain": e.item.domain,
         **_price_json(e.item), "stars": None if e.rating is None else e.rating.stars,
         "thumb": None if e.rating is None else e.rating.thumb} for e in v.entries]} for v in views]}
    lines = []
    for view in views:
        lines.append(f"{view.name} ({len(view.entries)} items)")
        for entry in view.entries:
            stars = f"  {entry.rating.effective_stars():g}★" if entry.rating else ""
            title = entry.item.title + price_suffix(entry.item.attributes)
            lines.append(f"  {entry.position:>2}. {title}  [{entry.item.id}]{stars}")
    out.emit(payload, "\n".join(lines) if lines else "no lists yet: `chatrec list create NAME`")


def _report_export(engine: Any, args: argparse.Namespace, out: _Printer) -> None:
    from app.export.formats import guess_format

    fmt = args.format or guess_format(args.file)
    if fmt is None:
        raise ChatRecError(f"{args.file}: name the format with --format (m3u8, xspf, jspf, csv or json) "
                           "or give the file one of those extensions")
    mapping = {}
    for rule in args.map:
        source, sep, target = rule.partition("=")
        if not sep or not source:
            raise ChatRecError(f"--map {rule!r}: write it as FROM=TO, e.g. /home/me/Music=/music")
        mapping[source] = target
    result = engine.lists.export_result(args.name, fmt, args.file, overwrite=args.overwrite,
                                        path_mode="relative" if args.relative else "absolute", path_map=mapping)
    payload = {"file": str(result.path), "format": result.format, "written": result.written,
               "skipped": [{"position": s.position, "id": s.item_id, "title": s.title, "reason": s.reason}
                           for s in result.skipped]}
    lines = [f"wrote {result.written} entries to {result.path} ({result.format})"]
    lines += [f"  left out #{s.position} {s.title}: {s.reason}" for s in result.skipped]
    out.emit(payload, "\n".join(lines))


def _run_models(out: _Printer) -> None:
    from app.bootstrap import configured
    from app.model_registry import ModelRegistry

    found = ModelRegistry(*configured()).summary()
    payload = {"models": [{"kind": m.kind, "setting": m.setting, "model": m.model, "problem": m.problem,
                           "choices": [choice._asdict() for choice in m.choices]}
                          for m in found]}
    lines = []
    for m in found:
        setting = f"  [{m.setting}]" if m.setting else ""
        lines.append(f"{m.kind}: {m.problem or m.model or 'none installed'}{setting}")
        lines += [f"    {c.label}" + (f" = {c.value}" if c.value else "") for c in m.choices]
    out.emit(payload, "\n".join(lines))


def _run_say(args: argparse.Namespace, out: _Printer) -> None:
    from app.bootstrap import configured, text_to_speech
    from app.voice.tts import write_wav

    tts = text_to_speech(*configured())
    started = time.perf_counter()
    seconds = write_wav(args.out, tts.synthesize(args.text), tts.sample_rate)
    elapsed = time.perf_counter() - started
    out.emit({"file": str(args.out), "seconds": round(seconds, 2), "synthesis_s": round(elapsed, 2)},
             f"wrote {seconds:.1f} s of speech to {args.out}")


def _run_voice(engine: Any, args: argparse.Namespace, out: _Printer) -> None:
    from app.bootstrap import voice_loop
    from app.features.decode import read_speech
    from app.services.voice import collect
    from app.voice.tts import write_wav

    samples = read_speech(str(args.recording))
    spoken: list[Any] = []
    loop = voice_loop(engine)
    # timings_ms["first_audio"] counts from here: the whole recording is in hand, as when a speaker stops.
    result = loop.turn(samples, collect(spoken), session_id=args.session,
                       hints=engine.conversation.speech_hints(args.session))
    written = None
    if args.out is not None:
        written = write_wav(args.out, spoken, loop.sample_rate)
    turn = result.turn
    payload = {"transcript": result.transcript.text, "reply": turn.reply, "items": [item_json(r) for r in turn.items],
               "intent": turn.intent.as_dict(), "backend": turn.backend, "fallbacks": list(turn.fallbacks),
               "timings_ms": result.timings_ms, "session": turn.session_id, "browse": _browse_json(turn.browse),
               "reply_audio": None if args.out is None else {"file": str(args.out), "seconds": round(written or 0, 2)}}
    lines = [f"heard: {result.transcript.text}", turn.reply]
    if args.out is not None:
        lines.append(f"(spoken reply: {args.out}, {written:.1f} s)")
    out.emit(payload, "\n".join(lines))


def _movielens(engine: Any, args: argparse.Namespace, out: _Printer) -> Any:
    """Import MovieLens from a file, from GroupLens (after consent), or from the development copies."""
    if args.download:
        if not args.agree:
            from app.domain.movielens import TERMS

            info = engine.catalogue.movielens_release(args.download)
            size = f"{info.size_bytes / 1e6:.1f} MB" if info.size_bytes else "size not given"
            raise ChatRecError(f"{info.release} ({size}) from {info.url}. {TERMS} Add --agree to download it.")
        return engine.catalogue.download_movielens(args.download, out.progress)
    if args.source is not None:
        return engine.catalogue.import_movielens_from(args.source, out.progress)
    return engine.catalogue.import_movielens(args.size, out.progress)


def _item_ref(engine: Any, ref: str) -> str:
    """An item id as given, the item of a music file named by its path, or the one item a title names."""
    from app.services.titles import item_named

    path = Path(ref).expanduser()
    if path.is_file():
        item_id: str | None = engine.music_files.item_for_path(str(path.absolute()))
        if item_id is None:
            raise ChatRecError(f"{ref} is not in the music library (or was skipped: see `chatrec status`); "
                               "import its folder with `chatrec import music DIR`")
        return item_id
    return item_named(ref, engine.conversation.titles(), lambda item: bool(engine.store.items_by_ids([item])))


def _report_music(report: Any, out: _Printer) -> None:
    run = report.run
    payload = {"import": {"id": run.id, "kind": run.kind, "source": run.source, "status": run.status,
                          "items": run.items, "seconds": round((run.finished or run.started) - run.started, 2)},
               "found": report.found, "added": report.added, "updated": report.updated,
               "unchanged": report.unchanged, "removed": report.removed,
               "skipped": [{"path": s.path, "reason": s.reason} for s in report.skipped]}
    lines = [f"music: {report.found} files found, {report.added} added, {report.updated} updated, "
             f"{report.unchanged} unchanged, {report.removed} removed, {len(report.skipped)} skipped"]
    lines += _skipped_lines([{"path": s.path, "reason": s.reason} for s in report.skipped])
    out.emit(payload, "\n".join(lines))


def _skipped_lines(skipped: Sequence[dict[str, str]], shown: int = 20) -> list[str]:
    """The first skipped files with their reasons; a big library's long tail is in --json."""
    lines = [f"  skipped {s['path']}: {s['reason']}" for s in skipped[:shown]]
    if len(skipped) > shown:
        lines.append(f"  ... and {len(skipped) - shown} more (all of them with --json)")
    return lines


def _report_history(report: Any, out: _Printer) -> None:
    payload = {"format": report.format, "entries": report.entries, "imported": report.imported,
               "matched": report.matched,
               "ambiguous": [{"title": a.title, "year": a.year, "candidates": list(a.candidates)}
                             for a in report.ambiguous],
               "unmatched": list(report.unmatched), "skipped": list(report.skipped)}
    found = f"{report.matched} matched" if report.unit == "films" else f"{report.matched} library tracks played"
    lines = [f"{report.entries} {report.unit} from {report.format}: {found}, {report.imported} saved as ratings, "
             f"{len(report.ambiguous)} ambiguous, {len(report.unmatched)} not in the catalogue"]
    lines += [f"  ambiguous: {a.title} ({a.year}) could be {' or '.join(a.candidates)}" for a in report.ambiguous]
    lines += [f"  not in the catalogue: {title}" for title in report.unmatched[:10]]
    lines += [f"  skipped: {note}" for note in report.skipped[:10]]
    out.emit(payload, "\n".join(lines))


def _report_listens(report: Any, out: _Printer) -> None:
    payload = {"listens": report.listens, "source": report.source, "tracks_matched": report.matched,
               "ratings": report.rated, "kept_desk_ratings": report.kept,
               "unmatched": report.unmatched, "unmatched_examples": list(report.unmatched_examples)}
    out.emit(payload, f"{report.listens} listens from {report.source}: {report.matched} tracks matched, "
                      f"{report.rated} rated from plays ({report.kept} kept your own ratings), "
                      f"{report.unmatched} tracks not in the library")


def _report_reindex(count: int, out: _Printer) -> None:
    out.emit({"indexed": count}, f"indexed {count} items")


def _report_rating(rating: Any, out: _Printer) -> None:
    out.emit({"rating": {"user": rating.user_id, "item": rating.item_id, "stars": rating.stars}},
             f"{rating.user_id} rated {rating.item_id} {rating.stars:g}★")


def _report_items(recs: Sequence[Recommendation], out: _Printer, user: str | None = None) -> None:
    payload: dict[str, Any] = {"items": [item_json(r) for r in recs]}
    if user is not None:
        payload = {"user": user, **payload}
    out.emit(payload, _format_items(recs))


def _report_status(engine: Any, out: _Printer) -> None:
    from app.domain.errors import DatabaseDamagedError
    from app.services.library_status import DamagedLibrary

    report = engine.library_status.report(index=True)
    check = report.check
    newest = check.last_backup
    check_json = {"state": check.state, "problem": check.problem,
                  "last_backup": None if newest is None else _backup_json(newest)}
    if isinstance(report, DamagedLibrary):  # nothing more was read: say what is wrong and how to mend it
        out.emit({"data_dir": str(report.data_dir), "database": str(report.database), "database_check": check_json},
                 f"data folder: {report.data_dir}\ndatabase: DAMAGED ({check.problem})")
        raise DatabaseDamagedError("run `chatrec repair` to recover what can be read, or `chatrec restore` "
                                   "to go back to the last backup"
                                   + ("" if newest is None else f" ({newest.path.name})"))
    runs = [{"id": r.id, "kind": r.kind, "source": r.source, "status": r.status, "items": r.items,
             "users": r.users, "ratings": r.ratings, "message": r.message} for r in report.runs]
    music = {"folders": [f.root for f in report.folders], "indexed": report.tracks_indexed,
             "skipped": [{"path": s.path, "reason": s.reason} for s in report.skipped]}
    payload = {
        "data_dir": str(report.data_dir), "database": str(report.database),
        "schema_version": report.schema_version,
        "items": report.items, "domains": report.domains, "users": report.users,
        "ratings": report.ratings, "lists": report.lists,
        "index_current": report.index_current, "imports": runs,
        "music": music, "database_check": check_json,
    }
    backup_line = "none yet" if newest is None else f"{_when(newest.taken)} ({newest.reason})"
    lines = [f"data folder: {payload['data_dir']}",
             f"database: {check.state}; last backup: {backup_line}",
             f"items: {payload['items']} {payload['domains']}, users: {payload['users']}, "
             f"ratings: {payload['ratings']}, lists: {payload['lists']}",
             f"vector index: {'up to date' if payload['index_current'] else 'will be rebuilt on next use'}"]
    lines += [f"import {r['id']}: {r['kind']} {r['source']} - {r['status']} {r['message']}".rstrip()
              for r in runs]
    if music["folders"]:
        lines.append(f"music: {music['indexed']} tracks indexed from {', '.join(music['folders'])}; "
                     f"{len(music['skipped'])} skipped")
        lines += _skipped_lines(music["skipped"])
    out.emit(payload, "\n".join(lines))


def main(argv: Sequence[str] | None = None) -> int:
    """Run one sub-command; exit 0 on success, 2 on an error the user can act on."""
    args = _build_parser().parse_args(argv)
    out = _Printer(getattr(args, "json", False))
    try:
        configure_logging(app_paths().logs)
        if args.command == "selftest":
            return _run_selftest(args, out)  # no data folder needed: it works in a scratch folder
        if args.command in ("backup", "restore", "repair"):
            _run_maintenance(args, out)  # the database alone: no engine, which would refuse a damaged file
            return 0
        if args.command == "eval":
            _run_eval(args, out)
        elif args.command == "models":
            _run_models(out)  # no data folder needed: models are found by their files
        elif args.command == "say":
            _run_say(args, out)  # no data folder needed: it only speaks
        else:
            _run_engine_command(args, out)
    except ChatRecError as exc:
        if out.as_json:
            print(json.dumps({"error": str(exc), "kind": type(exc).__name__}), file=sys.stderr)
        print(f"chatrec: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("chatrec: interrupted; the database keeps only whole imports, and the search index "
              "catches up on next use", file=sys.stderr)
        return 130
    except Exception as exc:  # the last resort: one line and the log, never a bare traceback
        log_file = app_paths().logs / "chatrec.log"
        logging.getLogger("chatrec").exception("unexpected error")
        print(f"chatrec: internal error: {type(exc).__name__}: {exc}; the details are in {log_file}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
