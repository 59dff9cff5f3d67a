#!/usr/bin/env bash
# concurrent_compiles.sh PROG INPUTS EXPECTED CACHE_DIR N: N fxir-run processes compile
# PROG with the cpu backend into one empty cache at once and check their results;
# prints one verdict line per process, in process order.
set -u
prog=$1 inputs=$2 expected=$3 cache=$4 n=$5
out=$(mktemp -d)
for i in $(seq 1 "$n"); do
  fxir-run "$prog" --backend=cpu --cache-dir="$cache" --inputs "$inputs" \
    --expect "$expected" > "$out/$i.txt" 2>&1 &
done
wait
for i in $(seq 1 "$n"); do
  echo "process $i: $(grep -E '^(OK|FAIL|fxir-run)' "$out/$i.txt")"
done
rm -rf "$out"
