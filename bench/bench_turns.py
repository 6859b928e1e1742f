"""Scripted conversations played end to end: is what a user sees fully right?

Plays tests/data/turns_*.jsonl (format: tests/data/README-turns.md) through the real conversation
service on the demo products, MovieLens 100K and Debian's game soundtracks, for a newcomer, and checks
every card, the reply and what got saved against each turn's labels. Reports the share of turns that
are fully right, per kind, with the misses, and the wall-clock time per turn.

Run from the repository root (after `make test-music`):
  .venv/bin/python bench/bench_turns.py [--set fresh8,fresh7,...] [--backend embedded,none] [--label NAME]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.bootstrap import Engine, chat_models, open_engine  # noqa: E402
from app.catalog.music_items import descriptors_of, pace  # noqa: E402
from app.config import Settings  # noqa: E402
from app.domain.items import ME, Item  # noqa: E402
from app.paths import app_paths  # noqa: E402
from app.services.conversation import ConversationOptions, TurnResult  # noqa: E402
from bench.timing import latency_ms  # noqa: E402

SETS = {"heldout": ROOT / "tests" / "data" / "turns_heldout.jsonl",
        "fresh": ROOT / "tests" / "data" / "turns_fresh.jsonl",
        "fresh2": ROOT / "tests" / "data" / "turns_fresh2.jsonl",
        "fresh3": ROOT / "tests" / "data" / "turns_fresh3.jsonl",
        "fresh4": ROOT / "tests" / "data" / "turns_fresh4.jsonl",
        "fresh5": ROOT / "tests" / "data" / "turns_fresh5.jsonl",
        "fresh6": ROOT / "tests" / "data" / "turns_fresh6.jsonl",
        "fresh7": ROOT / "tests" / "data" / "turns_fresh7.jsonl",
        "fresh8": ROOT / "tests" / "data" / "turns_fresh8.jsonl"}
MUSIC = ROOT / ".cache" / "test-music" / "root"
RESULTS = ROOT / "bench" / "results"


class NoModel:
    """A ChatModelSource with no model: the path without the model's stages."""

    def get(self) -> tuple[None, tuple[str, ...]]:
        return None, ()


@dataclass
class Seen:
    """What the checks of one turn look at."""

    result: TurnResult
    previous: tuple[Item, ...]  # the cards before this turn
    new_ratings: dict[str, float]  # item id -> stars saved by this turn


def conversations(path: Path) -> list[dict[str, Any]]:
    """The scripted conversations of one set, in file order."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def price_of(item: Item) -> float | None:
    """A product's price, None for other items."""
    raw = item.attributes.get("price")
    return float(raw) if raw else None


def _genres(item: Item) -> set[str]:
    return {g.casefold() for g in item.genres}


def _find_title(engine: Engine, title: str) -> Item | None:
    wanted = title.casefold()
    return next((i for i in engine.store.items() if i.title.casefold() == wanted), None)


def _item_for(engine: Engine, label: dict[str, Any], seen: Seen) -> Item | None:
    """The item a label means: a card of the previous turn by number, or a title."""
    if "card" in label:
        number = int(label["card"])
        return seen.previous[number - 1] if 1 <= number <= len(seen.previous) else None
    return _find_title(engine, str(label.get("title", "")))


