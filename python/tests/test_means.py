"""mean_rows and mean_chunks against NumPy."""
import warnings

import numpy as np
import pytest

import brigade


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(1, 1), (7, 13), (100, 1000), (3, 0), (0, 5)])
def test_mean_rows_as_numpy(dtype, shape):
    x = np.random.default_rng(shape[0]).random(shape).astype(dtype)
    got = brigade.mean_rows(x)
    assert got.dtype == dtype and got.shape == (shape[0],)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy warns on empty rows
        want = x.astype(np.float64).mean(axis=1)
    # brigade sums in double: closer to the exact mean than NumPy's float32
    np.testing.assert_allclose(got, want, rtol=1e-15 if dtype == np.float64 else 1e-7)


def test_tutorial_reshape_mean():
    big = np.random.default_rng(0).random(1_000_000)
    n = 1000
    np.testing.assert_allclose(brigade.mean_rows(big.reshape(n, -1)),
                               big.reshape(n, -1).mean(axis=1), rtol=1e-14)


def test_mean_rows_converts_strided_and_integer_input():
    x = np.arange(60, dtype=np.int32).reshape(6, 10)
    got = brigade.mean_rows(x)
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, x.mean(axis=1))
    v = x.astype(np.float32)[:, ::3]
    np.testing.assert_allclose(brigade.mean_rows(v), v.mean(axis=1), rtol=1e-7)
    np.testing.assert_allclose(brigade.mean_rows(x.T), x.T.mean(axis=1))


def test_nan_propagates():
    x = np.ones((3, 4))
    x[1, 2] = np.nan
    got = brigade.mean_rows(x)
    assert np.isnan(got[1]) and got[0] == got[2] == 1


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n,chunks", [(10, 1), (10, 3), (10, 4), (10, 10), (3, 5), (0, 2),
                                      (100_003, 1000)])
def test_mean_chunks_as_array_split(dtype, n, chunks):
    x = np.random.default_rng(n).random(n).astype(dtype)
    got = brigade.mean_chunks(x, chunks)
    assert got.dtype == dtype and got.shape == (chunks,)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # empty chunks
        want = np.array([c.astype(np.float64).mean() for c in np.array_split(x, chunks)])
    np.testing.assert_allclose(got, want, rtol=1e-15 if dtype == np.float64 else 1e-7)


def test_mean_chunks_takes_any_shape_flat():
    x = np.arange(24.0).reshape(2, 3, 4)
    want = [c.mean() for c in np.array_split(x.ravel(), 5)]
    np.testing.assert_allclose(brigade.mean_chunks(x, 5), want)
    np.testing.assert_allclose(brigade.mean_chunks(x.T, 5),
                               [c.mean() for c in np.array_split(x.T.ravel(), 5)])
    np.testing.assert_allclose(brigade.mean_chunks(list(range(7)), 2), [1.5, 5.0])
