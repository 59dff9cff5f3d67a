#!/usr/bin/env bash
# Every valid .fxir test file round-trips: printing what was parsed and parsing that
# again prints the same text, with and without provenance (--print-debuginfo).
# Files whose RUN lines use --verify-diagnostics hold invalid IR on purpose and are
# skipped. usage: check_fxir_roundtrip.sh FXIR_OPT DIR
set -u
opt=$1; dir=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
passed=0; failed=0
while IFS= read -r f; do
  if grep -q -- '--verify-diagnostics' "$f"; then continue; fi
  ok=1
  for flags in "" "--print-debuginfo"; do
    if ! "$opt" --split-input-file $flags "$f" > "$tmp/1" 2> "$tmp/err" ||
       ! "$opt" --split-input-file $flags "$tmp/1" > "$tmp/2" 2>> "$tmp/err" ||
       ! diff -u "$tmp/1" "$tmp/2" > "$tmp/diff"; then
      echo "round trip fails for $f ${flags:-(no flags)}:"; cat "$tmp/err" "$tmp/diff"
      ok=0
    fi
  done
  if [ $ok -eq 1 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done < <(find "$dir" -name '*.fxir' | sort)
echo "fxir round trip: $passed passed, $failed failed"
[ $failed -eq 0 ] && [ $passed -gt 0 ]
