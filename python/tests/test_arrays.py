"""Which arrays are accepted, which are used in place, which are converted."""
import numpy as np
import pytest

import brigade
from brigade import _ext

RNG = np.random.default_rng(10)
DB = RNG.standard_normal((400, 24), dtype=np.float32)
Q = RNG.standard_normal((9, 24), dtype=np.float32)
WANT = brigade.cosine_topk(Q, DB, 4)


def same(result):
    np.testing.assert_array_equal(result[0], WANT[0])
    np.testing.assert_array_equal(result[1], WANT[1])


@pytest.fixture
def passed(monkeypatch):
    """The arrays that reach the extension, by name."""
    seen = {}
    real = _ext.cosine_topk

    def spy(dev, q, d, k, metric, ws):
        seen.update(queries=q, db=d)
        return real(dev, q, d, k, metric, ws)

    monkeypatch.setattr(_ext, "cosine_topk", spy)
    return seen


def test_contiguous_float32_is_used_in_place(passed):
    same(brigade.cosine_topk(Q, DB, 4))
    assert passed["queries"] is Q and passed["db"] is DB


def test_read_only_float32_is_used_in_place(passed):
    db = DB.copy()
    db.flags.writeable = False
    same(brigade.cosine_topk(Q, db, 4))
    assert passed["db"] is db


def test_strided_views_are_converted(passed):
    wide = np.zeros((400, 48), np.float32)
    wide[:, ::2] = DB
    view = wide[:, ::2]
    same(brigade.cosine_topk(Q, view, 4))
    assert passed["db"] is not view and passed["db"].flags.c_contiguous


def test_fortran_order_and_float64_are_converted(passed):
    same(brigade.cosine_topk(np.asfortranarray(Q), DB.astype(np.float64), 4))
    assert passed["db"].dtype == np.float32 and passed["queries"].flags.c_contiguous


def test_unaligned_arrays_are_converted(passed):
    raw = np.zeros(DB.nbytes + 1, np.uint8)
    unaligned = raw[1:].view(np.float32).reshape(DB.shape)
    unaligned[:] = DB
    assert not unaligned.flags.aligned
    same(brigade.cosine_topk(Q, unaligned, 4))
    assert passed["db"].flags.aligned


def test_lists_and_integers_are_accepted():
    db = [[1, 0], [0, 1], [1, 1]]
    scores, indices = brigade.cosine_topk([[2, 0]], db, 3)
    np.testing.assert_array_equal(indices, [[0, 2, 1]])
    np.testing.assert_allclose(scores, [[1, np.sqrt(0.5), 0]], rtol=1e-6)


class DLPackOnly:
    """A CPU tensor that offers only the DLPack protocol (no __array__)."""

    def __init__(self, a):
        self._a = a

    def __dlpack__(self, **kw):
        return self._a.__dlpack__(**kw)

    def __dlpack_device__(self):
        return self._a.__dlpack_device__()


def test_cpu_dlpack_tensors_are_accepted():
    same(brigade.cosine_topk(DLPackOnly(Q), DLPackOnly(DB), 4))
    index = brigade.Index(DLPackOnly(DB))
    same(index.search(DLPackOnly(Q), 4))


class FakeCudaArray:
    __cuda_array_interface__ = {"shape": (9, 24), "typestr": "<f4", "data": (0, False),
                                "version": 3}


class FakeCudaDLPack(DLPackOnly):
    def __dlpack_device__(self):
        return (2, 0)  # kDLCUDA


@pytest.mark.parametrize("gpu_array", [FakeCudaArray(), FakeCudaDLPack(Q)])
def test_gpu_arrays_are_refused_with_a_reason(gpu_array):
    with pytest.raises(RuntimeError, match="BRG_ERR_UNSUPPORTED.*GPU array"):
        brigade.cosine_topk(gpu_array, DB, 4)
