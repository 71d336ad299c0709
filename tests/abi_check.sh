#!/usr/bin/env bash
# The ABI of the shared library, as the headers promise it:
#  - libbrigade.so exports exactly the functions its installed headers
#    declare with BRG_API (mpi.h is brigade_mpi's), no more and no fewer;
#  - it needs no GPU runtime (CUDA, HIP) at link time;
#  - each backend module exports exactly the three symbols of src/core/module.h.
# Symbols a sanitizer's instrumentation adds (__asan_..., __odr_asan...) are
# not the library's and are left out.
set -euo pipefail
lib=$1 headers=$2 modules=$3
fail=0
defined() { nm -D --defined-only "$1" | awk 'NF == 3 {print $3}' | sed 's/@.*//' |
            grep -Ev '^__(asan|odr_asan|tsan|ubsan|sanitizer|lsan)' | sort -u; }

# The name before the first "(" of each BRG_API declaration.
names() { grep -ohE 'BRG_API[^(;]*\bbrg_[a-z0-9_]+\s*\(' "$@" | grep -oE 'brg_[a-z0-9_]+\s*\($' |
          tr -d ' (' | sort -u; }
declared=$(names "$headers"/*.h)
mpi=$(names "$headers/mpi.h")
declared=$(comm -23 <(echo "$declared") <(echo "$mpi"))
exported=$(defined "$lib")
extra=$(comm -13 <(echo "$declared") <(echo "$exported"))
missing=$(comm -23 <(echo "$declared") <(echo "$exported"))
if [ -n "$extra" ]; then echo "exported but in no header:"; echo "$extra"; fail=1; fi
if [ -n "$missing" ]; then echo "declared but not exported:"; echo "$missing"; fail=1; fi
echo "libbrigade exports $(echo "$exported" | wc -l) symbols; the headers declare $(echo "$declared" | wc -l) functions"

gpu=$(readelf -d "$lib" | grep NEEDED | grep -Ei 'cuda|cublas|amdhip|hsa|rocm' || true)
if [ -n "$gpu" ]; then echo "libbrigade needs a GPU runtime:"; echo "$gpu"; fail=1; fi

want=$(printf 'brg_module_abi\nbrg_module_init\nbrg_module_version\n')
for m in "$modules"/libbrigade-*.so; do
  [ -e "$m" ] || continue
  got=$(defined "$m")
  if [ "$got" != "$want" ]; then echo "$m exports:"; echo "$got"; fail=1; fi
  echo "$(basename "$m"): $(echo "$got" | tr '\n' ' ')"
done
exit $fail
