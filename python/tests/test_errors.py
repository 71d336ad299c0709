"""Every bad input raises a Python exception with brigade's message; none
crashes the interpreter."""
import numpy as np
import pytest

import brigade

DB = np.random.default_rng(20).standard_normal((50, 8), dtype=np.float32)
Q = DB[:3].copy()


def with_value(a, where, value):
    a = a.copy()
    a[where] = value
    return a


@pytest.mark.parametrize("queries,db,match", [
    (with_value(Q, (1, 2), np.nan), DB, "BRG_ERR_INVALID_ARG.*(NaN|row)"),
    (Q, with_value(DB, (40, 0), np.nan), "BRG_ERR_INVALID_ARG.*(NaN|row)"),
    (Q, with_value(DB, (7, 7), np.inf), "BRG_ERR_INVALID_ARG.*(Inf|row)"),
    (Q[:, :5], DB, "BRG_ERR_SHAPE: queries have 5 columns, db has 8"),
    (Q, np.empty((0, 8), np.float32), "BRG_ERR_INVALID_ARG: nb must be >= 1"),
    (np.empty((3, 0), np.float32), np.empty((50, 0), np.float32), "BRG_ERR_INVALID_ARG: dim must be >= 1"),
    (Q[0], DB, "BRG_ERR_SHAPE: queries must be 2-D"),
    (Q, DB[None], "BRG_ERR_SHAPE: db must be 2-D"),
    (np.float32(1), DB, "BRG_ERR_SHAPE: queries must be 2-D"),
    (Q.astype(np.complex64), DB, "BRG_ERR_DTYPE: queries must hold real numbers"),
    ([["a", "b"]], DB, "BRG_ERR_DTYPE"),
])
def test_bad_arrays(queries, db, match):
    with pytest.raises(ValueError, match=match):
        brigade.cosine_topk(queries, db, 1)


@pytest.mark.parametrize("k", [0, -1, 51, 2**62, 2**70, -2**70])
def test_k_out_of_range(k):
    with pytest.raises(ValueError, match="BRG_ERR_INVALID_ARG.*k"):
        brigade.cosine_topk(Q, DB, k)
    with pytest.raises(ValueError, match="BRG_ERR_INVALID_ARG.*k"):
        brigade.Index(DB).search(Q, k)


def test_k_must_be_an_integer():
    with pytest.raises(TypeError):
        brigade.cosine_topk(Q, DB, 2.5)


@pytest.mark.parametrize("kw,exc,match", [
    (dict(metric="euclid"), ValueError, "metric must be 'cosine' or 'inner_product'"),
    (dict(metric=None), ValueError, "metric must be"),
    (dict(workspace_bytes=-1), ValueError, "workspace_bytes is out of range"),
    (dict(workspace_bytes=2**64), ValueError, "workspace_bytes is out of range"),
    (dict(workspace_bytes=1), ValueError, "BRG_ERR_INVALID_ARG.*budget|BRG_ERR_INVALID_ARG.*workspace"),
    (dict(device="tpu"), ValueError, "BRG_ERR_INVALID_ARG: unknown device spec 'tpu'"),
    (dict(device="cpu:3"), ValueError, "BRG_ERR_INVALID_ARG"),
    (dict(device="cpu\0"), ValueError, "NUL"),
    (dict(device=0), TypeError, "device must be a str"),
])
def test_bad_options(kw, exc, match):
    with pytest.raises(exc, match=match):
        brigade.cosine_topk(Q, DB, 2, **kw)


@pytest.mark.parametrize("backend", ["cuda", "hip"])
def test_missing_gpu_is_a_runtime_error(backend):
    if dict((b.name, b.count) for b in brigade.devices())[backend] > 0:
        pytest.skip(f"this machine has a {backend} device")
    with pytest.raises(RuntimeError, match=f"BRG_ERR_NO_DEVICE.*{backend}"):
        brigade.cosine_topk(Q, DB, 2, device=backend)
    with pytest.raises(RuntimeError, match="BRG_ERR_NO_DEVICE"):
        brigade.Index(DB, device=f"{backend}:0")


def test_index_bad_inputs():
    with pytest.raises(ValueError, match="BRG_ERR_INVALID_ARG"):
        brigade.Index(with_value(DB, (3, 3), np.nan))
    with pytest.raises(ValueError, match="BRG_ERR_INVALID_ARG: nb must be >= 1"):
        brigade.Index(np.empty((0, 8), np.float32))
    with pytest.raises(ValueError, match="metric must be"):
        brigade.Index(DB, metric="l2")
    index = brigade.Index(DB)
    with pytest.raises(ValueError, match="BRG_ERR_SHAPE: queries have 7 columns, the index has 8"):
        index.search(Q[:, :7], 1)
    with pytest.raises(ValueError, match="BRG_ERR_INVALID_ARG"):
        index.search(with_value(Q, (0, 0), -np.inf), 1)
    with pytest.raises(ValueError, match="BRG_ERR_SHAPE: queries must be 2-D"):
        index.search(Q.ravel(), 1)


def test_means_bad_inputs():
    with pytest.raises(ValueError, match="BRG_ERR_SHAPE: x must be 2-D"):
        brigade.mean_rows(np.ones(5))
    with pytest.raises(ValueError, match="BRG_ERR_DTYPE"):
        brigade.mean_rows(np.ones((2, 2), np.complex128))
    for dtype in (np.float32, np.float64):
        for chunks in (0, -3):
            with pytest.raises(ValueError, match="BRG_ERR_INVALID_ARG: chunks must be >= 1"):
                brigade.mean_chunks(np.ones(4, dtype), chunks)
    with pytest.raises(ValueError, match="chunks is out of range"):
        brigade.mean_chunks(np.ones(4), 2**64)


def test_results_too_large_to_allocate_are_a_memory_error():
    with pytest.raises(MemoryError, match="BRG_ERR_OUT_OF_MEMORY: cannot allocate"):
        brigade.mean_chunks(np.ones(4), 2**58)
    with pytest.raises(ValueError, match="BRG_ERR_OVERFLOW"):
        brigade.mean_chunks(np.ones(4), 2**62)
