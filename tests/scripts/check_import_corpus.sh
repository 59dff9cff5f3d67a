#!/usr/bin/env bash
# Every archive of the export corpus imports, verifies and prints, the printed IR (with
# provenance) parses back to the same text, and the `default` pass pipeline runs on it
# with verification and the provenance check after every pass (or fails as the
# corpus's known-failure list says).
# usage: check_import_corpus.sh FXIR_OPT CORPUS_DIR
set -u
opt=$1; dir=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
passed=0; failed=0; known=0
# `default` runs on the archive, or fails as the corpus's known-failure list says
# (fxir_known_failures.tsv: case, pass, pattern; tests/corpus/models.py fxir_xfail).
default_ok() {
  local case pattern
  case=$(basename "$1" .pt2)
  pattern=$(awk -F'\t' -v c="$case" '$1 == c {print $3}' "$dir/fxir_known_failures.tsv" 2>/dev/null)
  if [ -z "$pattern" ]; then
    "$opt" --pass-pipeline=default "$1" > /dev/null 2>> "$tmp/err"
    return
  fi
  if "$opt" --pass-pipeline=default "$1" > /dev/null 2> "$tmp/known"; then
    echo "known failure $case passes now: remove its fxir_xfail" >> "$tmp/err"; return 1
  fi
  grep -Eq "$pattern" "$tmp/known" || { cat "$tmp/known" >> "$tmp/err"; return 1; }
  known=$((known + 1))
}
for f in "$dir"/*.pt2; do
  [ -e "$f" ] || continue
  if "$opt" --print-debuginfo "$f" > "$tmp/out" 2> "$tmp/err" &&
     grep -v '^//' "$tmp/out" > "$tmp/ir" &&
     "$opt" --print-debuginfo "$tmp/ir" > "$tmp/again" 2>> "$tmp/err" &&
     diff -q "$tmp/ir" "$tmp/again" > /dev/null &&
     default_ok "$f"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAILED: $f"; head -5 "$tmp/err"
  fi
done
echo "pt2 import: $passed passed, $failed failed ($known with a known failure under default)"
[ $failed -eq 0 ] && [ $passed -gt 0 ]
