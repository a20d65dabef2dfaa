#!/usr/bin/env bash
# northd/testdata/gen-golden.sh — regenerate the golden files from OVN 23.03 itself:
# for each topology in topologies.sh, a private ovn-northd (bench/ovn-sandbox.sh) compiles
# it and dump-sb.mjs writes NAME.golden.json (logical flows, bindings, multicast groups,
# address sets and port groups, UUIDs replaced by names). Run from anywhere; needs ovn-central.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SANDBOX=/work/shared/bench/ovn-sandbox.sh
D=$("$SANDBOX" start | tail -1)
trap '"$SANDBOX" destroy "$D" >/dev/null 2>&1' EXIT
eval "$("$SANDBOX" env "$D")"
name=""
flush() {
  [[ -z $name ]] && return 0
  ovn-nbctl --wait=sb sync
  for t in Logical_Flow Logical_DP_Group Datapath_Binding Port_Binding Multicast_Group Address_Set Port_Group; do
    printf '"%s": ' "$t"; ovn-sbctl --format=json list "$t"; printf ',\n'
  done >"$D/raw"
  { echo '{'; cat "$D/raw"; echo '"_": null }'; } | node "$HERE/dump-sb.mjs" >"$HERE/$name.golden.json"
  echo "wrote $name.golden.json" >&2
  # empty NB for the next topology
  ovn-nbctl --if-exists destroy Logical_Switch_Port . >/dev/null 2>&1 || true
  for t in ACL Load_Balancer Logical_Router Logical_Switch Port_Group Address_Set NAT Logical_Router_Static_Route; do
    for u in $(ovn-nbctl --bare --columns=_uuid list $t); do ovn-nbctl --if-exists destroy $t "$u" >/dev/null 2>&1 || true; done
  done
  ovn-nbctl --wait=sb sync
}
while IFS= read -r line; do
  [[ -z $line || $line == \#* ]] && continue
  if [[ $line == topology\ * ]]; then flush; name=${line#topology }; continue; fi
  eval "ovn-nbctl $line" >/dev/null
done <"$HERE/topologies.sh"
flush
