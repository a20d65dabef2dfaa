// bench/store/replay-tenants.ts — the per-tenant ovn-nbctl argument files that
// /work/shared/bench/ref-ovn-northd.sh writes with EMIT_DIR, generated without OVN.
//
// Owns: the exact text of those files (byte for byte: a test compares it with the script's
// own output): per tenant a switch, a router with one port, the switch's router port,
// PORTS/TENANTS ports with addresses and port security, a port group with three ACLs.
// Called by: bench/store/replay.ts, test/cli-replay.test.ts.
// Must never: change the topology the reference loads (the comparison would be unfair).

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const hex2 = (n: number) => n.toString(16).padStart(2, '0');

export function tenantCount(ports: number): number {
  return Math.floor(ports / 100) > 0 ? Math.floor(ports / 100) : 1;
}

/** One tenant's file content (lines each starting with "-- "), as the script echoes them. */
export function tenantCmds(t: number, perTenant: number): string {
  const hi = Math.floor(t / 256) % 256;
  const lo = t % 256;
  const lines: string[] = [];
  lines.push(`-- ls-add ls${t} -- lr-add lr${t} -- lrp-add lr${t} lrp${t} 00:00:01:00:${hex2(hi)}:${hex2(lo)} 10.${hi}.${lo}.254/24`);
  lines.push(`-- lsp-add ls${t} ls${t}-lr -- lsp-set-type ls${t}-lr router -- lsp-set-addresses ls${t}-lr router -- lsp-set-options ls${t}-lr router-port=lrp${t}`);
  let ports = '';
  for (let p = 1; p <= perTenant; p++) {
    const mac = `0a:${hex2(hi)}:${hex2(lo)}:00:${hex2(Math.floor(p / 256) % 256)}:${hex2(p % 256)}`;
    const ip = `10.${hi}.${lo}.${(p % 250) + 1}`;
    lines.push(`-- lsp-add ls${t} p${t}-${p} -- lsp-set-addresses p${t}-${p} "${mac} ${ip}" -- lsp-set-port-security p${t}-${p} "${mac} ${ip}"`);
    ports += ` p${t}-${p}`;
  }
  lines.push(`-- pg-add pg${t} ${ports}`);
  lines.push(`-- --type=port-group acl-add pg${t} to-lport 1002 'outport == @pg${t} && ip4 && tcp.dst == 22' allow-related`);
  lines.push(`-- --type=port-group acl-add pg${t} to-lport 1002 'outport == @pg${t} && ip4 && ip4.src == $pg${t}_ip4' allow-related`);
  lines.push(`-- --type=port-group acl-add pg${t} to-lport 1001 'outport == @pg${t} && ip' drop`);
  return lines.join('\n') + '\n';
}

/** Writes tenant-1.cmds ... tenant-T.cmds into dir; returns their paths in order. */
export function writeTenantFiles(dir: string, ports: number, tenants = tenantCount(ports)): string[] {
  mkdirSync(dir, { recursive: true });
  const per = Math.floor(ports / tenants);
  const files: string[] = [];
  for (let t = 1; t <= tenants; t++) {
    const f = join(dir, `tenant-${t}.cmds`);
    writeFileSync(f, tenantCmds(t, per));
    files.push(f);
  }
  return files;
}
