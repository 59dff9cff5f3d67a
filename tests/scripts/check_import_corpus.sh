#!/usr/bin/env bash
# Every archive of the export corpus imports, verifies and prints, the printed IR (with
# provenance) parses back to the same text, and the `default` pass pipeline runs on it
# with verification and the provenance check after every pass.
# usage: check_import_corpus.sh FXIR_OPT CORPUS_DIR
set -u
opt=$1; dir=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
passed=0; failed=0
for f in "$dir"/*.pt2; do
  [ -e "$f" ] || continue
  if "$opt" --print-debuginfo "$f" > "$tmp/out" 2> "$tmp/err" &&
     grep -v '^//' "$tmp/out" > "$tmp/ir" &&
     "$opt" --print-debuginfo "$tmp/ir" > "$tmp/again" 2>> "$tmp/err" &&
     diff -q "$tmp/ir" "$tmp/again" > /dev/null &&
     "$opt" --pass-pipeline=default "$f" > /dev/null 2>> "$tmp/err"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAILED: $f"; head -5 "$tmp/err"
  fi
done
echo "pt2 import: $passed passed, $failed failed"
[ $failed -eq 0 ] && [ $passed -gt 0 ]
