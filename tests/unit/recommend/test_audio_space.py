"""The sound space: standardisation, equal group weights, drift, and nearest-liked scoring."""

from __future__ import annotations

import numpy as np
import pytest

from app.recommend.audio import AudioSpace, SoundScorer, group_weights

GROUPS = {"tempo": slice(0, 1), "timbre": slice(1, 5)}


def test_each_group_weighs_the_same_whatever_its_size() -> None:
    weights = group_weights(GROUPS, 5)
    assert weights[0] ** 2 == pytest.approx((weights[1:] ** 2).sum())


def test_units_do_not_decide_similarity() -> None:
    # Tempo in BPM dwarfs the other numbers; after standardising it counts like any group.
    rng = np.random.default_rng(0)
    raw = np.column_stack([rng.normal(120, 30, 50), rng.normal(0, 0.01, (50, 4))])
    space = AudioSpace.fit(raw, GROUPS)
    vectors = space.embed(raw)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    timbre_share = (vectors[:, 1:] ** 2).sum(axis=1).mean()
    assert 0.3 < timbre_share < 0.7


def test_a_single_track_library_gives_no_nan() -> None:
    space = AudioSpace.fit(np.array([[120.0, 1, 2, 3, 4]]), GROUPS)
    assert np.isfinite(space.embed(np.array([[120.0, 1, 2, 3, 4]]))).all()


def test_drift_is_seen_only_when_the_library_changes_its_spread() -> None:
    rng = np.random.default_rng(1)
    raw = rng.normal(0, 1, (400, 5))
    space = AudioSpace.fit(raw, GROUPS)
    assert not AudioSpace.fit(np.vstack([raw, raw[:2]]), GROUPS).drifted_from(space)
    assert AudioSpace.fit(raw * 3, GROUPS).drifted_from(space)
    assert space.drifted_from(None)


def test_the_space_survives_a_json_round_trip() -> None:
    space = AudioSpace.fit(np.arange(15, dtype=float).reshape(3, 5), GROUPS)
    again = AudioSpace.from_json(space.to_json())
    assert again is not None and not again.drifted_from(space) and again.tracks == 3
    assert AudioSpace.from_json({"mean": "nonsense"}) is None


def test_score_is_the_similarity_to_the_nearest_liked_track_not_the_average() -> None:
    vectors = np.array([[1, 0], [0, 1], [0.9, 0.1], [0.1, 0.9], [0, 0]], dtype=np.float32)
    vectors[:4] /= np.linalg.norm(vectors[:4], axis=1, keepdims=True)
    scorer = SoundScorer(vectors)
    scores = scorer.score(np.array([0, 1]))  # liked both extremes
    assert scores[2] > 0.95 and scores[3] > 0.95  # each close to one of them
    assert scores[4] == 0.0  # no sound, no score
    assert scorer.nearest_liked(3, np.array([0, 1]))[0] == 1  # type: ignore[index]
    assert scorer.nearest_liked(4, np.array([0, 1])) is None
