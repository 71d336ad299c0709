"""The tutorial's Part 2: means of chunks of one big array, NumPy beside brigade.

The tutorial cuts big_array (100,000,000 random doubles) into n chunks and
takes each chunk's mean: as a Python loop over np.array_split (Part 1's
"single process"), then as NumPy's reshape-mean. brigade does both in one
call on the GPU or the CPU: mean_rows(big_array.reshape(n, -1)) and
mean_chunks(big_array, n), which also takes sizes that n does not divide.

    python examples/python/part2_means.py               # the tutorial's sizes
    python examples/python/part2_means.py --size 1e9    # its "10x more data" (8 GB)
"""
import argparse
import time

import numpy as np

import brigade


def best_time(fn, repeat):
    """The result of fn() and its best time over repeat runs."""
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return out, best


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=float, default=1e8, help="elements of big_array (1e8)")
    ap.add_argument("--n", type=int, nargs="+", default=[100_000, 1000],
                    help="numbers of chunks (the tutorial's 100000 and 1000)")
    ap.add_argument("--device", default="auto", help="brigade device: auto, cpu, cuda, hip")
    ap.add_argument("--repeat", type=int, default=3, help="runs per timing; the best is shown")
    args = ap.parse_args()

    size = int(args.size)
    print(f"big_array = np.random.rand({size:,}) ({size * 8 / 2**30:.2f} GiB)")
    big_array = np.random.rand(size)
    print(f"brigade {brigade.__version__} on {brigade.describe(args.device)}")

    for n in args.n:
        print(f"\n== n = {n:,} chunks of {size // n:,} elements")
        if size % n == 0:
            # NumPy, as in the tutorial: one reshape and one mean
            want, t_np = best_time(lambda: big_array.reshape(n, -1).mean(axis=1), args.repeat)
            print(f"-- Numpy   reshape(n, -1).mean(axis=1)      Took {t_np:.3f} seconds")
            got, t_brg = best_time(lambda: brigade.mean_rows(big_array.reshape(n, -1),
                                                             device=args.device), args.repeat)
            print(f"-- brigade mean_rows(reshape(n, -1))        Took {t_brg:.3f} seconds"
                  f"   (max difference {np.abs(got - want).max():.1e})")
        # Part 1's single process: np.mean over np.array_split, one chunk at a time
        chunks = np.array_split(big_array, n)
        want, t_loop = best_time(lambda: np.array([np.mean(c) for c in chunks]), 1)
        print(f"-- Numpy   [np.mean(c) for c in array_split] Took {t_loop:.3f} seconds")
        got, t_brg = best_time(lambda: brigade.mean_chunks(big_array, n, device=args.device),
                               args.repeat)
        print(f"-- brigade mean_chunks(big_array, n)        Took {t_brg:.3f} seconds"
              f"   (max difference {np.abs(got - want).max():.1e})")


if __name__ == "__main__":
    main()
