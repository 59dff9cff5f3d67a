#!/usr/bin/env bash
# Prints the corpus archives matching the globs, one a line, without the cases the
# corpus lists as fxir known failures (fxir_known_failures.tsv; tests/corpus/models.py
# fxir_xfail): the checks that run a pass over every archive skip them, and
# fxir-interp-corpus checks that they still fail as listed.
# usage: corpus_archives.sh CORPUS_DIR GLOB...
dir=$1; shift
for g in "$@"; do
  for f in "$dir"/$g; do
    [ -e "$f" ] || continue
    awk -F'\t' -v c="$(basename "$f" .pt2)" '$1 == c {found = 1} END {exit !found}' \
      "$dir/fxir_known_failures.tsv" 2>/dev/null || echo "$f"
  done
done
