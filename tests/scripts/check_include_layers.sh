#!/usr/bin/env bash
# The include direction of fxir's layers (docs/architecture.md):
#   ir  <-  passes  <-  frontends  <-  driver  <-  backends  <-  tools
# (frontends use ir only; the driver uses ir, passes and frontends). A file of a layer
# may include fxir headers of its own layer and of the layers before it, nothing above.
# usage: check_include_layers.sh SOURCE_ROOT
# Prints every violation as `file:line: <layer> includes <header>` and exits 1 if any.
set -u
root=$1
bad=0
allowed() { # allowed LAYER -> the fxir/<dir> prefixes its files may include
  case $1 in
    ir) echo "ir" ;;
    passes) echo "ir passes" ;;
    frontends) echo "ir frontends" ;;
    driver) echo "ir passes frontends driver" ;;
    backends) echo "ir passes frontends driver backends" ;;
  esac
}
checked=0
for layer in ir passes frontends driver backends; do
  [ -d "$root/$layer" ] || continue
  ok=$(allowed "$layer")
  while IFS= read -r hit; do
    file=${hit%%:*}; rest=${hit#*:}; line=${rest%%:*}
    header=$(printf '%s' "$hit" | sed -E 's/.*#[[:space:]]*include[[:space:]]*"fxir\/([^"]*)".*/\1/')
    dir=${header%%/*}
    checked=$((checked + 1))
    case " $ok " in
      *" $dir "*) ;;
      *) echo "$file:$line: $layer includes fxir/$header (allowed: $ok)"; bad=1 ;;
    esac
  done < <(grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"fxir/' "$root/$layer" \
             --include='*.h' --include='*.cpp' --include='*.def' --include='*.inc')
done
if [ $bad -eq 0 ]; then
  echo "include layers: $checked fxir includes under $root follow ir <- passes <- frontends <- driver <- backends"
fi
exit $bad
