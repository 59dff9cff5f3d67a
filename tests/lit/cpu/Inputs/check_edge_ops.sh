#!/usr/bin/env bash
# check_edge_ops.sh DIR: for each dtype program edge_ops.py wrote into DIR, ATen's
# results (interp), then the cpu backend for the host and for x86-64-v3 against them.
set -u
dir=$1
for d in f32 f64 f16 bf16 i8 i16 i32 i64 u8 bool; do
  fxir-run "$dir/$d.fxir" --inputs "$dir/$d.inputs.safetensors" \
    --output "$dir/$d.aten.safetensors" > /dev/null || { echo "$d: interp failed"; continue; }
  for target in host x86-64-v3; do
    verdict=$(fxir-run "$dir/$d.fxir" --backend=cpu --backend-option=target=$target \
                --inputs "$dir/$d.inputs.safetensors" --expect "$dir/$d.aten.safetensors" 2>&1 \
              | grep -E '^(OK|FAIL|MISMATCH|fxir-run)')
    echo "$d $target: $verdict"
  done
done
