#!/usr/bin/env bash
# Install the built library into a scratch prefix, then build examples/embed.c
# against it twice, through find_package(brigade) and through pkg-config, and
# run both on "cpu" and "auto":
#  1. as installed, with the GPU modules beside the library;
#  2. with the CUDA toolkit hidden (bubblewrap, where installed): the program
#     still starts, "auto" falls back to the CPU, and "cuda" is
#     BRG_ERR_NO_DEVICE naming the module;
#  3. with the CUDA module removed: the same, and the message names the file;
#  4. where the package has its "mpi" component, examples/mpi_search.c built
#     through find_package(brigade COMPONENTS mpi), run on 2 ranks.
set -euo pipefail
build=$1 src=$2
unset BRIGADE_BACKEND_PATH BRIGADE_DEVICE # the installed modules only
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
cmake -S "$src/examples" -B "$tmp/cmake" -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/cmake" >/dev/null
libdir=$(find "$tmp/prefix" -name brigade.pc -printf '%h\n' | head -n1)
read -r -a flags <<<"$(PKG_CONFIG_PATH=$libdir pkg-config --cflags --libs brigade)"
cc -std=c17 "$src/examples/embed.c" "${flags[@]}" \
  -Wl,-rpath,"$(dirname "$libdir")" -o "$tmp/embed_pc"
programs=("$tmp/cmake/embed" "$tmp/embed_pc")
run_all() { # label, command prefix...
  local label=$1; shift
  for p in "${programs[@]}"; do
    "$@" "$p" cpu >/dev/null || { echo "$label: $p cpu failed"; exit 1; }
    "$@" "$p" >"$tmp/out" || { echo "$label: $p auto failed"; cat "$tmp/out"; exit 1; }
  done
  echo "$label: cpu and auto run ($(head -n1 "$tmp/out"))"
}
expect_no_cuda() { # label, words the message must hold, command prefix...
  local label=$1 words=$2; shift 2
  if "$@" "${programs[0]}" cuda >"$tmp/out" 2>&1; then echo "$label: cuda opened"; exit 1; fi
  grep -q "$words" "$tmp/out" || { echo "$label: no '$words' in:"; cat "$tmp/out"; exit 1; }
  echo "$label: cuda is refused: $(head -c 160 "$tmp/out")"
}
module=$(find "$tmp/prefix" -name 'libbrigade-cuda.so' | head -n1)

run_all "installed"
if [ -n "$module" ] && command -v bwrap >/dev/null; then
  # Hide the CUDA toolkit: every folder the loader finds cuBLAS, the CUDA
  # runtime or the driver in (the module links cudart statically and opens
  # cuBLAS when a device opens, so ldd of the module names none of them),
  # widened to the toolkit's root where it has bin/nvcc.
  hide=()
  for d in $( (ldconfig -p 2>/dev/null || true) | awk '/libcublas|libcudart|libcuda\.so/ {print $NF}' |
              xargs -r -n1 realpath | xargs -r -n1 dirname | sort -u); do
    [ -x "$d/../bin/nvcc" ] && d=$(realpath "$d/..")
    hide+=(--tmpfs "$d")
  done
  if [ ${#hide[@]} -gt 0 ]; then
    sandbox=(bwrap --bind / / --dev-bind /dev /dev --proc /proc "${hide[@]}")
    run_all "CUDA toolkit hidden" "${sandbox[@]}"
    expect_no_cuda "CUDA toolkit hidden" "libbrigade-cuda.so" "${sandbox[@]}"
  else
    echo "CUDA toolkit hidden: not run (the loader finds no CUDA library here)"
  fi
elif [ -n "$module" ]; then
  echo "CUDA toolkit hidden: not run (bubblewrap is not installed)"
fi
if [ -n "$module" ]; then
  rm "$module"
  run_all "CUDA module removed"
  expect_no_cuda "CUDA module removed" "libbrigade-cuda.so was not found"
fi
if [ -x "$tmp/cmake/mpi_search" ]; then
  OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 BRIGADE_NUM_THREADS=1 \
    mpirun --oversubscribe --mca btl self,vader --bind-to none -np 2 "$tmp/cmake/mpi_search" \
    >"$tmp/out" 2>&1 || { echo "mpi_search failed:"; cat "$tmp/out"; exit 1; }
  echo "mpi component: $(grep -m1 'query 0' "$tmp/out")"
fi
echo "installed package works through find_package and pkg-config"
