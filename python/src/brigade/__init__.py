"""brigade: cosine top-k and means from brigade's C kernels, NumPy in and out.

The similarity search never builds the nq x nb similarity matrix: it works
in tiles within a memory budget, so the tutorial's 100,000 x 100,000 x 1000
search, which asks NumPy and PyTorch for a 37 GiB buffer, runs in a few
hundred MiB. Scores are exact (rescored in double), descending, ties to the
lower index, and do not depend on the device or the budget.

Arrays: any NumPy array (or anything ``numpy.asarray`` takes: lists, CPU
DLPack tensors) is accepted. A C-contiguous, aligned array of the working
dtype (float32 for top-k, float32 or float64 for the means) is used in place,
without a copy; anything else (strided views, other dtypes, lists) is
converted first, which costs one copy. GPU arrays (PyTorch or CuPy tensors,
through ``__dlpack__``, or anything with ``__cuda_array_interface__``) are
used in place by ``cosine_topk`` when the device is a CUDA device:
C-contiguous float32 queries and db on that GPU are wrapped as brigade
tensors (``brg_tensor_wrap``) and searched there, after the work pending on
them (DLPack's stream=1 protocol), and only the results come back, as NumPy
arrays. This path has not run on a GPU
yet (no GPU was available where it was written). Other uses of GPU arrays
raise RuntimeError: copy them to the host first.

Every kernel call releases the GIL, so other Python threads run meanwhile.
brigade's errors are raised as ValueError (bad arguments), MemoryError (out
of memory) or RuntimeError (device errors), with brigade's own message.
"""

import collections
import operator
import threading

import numpy as np

from . import _ext

__version__ = _ext.version()

__all__ = ["cosine_topk", "Index", "mean_rows", "mean_chunks", "devices", "Backend",
           "describe", "__version__"]

_METRICS = {"cosine": _ext.METRIC_COSINE, "inner_product": _ext.METRIC_INNER_PRODUCT}
_INT64_MAX = 2**63 - 1
_SIZE_MAX = 2**64 - 1
_DLPACK_CPU = 1

_open_devices = {}
_open_lock = threading.Lock()


def _device(spec):
    """The open device for spec, opened once and kept open until the process
    ends: the CPU device keeps up to 64 MiB of workspace between calls, and a
    GPU's context is costly to create."""
    if not isinstance(spec, str):
        raise TypeError(f"device must be a str such as 'auto', 'cpu' or 'cuda:0', got {spec!r}")
    with _open_lock:
        dev = _open_devices.get(spec)
        if dev is None:
            dev = _open_devices[spec] = _ext.Device(spec)
        return dev


def _error(status, message):
    return ValueError(f"{status}: {message}")


def _is_gpu_array(x):
    return hasattr(x, "__cuda_array_interface__") or (
        hasattr(x, "__dlpack_device__") and x.__dlpack_device__()[0] != _DLPACK_CPU)


def _host_array(x, name):
    """x as a NumPy array on the host, without copying when it is one."""
    if isinstance(x, np.ndarray):
        return x
    if _is_gpu_array(x):
        raise RuntimeError(
            f"BRG_ERR_UNSUPPORTED: {name} is a GPU array; only cosine_topk on a CUDA device "
            f"takes GPU arrays in place (else copy it first, e.g. tensor.cpu().numpy() or "
            f"cupy.asnumpy(x))")
    if hasattr(x, "__dlpack__") and not hasattr(x, "__array__"):
        return np.from_dlpack(x)
    return np.asarray(x)


def _as(x, name, ndim, dtypes):
    """x as a C-contiguous, aligned array of ndim dimensions and one of
    dtypes (the first when x has none of them), copied only when needed."""
    a = _host_array(x, name)
    if a.dtype.kind not in "biuf":
        raise _error("BRG_ERR_DTYPE", f"{name} must hold real numbers, got dtype {a.dtype}")
    if ndim is not None and a.ndim != ndim:
        raise _error("BRG_ERR_SHAPE",
                     f"{name} must be {ndim}-D, got {a.ndim}-D of shape {a.shape}")
    dtype = a.dtype if a.dtype in dtypes else dtypes[0]
    return np.require(a, dtype=dtype, requirements=["C", "A"])


