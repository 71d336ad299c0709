"""The tutorial's Part 3: the 3 most similar vectors for each new vector,
NumPy beside brigade, on the same data.

The tutorial's NumPy function builds the whole nb_txt x nb_new similarity
matrix, then sorts it; at 100,000 x 100,000 x 1000 that matrix is 37.25 GiB,
and NumPy and PyTorch were killed asking for it. brigade.cosine_topk never
builds it: it works in tiles within a memory budget (256 MiB on the CPU by
default) and returns exact scores.

    python examples/python/part3_similar.py                 # small, medium, test1, then
                                                            # 100k x 100k x 1000 (28 s on
                                                            # 2 Zen 5 cores, 1.5 GiB peak)
    python examples/python/part3_similar.py --sizes all     # every size but the last, then it
    python examples/python/part3_similar.py --no-killer     # the tutorial's sizes only
"""
import argparse
import time

import numpy as np

import brigade

# The tutorial's sizes: (nb_txt, dim, nb_new)
SIZES = {
    "small": (1000, 100, 100),
    "medium": (10_000, 100, 1000),
    "large": (1_000_000, 100, 1000),
    "test1": (100_000, 1000, 1000),
    "test2": (100_000, 1000, 10_000),
}
KILLER = (100_000, 1000, 100_000)


def find_similar_numpy(new_texts_matrix, all_txt_matrix):
    """The tutorial's function. It sorted along axis 1 of the nb_txt x nb_new
    matrix, which ranks the new vectors for each existing one; here the
    matrix is transposed (the same work) so that it answers the task, the 3
    existing vectors most similar to each new one, and can be compared."""
    dot_product = np.dot(new_texts_matrix, all_txt_matrix.T)
    all_txt_norm = np.linalg.norm(all_txt_matrix, axis=1)
    new_texts_norm = np.linalg.norm(new_texts_matrix, axis=1)
    denominator = new_texts_norm[:, np.newaxis] * all_txt_norm[np.newaxis, :]
    similarity = dot_product / denominator
    return np.argsort(-similarity, axis=1)[:, :3]


def available_bytes():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    return 0


def run(name, nb_txt, dim, nb_new, device):
    print(f"\n== {name}: nb_txt = {nb_txt:,}, dim = {dim}, nb_new = {nb_new:,}")
    existing_txt_np = np.random.rand(nb_txt, dim).astype(np.float32)
    new_txt_np = np.random.rand(nb_new, dim).astype(np.float32)
    matrix = nb_txt * nb_new * 4  # NumPy's float32 similarity matrix; it needs ~3 of them
    closest_np = None
    if 3 * matrix < available_bytes():
        t = time.time()
        closest_np = find_similar_numpy(new_txt_np, existing_txt_np)
        print(f"-- numpy:   Took {time.time() - t:.3f} seconds")
    else:
        print(f"-- numpy:   skipped: its similarity matrix alone is {matrix / 2**30:.2f} GiB, "
              f"and this machine has {available_bytes() / 2**30:.1f} GiB available "
              f"(the tutorial's run was killed here)")
    t = time.time()
    scores, closest_brg = brigade.cosine_topk(new_txt_np, existing_txt_np, 3, device=device)
    print(f"-- brigade: Took {time.time() - t:.3f} seconds")
    if closest_np is not None:
        same = (closest_np == closest_brg).all(axis=1).mean()
        print(f"   same top 3 as NumPy for {same:.2%} of the new vectors "
              f"(NumPy's float32 sums can swap near-ties; brigade's scores are exact)")
    cosines = ", ".join(f"{s:.4f}" for s in scores[0])
    print(f"   new vector 0: rows {closest_brg[0].tolist()}, cosine {cosines}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", nargs="+", default=["small", "medium", "test1"],
                    help=f"tutorial sizes to run: {', '.join(SIZES)} or all")
    ap.add_argument("--killer", action=argparse.BooleanOptionalAction, default=True,
                    help="after the sizes, run 100,000 x 100,000 x 1000, the size that killed "
                         "NumPy and PyTorch (brigade only unless 3 x 37.25 GiB fit); "
                         "--no-killer skips it")
    ap.add_argument("--device", default="auto", help="brigade device: auto, cpu, cuda, hip")
    args = ap.parse_args()
    names = list(SIZES) if "all" in args.sizes else args.sizes
    print(f"brigade {brigade.__version__} on {brigade.describe(args.device)}")
    for name in names:
        run(name, *SIZES[name], args.device)
    if args.killer:
        run("the size that killed NumPy and PyTorch", *KILLER, args.device)


if __name__ == "__main__":
    main()
