#!/usr/bin/env bash
# The core (ir/, passes/, frontends/, driver/, and the code generator's LLVM side
# backends/cpu/) must build and link without LibTorch.
# usage: check_core_libtorch_free.sh SOURCE_ROOT [CORE_LIBRARY.so ...]
#   1. no file under SOURCE_ROOT/{ir,passes,frontends,driver} includes a torch/, ATen/ or c10/
#      header;
#   2. no given library needs LibTorch, directly (`readelf -d`) or through another
#      library (`ldd`: libtorch*, libc10*, or fxir's own LibTorch library libfxir_runtime).
# Prints every violation and exits 1 if there is any.
set -u
root=$1; shift
bad=0
for layer in ir passes frontends driver backends/cpu; do
  [ -d "$root/$layer" ] || continue
  while IFS= read -r hit; do
    echo "core file includes a LibTorch header: $hit"
    bad=1
  done < <(grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"](torch|ATen|c10)/' \
             "$root/$layer" --include='*.h' --include='*.cpp' --include='*.inc' --include='*.def')
done
for lib in "$@"; do
  if [ ! -f "$lib" ]; then echo "missing library: $lib"; bad=1; continue; fi
  needed=$(readelf -d "$lib" | grep -E 'NEEDED.*lib(torch|c10|fxir_runtime)' || true)
  if [ -n "$needed" ]; then
    echo "$lib needs LibTorch: $needed"
    bad=1
  fi
  indirect=$(ldd "$lib" | grep -E 'lib(torch|c10|fxir_runtime)' || true)
  if [ -n "$indirect" ] && [ -z "$needed" ]; then
    echo "$lib needs LibTorch through its dependencies: $indirect"
    bad=1
  fi
done
if [ $bad -eq 0 ]; then
  echo "core is LibTorch-free: sources under $root/{ir,passes,frontends,driver,backends/cpu}; libraries: $*"
fi
exit $bad
