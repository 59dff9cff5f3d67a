#!/usr/bin/env bash
# Installs fxir from BUILD_DIR into BUILD_DIR/executor-consumer-test/prefix, then
# configures, builds and runs the separate CMake project examples/executor against it
# (find_package(fxir COMPONENTS runtime), LibTorch from PYTHON's torch) on one corpus case.
# usage: check_executor_consumer.sh BUILD_DIR EXAMPLE_SRC PYTHON CORPUS_DIR CASE
set -euo pipefail
build=$1; src=$2; python=$3; corpus=$4; case=$5
work="$build/executor-consumer-test"
rm -rf "$work/prefix"
mkdir -p "$work"
cmake --install "$build" --prefix "$work/prefix" > "$work/install.log"
torch_prefix=$("$python" -c 'import torch.utils; print(torch.utils.cmake_prefix_path)')
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
cmake -G Ninja -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$work/prefix;$torch_prefix" "${launcher[@]}" > "$work/configure.log" 2>&1 \
  || { cat "$work/configure.log"; exit 1; }
cmake --build "$work/build" -j2 > "$work/build.log" || { cat "$work/build.log"; exit 1; }
"$work/build/fxir-run-model" "$corpus/$case.pt2" "$corpus/$case.inputs.safetensors" \
  "$corpus/$case.expected.safetensors"