def _card_checks(expect: dict[str, Any], cards: list[Item]) -> list[str]:
    """Problems with the cards against the labelled constraints."""
    problems: list[str] = []

    def each(name: str, ok: Any) -> None:
        bad = [c.title for c in cards if not ok(c)]
        if bad:
            problems.append(f"{name}: {bad[:3]}")

    if "domain" in expect:
        each("domain", lambda c: c.domain == expect["domain"])
    if "genres_all" in expect:
        want = {g.casefold() for g in expect["genres_all"]}
        each("genres_all", lambda c: want <= _genres(c))
    if "genres_any" in expect:
        want = {g.casefold() for g in expect["genres_any"]}
        each("genres_any", lambda c: bool(want & _genres(c)))
    if "genres_none" in expect:
        unwanted = {g.casefold() for g in expect["genres_none"]}
        each("genres_none", lambda c: not unwanted & _genres(c))
    if "year_min" in expect:
        each("year_min", lambda c: (c.year or 0) >= expect["year_min"])
    if "year_max" in expect:
        each("year_max", lambda c: 0 < (c.year or 0) <= expect["year_max"])
    if "exclude" in expect:
        banned = {t.casefold() for t in expect["exclude"]}
        each("exclude", lambda c: c.title.casefold() not in banned)
    if "price_max" in expect:
        each("price_max", lambda c: (price_of(c) or 0.0) <= expect["price_max"])
    if "price_min" in expect:
        each("price_min", lambda c: (price_of(c) or 0.0) >= expect["price_min"])
    if "categories_any" in expect:
        want = {g.casefold() for g in expect["categories_any"]}
        each("categories_any", lambda c: c.attributes.get("category", "").casefold() in want)
    if "tags_any" in expect:
        want = {g.casefold() for g in expect["tags_any"]}
        each("tags_any", lambda c: bool(want & _genres(c)))
    for key, read in (("pace_any", lambda d: pace(d.tempo_bpm)), ("energy_any", lambda d: d.energy),
                      ("brightness_any", lambda d: d.brightness)):
        if key in expect:
            want = set(expect[key])
            each(key, lambda c, read=read, want=want: (d := descriptors_of(c)) is not None and read(d) in want)
    if "tempo_max" in expect:
        each("tempo_max", lambda c: (d := descriptors_of(c)) is not None and d.tempo_bpm <= expect["tempo_max"])
    if "tempo_min" in expect:
        each("tempo_min", lambda c: (d := descriptors_of(c)) is not None and d.tempo_bpm >= expect["tempo_min"])
    return problems


_CARD_KEYS = ("domain", "genres_all", "genres_any", "genres_none", "year_min", "year_max", "exclude", "price_max",
              "price_min", "categories_any", "tags_any", "pace_any", "energy_any", "brightness_any", "tempo_max",
              "tempo_min", "count", "new_cards")


def check_turn(engine: Engine, expect: dict[str, Any], seen: Seen) -> list[str]:
    """Every way the turn differs from its labels (empty: fully right)."""
    result = seen.result
    reply = result.reply.casefold()
    cards = [r.item for r in result.items]
    problems: list[str] = []
    action = result.intent.action if result.intent.action != "refine" else "recommend"
    wants_cards = any(k in expect for k in _CARD_KEYS) or expect.get("action") == "recommend"
    if "action" in expect and expect["action"] != action:
        problems.append(f"action {action} (expected {expect['action']})")
    if wants_cards:
        if not cards:
            problems.append("no cards")
        problems += _card_checks(expect, cards)
        count = expect.get("count")
        if count is not None and len(cards) != count and not (len(cards) < count and "only" in reply):
            problems.append(f"count {len(cards)} (expected {count})")
        if expect.get("new_cards"):
            repeated = {c.id for c in cards} & {c.id for c in seen.previous}
            if repeated:
                problems.append(f"repeated cards: {len(repeated)}")
    for name in expect.get("unknown", []):
        if name.casefold() not in reply:
            problems.append(f"unknown title {name!r} not said")
        if any(w in result.intent.query.casefold().split() for w in re.findall(r"\w{4,}", name.casefold())):
            problems.append(f"unknown title {name!r} became search words")
    rated = expect.get("rated")
    if rated is not None:
        item = _item_for(engine, rated, seen)
        if item is None or seen.new_ratings.get(item.id) != float(rated["stars"]):
            problems.append(f"rating not saved: {rated}")
    elif seen.new_ratings:
        problems.append(f"ratings saved unasked: {sorted(seen.new_ratings)[:3]}")
    added = expect.get("added")
    if added is not None:
        item = _item_for(engine, added, seen)
        lists = {p.name.casefold(): p for p in engine.lists.all()}
        playlist = lists.get(str(added["list"]).casefold())
        if item is None or playlist is None or item.id not in playlist.item_ids:
            problems.append(f"not added: {added}")
    exported = expect.get("exported")
    if exported is not None:
        # A path may hold spaces ("watchlist (2).csv" when watchlist.csv was written before).
        paths = re.findall(r"(/[^\n]*?\." + re.escape(str(exported["format"]).lower()) + r")\b", result.reply)
        if not paths or not Path(paths[0]).is_file():
            problems.append(f"not exported: {exported}")
    explains = expect.get("explains")
    if explains is not None:
        item = _item_for(engine, explains, seen)
        if item is None or item.title.casefold() not in reply:
            problems.append(f"does not explain {explains}")
    known = engine.store.items_by_ids(c.id for c in cards)
    problems += [f"invented card {c.id}" for c in cards if c.id not in known]
    return problems


