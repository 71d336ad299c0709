"""The package as a whole: version, devices, threads and the GIL, memory."""
import json
import os
import re
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np

import brigade

HERE = os.path.dirname(os.path.abspath(__file__))


def test_version_is_the_library_and_the_package_version():
    with open(os.path.join(HERE, "..", "pyproject.toml")) as f:
        declared = re.search(r'^version = "([^"]+)"', f.read(), re.M).group(1)
    assert brigade.__version__ == declared
    assert re.fullmatch(r"\d+\.\d+\.\d+", brigade.__version__)


def test_devices_say_what_is_there_and_why_not():
    backends = {b.name: b for b in brigade.devices()}
    assert set(backends) == {"cpu", "cuda", "hip"}
    assert backends["cpu"].count >= 1 and backends["cpu"].reason == ""
    for b in backends.values():
        if b.count == 0:  # brigade's reason: the module, runtime or device that is missing
            assert b.reason.startswith("BRG_ERR_NO_DEVICE") and b.name in b.reason
        else:
            assert b.reason == ""
    assert "count" in repr(brigade.devices())
    assert brigade.describe("cpu").startswith("cpu")
    if backends["cuda"].count == 0 and backends["hip"].count == 0:
        assert brigade.describe().startswith("cpu")  # "auto" fell back to the CPU


def test_the_gil_is_released_during_a_search():
    """A thread that ticks every millisecond keeps ticking while searches
    run. If a search held the GIL, the ticker could not run during it, but
    at most once as the search returns, so ticks <= searches."""
    rng = np.random.default_rng(30)
    db = rng.standard_normal((30_000, 256), dtype=np.float32)
    q = rng.standard_normal((400, 256), dtype=np.float32)
    in_search = False
    ticks = 0
    stop = threading.Event()

    def ticker():
        nonlocal ticks
        while not stop.is_set():
            if in_search:
                ticks += 1
            time.sleep(0.001)

    t = threading.Thread(target=ticker)
    t.start()
    searches = 4
    try:
        for _ in range(searches):
            in_search = True
            brigade.cosine_topk(q, db, 5)
            in_search = False
    finally:
        stop.set()
        t.join()
    assert ticks > 3 * searches, f"{ticks} ticks during {searches} searches"


def test_threads_search_one_index_at_once():
    rng = np.random.default_rng(31)
    index = brigade.Index(rng.standard_normal((5000, 32), dtype=np.float32))
    qs = [rng.standard_normal((20, 32), dtype=np.float32) for _ in range(8)]
    want = [index.search(q, 4) for q in qs]
    got = [None] * len(qs)

    def run(i):
        got[i] = index.search(qs[i], 4)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(qs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for (ws, wi), (gs, gi) in zip(want, got):
        np.testing.assert_array_equal(wi, gi)
        np.testing.assert_array_equal(ws, gs)


def run_python(code, timeout=300):
    """Run code in a fresh interpreter; its last stdout line is JSON."""
    p = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                       text=True, timeout=timeout)
    assert p.returncode == 0, p.stdout + p.stderr
    return json.loads(p.stdout.strip().splitlines()[-1])


def test_out_of_memory_is_a_memory_error_with_brigades_message():
    """Under an address-space limit, copying a database into an Index fails
    in brigade's allocator."""
    out = run_python("""
        import json, resource, numpy as np, brigade
        db = np.ones((50_000, 256), np.float32)          # 51 MB
        brigade.cosine_topk(db[:1], db[:10], 1)          # the device and threads exist
        vm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmSize"))
        resource.setrlimit(resource.RLIMIT_AS, (vm * 1024 + (16 << 20), resource.RLIM_INFINITY))
        try:
            brigade.Index(db)
            print(json.dumps("no error"))
        except MemoryError as e:
            print(json.dumps(str(e)))
    """)
    assert out.startswith("BRG_ERR_OUT_OF_MEMORY")


def test_the_tutorials_37_gib_shape_cut_down_runs_in_bounded_memory():
    """The search that asked NumPy and PyTorch for 37.25 GiB (100,000 new
    vectors x 100,000 texts x 1000 dims), cut to 2,000 new vectors: the full
    similarity matrix would still be 800 MB in float32 (1.6 GB in NumPy's
    float64), but the search's peak memory grows by no more than its 64 MiB
    budget plus some allowance for the BLAS's own buffers and the results."""
    budget = 64 << 20
    out = run_python(f"""
        import json, resource, numpy as np, brigade
        def kib(key):
            return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith(key))
        rng = np.random.default_rng(37)
        nb, dim, nq = 100_000, 1000, 2000
        db = rng.random((nb, dim), dtype=np.float32)    # filled in place: no temporaries
        q = rng.random((nq, dim), dtype=np.float32)
        try:                                            # restart the peak from here
            open("/proc/self/clear_refs", "w").write("5")
        except OSError:
            pass
        before = kib("VmHWM")
        scores, idx = brigade.cosine_topk(q, db, 3, device="cpu", workspace_bytes={budget})
        growth = (kib("VmHWM") - before) * 1024
        rss = kib("VmRSS") * 1024
        # 4 queries against the float64 oracle, 10,000 rows at a time
        q4 = q[:4].astype(np.float64)
        q4 /= np.linalg.norm(q4, axis=1)[:, None]
        s = np.empty((4, nb))
        for r in range(0, nb, 10_000):
            d = db[r:r + 10_000].astype(np.float64)
            s[:, r:r + 10_000] = q4 @ d.T / np.linalg.norm(d, axis=1)
        want = np.argsort(-s, axis=1, kind="stable")[:, :3]
        print(json.dumps(dict(growth=growth, inputs=db.nbytes + q.nbytes, rss=rss,
                              before=before * 1024, shape=list(idx.shape),
                              ok=bool((want == idx[:4]).all()))))
    """)
    assert out["shape"] == [2000, 3] and out["ok"]
    full_matrix = 2000 * 100_000 * 4
    assert out["before"] >= out["inputs"]  # the inputs were resident before the search
    assert out["growth"] <= budget + (64 << 20), out
    assert out["growth"] < full_matrix / 4, out
