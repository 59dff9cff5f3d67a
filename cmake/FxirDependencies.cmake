# Finds fxir's dependencies. Core (LibTorch-free): LLVM 19 ADT/Support through the shared
# libLLVM, Abseil, simdjson, yaml-cpp. Tests/bench: GoogleTest, Google Benchmark, lit and
# FileCheck. Executor/tools/tests: LibTorch from the venv's torch==2.13.0.
#
# Never `llvm-config --cxxflags`: it forces -std=c++17 and -fno-exceptions on us.

# ---- LLVM 19 (Debian llvm-19-dev) ------------------------------------------------------
# No version in find_package: LLVM's version file only accepts an exact major.minor.
find_package(LLVM CONFIG REQUIRED HINTS /usr/lib/llvm-19/lib/cmake/llvm)
if(NOT LLVM_VERSION_MAJOR EQUAL 19)
  message(FATAL_ERROR "fxir needs LLVM 19, found ${LLVM_PACKAGE_VERSION} at ${LLVM_DIR}")
endif()
if(NOT TARGET LLVM)
  message(FATAL_ERROR "LLVM at ${LLVM_DIR} has no shared 'LLVM' library target. fxir links "
    "the shared libLLVM only: a static LLVMSupport next to a consumer's libLLVM in one "
    "process aborts on duplicate option registration.")
endif()
message(STATUS "fxir: LLVM ${LLVM_PACKAGE_VERSION} from ${LLVM_DIR} (shared libLLVM)")
# An interface target carrying LLVM's include dirs and definitions next to the shared lib.
# The installed package leaves the include dirs and definitions to fxirConfig.cmake, which
# takes them from whichever LLVM 19 the consumer's find_package(LLVM) finds.
add_library(fxir_llvm INTERFACE)
set_target_properties(fxir_llvm PROPERTIES EXPORT_NAME llvm)
target_include_directories(fxir_llvm SYSTEM INTERFACE $<BUILD_INTERFACE:${LLVM_INCLUDE_DIRS}>)
separate_arguments(_fxir_llvm_defs NATIVE_COMMAND "${LLVM_DEFINITIONS}")
list(TRANSFORM _fxir_llvm_defs REPLACE "^-D" "")
target_compile_definitions(fxir_llvm INTERFACE "$<BUILD_INTERFACE:${_fxir_llvm_defs}>")
target_link_libraries(fxir_llvm INTERFACE LLVM)
install(TARGETS fxir_llvm EXPORT fxirTargets)
if(NOT LLVM_ENABLE_RTTI)
  message(FATAL_ERROR "fxir needs an LLVM built with RTTI (LLVM_ENABLE_RTTI=ON); ${LLVM_DIR} has it off")
endif()

