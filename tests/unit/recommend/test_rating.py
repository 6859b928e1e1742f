import numpy as np
import scipy.sparse as sp

from app.domain.interactions import InteractionMatrix
from app.recommend.bpmf import BPMF
from app.recommend.knn_baseline import KNNBaseline
from app.recommend.rating import RatingModel


def _low_rank(seed: int = 1) -> tuple[InteractionMatrix, np.ndarray]:
    rng = np.random.default_rng(seed)
    users, items = rng.normal(size=(60, 2)), rng.normal(size=(40, 2))
    full = np.clip(np.rint(3.0 + users @ items.T), 1, 5)
    observed = rng.random(full.shape) < 0.5
    matrix = sp.csr_matrix(np.where(observed, full, 0.0))
    ids = InteractionMatrix([f"u{i}" for i in range(60)], [f"i{j}" for j in range(40)], matrix)
    return ids, np.where(observed, 0.0, full)


def test_bpmf_and_blend_beat_the_global_mean_on_held_out_cells():
    data, held_out = _low_rank()
    users, items = np.nonzero(held_out)
    truth = held_out[users, items]
    mean_rmse = np.sqrt(np.mean((truth - data.matrix.data.mean()) ** 2))
    for model in (BPMF(burn_in=10, samples=20, keep=10), RatingModel(BPMF(burn_in=10, samples=20, keep=10))):
        model.fit(data)
        predicted = model.predict_rows(data.matrix, users, items)
        assert np.sqrt(np.mean((predicted - truth) ** 2)) < 0.8 * mean_rmse
        assert predicted.min() >= 1.0 and predicted.max() <= 5.0


def test_fold_in_follows_the_row(blocks):
    model = RatingModel(BPMF(burn_in=5, samples=10, keep=5))
    model.fit(blocks)
    fan, critic = np.zeros(blocks.n_items), np.zeros(blocks.n_items)
    fan[[1, 2, 3, 4]] = 5.0
    critic[[1, 2, 3, 4]] = 1.0
    target = np.array([0])
    assert model.predict(fan, target)[0] > model.predict(critic, target)[0]


def test_knn_baseline_without_ratings_falls_back_to_item_baseline(blocks):
    model = KNNBaseline()
    model.fit(blocks)
    stars = model.predict_row(np.zeros(blocks.n_items), np.arange(blocks.n_items))
    assert np.all((stars >= 1.0) & (stars <= 5.0))
