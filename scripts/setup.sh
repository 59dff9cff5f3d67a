# Sourced by scripts/demo and scripts/test: installs whatever is missing and builds.
# Safe to run any number of times: each step checks before it acts.
#   FXIR_BUILD_DIR  build directory (default: build)
#   FXIR_VENV       Python venv with torch==2.13.0 (default: .venv)
#   FXIR_JOBS       parallel build jobs (default: 2, this project's machine size)
set -euo pipefail

FXIR_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FXIR_BUILD_DIR=${FXIR_BUILD_DIR:-$FXIR_ROOT/build}
FXIR_VENV=${FXIR_VENV:-$FXIR_ROOT/.venv}
FXIR_JOBS=${FXIR_JOBS:-2}
FXIR_PY="$FXIR_VENV/bin/python"

# Debian packages the build and tests need.
FXIR_APT_PACKAGES=(
  build-essential cmake ninja-build ccache git binutils python3-venv
  llvm-19-dev llvm-19-tools libzstd-dev
  libabsl-dev libgtest-dev libgmock-dev libbenchmark-dev libsimdjson-dev libyaml-cpp-dev
  libminizip-dev pkg-config gdb
  python3.11-dev graphviz
)
# Python packages besides torch (see FXIR_TORCH_VERSION). transformers builds the `hf`
# corpus family (tests/corpus/hf_models.py: small configs, random weights, offline);
# pinned, since its modeling code is what gets exported.
FXIR_TRANSFORMERS_VERSION=5.24.0
# nanobind builds the Python package's native module, scikit-build-core is its
# `pip install .` backend, pytest runs its tests (tests/python).
FXIR_PIP_PACKAGES=(safetensors numpy pyyaml "transformers==$FXIR_TRANSFORMERS_VERSION"
  "nanobind==3.1.0" "scikit-build-core==1.1.2" "pytest==9.2.0")
# Nothing is ever downloaded from the Hugging Face Hub (models come from configs).
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1

_fxir_t0=$(date +%s)
_fxir_stage_start=$_fxir_t0
fxir_stage() { # fxir_stage NAME: ends the previous stage's timer, prints the new stage
  local now; now=$(date +%s)
  if [ -n "${_fxir_stage_name:-}" ]; then
    printf '[fxir] stage %-10s %4ds\n' "$_fxir_stage_name" $((now - _fxir_stage_start))
  fi
  _fxir_stage_name=$1; _fxir_stage_start=$now
  [ "$1" = done ] || echo "[fxir] ---- $1"
}
fxir_total() { printf '[fxir] total %ds\n' $(($(date +%s) - _fxir_t0)); }

# Runs a command as root: directly when root, else through non-interactive sudo
# (CI has no terminal to type a password into).
fxir_as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    env DEBIAN_FRONTEND=noninteractive "$@"
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo -n env DEBIAN_FRONTEND=noninteractive "$@"
  else
    return 1
  fi
}

fxir_setup_apt() {
  fxir_stage apt
  local missing=()
  for p in "${FXIR_APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
      || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    echo "[fxir] apt packages present"
    return
  fi
  echo "[fxir] installing: ${missing[*]}"
  if ! fxir_as_root true; then
    echo "[fxir] error: these Debian packages are missing and this user can neither act" \
         "as root nor use sudo without a password: ${missing[*]}" >&2
    echo "[fxir] install them (apt-get install ${missing[*]}) and rerun" >&2
    return 1
  fi
  fxir_as_root apt-get update -qq
  fxir_as_root apt-get install -y -qq "${missing[@]}" >/dev/null
}

# torch 2.13.0's CPU build: the operator schema table and the corpus are generated from
# it. PyPI's plain `torch==2.13.0` is a multi-GB CUDA build with another version string.
FXIR_TORCH_VERSION=2.13.0+cpu

fxir_setup_venv() {
  fxir_stage venv
  if [ -x "$FXIR_PY" ] && "$FXIR_PY" - "$FXIR_TORCH_VERSION" "$FXIR_TRANSFORMERS_VERSION" \
       <<'PY' 2>/dev/null
import importlib.metadata as m, sys
if m.version("torch") != sys.argv[1] or m.version("transformers") != sys.argv[2]:
    sys.exit(1)
for name in ("safetensors", "numpy", "pyyaml", "nanobind", "scikit-build-core", "pytest"):
    m.version(name)
PY
  then
    echo "[fxir] venv $FXIR_VENV has torch $FXIR_TORCH_VERSION, transformers $FXIR_TRANSFORMERS_VERSION"
    return
  fi
  if [ ! -x "$FXIR_PY" ]; then
    # The wheel is built for CPython 3.11.
    local py
    py=$(command -v python3.11 || command -v python3 || true)
    if [ -z "$py" ] || ! "$py" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      echo "[fxir] error: torch $FXIR_TORCH_VERSION needs CPython 3.11; found ${py:-no python3}" >&2
      return 1
    fi
    "$py" -m venv "$FXIR_VENV"
  fi
  local links=()
  # The CPU wheel of torch 2.13.0 lies in /opt/wheels on this project's machines.
  [ -d /opt/wheels ] && links=(--find-links /opt/wheels)
  if ! "$FXIR_PY" -m pip install -q "${links[@]}" "torch==$FXIR_TORCH_VERSION" \
       "${FXIR_PIP_PACKAGES[@]}"; then
    echo "[fxir] error: could not install torch==$FXIR_TORCH_VERSION (the CPU build)." >&2
    echo "[fxir] put its wheel in /opt/wheels or point PIP_FIND_LINKS at it and rerun" >&2
    return 1
  fi
}

fxir_configure() {
  fxir_stage configure
  cmake -G Ninja -S "$FXIR_ROOT" -B "$FXIR_BUILD_DIR" \
    -DFXIR_PYTHON="$FXIR_PY" ${FXIR_CMAKE_ARGS:-} > "$FXIR_BUILD_DIR/configure.log" 2>&1 \
    || { cat "$FXIR_BUILD_DIR/configure.log"; return 1; }
  grep -E '^-- fxir:' "$FXIR_BUILD_DIR/configure.log" || true
}

fxir_build() {
  fxir_stage build
  command -v ccache >/dev/null && ccache --zero-stats >/dev/null 2>&1 || true
  cmake --build "$FXIR_BUILD_DIR" -j "$FXIR_JOBS"
  if command -v ccache >/dev/null; then
    ccache --print-stats 2>/dev/null | awk '
      /^(direct|preprocessed)_cache_hit/ {h += $2} /^cache_miss/ {m += $2}
      END {printf "[fxir] ccache: %d hits, %d misses\n", h, m}' || true
  fi
}

# The Python package, as built in the build tree (python/CMakeLists.txt), on the venv's
# path: `import fxir` in the venv imports it, and edits to python/fxir/*.py need no
# reinstall. (`pip install .` builds and installs a wheel instead: docs/python.md.)
fxir_setup_python() {
  fxir_stage python
  local site
  site=$("$FXIR_PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  if [ ! -d "$FXIR_BUILD_DIR/python/fxir" ]; then
    echo "[fxir] error: the build made no Python package ($FXIR_BUILD_DIR/python/fxir)" >&2
    return 1
  fi
  echo "$FXIR_BUILD_DIR/python" > "$site/fxir-build-tree.pth"
  "$FXIR_PY" -c 'import fxir; print("[fxir] python package", fxir.__version__, "from", fxir.__file__)'
}

fxir_setup_all() {
  fxir_setup_apt
  fxir_setup_venv
  mkdir -p "$FXIR_BUILD_DIR"
  fxir_configure
  fxir_build
  fxir_setup_python
}
