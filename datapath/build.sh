#!/usr/bin/env bash
# datapath/build.sh — builds loom's native datapath: the core library (datapath/core, when
# it has a CMakeLists.txt) and the N-API addon datapath/build/loom_datapath.node (the DPDK
# shell, linking the core when it built). Incremental; says what it does. Called by
# setup/install.sh; safe to run again. Env: JOBS (default 2).
set -euo pipefail
cd "$(dirname "$0")"
say() { printf 'loom datapath build: %s\n' "$*" >&2; }
JOBS=${JOBS:-2}
pkg-config --exists libdpdk || { say "libdpdk not found (apt-get install libdpdk-dev pkg-config)"; exit 1; }
mkdir -p build
core_lib=
if [ -f core/CMakeLists.txt ] && [ "${LOOM_NO_CORE:-0}" != 1 ]; then
  ok=1
  if [ ! -f build/core-shell/Makefile ]; then
    say "configuring core (cmake -> build/core-shell, position-independent for the addon)"
    cmake -S core -B build/core-shell -DCMAKE_BUILD_TYPE=Release -DCMAKE_POSITION_INDEPENDENT_CODE=ON \
      >build/core-build.log 2>&1 || ok=0
  fi
  if [ "$ok" = 1 ]; then
    say "building core library (loomcore)"
    cmake --build build/core-shell --target loomcore -j "$JOBS" >>build/core-build.log 2>&1 || ok=0
  fi
  if [ "$ok" = 1 ]; then
    core_lib=$(find "$PWD/build/core-shell" -name 'libloomcore.a' | head -1)
  else
    rm -f build/core-shell/Makefile  # configure again next time
    say "core's CMake build failed (see datapath/build/core-build.log); compiling core/*.cc directly"
    if make -s -C addon -j "$JOBS" core-direct >>build/core-build.log 2>&1; then
      core_lib=$PWD/build/core-direct/libloomcore.a
    else
      say "core sources did not compile (see datapath/build/core-build.log); addon uses its own L2 table"
    fi
  fi
fi
if [ -n "$core_lib" ] && [ ! -f addon/core_binding.cc ]; then core_lib=; fi
say "building addon build/loom_datapath.node${core_lib:+ with core $core_lib}"
make -s -C addon -j "$JOBS" LOOM_CORE_LIB="$core_lib"
say "ok: $(ls -l build/loom_datapath.node | awk '{print $5}') bytes"