def _int(value, name, low, high):
    """value as an int in [low, high], else ValueError; brigade checks the
    rest (k against nb, chunks >= 1) with its own messages."""
    v = operator.index(value)
    if not low <= v <= high:
        raise _error("BRG_ERR_INVALID_ARG", f"{name} is out of range, got {v}")
    return v


def _int64(value, name):
    return _int(value, name, -_INT64_MAX - 1, _INT64_MAX)


def _budget(value):
    return _int(value, "workspace_bytes", 0, _SIZE_MAX)


def _metric(metric):
    try:
        return _METRICS[metric]
    except (KeyError, TypeError):
        raise _error("BRG_ERR_INVALID_ARG",
                     f"metric must be 'cosine' or 'inner_product', got {metric!r}") from None


_F32 = (np.dtype(np.float32),)
_F32_F64 = (np.dtype(np.float64), np.dtype(np.float32))


def cosine_topk(queries, db, k, *, metric="cosine", device="auto", workspace_bytes=0):
    """The k rows of db most similar to each query.

    queries: (nq, dim), db: (nb, dim); float32 C-contiguous arrays are used
    in place, anything else is converted to float32 (a copy).
    k: 1 <= k <= nb. metric: "cosine" (a zero vector has similarity 0 with
    everything) or "inner_product". device: "auto" (a GPU if there is one,
    else the CPU), "cpu", "cuda", "cuda:N", "hip", "hip:N".
    workspace_bytes: the extra memory the search may use (0: the device's
    default, 256 MiB on the CPU); the nq x nb matrix is never built.

    Returns (scores, indices): float32 and int64 arrays of shape (nq, k),
    scores descending, ties to the lower index. Scores are exact (rescored
    in double), whatever the device or budget.

    Raises ValueError for bad arguments (NaN or Inf in the inputs, k out of
    range, dimensions that differ, a budget below the smallest tile),
    MemoryError, and RuntimeError when the device is missing or fails.
    """
    m = _metric(metric)
    if _is_gpu_array(queries) or _is_gpu_array(db):
        return _cosine_topk_on_gpu(queries, db, _int64(k, "k"), m, _device(device),
                                   _budget(workspace_bytes))
    q = _as(queries, "queries", 2, _F32)
    d = _as(db, "db", 2, _F32)
    return _ext.cosine_topk(_device(device), q, d, _int64(k, "k"), m, _budget(workspace_bytes))


def _cuda_matrix(x, name):
    """(address, rows, cols) of a C-contiguous float32 matrix behind x's
    __cuda_array_interface__ (version 2 or later), else ValueError. A
    dimension of size one may have any stride. The array's "stream" (version
    3) must be none, the legacy default stream (1) or the per-thread default
    stream (2): brigade's CUDA backend works on the calling thread's
    per-thread stream, which waits for the legacy default stream, and it has
    no way to wait on another stream."""
    cai = getattr(x, "__cuda_array_interface__", None)
    if cai is None:
        raise _error("BRG_ERR_INVALID_ARG",
                     f"{name} is not a CUDA array (no __cuda_array_interface__ or __dlpack__): "
                     f"give both queries and db on the GPU, or both on the host")
    shape, typestr = tuple(cai["shape"]), cai["typestr"]
    if len(shape) != 2:
        raise _error("BRG_ERR_SHAPE", f"{name} must be 2-D, got shape {shape}")
    if typestr not in ("<f4", "=f4", "|f4"):
        raise _error("BRG_ERR_DTYPE", f"{name} must be float32 on the GPU, got {typestr}")
    strides = cai.get("strides")
    rows, cols = shape
    if strides is not None and ((cols > 1 and strides[1] != 4) or
                                (rows > 1 and strides[0] != cols * 4)):
        raise _error("BRG_ERR_INVALID_ARG",
                     f"{name} must be C-contiguous on the GPU (e.g. tensor.contiguous())")
    stream = cai.get("stream")
    if stream not in (None, 1, 2):
        raise _error("BRG_ERR_INVALID_ARG",
                     f"{name} may still be written on CUDA stream {stream:#x} (its "
                     f"__cuda_array_interface__ names it), which brigade cannot wait on: "
                     f"synchronize that stream first, or give an array with __dlpack__")
    return int(cai["data"][0]), rows, cols


def _has_dlpack(x):
    return hasattr(x, "__dlpack__") and hasattr(x, "__dlpack_device__")