# ---- Abseil, simdjson, minizip, yaml-cpp (Debian) ----------------------------------------
find_package(absl CONFIG REQUIRED)
find_package(simdjson CONFIG REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(MINIZIP REQUIRED IMPORTED_TARGET minizip)
find_package(yaml-cpp CONFIG REQUIRED)
if(TARGET yaml-cpp::yaml-cpp)
  set(FXIR_YAML_TARGET yaml-cpp::yaml-cpp)
else()
  set(FXIR_YAML_TARGET yaml-cpp)
endif()

# ---- Python (the venv with torch) ---------------------------------------------------------
# Unless the user set FXIR_PYTHON, look again at every configure (not cached), so a venv
# created after the first configure is picked up.
if(NOT FXIR_PYTHON)
  if(EXISTS "${CMAKE_CURRENT_SOURCE_DIR}/.venv/bin/python")
    set(FXIR_PYTHON "${CMAKE_CURRENT_SOURCE_DIR}/.venv/bin/python")
  else()
    find_program(FXIR_SYSTEM_PYTHON python3 REQUIRED)
    set(FXIR_PYTHON "${FXIR_SYSTEM_PYTHON}")
  endif()
endif()
message(STATUS "fxir: Python ${FXIR_PYTHON}")

# ---- LibTorch from the venv's torch wheel -------------------------------------------------
if(FXIR_ENABLE_TORCH)
  execute_process(
    COMMAND "${FXIR_PYTHON}" -c
      "import torch, torch.utils; print(torch.__version__); print(torch.utils.cmake_prefix_path); print(int(torch.compiled_with_cxx11_abi()))"
    OUTPUT_VARIABLE _fxir_torch_info RESULT_VARIABLE _fxir_torch_rc
    ERROR_VARIABLE _fxir_torch_err OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT _fxir_torch_rc EQUAL 0)
    message(FATAL_ERROR "fxir: cannot import torch with ${FXIR_PYTHON}:\n${_fxir_torch_err}\n"
      "Run scripts/test (it creates .venv with torch==2.13.0) or pass -DFXIR_ENABLE_TORCH=OFF.")
  endif()
  string(REPLACE "\n" ";" _fxir_torch_info "${_fxir_torch_info}")
  list(GET _fxir_torch_info 0 FXIR_TORCH_VERSION)
  list(GET _fxir_torch_info 1 _fxir_torch_prefix)
  list(GET _fxir_torch_info 2 FXIR_TORCH_CXX11_ABI)
  if(NOT FXIR_TORCH_VERSION STREQUAL "2.13.0+cpu")
    message(FATAL_ERROR "fxir is pinned to torch 2.13.0+cpu (its operator schema table and "
      "corpus are generated from that build); ${FXIR_PYTHON} has torch ${FXIR_TORCH_VERSION}")
  endif()
  list(APPEND CMAKE_PREFIX_PATH "${_fxir_torch_prefix}")
  find_package(Torch REQUIRED)
  get_filename_component(FXIR_TORCH_ROOT "${_fxir_torch_prefix}/../.." ABSOLUTE)

  # LibTorch's C++ ABI must match ours, or std::string crossing the boundary breaks.
  include(CheckCXXSourceCompiles)
  check_cxx_source_compiles("
    #include <string>
    #if !defined(_GLIBCXX_USE_CXX11_ABI) || _GLIBCXX_USE_CXX11_ABI != ${FXIR_TORCH_CXX11_ABI}
    #error ABI mismatch
    #endif
    int main() { return 0; }" FXIR_CXX11_ABI_MATCHES_TORCH)
  if(NOT FXIR_CXX11_ABI_MATCHES_TORCH)
    message(FATAL_ERROR "fxir: LibTorch was built with _GLIBCXX_USE_CXX11_ABI="
      "${FXIR_TORCH_CXX11_ABI} and this compiler's default differs")
  endif()

  # Narrow headers only: drop torch/csrc/api/include (where torch/torch.h lives) from the
  # include path, so `#include <torch/torch.h>` fails to compile anywhere in fxir.
  set_target_properties(torch PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${FXIR_TORCH_ROOT}/include")
  add_library(fxir_libtorch INTERFACE)
  set_target_properties(fxir_libtorch PROPERTIES EXPORT_NAME libtorch)
  target_link_libraries(fxir_libtorch INTERFACE torch)
  # (An installed fxir gets this from the consumer's own find_package(Torch):
  # fxirConfig.cmake, component interp.)
  target_include_directories(fxir_libtorch SYSTEM INTERFACE
    $<BUILD_INTERFACE:${FXIR_TORCH_ROOT}/include>)
  message(STATUS "fxir: LibTorch ${FXIR_TORCH_VERSION} from ${FXIR_TORCH_ROOT}, "
    "_GLIBCXX_USE_CXX11_ABI=${FXIR_TORCH_CXX11_ABI}")
endif()

# ---- Test tools -------------------------------------------------------------------------
if(FXIR_ENABLE_TESTS)
  find_package(GTest CONFIG REQUIRED)
  find_program(FXIR_FILECHECK FileCheck HINTS ${LLVM_TOOLS_BINARY_DIR} REQUIRED)
  find_program(FXIR_NOT not HINTS ${LLVM_TOOLS_BINARY_DIR} NO_DEFAULT_PATH REQUIRED)
  find_file(FXIR_LIT lit.py HINTS ${LLVM_TOOLS_BINARY_DIR}/../build/utils/lit
            /usr/lib/llvm-19/build/utils/lit NO_DEFAULT_PATH REQUIRED)
endif()
if(FXIR_ENABLE_BENCH)
  find_package(benchmark CONFIG REQUIRED)
endif()
