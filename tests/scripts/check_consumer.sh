#!/usr/bin/env bash
# Installs fxir from BUILD_DIR into BUILD_DIR/consumer-test/prefix, then configures,
# builds and runs the separate CMake project CONSUMER_SRC against that package
# (find_package(fxir), core targets only). Fails on any step.
# usage: check_consumer.sh BUILD_DIR CONSUMER_SRC
set -euo pipefail
build=$1; src=$2
work="$build/consumer-test"
rm -rf "$work/prefix"
mkdir -p "$work"
cmake --install "$build" --prefix "$work/prefix" > "$work/install.log"
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
cmake -G Ninja -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$work/prefix" "${launcher[@]}" > "$work/configure.log"
cmake --build "$work/build" -j2 > "$work/build.log"
# The consumer must not need LibTorch at run time either.
if readelf -d "$work/build/fxir-consumer" | grep -E 'NEEDED.*lib(torch|c10)'; then
  echo "the consumer links LibTorch"; exit 1
fi
"$work/build/fxir-consumer"