def _dlpack_capsule(x):
    """x's DLPack capsule. stream=1 asks the producer (PyTorch, CuPy) to order
    its pending work on x before CUDA's legacy default stream, which the
    per-thread stream that brigade's CUDA backend runs on waits for."""
    try:
        return x.__dlpack__(stream=1)
    except TypeError:  # a producer from before the stream argument
        return x.__dlpack__()


def _cosine_topk_on_gpu(queries, db, k, metric, dev, workspace_bytes):
    spec = dev.spec
    if not spec.startswith("cuda"):
        raise RuntimeError(f"BRG_ERR_UNSUPPORTED: GPU arrays are used in place on a CUDA "
                           f"device only; the device is {spec}")
    if _has_dlpack(queries) and _has_dlpack(db):
        gpu = int(spec.partition(":")[2] or 0)
        return _ext.cosine_topk_dlpack(dev, gpu, _dlpack_capsule(queries), _dlpack_capsule(db),
                                       k, metric, workspace_bytes)
    qp, nq, qdim = _cuda_matrix(queries, "queries")
    dp, nb, dim = _cuda_matrix(db, "db")
    if qdim != dim:
        raise _error("BRG_ERR_SHAPE",
                     f"queries have {qdim} columns, db has {dim}: they must match")
    return _ext.cosine_topk_in_place(dev, qp, nq, dp, nb, dim, k, metric, workspace_bytes)


class Index:
    """A database prepared once for many searches (as FAISS's flat index).

    Index(db, *, metric="cosine", device="auto") copies db (nb, dim) to the
    device (float32; other inputs are converted) and computes its norms once.
    The caller's array is not kept. Searches of one index may run from many
    threads at once.
    """

    def __init__(self, db, *, metric="cosine", device="auto"):
        self.metric = metric
        self._ix = _ext.Index(_device(device), _as(db, "db", 2, _F32), _metric(metric))

    @property
    def ntotal(self):
        """Number of database rows."""
        return self._ix.rows

    @property
    def dim(self):
        """Dimension of the rows."""
        return self._ix.dim

    def search(self, queries, k, *, workspace_bytes=0):
        """(scores, indices) of the k most similar rows for each query, as
        cosine_topk with the index's metric and device. queries: (nq, dim),
        float32 used in place, anything else converted."""
        q = _as(queries, "queries", 2, _F32)
        return self._ix.search(q, _int64(k, "k"), _budget(workspace_bytes))

    def __repr__(self):
        return f"brigade.Index(ntotal={self.ntotal}, dim={self.dim}, metric={self.metric!r})"


def mean_rows(x, *, device="auto"):
    """x.mean(axis=1) for a 2-D x: float32 in, float32 out; float64 in,
    float64 out; other dtypes are converted to float64 (a copy), as are
    non-contiguous float arrays. Sums are accumulated in double with
    compensation, so results are at least as accurate as NumPy's. A row of
    zero columns gives NaN."""
    a = _as(x, "x", 2, _F32_F64)
    fn = _ext.mean_rows_f32 if a.dtype == np.float32 else _ext.mean_rows_f64
    return fn(_device(device), a)


def mean_chunks(x, chunks, *, device="auto"):
    """The means of numpy.array_split(x.ravel(), chunks), as one array of
    length chunks: the first len(x) % chunks chunks have one element more; an
    empty chunk gives NaN. float32 in, float32 out; float64 in, float64 out;
    other dtypes are converted to float64. A contiguous x is used in place."""
    a = _host_array(x, "x")
    a = _as(a.reshape(-1) if a.ndim != 1 else a, "x", 1, _F32_F64)
    fn = _ext.mean_chunks_f32 if a.dtype == np.float32 else _ext.mean_chunks_f64
    return fn(_device(device), a, _int64(chunks, "chunks"))


Backend = collections.namedtuple("Backend", "name count reason")
Backend.__doc__ = """One backend: its name, how many devices it has here, and
when it has none, brigade's reason (a module or runtime missing, no device)."""


def describe(device="auto"):
    """brigade's one-line description of a device: its canonical spec, its
    name, and for "auto" why other backends were passed over."""
    return _device(device).describe()


def devices():
    """The backends ("cpu", "cuda", "hip") and their devices here, as a list
    of Backend(name, count, reason); reason says why a backend has none."""
    out = []
    for name in ("cpu", "cuda", "hip"):
        count, reason = _ext.device_count(name)
        out.append(Backend(name, count, reason))
    return out
