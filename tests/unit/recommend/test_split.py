import numpy as np
import scipy.sparse as sp

from app.recommend.split import holdout_split, kfold_ratings


def _random_matrix(seed: int = 0) -> sp.csr_matrix:
    rng = np.random.default_rng(seed)
    dense = (rng.random((40, 30)) < 0.3) * rng.integers(1, 6, (40, 30))
    dense[0] = 0
    dense[0, 3] = 4  # a user with a single rating still gets a test rating
    return sp.csr_matrix(dense.astype(float))


def test_split_is_reproducible_and_partitions_the_ratings():
    m = _random_matrix()
    train_a, test_a = holdout_split(m)
    train_b, test_b = holdout_split(m)
    assert (train_a != train_b).nnz == 0 and (test_a != test_b).nnz == 0
    assert ((train_a + test_a) != m).nnz == 0
    assert train_a.multiply(test_a).nnz == 0


def test_every_user_with_ratings_has_at_least_one_test_rating_and_about_20_percent():
    m = _random_matrix()
    _, test = holdout_split(m)
    per_user = np.diff(m.indptr)
    per_test = np.diff(test.indptr)
    assert (per_test[per_user > 0] >= 1).all()
    assert np.array_equal(per_test, np.maximum(1, np.rint(0.2 * per_user)).astype(int) * (per_user > 0))
    assert test[0, 3] == 4


def test_another_seed_gives_another_split():
    m = _random_matrix()
    assert (holdout_split(m, seed=42)[1] != holdout_split(m, seed=7)[1]).nnz > 0


def test_kfold_covers_every_rating_once():
    folds = kfold_ratings(103, 5)
    joined = np.concatenate(folds)
    assert sorted(joined.tolist()) == list(range(103))
    assert [len(f) for f in folds] == [21, 21, 21, 20, 20]
