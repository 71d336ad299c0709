"""float64 NumPy oracles for brigade's tests."""
import numpy as np


def similarities(queries, db, metric):
    """The nq x nb similarity matrix in float64 (a zero vector has cosine 0)."""
    q = np.asarray(queries, np.float64)
    d = np.asarray(db, np.float64)
    s = q @ d.T
    if metric == "cosine":
        qn = np.linalg.norm(q, axis=1)
        dn = np.linalg.norm(d, axis=1)
        den = qn[:, None] * dn[None, :]
        s = np.divide(s, den, out=np.zeros_like(s), where=den > 0)
    return s


def topk(queries, db, k, metric="cosine"):
    """(scores, indices): scores descending, ties to the lower index."""
    s = similarities(queries, db, metric)
    idx = np.empty((s.shape[0], k), np.int64)
    for r in range(s.shape[0]):
        order = np.lexsort((np.arange(s.shape[1]), -s[r]))  # by -score, then index
        idx[r] = order[:k]
    return np.take_along_axis(s, idx, axis=1), idx
