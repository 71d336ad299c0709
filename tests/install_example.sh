#!/usr/bin/env bash
# Install the built library into a scratch prefix, then build and run
# examples/embed.c against it twice: through find_package(brigade) and
# through pkg-config.
set -euo pipefail
build=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
cmake -S "$src/examples" -B "$tmp/cmake" -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/cmake" >/dev/null
"$tmp/cmake/embed"
libdir=$(find "$tmp/prefix" -name brigade.pc -printf '%h\n' | head -n1)
read -r -a flags <<<"$(PKG_CONFIG_PATH=$libdir pkg-config --cflags --libs brigade)"
cc -std=c17 "$src/examples/embed.c" "${flags[@]}" \
  -Wl,-rpath,"$(dirname "$libdir")" -o "$tmp/embed_pc"
"$tmp/embed_pc"
echo "installed package works through find_package and pkg-config"
