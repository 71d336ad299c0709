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
def test_gpu_arrays_on_a_device_that_is_not_cuda_are_refused_with_a_reason(gpu_array):
    with pytest.raises(RuntimeError, match="BRG_ERR_UNSUPPORTED.*GPU arrays.*CUDA device only"):
        brigade.cosine_topk(gpu_array, DB, 4, device="cpu")
    with pytest.raises(RuntimeError, match="BRG_ERR_UNSUPPORTED.*GPU array"):
        brigade.Index(gpu_array, device="cpu")
    with pytest.raises(RuntimeError, match="BRG_ERR_UNSUPPORTED.*GPU array"):
        brigade.mean_rows(gpu_array, device="cpu")


def test_the_in_place_search_equals_the_host_search():
    # The path GPU arrays take (their memory wrapped as brigade tensors, the
    # tensor op on the device, the results copied back), here with host
    # memory on the CPU device, whose memory is the host's: the GPU itself
    # is not exercised (none here).
    q, db = np.ascontiguousarray(Q), np.ascontiguousarray(DB)
    got = brigade._ext.cosine_topk_in_place(brigade._device("cpu"), q.ctypes.data, q.shape[0],
                                            db.ctypes.data, db.shape[0], db.shape[1], 4,
                                            brigade._ext.METRIC_COSINE, 0)
    want = brigade.cosine_topk(q, db, 4, device="cpu")
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])


class CudaArray:
    def __init__(self, shape, typestr="<f4", strides=None):
        self.__cuda_array_interface__ = {"shape": shape, "typestr": typestr, "data": (4096, False),
                                         "strides": strides, "version": 3}


def test_gpu_arrays_must_be_c_contiguous_float32_matrices():
    assert brigade._cuda_matrix(CudaArray((9, 24)), "q") == (4096, 9, 24)
    assert brigade._cuda_matrix(CudaArray((9, 24), strides=(96, 4)), "q") == (4096, 9, 24)
    with pytest.raises(ValueError, match="BRG_ERR_DTYPE"):
        brigade._cuda_matrix(CudaArray((9, 24), "<f8"), "q")
    with pytest.raises(ValueError, match="BRG_ERR_SHAPE"):
        brigade._cuda_matrix(CudaArray((9, 24, 2)), "q")
    with pytest.raises(ValueError, match="C-contiguous"):
        brigade._cuda_matrix(CudaArray((9, 24), strides=(4, 36)), "q")
    with pytest.raises(ValueError, match="not a CUDA array"):
        brigade._cuda_matrix(Q, "db")


def test_a_size_one_dimension_may_have_any_stride_and_no_other():
    # One row: its row stride is never used, but its columns must be packed.
    assert brigade._cuda_matrix(CudaArray((1, 24), strides=(999, 4)), "q") == (4096, 1, 24)
    assert brigade._cuda_matrix(CudaArray((9, 1), strides=(4, 77)), "q") == (4096, 9, 1)
    with pytest.raises(ValueError, match="C-contiguous"):
        brigade._cuda_matrix(CudaArray((1, 24), strides=(96, 8)), "q")  # x[:1, ::2]
    with pytest.raises(ValueError, match="C-contiguous"):
        brigade._cuda_matrix(CudaArray((9, 1), strides=(8, 4)), "q")  # x[::2, :1]


@pytest.mark.parametrize("stream,ok", [(None, True), (1, True), (2, True), (0x7F00DEAD, False)])
def test_a_cuda_array_on_another_stream_is_refused(stream, ok):
    a = CudaArray((9, 24))
    a.__cuda_array_interface__["stream"] = stream
    if ok:
        assert brigade._cuda_matrix(a, "q") == (4096, 9, 24)
    else:
        with pytest.raises(ValueError, match="stream 0x7f00dead.*cannot wait"):
            brigade._cuda_matrix(a, "q")


class StreamRecorder:
    def __init__(self, takes_stream):
        self.takes_stream, self.asked = takes_stream, []

    def __dlpack__(self, **kw):
        if kw and not self.takes_stream:
            raise TypeError("__dlpack__() got an unexpected keyword argument 'stream'")
        self.asked.append(kw)
        return "capsule"

    def __dlpack_device__(self):
        return (2, 0)


def test_dlpack_producers_are_asked_for_the_legacy_default_stream():
    new, old = StreamRecorder(True), StreamRecorder(False)
    assert brigade._dlpack_capsule(new) == "capsule" and new.asked == [{"stream": 1}]
    assert brigade._dlpack_capsule(old) == "capsule" and old.asked == [{}]


def dlpack_search(q, db, gpu=0):
    return brigade._ext.cosine_topk_dlpack(brigade._device("cpu"), gpu, q.__dlpack__(),
                                           db.__dlpack__(), 4, brigade._ext.METRIC_COSINE, 0)


def test_dlpack_gpu_arrays_are_checked_before_use():
    # The capsules' checks, with host capsules: every one but the device's
    # holds on the CPU too; a host capsule then fails the device check.
    q, db = np.ascontiguousarray(Q), np.ascontiguousarray(DB)
    with pytest.raises(ValueError, match="BRG_ERR_SHAPE: queries must be 2-D, got 3"):
        dlpack_search(q.reshape(2, 3, -1), db)
    with pytest.raises(ValueError, match="BRG_ERR_DTYPE: db must be float32"):
        dlpack_search(q, db.astype(np.float64))
    with pytest.raises(ValueError, match="queries must be C-contiguous"):
        dlpack_search(np.asfortranarray(q), db)
    with pytest.raises(ValueError, match="queries must be C-contiguous"):
        dlpack_search(q[:1, ::2], db)
    with pytest.raises(ValueError, match="queries is not in CUDA device memory .*type 1"):
        dlpack_search(q[:1], db)  # one row, any row stride: only the device is wrong
