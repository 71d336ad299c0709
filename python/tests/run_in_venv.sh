#!/usr/bin/env bash
# The Python package's test, as ctest runs it (tests/CMakeLists.txt):
#   run_in_venv.sh REPO WORKDIR
# 1. a virtual environment in WORKDIR/venv with numpy and pytest from PyPI
#    (made once, and again whenever it no longer imports them);
# 2. `pip install REPO/python` into it, as a user would, except that the
#    build folder is kept in WORKDIR/build so that later runs rebuild only
#    what changed, and the GPU modules are left out (no GPU runs the suite);
# 3. pytest over REPO/python/tests; 4. the examples, on small sizes.
# PyPI must be reachable for steps 1 and 2 (pip fetches numpy, pytest,
# scikit-build-core and nanobind): every pip call has a time limit, and a
# failure says so instead of hanging. BRIGADE_PYTHON picks the interpreter
# (default: python3 on PATH).
set -euo pipefail
src=$(cd "$1" && pwd)
work=$2
py=${BRIGADE_PYTHON:-python3}
venv=$work/venv
mkdir -p "$work"
unset BRIGADE_BACKEND_PATH BRIGADE_DEVICE PIP_REQUIRE_VIRTUALENV

pip_() { # the venv's pip, bounded: 30 s per connection, one retry, 10 minutes in all
  timeout 600 "$venv/bin/python" -m pip --disable-pip-version-check --timeout 30 --retries 1 "$@"
}
no_pypi() {
  echo "python package test: pip could not $1 (exit $2). It needs PyPI (numpy, pytest," \
       "scikit-build-core, nanobind): check the network or a proxy (pip's output is above)." >&2
  exit 1
}

if ! "$venv/bin/python" -c "import numpy, pytest" 2>/dev/null; then
  rm -rf "$venv"
  "$py" -m venv "$venv" ||
    { echo "python package test: '$py -m venv' failed: install python3-venv (scripts/install-deps)" >&2; exit 1; }
  echo "== pip install numpy pytest (into $venv)"
  pip_ install -q numpy pytest || no_pypi "install numpy and pytest" $?
fi

echo "== pip install $src/python ($("$venv/bin/python" --version))"
start=$(date +%s)
pip_ install -q --force-reinstall --no-deps "$src/python" \
  --config-settings=build-dir="$work/build" \
  --config-settings=cmake.define.BRIGADE_CUDA=OFF --config-settings=cmake.define.BRIGADE_HIP=OFF ||
  no_pypi "build and install $src/python (a compile error also lands here)" $?
echo "   built and installed in $(( $(date +%s) - start )) s"

echo "== pytest"
(cd "$src/python" && "$venv/bin/python" -m pytest -p no:cacheprovider -q tests)

# 4. the examples run (small sizes: the suite's test_behaviour holds the
#    37 GiB shape, cut down, in bounded memory).
echo "== examples/python"
"$venv/bin/python" "$src/examples/python/part2_means.py" --size 1e6 --n 1000 999 --repeat 1
"$venv/bin/python" "$src/examples/python/part3_similar.py" --sizes small medium --no-killer
