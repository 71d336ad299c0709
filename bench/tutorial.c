/* The tutorial's published timings (../shared/seeds/000_a1ea698754b8b878.txt:
 * "Advanced Programming", Parts 1 to 3), kept as data so that the report
 * can print them beside ours. All were taken on the author's laptop (14
 * physical cores, a GPU reached through PyTorch's "cuda" or "mps" device),
 * once each, with time.time() around the call; the GPU times never
 * synchronise the device, so they measure a kernel launch, not its work.
 *
 * params is the case's key as the bench prints it (brg_bench_group_params),
 * ours the runner column that does the same job here: "sequential" for the
 * single-process loop, "processes" for the four process pools
 * (multiprocessing, concurrent.futures, joblib's loky, mpire), "cpu" for
 * NumPy and PyTorch on the CPU, "gpu" for PyTorch on the GPU. */
#include "bench.h"

#include <math.h>

#define P1_SLEEP "Part 1, time.sleep table"
#define P1_PRIME "Part 1, is_prime(9999991) table"
#define P1_RANGE "Part 1, is_prime(i) table"
#define P1_FILE "Part 1, file writing table"
#define P1_ALLOC "Part 1, np.random.rand table"
#define P1_MEAN "Part 1, np.mean of array_split chunks table"
#define P2 "Part 2, reshape(n, -1).mean on CPU and GPU"
#define P3 "Part 3, find_similar: numpy, pytorch_cpu, pytorch_gpu"

/* The five rows of one Part 1 table, in the tutorial's order. */
#define POOLS(w, p, src, cf, jl, mp, mpc, single)                                            \
    {w, p, "concurrent.futures", "processes", cf, NULL, src},                                \
    {w, p, "joblib", "processes", jl, NULL, src},                                            \
    {w, p, "mpire", "processes", mp, NULL, src},                                             \
    {w, p, "multiprocessing", "processes", mpc, NULL, src},                                  \
    {w, p, "single process", "sequential", single, NULL, src}

#define TOPK(p, np_s, cpu_s, gpu_s)                                                          \
    {"cosine_topk", p, "numpy", "cpu", np_s, NULL, P3},                                      \
    {"cosine_topk", p, "pytorch_cpu", "cpu", cpu_s, NULL, P3},                               \
    {"cosine_topk", p, "pytorch_gpu", "gpu", gpu_s, NULL, P3}

static const brg_bench_tutorial_time times[] = {
    POOLS("sleep", "n=25 seconds_per_task=1", P1_SLEEP, 3.080, 3.125, 3.034, 3.076, 25.115),
    POOLS("sleep", "n=2500 seconds_per_task=0.01", P1_SLEEP, 3.085, 3.120, 3.130, 3.075, 25.099),
    POOLS("prime_heavy", "n=1000 value=9999991", P1_PRIME, 0.111, 0.135, 0.119, 0.051, 0.037),
    POOLS("prime_heavy", "n=100000 value=9999991", P1_PRIME, 6.959, 0.534, 1.479, 0.447, 3.761),
    POOLS("prime_range", "n=1000", P1_RANGE, 0.108, 0.096, 0.118, 0.044, 0.000),
    POOLS("prime_range", "n=1000000", P1_RANGE, 70.225, 1.204, 11.225, 0.147, 0.863),
    POOLS("file_write", "n=1000 letters=200", P1_FILE, 0.141, 0.152, 0.119, 0.118, 0.099),
    POOLS("file_write", "n=100000 letters=200", P1_FILE, 8.297, 7.609, 7.312, 7.418, 9.762),
    POOLS("file_write", "n=1000 letters=20000", P1_FILE, 0.162, 0.184, 0.225, 0.140, 0.630),
    POOLS("file_write", "n=100000 letters=20000", P1_FILE, 10.911, 8.809, 10.175, 9.417, 61.839),
    POOLS("big_alloc", "n=100 megabytes=500", P1_ALLOC, 2.660, 1.822, 2.086, 2.052, 13.789),
    POOLS("big_alloc", "n=10 megabytes=5000", P1_ALLOC, 8.304, 7.740, 7.183, 7.253, 13.624),
    POOLS("mean_chunks", "n=100000 size=100000000 dtype=f64", P1_MEAN, 7.952, 1.563, 1.475,
          0.985, 0.162),
    /* array_split into equal chunks is reshape(n, -1): the tutorial's NumPy line. */
    {"mean_chunks", "n=100000 size=100000000 dtype=f64", "numpy reshape.mean", "cpu", 0.043, NULL,
     P1_MEAN},
    POOLS("mean_chunks", "n=1000 size=100000000 dtype=f64", P1_MEAN, 0.650, 1.037, 0.229, 0.865,
          0.034),
    {"mean_chunks", "n=1000 size=100000000 dtype=f64", "numpy reshape.mean", "cpu", 0.026, NULL,
     P1_MEAN},
    {"mean_rows", "rows=100000 cols=1000 dtype=f64", "numpy", "cpu", 0.033, NULL, P2},
    /* torch.rand makes float32. */
    {"mean_rows", "rows=100000 cols=1000 dtype=f32", "pytorch gpu (not synchronised)", "gpu",
     0.003, NULL, P2},
    {"mean_rows", "rows=100000 cols=10000 dtype=f64", "numpy", "cpu", 0.330, NULL, P2},
    {"mean_rows", "rows=100000 cols=10000 dtype=f32", "pytorch gpu (not synchronised)", "gpu",
     0.005, NULL, P2},
    TOPK("nb=1000 dim=100 nq=100 k=3", 0.002, 0.002, 1.196),
    TOPK("nb=10000 dim=100 nq=1000 k=3", 0.305, 0.054, 0.022),
    TOPK("nb=1000000 dim=100 nq=1000 k=3", 30.882, 4.023, 0.026),
    TOPK("nb=100000 dim=1000 nq=1000 k=3", 3.117, 0.444, 0.022),
    TOPK("nb=100000 dim=1000 nq=10000 k=3", 41.750, 5.713, 0.263),
    {"cosine_topk", "nb=100000 dim=1000 nq=100000 k=3", "numpy", "cpu", NAN,
     "killed (out of memory)", P3},
    {"cosine_topk", "nb=100000 dim=1000 nq=100000 k=3", "pytorch_cpu", "cpu", NAN,
     "killed (out of memory)", P3},
    {"cosine_topk", "nb=100000 dim=1000 nq=100000 k=3", "pytorch_gpu", "gpu", NAN,
     "RuntimeError: Invalid buffer size: 37.25 GiB", P3},
};

const brg_bench_tutorial_time *brg_bench_tutorial_times(int *count)
{
    *count = (int)(sizeof times / sizeof times[0]);
    return times;
}
