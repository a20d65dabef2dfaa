#!/usr/bin/env bash
# datapath/build.sh — builds loom's native datapath: the core library (datapath/core, by
# its CMake build) and the N-API addon datapath/build/loom_datapath.node (the DPDK shell
# linked with the core). Incremental; says what it does. Called by setup/install.sh; safe
# to run again.
# A core that does not build is an error (exit 1): an addon that silently fell back to the
# shell's own L2 table would pass for a working datapath. Env:
#   JOBS=2            parallel compile jobs
#   LOOM_MARCH=native code generation target of core and addon (-march=); the addon runs on
#                     the machine that builds it (install.sh). Use e.g. x86-64-v2 to build
#                     for other machines.
#   LOOM_NO_CORE=1    build the addon without the core on purpose (the shell's own L2 table
#                     only: table 0, in_port/eth matches, output/drop). Tests of the core
#                     pipeline then fail or skip.
set -euo pipefail
cd "$(dirname "$0")"
say() { printf 'loom datapath build: %s\n' "$*" >&2; }
JOBS=${JOBS:-2}
MARCH=${LOOM_MARCH:-native}
pkg-config --exists libdpdk || { say "libdpdk not found (apt-get install libdpdk-dev pkg-config)"; exit 1; }
mkdir -p build
core_lib=
if [ "${LOOM_NO_CORE:-0}" = 1 ]; then
  say "LOOM_NO_CORE=1: building the addon WITHOUT the core pipeline (shell L2 table only)"
else
  [ -f core/CMakeLists.txt ] && [ -f addon/core_binding.cc ] || { say "core sources missing (core/CMakeLists.txt, addon/core_binding.cc)"; exit 1; }
  command -v cmake >/dev/null || { say "cmake not found (apt-get install cmake; setup/install.sh does)"; exit 1; }
  # Configure again when the flags change (a stale cache would keep the old -march).
  flags="-DCMAKE_BUILD_TYPE=Release -DCMAKE_POSITION_INDEPENDENT_CODE=ON -DLOOM_TESTS=OFF -DLOOM_FUZZ=OFF -DCMAKE_CXX_FLAGS=-march=$MARCH"
  if [ ! -f build/core-shell/Makefile ] || [ "$(cat build/core-shell/loom-flags 2>/dev/null)" != "$flags" ]; then
    say "configuring core (cmake -> build/core-shell, -O3 -march=$MARCH, position-independent for the addon)"
    rm -f build/core-shell/CMakeCache.txt
    # shellcheck disable=SC2086
    if ! cmake -S core -B build/core-shell $flags >build/core-build.log 2>&1; then
      say "FAILED: configuring the core (see datapath/build/core-build.log)"; tail -20 build/core-build.log >&2; exit 1
    fi
    echo "$flags" >build/core-shell/loom-flags
  fi
  say "building core library (loomcore)"
  if ! cmake --build build/core-shell --target loomcore -j "$JOBS" >>build/core-build.log 2>&1; then
    say "FAILED: the core pipeline does not build (see datapath/build/core-build.log);"
    say "        LOOM_NO_CORE=1 builds the shell-only addon on purpose"
    grep -E 'error|Error' build/core-build.log | head -20 >&2 || true
    exit 1
  fi
  core_lib=$PWD/build/core-shell/libloomcore.a
fi
say "building addon build/loom_datapath.node (-O3 -march=$MARCH)${core_lib:+ with core $core_lib}"
make -s -C addon -j "$JOBS" LOOM_CORE_LIB="$core_lib" LOOM_MARCH="$MARCH"
say "ok: $(ls -l build/loom_datapath.node | awk '{print $5}') bytes"
