"""One contract for every Recommender: each model in app/recommend that fits an InteractionMatrix and scores a row.

The fixture is two taste groups with a known right answer (tests/unit/recommend/blocks.py): a user who
rated all of their group's items but one must be offered that one first. Callers rank the scores
themselves and drop the items the row already rates (`rank_users` in ranking_eval, `HybridRanker.recommend`),
so the contract asks for finite scores over every item, rated ones included, and a row left as it was.

A model that does not promise a property declares it in `not_promised`, with the reason: that test then
must fail for it (a strict xfail), so the declaration cannot outlive the behaviour it excuses.
"""

from __future__ import annotations

import importlib
import inspect
import pickle
import pkgutil
from collections.abc import Mapping
from typing import ClassVar

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.typing import NDArray

import app.recommend
from app.domain.interactions import InteractionMatrix
from app.ports import Recommender
from app.recommend.als import ALSRecommender
from app.recommend.audio import AudioSpace, SoundScorer
from app.recommend.baselines import EASE, ItemKNN, MostPopular
from app.recommend.bpmf import BPMF
from app.recommend.content import ContentScorer
from app.recommend.evaluate import TextHybrid
from app.recommend.hybrid import DENSE_BUDGET_BYTES, HybridRanker
from app.recommend.knn_baseline import KNNBaseline
from app.recommend.nmf import NMFRecommender
from app.recommend.ranking_eval import score_rows
from app.recommend.rating import RatingModel
from tests.unit.recommend.blocks import (
    CROWD_FAVOURITE,
    GROUP_A,
    GROUP_B,
    N_ITEMS,
    NOBODY_RATED,
    block_item_vectors,
    block_matrix,
    missing_item,
    row_of,
)

FloatArray = NDArray[np.float64]
# Rows that like one or two items of a group: that group's other items come first, above all of the other
# group's. (Items 0 and 1 are rated together by users 2-4, and two of them rate the crowd favourite as well:
# as often as any item of group A. Rows like that are left out: the crowd favourite may fairly come first.)
FEW_LIKES = {(0,): (GROUP_A, GROUP_B), (0, 2): (GROUP_A, GROUP_B), (5,): (GROUP_B, GROUP_A),
             (5, 6): (GROUP_B, GROUP_A)}


@pytest.fixture
def blocks() -> InteractionMatrix:
    """The two taste groups."""
    return block_matrix()


def stars(*liked: int) -> FloatArray:
    """A row that gives 5★ to the listed items and rates nothing else."""
    row = np.zeros(N_ITEMS)
    row[list(liked)] = 5.0
    return row


def ranked_unrated(scores: FloatArray, row: FloatArray) -> list[int]:
    """The items the row has not rated, best first, as callers rank them (rated items dropped)."""
    masked = np.where(row > 0, -np.inf, scores)
    order = np.argsort(-masked, kind="stable")
    return [int(i) for i in order if row[i] <= 0]


def mean_position(ranking: list[int], items: list[int]) -> float:
    """Where these items sit in a ranking, on average (0 = first)."""
    return float(np.mean([ranking.index(i) for i in items]))