def build_engine(home: Path) -> Engine:
    """An engine on a fresh data folder with the three catalogues imported."""
    os.environ["CHATREC_HOME"] = str(home)
    engine = open_engine(app_paths())
    engine.catalogue.import_demo()
    engine.catalogue.import_movielens("100k")
    if not MUSIC.is_dir():
        sys.exit(f"{MUSIC} is missing: run `make test-music` first")
    engine.music.import_folders([str(MUSIC)])
    return engine


def play(engine: Engine, convs: list[dict[str, Any]], chat: Any) -> dict[str, Any]:
    """Every conversation, for a newcomer each time; the share fully right and the misses."""
    right = total = 0
    per_kind: Counter[str] = Counter()
    per_kind_right: Counter[str] = Counter()
    misses: list[dict[str, Any]] = []
    seconds: list[float] = []
    slowest = 0.0
    for conv in convs:
        for rating in engine.store.ratings_of(ME):
            engine.store.unrate(ME, rating.item_id)
        session: str | None = None
        previous: tuple[Item, ...] = ()
        for turn in conv["turns"]:
            before = {r.item_id: r.stars for r in engine.store.ratings_of(ME)}
            started = time.perf_counter()
            result = chat.turn(turn["say"], session)
            elapsed = time.perf_counter() - started
            seconds.append(elapsed)
            slowest = max(slowest, elapsed)
            session = result.session_id
            after = {r.item_id: r.stars for r in engine.store.ratings_of(ME)}
            new = {k: float(v) for k, v in after.items() if v is not None and before.get(k) != v}
            expect = turn.get("expect")
            if expect is not None:
                problems = check_turn(engine, expect, Seen(result, previous, new))
                kind = re.split(r"[-_\d]", conv["id"])[0] or "other"
                total += 1
                per_kind[kind] += 1
                if not problems:
                    right += 1
                    per_kind_right[kind] += 1
                else:
                    misses.append({"id": conv["id"], "say": turn["say"], "problems": problems,
                                   "reply": result.reply[:300], "cards": [r.item.title for r in result.items],
                                   "intent": result.intent.as_dict()})
            if result.items and result.intent.action != "explain":
                # An explanation shows the one card it explains; "the third one" still counts the cards
                # recommended before it, as the conversation does.
                previous = tuple(r.item for r in result.items)
    return {"turns_checked": total, "fully_right": right, "share": round(right / max(total, 1), 4),
            "per_kind": {k: f"{per_kind_right[k]}/{n}" for k, n in sorted(per_kind.items())},
            "turn_seconds": latency_ms(seconds), "slowest_turn_s": round(slowest, 2), "misses": misses}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--set", default="fresh8,fresh7,fresh6,fresh5,fresh4,fresh3,fresh2,fresh,heldout",
                        help="comma-separated: heldout, fresh, fresh2, fresh3, fresh4, fresh5")
    parser.add_argument("--backend", default="embedded,none", help="comma-separated: embedded, none")
    parser.add_argument("--label", default="", help="a name for this run in the result files (e.g. before)")
    parser.add_argument("--builtin", default="", help="the built-in model to use (qwen2.5-0.5b, smollm2-135m); "
                                                      "default: the one the app ships")
    args = parser.parse_args()
    engine = build_engine(Path(tempfile.mkdtemp(prefix="bench-turns-")))
    chosen = chat_models(Settings(llm_backend="embedded", llm_model_file=args.builtin), engine.paths) \
        if args.builtin else None
    for backend in args.backend.split(","):
        chat = engine.conversation.with_chat(chosen if backend == "embedded" else NoModel(), ConversationOptions())
        chat.turn("warm up: something like Fargo")  # fits the model, builds the indexes, loads the LLM
        for name in args.set.split(","):
            summary = {"set": str(SETS[name].relative_to(ROOT)), "backend": backend,
                       "model": chat.model_name(),
                       **play(engine, conversations(SETS[name]), chat)}
            print(json.dumps({k: v for k, v in summary.items() if k != "misses"}, indent=1))
            out = RESULTS / f"turns_{name}{'_' + args.label if args.label else ''}_{backend}.json"
            out.write_text(json.dumps(summary, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
            print(f"wrote {out}")
    engine.close()


if __name__ == "__main__":
    main()
