#!/usr/bin/env bash
# Writes the N largest corpus programs as .fxir text, the fuzzers' large seeds: each
# printed with provenance as imported and after the `default` pipeline (whose cse-merged
# provenances carry source lists).
# usage: corpus_seeds.sh FXIR_OPT CORPUS_DIR OUT_DIR N
set -euo pipefail
opt=$1; corpus=$2; out=$3; n=$4
rm -rf "$out"; mkdir -p "$out"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for f in "$corpus"/*.pt2; do
  name=$(basename "$f" .pt2)
  "$opt" --print-debuginfo "$f" 2>/dev/null | grep -v '^//' > "$tmp/$name.fxir" || rm -f "$tmp/$name.fxir"
done
count=0
for f in $(wc -l "$tmp"/*.fxir | grep -v ' total$' | sort -rn | head -n "$n" | awk '{print $2}'); do
  name=$(basename "$f" .fxir)
  cp "$f" "$out/$name.imported.fxir"
  # (A program `default` does not handle yet is a seed as imported only.)
  if "$opt" --print-debuginfo --pass-pipeline=default "$corpus/$name.pt2" > "$tmp/default" 2>/dev/null; then
    grep -v '^//' "$tmp/default" > "$out/$name.default.fxir"
  fi
  count=$((count + 1))
done
echo "corpus seeds: $count programs ($(cat "$out"/*.fxir | wc -l) lines) in $out"
[ "$count" -eq "$n" ]