class RecommenderContract:
    """What every Recommender promises; subclasses supply `make` (a fresh model, not yet fitted)."""

    # Contract tests this model does not promise, each with its reason; every other test must pass.
    not_promised: ClassVar[Mapping[str, str]] = {}
    # How closely the same row's scores agree when computed twice the same way (fold-in, refit).
    atol: ClassVar[float] = 1e-9
    # How closely the batch path agrees with the one-row path: float32 products summed in another order.
    batch_atol: ClassVar[float] = 1e-5

    def make(self) -> Recommender:
        """A fresh, unfitted model."""
        raise NotImplementedError

    @pytest.fixture(autouse=True)
    def _declared_exception(self, request: pytest.FixtureRequest) -> None:
        reason = self.not_promised.get(request.node.originalname)
        if reason is not None:
            request.node.add_marker(pytest.mark.xfail(reason=reason, strict=True, raises=AssertionError))

    def fitted(self, data: InteractionMatrix) -> Recommender:
        """A fresh model fitted on data."""
        model = self.make()
        model.fit(data)
        return model

    def test_implements_the_port(self) -> None:
        model = self.make()
        assert isinstance(model, Recommender)
        assert isinstance(model.name, str) and model.name

    def test_scores_cover_every_item_rated_or_not(self, blocks: InteractionMatrix) -> None:
        model = self.fitted(blocks)
        for user in range(blocks.n_users):
            row = row_of(blocks, user)
            scores = model.score(row)
            assert scores.shape == (blocks.n_items,)
            assert np.isfinite(scores).all()  # a rated item is explained too ("why X?"): it needs a real score

    def test_scoring_leaves_the_row_as_it_was(self, blocks: InteractionMatrix) -> None:
        # Callers drop the rated items from the same row after scoring it.
        model = self.fitted(blocks)
        row = row_of(blocks, 3)
        model.score(row)
        np.testing.assert_array_equal(row, row_of(blocks, 3))

    def test_each_user_gets_the_missing_item_of_their_group_first(self, blocks: InteractionMatrix) -> None:
        model = self.fitted(blocks)
        for user in range(blocks.n_users):
            row = row_of(blocks, user)
            assert ranked_unrated(model.score(row), row)[0] == missing_item(user), f"user {user}"

    def test_a_few_likes_are_enough_to_pick_the_group(self, blocks: InteractionMatrix) -> None:
        model = self.fitted(blocks)
        for liked, (group, other) in FEW_LIKES.items():
            row = stars(*liked)
            ranking = ranked_unrated(model.score(row), row)
            assert ranking[0] in group, f"liked {liked}"
            last_of_group = max(ranking.index(item) for item in group if row[item] == 0)
            assert last_of_group < min(ranking.index(item) for item in other), f"liked {liked}"

    def test_a_new_rating_moves_its_neighbours_up_at_once(self, blocks: InteractionMatrix) -> None:
        model = self.fitted(blocks)  # fitted once: every change below is folded in, not refitted
        row = stars(0)
        before = ranked_unrated(model.score(row), row)
        assert before[0] in GROUP_A
        row[6] = 5.0  # one group B item liked as well
        after = ranked_unrated(model.score(row), row)
        neighbours = [item for item in GROUP_B if row[item] == 0]
        assert mean_position(after, neighbours) < mean_position(before, neighbours)
        row[[7, 8, 9]] = 5.0  # all of group B liked but item 5
        final = ranked_unrated(model.score(row), row)
        assert all(final.index(5) < final.index(item) for item in GROUP_A if row[item] == 0)

    def test_a_removed_or_changed_rating_counts_at_once(self, blocks: InteractionMatrix) -> None:
        model = self.fitted(blocks)
        row = row_of(blocks, 0)
        model.score(row)  # a model that keeps state between rows (the hybrid's fold-in) starts from this row
        changed = row.copy()
        changed[7] = 5.0  # a new rating
        changed[1] = 0.0  # a removed one
        changed[2] = 2.0  # a changed one
        np.testing.assert_allclose(model.score(changed), self.fitted(blocks).score(changed), atol=self.atol)

    def test_a_newcomer_gets_scores_for_every_item(self, blocks: InteractionMatrix) -> None:
        model = self.fitted(blocks)
        for row in (blocks.row("somebody new"), stars(NOBODY_RATED)):  # nothing rated; only an item new to the model
            scores = model.score(row)
            assert scores.shape == (blocks.n_items,)
            assert np.isfinite(scores).all()
            assert scores[CROWD_FAVOURITE] >= scores[NOBODY_RATED]

    def test_the_same_seed_gives_the_same_scores(self, blocks: InteractionMatrix) -> None:
        first, second = self.fitted(blocks), self.fitted(blocks)
        for user in (0, 7):
            np.testing.assert_array_equal(first.score(row_of(blocks, user)), second.score(row_of(blocks, user)))

    def test_fitting_again_forgets_the_first_fit(self, blocks: InteractionMatrix) -> None:
        # The groups' items swapped: what was learned from this must not survive the second fit.
        swapped = np.r_[GROUP_B, GROUP_A, CROWD_FAVOURITE, NOBODY_RATED]
        other = InteractionMatrix(blocks.user_ids, blocks.item_ids, sp.csr_matrix(blocks.matrix[:, swapped]))
        model = self.fitted(other)
        model.score(row_of(blocks, 0))
        model.fit(blocks)
        fresh = self.fitted(blocks)
        for user in range(blocks.n_users):
            row = row_of(blocks, user)
            np.testing.assert_allclose(model.score(row), fresh.score(row), atol=self.atol)

    def test_scoring_before_fitting_is_refused(self) -> None:
        with pytest.raises(RuntimeError, match="fitted"):
            self.make().score(stars(0))

    def test_the_evaluations_batch_scores_match_the_apps_single_rows(self, blocks: InteractionMatrix) -> None:
        # `chatrec eval` ranks users a block at a time (score_rows); the app scores one row.
        model = self.fitted(blocks)
        many = score_rows(model, sp.csr_matrix(blocks.matrix))
        for user in range(blocks.n_users):
            np.testing.assert_allclose(many[user], model.score(row_of(blocks, user)), atol=self.batch_atol)

    def test_a_pickled_model_scores_the_same(self, blocks: InteractionMatrix) -> None:
        # The app caches its fitted model as a pickle and scores from the copy on the next start.
        model = self.fitted(blocks)
        copy = pickle.loads(pickle.dumps(model))
        for user in (2, 9):
            np.testing.assert_array_equal(copy.score(row_of(blocks, user)), model.score(row_of(blocks, user)))


