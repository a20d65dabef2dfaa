#!/usr/bin/env bash
# bench/datapath/shell-callgrind.sh — instructions per packet of loom's whole forwarding
# worker (datapath/dpdk/shell_bench.cc) under callgrind: `ring` (two crossed DPDK ring
# ports, no peer: the shell + core alone) or `vhost` (two vhost-user ports with
# dpdk-testpmd virtio-user as the peer, as in run.ts: adds the vhost library's copies).
# Usage: bench/datapath/shell-callgrind.sh [ring|vhost] [l2|aclct] [packets(200000)]
# Prints "<instr/pkt> instructions per packet". Needs root, valgrind, dpdk-testpmd (vhost),
# the core built by datapath/build.sh. Cleans up its testpmd and temp dir on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
KIND=${1:-ring}; MODE=${2:-l2}; N=${3:-200000}
bash datapath/build.sh  # the core library must match the headers the bench is compiled with
make -s -C datapath/addon shell-bench LOOM_CORE_LIB="$PWD/datapath/build/core-shell/libloomcore.a"
B=datapath/build/loom_shell_bench
OUT=$(mktemp -d /tmp/loom-shell-cg.XXXXXX)
TP_PID=
cleanup() { [ -n "$TP_PID" ] && kill "$TP_PID" 2>/dev/null; rm -rf "$OUT" "/var/run/dpdk/loom-shell-cg-$$"; }
trap cleanup EXIT
CG=(valgrind --tool=callgrind --fair-sched=yes --callgrind-out-file="$OUT/cg" --toggle-collect='loom::dp::Datapath::worker_loop*')
if [ "$KIND" = ring ]; then
  "${CG[@]}" "$B" "$MODE" "$N" >"$OUT/log" 2>&1
else
  "${CG[@]}" "$B" vhost "$OUT" "$N" "$MODE" >"$OUT/log" 2>&1 &
  BP=$!
  for _ in $(seq 600); do [ -S "$OUT/vhu1" ] && break; sleep 0.1; done
  [ -S "$OUT/vhu1" ] || { cat "$OUT/log" >&2; exit 1; }
  mkfifo "$OUT/tp_in"
  taskset -c 1 dpdk-testpmd --lcores '0@1,1@1' --file-prefix "loom-shell-cg-$$" --no-pci --in-memory \
    --single-file-segments -m 256 --no-telemetry \
    --vdev "net_virtio_user0,path=$OUT/vhu0,queues=1" --vdev "net_virtio_user1,path=$OUT/vhu1,queues=1" \
    -- -i --forward-mode=io --total-num-mbufs=16384 <"$OUT/tp_in" >"$OUT/tp.log" 2>&1 &
  TP_PID=$!
  exec 3>"$OUT/tp_in"
  sleep 3
  echo "start tx_first 16" >&3
  wait "$BP" || true
  echo "quit" >&3; exec 3>&-
  wait "$TP_PID" 2>/dev/null || true; TP_PID=
fi
grep -E "transmitted" "$OUT/log" >&2 || { cat "$OUT/log" >&2; exit 1; }
tx=$(grep -oE '[0-9]+ packets transmitted' "$OUT/log" | awk '{print $1}')
ir=$(grep -oE 'Collected : [0-9]+' "$OUT/log" | awk '{print $3}')
echo "$KIND $MODE: $ir instructions / $tx packets = $((ir / tx)) instructions per packet"
callgrind_annotate "$OUT/cg" 2>/dev/null | sed -n '/file:function/,$p' | sed -n 3,14p | cut -c1-150 >&2
