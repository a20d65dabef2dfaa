#!/usr/bin/env bash
# setup/install.sh — installs what loom needs on a Debian 12 machine, only what is missing,
# and says what it did. Called by `npm start` and `npm test` (and so by .ci/run); safe to
# run again. Steps: Debian packages, npm packages, hugepages, TypeScript build, native
# datapath build. Set LOOM_SKIP_APT=1 to skip the Debian step (non-root developers).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'loom setup: %s\n' "$*" >&2; }

# Debian packages: DPDK for the datapath, kernel-side peers for end-to-end tests,
# clang for the fuzzer, OVS-DPDK and OVN as benchmark references.
APT_PKGS=(
  dpdk dpdk-dev libdpdk-dev pkg-config
  iproute2 iputils-ping iperf3 netcat-openbsd tshark
  clang libclang-rt-14-dev libgtest-dev cmake
  openvswitch-switch-dpdk ovn-central ovn-host
)
if [ "${LOOM_SKIP_APT:-0}" != 1 ]; then
  missing=()
  for p in "${APT_PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
      say "missing Debian packages: ${missing[*]} — run as root, or install them and set LOOM_SKIP_APT=1"; exit 1
    fi
    say "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # tshark asks whether non-root users may capture; answer no without a prompt.
    echo 'wireshark-common wireshark-common/install-setuid boolean false' | debconf-set-selections
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    # The OVS/OVN packages start system services we never use; loom runs private instances.
    for s in openvswitch-switch ovn-central ovn-host ovn-northd ovn-controller; do
      systemctl disable --now "$s" >/dev/null 2>&1 || true
    done
  fi
fi

# npm packages, when node_modules is missing or older than the lock file.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund >/dev/null
fi

# Hugepages for DPDK: 1024 x 2 MiB, hugetlbfs at /dev/hugepages.
if [ "$(id -u)" = 0 ]; then
  have=$(cat /proc/sys/vm/nr_hugepages)
  if [ "$have" -lt 1024 ]; then
    say "reserving hugepages: $have -> 1024 x 2 MiB"
    echo 1024 > /proc/sys/vm/nr_hugepages || say "could not reserve hugepages (DPDK tests will be skipped)"
  fi
  mkdir -p /dev/hugepages
  if ! mountpoint -q /dev/hugepages; then
    say "mounting hugetlbfs at /dev/hugepages"
    mount -t hugetlbfs nodev /dev/hugepages
  fi
fi

# TypeScript build (the CLI runs from dist/ so each invocation starts fast).
newest_src=$(find schemas store expr cli nbdb sbdb northd controller datapath/js bench test -name '*.ts' -newer dist/.built 2>/dev/null | head -1 || true)
if [ ! -f dist/.built ] || [ -n "$newest_src" ] || [ tsconfig.json -nt dist/.built ]; then
  say "building TypeScript (tsc)"
  npx tsc -p tsconfig.json
  touch dist/.built
fi
# The CLI's one-file bundle: bin/loom.js runs it while it is newer than every module in it;
# then its V8 code cache (recorded after a warm-up run; bin/loom.js uses it only for exactly
# that bundle).
if [ ! -f dist/cli/loom.bundle.cjs ] || [ ! -f dist/cli/loom.bundle.cache ] || [ dist/.built -nt dist/cli/loom.bundle.cjs ]; then
  say "bundling the CLI (esbuild) and recording its code cache"
  node dist/cli/bundle.js >/dev/null || say "CLI bundle not built (bin/loom.js runs the modules)"
fi

# Native datapath (C++ / DPDK), when its build script exists.
if [ -x datapath/build.sh ]; then
  datapath/build.sh
fi