def _small_hybrid(dense_budget: int = DENSE_BUDGET_BYTES, als: ALSRecommender | None = None) -> HybridRanker:
    """The hybrid with a short BPMF chain and a ridge small enough for twelve users."""
    return HybridRanker(ease_lambda=1.0, rating_model=RatingModel(BPMF(burn_in=5, samples=10, keep=5)),
                        dense_budget=dense_budget, als=als)


def _small_als() -> ALSRecommender:
    """Two factors for two taste groups, one thread so the fit is repeatable."""
    return ALSRecommender(factors=2, regularization=0.1, alpha=10.0, iterations=20, threads=1)


class TestMostPopular(RecommenderContract):
    not_promised: ClassVar[Mapping[str, str]] = {
        "test_each_user_gets_the_missing_item_of_their_group_first":
            "the same list for everyone: the crowd favourite comes first whatever the row",
        "test_a_few_likes_are_enough_to_pick_the_group": "the row is ignored",
        "test_a_new_rating_moves_its_neighbours_up_at_once": "the row is ignored",
    }

    def make(self) -> Recommender:
        return MostPopular()


class TestItemKNN(RecommenderContract):
    def make(self) -> Recommender:
        return ItemKNN(k=4)


class TestEASE(RecommenderContract):
    def make(self) -> Recommender:
        return EASE(lam=1.0)


class TestNMF(RecommenderContract):
    def make(self) -> Recommender:
        return NMFRecommender(n_components=2)


class TestALS(RecommenderContract):
    def make(self) -> Recommender:
        return _small_als()


class TestDenseHybrid(RecommenderContract):
    def make(self) -> Recommender:
        return _small_hybrid()


class TestFactorisedHybrid(RecommenderContract):
    """The hybrid past its dense budget: ALS in EASE's place, BPMF with the k-NN model's biases."""

    atol = batch_atol = 1e-6

    def make(self) -> Recommender:
        return _small_hybrid(dense_budget=0, als=_small_als())


class TestTextHybrid(RecommenderContract):
    """The hybrid as the app fits it, with item text vectors (the evaluation's shipped row)."""

    def make(self) -> Recommender:
        return TextHybrid(block_item_vectors(), _small_hybrid())


def _looks_like_a_recommender(cls: type) -> bool:
    """Whether cls has the port's fit and score as instance methods. Its name is not asked for: a class-level
    string, a property and an attribute set in __init__ all give a model a name, and only the first is seen on
    the class (test_implements_the_port checks the name of the instance each contract makes)."""
    if getattr(cls, "_is_protocol", False):
        return False  # a port declared beside the models is not a model
    return all(inspect.isfunction(inspect.getattr_static(cls, method, None)) for method in ("fit", "score"))


def _recommenders_in_app() -> set[type]:
    """Every class in app/recommend with fit and score methods: what the port asks of a Recommender."""
    found: set[type] = set()
    for module_info in pkgutil.iter_modules(app.recommend.__path__, "app.recommend."):
        module = importlib.import_module(module_info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and _looks_like_a_recommender(cls):
                found.add(cls)
    return found


def test_every_recommender_in_the_app_runs_the_contract() -> None:
    covered = {type(contract().make()).__qualname__ for contract in RecommenderContract.__subclasses__()}
    found = {cls.__qualname__ for cls in _recommenders_in_app()}
    assert found - covered == set(), "add a Test<Model>(RecommenderContract) class here for each of these"
    assert covered - found == set(), "these no longer implement the port"


class _NamedByProperty:
    @property
    def name(self) -> str:
        return "by property"

    def fit(self, data: InteractionMatrix) -> None: ...

    def score(self, user_row: FloatArray) -> FloatArray: ...


class _NamedInInit:
    def __init__(self) -> None:
        self.name = "in __init__"

    def fit(self, data: InteractionMatrix) -> None: ...

    def score(self, user_row: FloatArray) -> FloatArray: ...


class _FitOnly:  # like BPMF, KNNBaseline and RatingModel: they predict stars, not a ranking
    name = "fit only"

    def fit(self, data: InteractionMatrix) -> None: ...


class _ScoreOnly:  # like ContentScorer and SoundScorer: built from vectors, never fitted
    name = "score only"

    def score(self, user_row: FloatArray) -> FloatArray: ...


class _BuiltByAClassmethod:  # like AudioSpace: fit makes one, and score takes other arguments
    @classmethod
    def fit(cls, raw: FloatArray) -> _BuiltByAClassmethod: ...

    @staticmethod
    def score(liked: FloatArray) -> FloatArray: ...


def test_discovery_finds_a_model_however_it_is_named_and_no_other_class() -> None:
    assert _looks_like_a_recommender(_NamedByProperty) and _looks_like_a_recommender(_NamedInInit)
    assert not any(_looks_like_a_recommender(cls) for cls in (_FitOnly, _ScoreOnly, _BuiltByAClassmethod, Recommender))
    not_recommenders = {BPMF, KNNBaseline, RatingModel, ContentScorer, SoundScorer, AudioSpace}
    assert _recommenders_in_app() & not_recommenders == set()
