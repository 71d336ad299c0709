"""Top-k against a float64 NumPy oracle: cosine, inner product, ties, Index."""
import numpy as np
import pytest

import brigade
import oracle


def check(queries, db, k, metric="cosine", **kw):
    scores, indices = brigade.cosine_topk(queries, db, k, metric=metric, **kw)
    want_s, want_i = oracle.topk(queries, db, k, metric)
    assert scores.dtype == np.float32 and indices.dtype == np.int64
    assert scores.shape == indices.shape == (len(queries), k)
    np.testing.assert_array_equal(indices, want_i)
    np.testing.assert_allclose(scores, want_s, rtol=2e-7, atol=1e-7)
    return scores, indices


@pytest.mark.parametrize("metric", ["cosine", "inner_product"])
@pytest.mark.parametrize("nq,nb,dim,k", [(1, 1, 1, 1), (7, 300, 33, 5), (40, 2000, 100, 3),
                                         (3, 50, 8, 50)])
def test_random_against_oracle(metric, nq, nb, dim, k):
    rng = np.random.default_rng(nq * 1000 + nb + dim)
    db = rng.standard_normal((nb, dim), dtype=np.float32)
    q = rng.standard_normal((nq, dim), dtype=np.float32)
    check(q, db, k, metric)


def test_tutorial_data_three_most_similar():
    """The tutorial's Part 3 at its first size: rand data, the top 3."""
    rng = np.random.default_rng(3)
    existing = rng.random((1000, 100)).astype(np.float32)
    new = rng.random((100, 100)).astype(np.float32)
    check(new, existing, 3)


def test_ties_go_to_the_lower_index():
    rng = np.random.default_rng(1)
    base = rng.integers(-3, 4, size=(40, 6)).astype(np.float32)
    db = np.concatenate([base, base[::-1], base])  # every row three times
    q = rng.integers(-3, 4, size=(25, 6)).astype(np.float32)
    for metric in ("cosine", "inner_product"):
        scores, _ = check(q, db, 9, metric)
        assert (scores[:, 1:] == scores[:, :-1]).sum() >= 2 * len(q)  # ties were ranked


def test_small_integer_inner_products_tie_everywhere():
    rng = np.random.default_rng(2)
    db = rng.integers(0, 2, size=(500, 4)).astype(np.float32)  # 16 distinct rows
    q = rng.integers(0, 2, size=(10, 4)).astype(np.float32)
    check(q, db, 40, "inner_product")


def test_zero_vectors_have_cosine_zero():
    db = np.array([[0, 0], [1, 0], [-1, 0], [0, 0]], np.float32)
    q = np.array([[0, 0], [-2, 0]], np.float32)
    scores, indices = check(q, db, 4)
    np.testing.assert_array_equal(scores[0], 0)        # everything ties at 0
    np.testing.assert_array_equal(indices[0], [0, 1, 2, 3])
    np.testing.assert_array_equal(indices[1], [2, 0, 3, 1])


def test_budget_does_not_change_results():
    rng = np.random.default_rng(4)
    db = rng.standard_normal((3000, 64), dtype=np.float32)
    q = rng.standard_normal((50, 64), dtype=np.float32)
    s0, i0 = brigade.cosine_topk(q, db, 10)
    s1, i1 = brigade.cosine_topk(q, db, 10, workspace_bytes=1 << 20)
    np.testing.assert_array_equal(i0, i1)
    np.testing.assert_array_equal(s0, s1)


def test_no_queries_gives_empty_results():
    db = np.ones((4, 3), np.float32)
    scores, indices = brigade.cosine_topk(np.empty((0, 3), np.float32), db, 2)
    assert scores.shape == indices.shape == (0, 2)


@pytest.mark.parametrize("metric", ["cosine", "inner_product"])
def test_index_matches_cosine_topk(metric):
    rng = np.random.default_rng(5)
    db = rng.standard_normal((1500, 48), dtype=np.float32)
    q = rng.standard_normal((30, 48), dtype=np.float32)
    index = brigade.Index(db, metric=metric)
    assert (index.ntotal, index.dim) == (1500, 48)
    want = {k: brigade.cosine_topk(q, db, k, metric=metric) for k in (1, 7, 1500)}
    db[:] = 0  # the index holds its own copy of the rows
    for k, (want_s, want_i) in want.items():
        s, i = index.search(q, k)
        np.testing.assert_array_equal(i, want_i)
        np.testing.assert_array_equal(s, want_s)
