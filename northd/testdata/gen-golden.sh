#!/usr/bin/env bash
# northd/testdata/gen-golden.sh — regenerate the golden files from OVN 23.03 itself:
# for each topology in topologies.sh, a private ovn-northd (bench/ovn-sandbox.sh) compiles
# it and dump-sb.mjs writes NAME.golden.json (logical flows, bindings, multicast groups,
# address sets, port groups, HA chassis groups, DNS, meters, load balancers; UUIDs
# replaced by names). Run from anywhere; needs ovn-central.
# ONLY=NAME[,NAME...] regenerates just those topologies (the others' files are left alone).
# A line `sb-svc-status IP PORT STATUS` sets Service_Monitor.status in SB (as a controller would).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SANDBOX=/work/shared/bench/ovn-sandbox.sh
D=$("$SANDBOX" start | tail -1)
trap '"$SANDBOX" destroy "$D" >/dev/null 2>&1' EXIT
eval "$("$SANDBOX" env "$D")"
name=""
ONLY=${ONLY:-}
wanted() { [[ -z $ONLY || ",$ONLY," == *",$1,"* ]]; }
flush() {
  [[ -z $name ]] && return 0
  if ! wanted "$name"; then name=""; return 0; fi
  ovn-nbctl --wait=sb sync
  for t in Logical_Flow Logical_DP_Group Datapath_Binding Port_Binding Multicast_Group Address_Set Port_Group \
      HA_Chassis_Group HA_Chassis Chassis DNS Meter Meter_Band Load_Balancer Service_Monitor IP_Multicast; do
    printf '"%s": ' "$t"; ovn-sbctl --format=json list "$t"; printf ',\n'
  done >"$D/raw"
  { echo '{'; cat "$D/raw"; echo '"_": null }'; } | node "$HERE/dump-sb.mjs" >"$HERE/$name.golden.json"
  echo "wrote $name.golden.json" >&2
  # empty NB for the next topology
  ovn-nbctl --if-exists destroy Logical_Switch_Port . >/dev/null 2>&1 || true
  for t in ACL Load_Balancer Logical_Router Logical_Switch Port_Group Address_Set NAT Logical_Router_Static_Route \
      Logical_Router_Policy Gateway_Chassis HA_Chassis_Group DHCP_Options DNS QoS Meter Load_Balancer_Health_Check; do
    for u in $(ovn-nbctl --bare --columns=_uuid list $t); do ovn-nbctl --if-exists destroy $t "$u" >/dev/null 2>&1 || true; done
  done
  # NB_Global options a topology may set (the row itself stays)
  for k in use_ct_inv_match controller_event ignore_lsp_down; do ovn-nbctl --if-exists remove NB_Global . options "$k" >/dev/null 2>&1 || true; done
  ovn-nbctl --wait=sb sync
}
while IFS= read -r line; do
  [[ -z $line || $line == \#* ]] && continue
  if [[ $line == topology\ * ]]; then flush; name=${line#topology }; continue; fi
  wanted "$name" || continue
  # sb-svc-status IP PORT STATUS: what a controller's health check would report
  if [[ $line == sb-svc-status\ * ]]; then
    read -r _ ip port status <<<"$line"
    ovn-nbctl --wait=sb sync
    for u in $(ovn-sbctl --bare --columns=_uuid find Service_Monitor ip="\"$ip\"" port="$port"); do ovn-sbctl set Service_Monitor "$u" status="$status"; done
    continue
  fi
  eval "ovn-nbctl $line" >/dev/null
done <"$HERE/topologies.sh"
flush
