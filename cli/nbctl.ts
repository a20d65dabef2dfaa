// cli/nbctl.ts — ovn-nbctl's verbs over loom's northbound store.
//
// Owns: the northbound command table: switches, ports, ACLs, port groups, routers, router
// ports, gateway chassis, static routes, NAT, load balancers, DHCP options, QoS rules, meters,
// HA chassis groups, init/sync/show,
// with ovn-nbctl(8)'s argument order, defaults, checks and error wording.
// Reads: the transaction-local view (tables each verb declares); cli/addresses.ts for
// address checks; cli/show.ts for `show`.
// Called by: cli/run.ts (looks commands up by name), cli/help.ts (prints their help).
// Must never: do I/O, or write a row another verb would not recognise as ovn-nbctl's
// (e.g. a Logical_Switch_Port outside every switch's `ports`).
// Invariants: every write keeps the parent/child links ovn-nbctl keeps (switch.ports,
// router.ports, router.static_routes, router.nat, switch.acls / port_group.acls,
// lrp.gateway_chassis, *.load_balancer); a failed check throws before the view is used.

import { type Row, type Value } from '../store/types.js';
import { isLspAddress, isMac, isNetwork, isPortSecurity, normalizePrefix, parseEndpoint, isIp, parseIp4 } from './addresses.js';
import { fail, has, lookup, str, type CommandContext, type CommandSpec } from './command.js';
import { dbCommands, sortRows } from './db-commands.js';
import { showNb, showNbJson } from './show.js';
import { asArray, asMap, isUuid, setKey } from './values.js';
import type { TxnView } from './txn-view.js';

const LS = 'Logical_Switch';
const LSP = 'Logical_Switch_Port';
const LR = 'Logical_Router';
const LRP = 'Logical_Router_Port';
const PG = 'Port_Group';
const ACL = 'ACL';
const ROUTE = 'Logical_Router_Static_Route';
const NAT = 'NAT';
const LB = 'Load_Balancer';
const DHCP = 'DHCP_Options';
const GWC = 'Gateway_Chassis';
const QOS = 'QoS';
const METER = 'Meter';
const BAND = 'Meter_Band';
const HAG = 'HA_Chassis_Group';
const HAC = 'HA_Chassis';
const NBG = 'NB_Global';

const LSP_TYPES = ['', 'router', 'localnet', 'localport', 'l2gateway', 'vtep', 'external', 'virtual', 'remote'];
const ACL_VERDICTS = ['allow', 'allow-related', 'allow-stateless', 'drop', 'reject'];
const ACL_SEVERITIES = ['alert', 'warning', 'notice', 'info', 'debug'];
const NAT_TYPES = ['dnat', 'snat', 'dnat_and_snat'];

// ---------------------------------------------------------------- lookups

interface Finder {
  (v: TxnView, id: string): Row;
  (v: TxnView, id: string, mustExist: boolean): Row | undefined;
}
const finder = (table: string, what: string): Finder => ((v: TxnView, id: string, must?: boolean) => lookup(v, table, id, what, must ?? true)) as Finder;
const ls = finder(LS, 'switch');
const lsp = finder(LSP, 'port');
const lr = finder(LR, 'router');
const lrp = finder(LRP, 'port');
const pg = finder(PG, 'port group');
const lb = finder(LB, 'load balancer');

function dhcp(v: TxnView, id: string): Row {
  const r = isUuid(id) ? v.get(DHCP, id.toLowerCase()) : undefined;
  if (r === undefined) fail('not-found', `${id}: dhcp options UUID not found`, { table: DHCP, value: id, hint: 'list them with dhcp-options-list' });
  return r;
}

/** The row of `parentTable` whose set `column` holds `uuid`. */
function parentOf(v: TxnView, parentTable: string, column: string, uuid: string): Row | undefined {
  return v.rows(parentTable).find((r) => asArray(r[column]).some((x) => x === uuid));
}

function print(ctx: CommandContext, line: string): void {
  ctx.out += line + '\n';
}

/** "uuid (name)" lines sorted by name, as ls-list / lsp-list / lr-list print. */
function printNamed(ctx: CommandContext, rows: readonly Row[]): void {
  const sorted = [...rows].sort((a, b) => (str(a['name']) < str(b['name']) ? -1 : str(a['name']) > str(b['name']) ? 1 : a._uuid < b._uuid ? -1 : 1));
  for (const r of sorted) print(ctx, `${r._uuid} (${str(r['name'])})`);
}

function parseKeyValues(args: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of args) {
    const i = a.indexOf('=');
    if (i <= 0) fail('bad-request', `${a}: expected KEY=VALUE`, { value: a });
    setKey(out, a.slice(0, i), a.slice(i + 1));
  }
  return out;
}

function printMap(ctx: CommandContext, v: Value | undefined): void {
  const m = asMap(v);
  for (const k of Object.keys(m).sort()) print(ctx, `${k}=${String(m[k])}`);
}

function printSet(ctx: CommandContext, v: Value | undefined): void {
  for (const x of asArray(v)) print(ctx, String(x));
}

function int(text: string, what: string, lo: number, hi: number): number {
  // Worded as ovn-nbctl 23.03 words it ("must in range"), so scripts matching it keep working.
  if (!/^-?\d+$/.test(text) || Number(text) < lo || Number(text) > hi) fail('invalid-value', `${text}: ${what} must in range ${lo}...${hi}`, { value: text });
  return Number(text);
}

// ---------------------------------------------------------------- command table

interface Def {
  readonly syntax: string;
  readonly min: number;
  readonly max?: number;
  readonly options?: readonly string[];
  readonly tables: readonly string[] | ((args: readonly string[], options: ReadonlyMap<string, string>) => readonly string[]);
  readonly summary: string;
  readonly example: string;
  readonly readOnly?: boolean;
  keys?(args: readonly string[], options: ReadonlyMap<string, string>): { readonly [table: string]: readonly string[] };
  run(ctx: CommandContext): void;
}

const specs: CommandSpec[] = [];
function def(group: string, name: string, d: Def): void {
  const tables = d.tables;
  specs.push({
    name,
    group,
    syntax: d.syntax,
    min: d.min,
    max: d.max ?? d.min,
    options: d.options ?? [],
    summary: d.summary,
    example: d.example,
    tables: typeof tables === 'function' ? tables : () => tables,
    ...(d.readOnly === true ? { readOnly: true } : {}),
    ...(d.keys !== undefined ? { keys: d.keys } : {}),
    run: d.run,
  });
}

// ---------------------------------------------------------------- general

def('General Commands', 'init', {
  syntax: '',
  min: 0,
  tables: [NBG],
  summary: 'initialize the database (create the NB_Global row if missing)',
  example: 'init',
  run(ctx) {
    if (ctx.view.rows(NBG).length === 0) ctx.view.insert(NBG, {});
  },
});

def('General Commands', 'show', {
  syntax: '[SWITCH | ROUTER]',
  min: 0,
  max: 1,
  tables: [LS, LSP, LR, LRP, NAT, GWC, LB, 'DNS', 'HA_Chassis_Group', 'HA_Chassis'],
  summary: 'print overview of database contents (of one switch or router)',
  example: 'show sw0',
  readOnly: true,
  run(ctx) {
    if (ctx.global.format === 'json') ctx.out += JSON.stringify(showNbJson(ctx.view, ctx.args[0])) + '\n';
    else ctx.out += showNb(ctx.view, ctx.args[0]);
  },
});

def('General Commands', 'sync', {
  syntax: '',
  min: 0,
  tables: [],
  summary: 'wait for earlier changes to reach the southbound database (with --wait=sb) or the hypervisors (--wait=hv)',
  example: '--wait=hv sync',
  run() {
    /* The wait itself is done by cli/run.ts for every write with --wait. */
  },
});

// ---------------------------------------------------------------- logical switches

def('Logical Switch Commands', 'ls-add', {
  syntax: '[SWITCH]',
  min: 0,
  max: 1,
  options: ['--may-exist', '--add-duplicate'],
  tables: [LS],
  summary: 'create a logical switch named SWITCH',
  example: 'ls-add sw0',
  keys: (a) => ({ [LS]: a.slice(0, 1) }),
  run(ctx) {
    const name = ctx.args[0];
    if (name === undefined) {
      if (has(ctx, 'may-exist')) fail('bad-request', '--may-exist requires specifying a name');
      if (has(ctx, 'add-duplicate')) fail('bad-request', '--add-duplicate requires specifying a name');
      ctx.view.insert(LS, {});
      return;
    }
    if (has(ctx, 'may-exist') && has(ctx, 'add-duplicate')) fail('bad-request', '--may-exist and --add-duplicate may not be used together');
    if (!has(ctx, 'add-duplicate') && ctx.view.find(LS, 'name', name).length > 0) {
      if (has(ctx, 'may-exist')) return;
      fail('duplicate', `${name}: a switch with this name already exists`, { table: LS, column: 'name', value: name, hint: 'use --may-exist to accept an existing switch' });
    }
    ctx.view.insert(LS, { name });
  },
});

def('Logical Switch Commands', 'ls-del', {
  syntax: 'SWITCH',
  min: 1,
  options: ['--if-exists'],
  tables: [LS, LSP, ACL, 'QoS', 'DNS'],
  summary: 'delete SWITCH and all its ports',
  example: 'ls-del sw0',
  run(ctx) {
    const sw = ls(ctx.view, ctx.args[0] as string, !has(ctx, 'if-exists'));
    if (sw !== undefined) ctx.view.delete(LS, sw._uuid);
  },
});

def('Logical Switch Commands', 'ls-list', {
  syntax: '',
  min: 0,
  tables: [LS],
  summary: 'print the names of all logical switches',
  example: 'ls-list',
  readOnly: true,
  run(ctx) {
    printNamed(ctx, ctx.view.rows(LS));
  },
});

// ---------------------------------------------------------------- ACLs

function aclEntity(ctx: CommandContext, id: string): { table: string; row: Row; what: string } {
  const type = ctx.options.get('type');
  if (type !== undefined && type !== 'switch' && type !== 'port-group') {
    fail('invalid-value', `Invalid value '${type}' for option --type`, { value: type, hint: 'use --type=switch or --type=port-group' });
  }
  if (type === 'switch') return { table: LS, row: ls(ctx.view, id), what: 'ls' };
  if (type === 'port-group') return { table: PG, row: pg(ctx.view, id), what: 'pg' };
  const s = ls(ctx.view, id, false);
  const p = pg(ctx.view, id, false);
  if (s !== undefined && p !== undefined) fail('invalid-value', `Same name '${id}' for both port-group and switch. Please specify --type.`, { value: id });
  if (s !== undefined) return { table: LS, row: s, what: 'ls' };
  if (p !== undefined) return { table: PG, row: p, what: 'pg' };
  fail('not-found', `${id}: switch name or port group name not found`, { value: id, hint: 'create it with ls-add or pg-add first' });
}

function checkDirection(d: string): void {
  if (d !== 'from-lport' && d !== 'to-lport') fail('invalid-value', `${d}: direction must be "to-lport" or "from-lport"`, { table: ACL, column: 'direction', value: d });
}

function aclsOf(ctx: CommandContext, e: { row: Row }): Row[] {
  return asArray(e.row['acls'])
    .map((u) => ctx.view.get(ACL, String(u)))
    .filter((r): r is Row => r !== undefined);
}

def('ACL Commands', 'acl-add', {
  syntax: '{SWITCH | PORTGROUP} DIRECTION PRIORITY MATCH VERDICT',
  min: 5,
  options: ['--type={switch|port-group}', '--log', '--meter=METER', '--severity=SEVERITY', '--name=NAME', '--label=LABEL', '--may-exist', '--apply-after-lb'],
  tables: [LS, PG, ACL],
  summary: 'add an ACL to SWITCH or PORTGROUP',
  example: "--type=port-group acl-add pg1 to-lport 1002 'outport == @pg1 && tcp.dst == 22' allow-related",
  keys: (a) => ({ [LS]: a.slice(0, 1), [PG]: a.slice(0, 1) }),
  run(ctx) {
    const [id, direction, prio, match, action] = ctx.args as [string, string, string, string, string];
    const e = aclEntity(ctx, id);
    checkDirection(direction);
    if (!ACL_VERDICTS.includes(action)) {
      fail('invalid-value', `${action}: action must be one of "allow", "allow-related", "allow-stateless", "drop", and "reject"`, { table: ACL, column: 'action', value: action });
    }
    const priority = int(prio, 'priority', 0, 32767);
    const severity = ctx.options.get('severity');
    if (severity !== undefined && !ACL_SEVERITIES.includes(severity)) {
      fail('invalid-value', `${severity}: severity must be one of "alert", "warning", "notice", "info", or "debug"`, { table: ACL, column: 'severity', value: severity });
    }
    const labelText = ctx.options.get('label');
    let label = 0;
    if (labelText !== undefined) {
      if (action !== 'allow' && action !== 'allow-related') fail('invalid-value', 'label can only be set with actions "allow" or "allow-related"', { table: ACL, column: 'label', value: labelText });
      label = int(labelText, 'label', 0, 4294967295);
    }
    const same = aclsOf(ctx, e).find((a) => a['direction'] === direction && a['priority'] === priority && a['match'] === match && a['action'] === action);
    if (same !== undefined) {
      if (has(ctx, 'may-exist')) return;
      fail('duplicate', `Same ACL already existed on the ${e.what} ${id}.`, { table: ACL, value: match, hint: 'use --may-exist to accept an existing ACL' });
    }
    const row: Record<string, Value> = { direction, priority, match, action };
    if (has(ctx, 'log') || severity !== undefined) row['log'] = true;
    if (severity !== undefined) row['severity'] = severity;
    const name = ctx.options.get('name');
    if (name !== undefined) row['name'] = name;
    const meter = ctx.options.get('meter');
    if (meter !== undefined) row['meter'] = meter;
    if (labelText !== undefined) row['label'] = label;
    if (has(ctx, 'apply-after-lb')) row['options'] = { 'apply-after-lb': 'true' };
    const acl = ctx.view.insert(ACL, row);
    ctx.view.addToSet(e.table, e.row._uuid, 'acls', [acl._uuid]);
  },
});

def('ACL Commands', 'acl-del', {
  syntax: '{SWITCH | PORTGROUP} [DIRECTION [PRIORITY MATCH]]',
  min: 1,
  max: 4,
  options: ['--type={switch|port-group}'],
  tables: [LS, PG, ACL],
  summary: 'remove ACLs from SWITCH or PORTGROUP (all, one direction, or one exact ACL)',
  example: 'acl-del sw0 to-lport 1002 ip4',
  keys: (a) => ({ [LS]: a.slice(0, 1), [PG]: a.slice(0, 1) }),
  run(ctx) {
    const e = aclEntity(ctx, ctx.args[0] as string);
    const direction = ctx.args[1];
    if (ctx.args.length === 3) fail('bad-request', 'cannot specify priority without match', { hint: 'acl-del ENTITY DIRECTION PRIORITY MATCH' });
    if (direction !== undefined) checkDirection(direction);
    const priority = ctx.args[2] !== undefined ? int(ctx.args[2], 'priority', 0, 32767) : undefined;
    const match = ctx.args[3];
    for (const a of aclsOf(ctx, e)) {
      if (direction !== undefined && a['direction'] !== direction) continue;
      if (priority !== undefined && (a['priority'] !== priority || a['match'] !== match)) continue;
      ctx.view.delete(ACL, a._uuid);
    }
  },
});

def('ACL Commands', 'acl-list', {
  syntax: '{SWITCH | PORTGROUP}',
  min: 1,
  options: ['--type={switch|port-group}'],
  tables: [LS, PG, ACL],
  summary: 'print ACLs for SWITCH or PORTGROUP',
  example: 'acl-list sw0',
  readOnly: true,
  keys: (a) => ({ [LS]: a.slice(0, 1), [PG]: a.slice(0, 1) }),
  run(ctx) {
    const e = aclEntity(ctx, ctx.args[0] as string);
    ctx.out += formatAcls(aclsOf(ctx, e));
  },
});

/** acl-list's lines: direction (from-lport first), priority descending, then match. */
export function formatAcls(acls: readonly Row[]): string {
  const sorted = [...acls].sort((a, b) => {
    const d = str(a['direction']).localeCompare(str(b['direction']));
    if (d !== 0) return d;
    if (a['priority'] !== b['priority']) return Number(b['priority']) - Number(a['priority']);
    return str(a['match']) < str(b['match']) ? -1 : str(a['match']) > str(b['match']) ? 1 : 0;
  });
  let out = '';
  for (const a of sorted) {
    let line = `${str(a['direction']).padStart(10)} ${String(a['priority']).padStart(5)} (${str(a['match'])}) ${str(a['action'])}`;
    if (a['log'] === true) {
      const parts: string[] = [];
      if (asArray(a['name']).length > 0) parts.push(`name=${str(asArray(a['name'])[0])}`);
      if (asArray(a['severity']).length > 0) parts.push(`severity=${str(asArray(a['severity'])[0])}`);
      if (asArray(a['meter']).length > 0) parts.push(`meter="${str(asArray(a['meter'])[0])}"`);
      line += ` log(${parts.join(',')})`;
    }
    if (Number(a['label'] ?? 0) !== 0) line += ` label=${String(a['label'])}`;
    if (asMap(a['options'])['apply-after-lb'] === 'true') line += ' [after-lb]';
    out += line + '\n';
  }
  return out;
}

// ---------------------------------------------------------------- logical switch ports

def('Logical Switch Port Commands', 'lsp-add', {
  syntax: 'SWITCH PORT [PARENT TAG]',
  min: 2,
  max: 4,
  options: ['--may-exist'],
  tables: [LS, LSP],
  summary: 'add logical port PORT on SWITCH (a child of PARENT with VLAN TAG, 0 to let OVN pick)',
  example: 'lsp-add sw0 vm1',
  keys: (a, o): { readonly [t: string]: readonly string[] } => (o.has('may-exist') ? {} : { [LS]: [a[0] as string], [LSP]: [a[1] as string] }),
  run(ctx) {
    const [swName, name, parent, tagText] = ctx.args as [string, string, string | undefined, string | undefined];
    if (ctx.args.length === 3) fail('bad-request', 'lsp-add with a parent port also needs a TAG', { hint: 'lsp-add SWITCH PORT PARENT TAG' });
    const sw = ls(ctx.view, swName);
    if (tagText !== undefined && (!/^\d+$/.test(tagText) || Number(tagText) > 4095)) {
      fail('invalid-value', `${tagText}: invalid tag (must be in range 0 to 4095)`, { table: LSP, column: 'tag_request', value: tagText });
    }
    const tag = tagText !== undefined ? Number(tagText) : undefined;
    const existing = lsp(ctx.view, name, false);
    if (existing !== undefined) {
      if (!has(ctx, 'may-exist')) fail('duplicate', `${name}: a port with this name already exists`, { table: LSP, column: 'name', value: name, hint: 'use --may-exist to accept an existing port' });
      const owner = parentOf(ctx.view, LS, 'ports', existing._uuid);
      if (owner?._uuid !== sw._uuid) fail('duplicate', `${name}: port already exists but in switch ${str(owner?.['name'])}`, { table: LSP, value: name });
      if (parent !== undefined && asArray(existing['parent_name'])[0] !== parent) fail('invalid-value', `${name}: port already exists but has different parent ${str(asArray(existing['parent_name'])[0])}`, { table: LSP, value: name });
      if (tag !== undefined && asArray(existing['tag_request'])[0] !== tag) fail('invalid-value', `${name}: port already exists with different tag_request`, { table: LSP, value: name });
      return;
    }
    const row: Record<string, Value> = { name };
    if (parent !== undefined) {
      row['parent_name'] = parent;
      row['tag_request'] = tag ?? 0;
    }
    const p = ctx.view.insert(LSP, row);
    ctx.view.addToSet(LS, sw._uuid, 'ports', [p._uuid]);
  },
});

def('Logical Switch Port Commands', 'lsp-del', {
  syntax: 'PORT',
  min: 1,
  options: ['--if-exists'],
  tables: [LS, LSP],
  summary: 'delete PORT from its attached switch',
  example: 'lsp-del vm1',
  run(ctx) {
    const p = lsp(ctx.view, ctx.args[0] as string, !has(ctx, 'if-exists'));
    if (p !== undefined) ctx.view.delete(LSP, p._uuid);
  },
});

def('Logical Switch Port Commands', 'lsp-list', {
  syntax: 'SWITCH',
  min: 1,
  tables: [LS, LSP],
  summary: 'print the names of all logical ports on SWITCH',
  example: 'lsp-list sw0',
  readOnly: true,
  keys: (a) => ({ [LS]: a.slice(0, 1) }),
  run(ctx) {
    const sw = ls(ctx.view, ctx.args[0] as string);
    printNamed(
      ctx,
      asArray(sw['ports']).map((u) => ctx.view.get(LSP, String(u))).filter((r): r is Row => r !== undefined),
    );
  },
});

function lspGetter(name: string, summary: string, example: string, show: (ctx: CommandContext, p: Row) => void): void {
  def('Logical Switch Port Commands', name, {
    syntax: 'PORT',
    min: 1,
    tables: [LSP],
    summary,
    example,
    readOnly: true,
    keys: (a) => ({ [LSP]: a.slice(0, 1) }),
    run: (ctx) => show(ctx, lsp(ctx.view, ctx.args[0] as string)),
  });
}

def('Logical Switch Port Commands', 'lsp-set-addresses', {
  syntax: 'PORT [ADDRESS]...',
  min: 1,
  max: Infinity,
  tables: [LSP],
  summary: 'set MAC or MAC+IP addresses for PORT ("router", "unknown", "dynamic" also allowed)',
  example: 'lsp-set-addresses vm1 "0a:00:00:00:00:01 10.0.0.11"',
  keys: (a) => ({ [LSP]: a.slice(0, 1) }),
  run(ctx) {
    const p = lsp(ctx.view, ctx.args[0] as string);
    const addrs = ctx.args.slice(1);
    for (const a of addrs) {
      if (!isLspAddress(a)) {
        fail('invalid-value', `${a}: Invalid address format. See ovn-nb(5). Hint: An Ethernet address must be listed before an IP address, together as a single argument.`, {
          table: LSP,
          column: 'addresses',
          value: a,
          hint: 'example: lsp-set-addresses vm1 "0a:00:00:00:00:01 10.0.0.11"',
        });
      }
    }
    ctx.view.update(LSP, p._uuid, { addresses: addrs });
  },
});
lspGetter('lsp-get-addresses', 'get a list of MAC addresses on PORT', 'lsp-get-addresses vm1', (ctx, p) => printSet(ctx, p['addresses']));

def('Logical Switch Port Commands', 'lsp-set-port-security', {
  syntax: 'PORT [ADDRS]...',
  min: 1,
  max: Infinity,
  tables: [LSP],
  summary: 'set port security addresses for PORT ("MAC [IP...]" each)',
  example: 'lsp-set-port-security vm1 "0a:00:00:00:00:01 10.0.0.11"',
  keys: (a) => ({ [LSP]: a.slice(0, 1) }),
  run(ctx) {
    const p = lsp(ctx.view, ctx.args[0] as string);
    const addrs = ctx.args.slice(1);
    for (const a of addrs) {
      if (!isPortSecurity(a)) fail('invalid-value', `${a}: Invalid port security address format. See ovn-nb(5).`, { table: LSP, column: 'port_security', value: a, hint: 'an entry is "MAC [IP or NETWORK]..."' });
    }
    ctx.view.update(LSP, p._uuid, { port_security: addrs });
  },
});
lspGetter('lsp-get-port-security', 'get PORT\'s port security addresses', 'lsp-get-port-security vm1', (ctx, p) => printSet(ctx, p['port_security']));

lspGetter('lsp-get-up', "get state of PORT ('up' or 'down')", 'lsp-get-up vm1', (ctx, p) => print(ctx, p['up'] === true ? 'up' : 'down'));

def('Logical Switch Port Commands', 'lsp-set-enabled', {
  syntax: 'PORT STATE',
  min: 2,
  tables: [LSP],
  summary: "set administrative state PORT ('enabled' or 'disabled')",
  example: 'lsp-set-enabled vm1 disabled',
  keys: (a) => ({ [LSP]: a.slice(0, 1) }),
  run(ctx) {
    const p = lsp(ctx.view, ctx.args[0] as string);
    const state = ctx.args[1] as string;
    if (state !== 'enabled' && state !== 'disabled') fail('invalid-value', `${state}: state must be "enabled" or "disabled"`, { table: LSP, column: 'enabled', value: state });
    ctx.view.update(LSP, p._uuid, { enabled: state === 'enabled' });
  },
});
lspGetter('lsp-get-enabled', "get administrative state PORT ('enabled' or 'disabled')", 'lsp-get-enabled vm1', (ctx, p) => print(ctx, p['enabled'] === false ? 'disabled' : 'enabled'));

def('Logical Switch Port Commands', 'lsp-set-type', {
  syntax: 'PORT TYPE',
  min: 2,
  tables: [LSP],
  summary: 'set the type for PORT ("", router, localnet, localport, l2gateway, vtep, external, virtual, remote)',
  example: 'lsp-set-type sw0-lr0 router',
  keys: (a) => ({ [LSP]: a.slice(0, 1) }),
  run(ctx) {
    const p = lsp(ctx.view, ctx.args[0] as string);
    const type = ctx.args[1] as string;
    if (!LSP_TYPES.includes(type)) {
      fail('invalid-value', `Logical switch port type '${type}' is unrecognized. Not setting type.`, { table: LSP, column: 'type', value: type, hint: `types: ${LSP_TYPES.filter((t) => t !== '').join(', ')} (or "" for a VM port)` });
    }
    ctx.view.update(LSP, p._uuid, { type });
  },
});
lspGetter('lsp-get-type', 'get the type for PORT', 'lsp-get-type sw0-lr0', (ctx, p) => print(ctx, str(p['type'])));

def('Logical Switch Port Commands', 'lsp-set-options', {
  syntax: 'PORT KEY=VALUE [KEY=VALUE]...',
  min: 1,
  max: Infinity,
  tables: [LSP],
  summary: 'set options related to the type of PORT (replaces all options)',
  example: 'lsp-set-options sw0-lr0 router-port=lrp0',
  keys: (a) => ({ [LSP]: a.slice(0, 1) }),
  run(ctx) {
    const p = lsp(ctx.view, ctx.args[0] as string);
    ctx.view.update(LSP, p._uuid, { options: parseKeyValues(ctx.args.slice(1)) });
  },
});
lspGetter('lsp-get-options', 'get the type specific options for PORT', 'lsp-get-options sw0-lr0', (ctx, p) => printMap(ctx, p['options']));
lspGetter('lsp-get-parent', 'get the parent port name of PORT, if set', 'lsp-get-parent child1', (ctx, p) => printSet(ctx, p['parent_name']));
lspGetter('lsp-get-tag', 'get the VLAN tag of PORT, if set', 'lsp-get-tag child1', (ctx, p) => printSet(ctx, p['tag']));

def('Logical Switch Port Commands', 'lsp-set-dhcpv4-options', {
  syntax: 'PORT [DHCP_OPT_UUID]',
  min: 1,
  max: 2,
  tables: [LSP, DHCP],
  summary: 'set DHCPv4 options for PORT (none: clear them)',
  example: 'lsp-set-dhcpv4-options vm1 6c3a7a8e-8d8c-4b11-9a9b-2f6f3b3b9c01',
  keys: (a) => ({ [LSP]: a.slice(0, 1) }),
  run(ctx) {
    const p = lsp(ctx.view, ctx.args[0] as string);
    const id = ctx.args[1];
    if (id === undefined) {
      ctx.view.update(LSP, p._uuid, { dhcpv4_options: null });
      return;
    }
    const d = dhcp(ctx.view, id);
    const cidr = str(d['cidr']);
    if (!cidr.includes('.')) fail('invalid-value', `DHCP options cidr '${cidr}' is not IPv4`, { table: DHCP, column: 'cidr', value: cidr });
    ctx.view.update(LSP, p._uuid, { dhcpv4_options: d._uuid });
  },
});
def('Logical Switch Port Commands', 'lsp-set-dhcpv6-options', {
  syntax: 'PORT [DHCP_OPT_UUID]',
  min: 1,
  max: 2,
  tables: [LSP, DHCP],
  summary: 'set DHCPv6 options for PORT (none: clear them)',
  example: 'lsp-set-dhcpv6-options vm1 6c3a7a8e-8d8c-4b11-9a9b-2f6f3b3b9c01',
  keys: (a) => ({ [LSP]: a.slice(0, 1) }),
  run(ctx) {
    const p = lsp(ctx.view, ctx.args[0] as string);
    const id = ctx.args[1];
    // as ovn-nbctl 23.03: no address-family check here (northd ignores an IPv4 cidr)
    ctx.view.update(LSP, p._uuid, { dhcpv6_options: id === undefined ? null : dhcp(ctx.view, id)._uuid });
  },
});
def('Logical Switch Port Commands', 'lsp-get-dhcpv6-options', {
  syntax: 'PORT',
  min: 1,
  tables: [LSP, DHCP],
  summary: 'get the DHCPv6 options for PORT',
  example: 'lsp-get-dhcpv6-options vm1',
  readOnly: true,
  keys: (a) => ({ [LSP]: a.slice(0, 1) }),
  run(ctx) {
    const id = asArray(lsp(ctx.view, ctx.args[0] as string)['dhcpv6_options'])[0];
    const d = id === undefined ? undefined : ctx.view.get(DHCP, String(id));
    if (d !== undefined) print(ctx, `${d._uuid} (${str(d['cidr'])})`);
  },
});

def('Logical Switch Port Commands', 'lsp-get-dhcpv4-options', {
  syntax: 'PORT',
  min: 1,
  tables: [LSP, DHCP],
  summary: 'get the DHCPv4 options for PORT',
  example: 'lsp-get-dhcpv4-options vm1',
  readOnly: true,
  keys: (a) => ({ [LSP]: a.slice(0, 1) }),
  run(ctx) {
    const p = lsp(ctx.view, ctx.args[0] as string);
    const id = asArray(p['dhcpv4_options'])[0];
    if (id === undefined) return;
    const d = ctx.view.get(DHCP, String(id));
    if (d !== undefined) print(ctx, `${d._uuid} (${str(d['cidr'])})`);
  },
});

// ---------------------------------------------------------------- port groups

function portsByName(ctx: CommandContext, names: readonly string[]): string[] {
  return names.map((n) => lsp(ctx.view, n)._uuid);
}

def('Port Group Commands', 'pg-add', {
  syntax: 'GROUP [PORT]...',
  min: 1,
  max: Infinity,
  options: ['--may-exist'],
  tables: [PG, LSP],
  summary: 'create a port group named GROUP with the given logical switch ports',
  example: 'pg-add pg1 vm1 vm2',
  keys: (a) => ({ [PG]: a.slice(0, 1), [LSP]: a.slice(1) }),
  run(ctx) {
    const name = ctx.args[0] as string;
    if (ctx.view.find(PG, 'name', name).length > 0) {
      if (has(ctx, 'may-exist')) return;
      fail('duplicate', `${name}: a port group with this name already exists`, { table: PG, column: 'name', value: name, hint: 'use pg-set-ports to change its ports' });
    }
    ctx.view.insert(PG, { name, ports: portsByName(ctx, ctx.args.slice(1)) });
  },
});

def('Port Group Commands', 'pg-set-ports', {
  syntax: 'GROUP PORT...',
  min: 2,
  max: Infinity,
  tables: [PG, LSP],
  summary: 'set the logical switch ports of GROUP (replaces them)',
  example: 'pg-set-ports pg1 vm1 vm3',
  keys: (a) => ({ [PG]: a.slice(0, 1), [LSP]: a.slice(1) }),
  run(ctx) {
    const g = pg(ctx.view, ctx.args[0] as string);
    ctx.view.update(PG, g._uuid, { ports: portsByName(ctx, ctx.args.slice(1)) });
  },
});

def('Port Group Commands', 'pg-del', {
  syntax: 'GROUP',
  min: 1,
  options: ['--if-exists'],
  tables: [PG, ACL],
  summary: 'delete port group GROUP (and its ACLs)',
  example: 'pg-del pg1',
  run(ctx) {
    const g = pg(ctx.view, ctx.args[0] as string, !has(ctx, 'if-exists'));
    if (g !== undefined) ctx.view.delete(PG, g._uuid);
  },
});

def('Port Group Commands', 'pg-get-ports', {
  syntax: 'GROUP',
  min: 1,
  tables: [PG, LSP],
  summary: 'print the names of the ports of GROUP',
  example: 'pg-get-ports pg1',
  readOnly: true,
  run(ctx) {
    const g = pg(ctx.view, ctx.args[0] as string);
    const names = asArray(g['ports']).map((u) => str(ctx.view.get(LSP, String(u))?.['name'])).sort();
    for (const n of names) print(ctx, n);
  },
});

// ---------------------------------------------------------------- logical routers

def('Logical Router Commands', 'lr-add', {
  syntax: '[ROUTER]',
  min: 0,
  max: 1,
  options: ['--may-exist', '--add-duplicate'],
  tables: [LR],
  summary: 'create a logical router named ROUTER',
  example: 'lr-add lr0',
  keys: (a) => ({ [LR]: a.slice(0, 1) }),
  run(ctx) {
    const name = ctx.args[0];
    if (name === undefined) {
      if (has(ctx, 'may-exist')) fail('bad-request', '--may-exist requires specifying a name');
      ctx.view.insert(LR, {});
      return;
    }
    if (!has(ctx, 'add-duplicate') && ctx.view.find(LR, 'name', name).length > 0) {
      if (has(ctx, 'may-exist')) return;
      fail('duplicate', `${name}: a router with this name already exists`, { table: LR, column: 'name', value: name, hint: 'use --may-exist to accept an existing router' });
    }
    ctx.view.insert(LR, { name });
  },
});

def('Logical Router Commands', 'lr-del', {
  syntax: 'ROUTER',
  min: 1,
  options: ['--if-exists'],
  tables: [LR, LRP, ROUTE, NAT, 'Logical_Router_Policy', GWC],
  summary: 'delete ROUTER and all its ports',
  example: 'lr-del lr0',
  run(ctx) {
    const r = lr(ctx.view, ctx.args[0] as string, !has(ctx, 'if-exists'));
    if (r !== undefined) ctx.view.delete(LR, r._uuid);
  },
});

def('Logical Router Commands', 'lr-list', {
  syntax: '',
  min: 0,
  tables: [LR],
  summary: 'print the names of all logical routers',
  example: 'lr-list',
  readOnly: true,
  run(ctx) {
    printNamed(ctx, ctx.view.rows(LR));
  },
});

// ---------------------------------------------------------------- logical router ports

def('Logical Router Port Commands', 'lrp-add', {
  syntax: 'ROUTER PORT MAC NETWORK... [peer=PEER]',
  min: 4,
  max: Infinity,
  options: ['--may-exist'],
  tables: [LR, LRP],
  summary: 'add logical port PORT on ROUTER with MAC and NETWORKs (ip/plen)',
  example: 'lrp-add lr0 lrp0 00:00:00:00:ff:01 10.0.0.1/24',
  keys: (a, o): { readonly [t: string]: readonly string[] } => (o.has('may-exist') ? {} : { [LR]: a.slice(0, 1), [LRP]: a.slice(1, 2) }),
  run(ctx) {
    const [routerName, name, mac] = ctx.args as [string, string, string];
    const router = lr(ctx.view, routerName);
    let networks = ctx.args.slice(3);
    let peer: string | undefined;
    const last = networks[networks.length - 1] as string;
    if (last.startsWith('peer=')) {
      peer = last.slice(5);
      networks = networks.slice(0, -1);
      if (networks.length === 0) fail('bad-request', 'lrp-add needs at least one NETWORK besides peer=', { hint: 'lrp-add ROUTER PORT MAC NETWORK... [peer=PEER]' });
    }
    if (!isMac(mac)) fail('invalid-value', `${mac}: invalid mac address ${mac}`, { table: LRP, column: 'mac', value: mac, hint: 'a MAC is six hex pairs: 00:00:00:00:ff:01' });
    for (const n of networks) if (!isNetwork(n)) fail('invalid-value', `${n}: invalid network address`, { table: LRP, column: 'networks', value: n, hint: 'a network is ip/plen with the router\'s own address: 10.0.0.1/24' });
    const existing = lrp(ctx.view, name, false);
    if (existing !== undefined) {
      if (!has(ctx, 'may-exist')) fail('duplicate', `${name}: a port with this name already exists`, { table: LRP, column: 'name', value: name, hint: 'use --may-exist to accept an existing port' });
      const owner = parentOf(ctx.view, LR, 'ports', existing._uuid);
      if (owner?._uuid !== router._uuid) fail('duplicate', `${name}: port already exists but in router ${str(owner?.['name'])}`, { table: LRP, value: name });
      if (str(existing['mac']).toLowerCase() !== mac.toLowerCase()) fail('invalid-value', `${name}: port already exists with mac ${str(existing['mac'])}`, { table: LRP, value: name });
      const have = asArray(existing['networks']).map(String).sort().join(' ');
      if (have !== [...networks].sort().join(' ')) fail('invalid-value', `${name}: port already exists with different network`, { table: LRP, value: name });
      if (peer !== undefined && asArray(existing['peer'])[0] !== peer) fail('invalid-value', `${name}: port already exists with mismatching peer`, { table: LRP, value: name });
      return;
    }
    const row: Record<string, Value> = { name, mac, networks };
    if (peer !== undefined) row['peer'] = peer;
    const p = ctx.view.insert(LRP, row);
    ctx.view.addToSet(LR, router._uuid, 'ports', [p._uuid]);
  },
});

def('Logical Router Port Commands', 'lrp-del', {
  syntax: 'PORT',
  min: 1,
  options: ['--if-exists'],
  tables: [LR, LRP, GWC],
  summary: 'delete PORT from its attached router',
  example: 'lrp-del lrp0',
  run(ctx) {
    const p = lrp(ctx.view, ctx.args[0] as string, !has(ctx, 'if-exists'));
    if (p !== undefined) ctx.view.delete(LRP, p._uuid);
  },
});

def('Logical Router Port Commands', 'lrp-list', {
  syntax: 'ROUTER',
  min: 1,
  tables: [LR, LRP],
  summary: 'print the names of all ports on ROUTER',
  example: 'lrp-list lr0',
  readOnly: true,
  run(ctx) {
    const r = lr(ctx.view, ctx.args[0] as string);
    printNamed(
      ctx,
      asArray(r['ports']).map((u) => ctx.view.get(LRP, String(u))).filter((x): x is Row => x !== undefined),
    );
  },
});

def('Logical Router Port Commands', 'lrp-set-enabled', {
  syntax: 'PORT STATE',
  min: 2,
  tables: [LRP],
  summary: "set administrative state PORT ('enabled' or 'disabled')",
  example: 'lrp-set-enabled lrp0 disabled',
  run(ctx) {
    const p = lrp(ctx.view, ctx.args[0] as string);
    const state = ctx.args[1] as string;
    if (state !== 'enabled' && state !== 'disabled') fail('invalid-value', `${state}: state must be "enabled" or "disabled"`, { table: LRP, column: 'enabled', value: state });
    ctx.view.update(LRP, p._uuid, { enabled: state === 'enabled' });
  },
});
def('Logical Router Port Commands', 'lrp-get-enabled', {
  syntax: 'PORT',
  min: 1,
  tables: [LRP],
  summary: "get administrative state PORT ('enabled' or 'disabled')",
  example: 'lrp-get-enabled lrp0',
  readOnly: true,
  run(ctx) {
    print(ctx, lrp(ctx.view, ctx.args[0] as string)['enabled'] === false ? 'disabled' : 'enabled');
  },
});

def('Logical Router Port Commands', 'lrp-set-gateway-chassis', {
  syntax: 'PORT CHASSIS [PRIORITY]',
  min: 2,
  max: 3,
  tables: [LRP, GWC],
  summary: 'set gateway chassis for PORT (PRIORITY 0...32767, default 0)',
  example: 'lrp-set-gateway-chassis lrp-ext hv1 20',
  run(ctx) {
    const p = lrp(ctx.view, ctx.args[0] as string);
    const chassis = ctx.args[1] as string;
    const priority = ctx.args[2] !== undefined ? int(ctx.args[2], 'priority', 0, 32767) : 0;
    const gwName = `${str(p['name'])}-${chassis}`;
    const existing = asArray(p['gateway_chassis'])
      .map((u) => ctx.view.get(GWC, String(u)))
      .find((g) => g !== undefined && g['chassis_name'] === chassis);
    if (existing !== undefined) {
      ctx.view.update(GWC, existing._uuid, { priority });
      return;
    }
    const g = ctx.view.insert(GWC, { name: gwName, chassis_name: chassis, priority });
    ctx.view.addToSet(LRP, p._uuid, 'gateway_chassis', [g._uuid]);
  },
});

def('Logical Router Port Commands', 'lrp-del-gateway-chassis', {
  syntax: 'PORT CHASSIS',
  min: 2,
  tables: [LRP, GWC],
  summary: 'delete gateway chassis CHASSIS from PORT',
  example: 'lrp-del-gateway-chassis lrp-ext hv1',
  run(ctx) {
    const p = lrp(ctx.view, ctx.args[0] as string);
    const chassis = ctx.args[1] as string;
    const g = asArray(p['gateway_chassis'])
      .map((u) => ctx.view.get(GWC, String(u)))
      .find((x) => x !== undefined && x['chassis_name'] === chassis);
    if (g === undefined) fail('not-found', `chassis ${chassis} is not added to logical port ${str(p['name'])}`, { table: GWC, value: chassis, hint: 'see lrp-get-gateway-chassis PORT' });
    ctx.view.delete(GWC, g._uuid);
  },
});

def('Logical Router Port Commands', 'lrp-get-gateway-chassis', {
  syntax: 'PORT',
  min: 1,
  tables: [LRP, GWC],
  summary: 'print the names of all gateway chassis on PORT ordered by priority',
  example: 'lrp-get-gateway-chassis lrp-ext',
  readOnly: true,
  run(ctx) {
    const p = lrp(ctx.view, ctx.args[0] as string);
    const gws = asArray(p['gateway_chassis'])
      .map((u) => ctx.view.get(GWC, String(u)))
      .filter((g): g is Row => g !== undefined)
      .sort((a, b) => Number(b['priority']) - Number(a['priority']) || str(a['name']).localeCompare(str(b['name'])));
    for (const g of gws) print(ctx, `${str(g['name'])} ${String(g['priority']).padStart(5)}`);
  },
});

// ---------------------------------------------------------------- static routes

function routesOf(ctx: CommandContext, router: Row): Row[] {
  return asArray(router['static_routes'])
    .map((u) => ctx.view.get(ROUTE, String(u)))
    .filter((r): r is Row => r !== undefined);
}

const policyOf = (r: Row): string => str(asArray(r['policy'])[0] ?? 'dst-ip');

def('Logical Router Static Route Commands', 'lr-route-add', {
  syntax: 'ROUTER PREFIX NEXTHOP [PORT]',
  min: 3,
  max: 4,
  options: ['--may-exist', '--policy={src-ip|dst-ip}', '--ecmp', '--ecmp-symmetric-reply', '--route-table=TABLE'],
  tables: [LR, ROUTE, LRP],
  summary: 'add a route to ROUTER (NEXTHOP an IP address or "discard")',
  example: 'lr-route-add lr0 0.0.0.0/0 172.16.0.254',
  run(ctx) {
    const [routerName, prefixText, nexthopText, port] = ctx.args as [string, string, string, string | undefined];
    const router = lr(ctx.view, routerName);
    const policy = ctx.options.get('policy');
    if (policy !== undefined && policy !== 'src-ip' && policy !== 'dst-ip') fail('invalid-value', `bad policy: ${policy}`, { table: ROUTE, column: 'policy', value: policy, hint: 'use --policy=src-ip or --policy=dst-ip' });
    const prefix = normalizePrefix(prefixText);
    if (prefix === undefined) fail('invalid-value', `bad prefix argument: ${prefixText}`, { table: ROUTE, column: 'ip_prefix', value: prefixText });
    let nexthop = nexthopText;
    if (nexthopText !== 'discard') {
      const nh = normalizePrefix(nexthopText);
      const fam = nexthopText.includes(':') ? 'IPv6' : 'IPv4';
      if (nh === undefined || nexthopText.includes('/') || !isIp(nexthopText)) fail('invalid-value', `bad ${fam} nexthop argument: ${nexthopText}`, { table: ROUTE, column: 'nexthop', value: nexthopText });
      if (nh.family !== prefix.family) fail('invalid-value', `bad ${prefix.family === 4 ? 'IPv4' : 'IPv6'} nexthop argument: ${nexthopText}`, { table: ROUTE, column: 'nexthop', value: nexthopText, hint: 'the nexthop must be of the prefix\'s address family' });
      nexthop = nh.text;
    }
    if (port !== undefined) lrp(ctx.view, port);
    const ecmp = has(ctx, 'ecmp') || has(ctx, 'ecmp-symmetric-reply');
    const routeTable = ctx.options.get('route-table') ?? '';
    const effPolicy = policy ?? 'dst-ip';
    const same = routesOf(ctx, router).filter((r) => r['ip_prefix'] === prefix.text && policyOf(r) === effPolicy && str(r['route_table']) === routeTable);
    if (same.length > 0) {
      if (!ecmp) {
        if (!has(ctx, 'may-exist')) {
          fail('duplicate', `duplicate prefix: ${prefix.text} (policy: ${effPolicy}). Use option --ecmp to allow this for ECMP routing.`, { table: ROUTE, column: 'ip_prefix', value: prefix.text });
        }
        const r = same[0] as Row;
        ctx.view.update(ROUTE, r._uuid, { nexthop, output_port: port ?? null, ...(policy !== undefined ? { policy } : {}) });
        return;
      }
      if (same.some((r) => r['nexthop'] === nexthop)) {
        if (has(ctx, 'may-exist')) return;
        fail('duplicate', `duplicate nexthop for the same ECMP route`, { table: ROUTE, column: 'nexthop', value: nexthop });
      }
    }
    const row: Record<string, Value> = { ip_prefix: prefix.text, nexthop };
    if (port !== undefined) row['output_port'] = port;
    if (policy !== undefined) row['policy'] = policy;
    if (routeTable !== '') row['route_table'] = routeTable;
    if (has(ctx, 'ecmp-symmetric-reply')) row['options'] = { ecmp_symmetric_reply: 'true' };
    const r = ctx.view.insert(ROUTE, row);
    ctx.view.addToSet(LR, router._uuid, 'static_routes', [r._uuid]);
  },
});

def('Logical Router Static Route Commands', 'lr-route-del', {
  syntax: 'ROUTER [PREFIX [NEXTHOP [PORT]]]',
  min: 1,
  max: 4,
  options: ['--if-exists', '--policy={src-ip|dst-ip}', '--route-table=TABLE'],
  tables: [LR, ROUTE],
  summary: 'remove routes from ROUTER (all, or those matching PREFIX, NEXTHOP and PORT)',
  example: 'lr-route-del lr0 10.1.0.0/16',
  run(ctx) {
    const [routerName, prefixText, nexthopText, port] = ctx.args as [string, string | undefined, string | undefined, string | undefined];
    const router = lr(ctx.view, routerName);
    const policy = ctx.options.get('policy');
    const routeTable = ctx.options.get('route-table');
    const prefix = prefixText !== undefined ? normalizePrefix(prefixText)?.text : undefined;
    if (prefixText !== undefined && prefix === undefined) fail('invalid-value', `bad prefix argument: ${prefixText}`, { value: prefixText });
    const nexthop = nexthopText !== undefined && nexthopText !== 'discard' ? normalizePrefix(nexthopText)?.text : nexthopText;
    let n = 0;
    for (const r of routesOf(ctx, router)) {
      if (policy !== undefined && policyOf(r) !== policy) continue;
      if (routeTable !== undefined && str(r['route_table']) !== routeTable) continue;
      if (prefix !== undefined && r['ip_prefix'] !== prefix) continue;
      if (nexthop !== undefined && r['nexthop'] !== nexthop) continue;
      if (port !== undefined && asArray(r['output_port'])[0] !== port) continue;
      ctx.view.delete(ROUTE, r._uuid);
      n++;
    }
    if (n === 0 && prefixText !== undefined && !has(ctx, 'if-exists')) {
      fail('not-found', `no matching route: policy '${policy ?? 'any'}', prefix '${prefixText}', nexthop '${nexthopText ?? 'any'}', output_port '${port ?? 'any'}'.`, { table: ROUTE, value: prefixText });
    }
  },
});

def('Logical Router Static Route Commands', 'lr-route-list', {
  syntax: 'ROUTER',
  min: 1,
  tables: [LR, ROUTE],
  summary: 'print routes for ROUTER',
  example: 'lr-route-list lr0',
  readOnly: true,
  run(ctx) {
    ctx.out += formatRoutes(routesOf(ctx, lr(ctx.view, ctx.args[0] as string)));
  },
});

/** lr-route-list's layout: IPv4 then IPv6, per route table, longest prefix first. */
export function formatRoutes(routes: readonly Row[]): string {
  const plen = (r: Row) => {
    const p = str(r['ip_prefix']);
    const i = p.indexOf('/');
    return i < 0 ? (p.includes(':') ? 128 : 32) : Number(p.slice(i + 1));
  };
  const key = (r: Row) => `${str(r['ip_prefix'])}\u0000${policyOf(r)}\u0000${str(r['route_table'])}`;
  const counts = new Map<string, number>();
  for (const r of routes) counts.set(key(r), (counts.get(key(r)) ?? 0) + 1);
  let out = '';
  for (const family of [4, 6]) {
    const fam = routes.filter((r) => (str(r['ip_prefix']).includes(':') ? 6 : 4) === family);
    if (fam.length === 0) continue;
    if (out !== '') out += '\n';
    out += `IPv${family} Routes\n`;
    const tables = [...new Set(fam.map((r) => str(r['route_table'])))].sort();
    for (const t of tables) {
      out += `Route Table ${t === '' ? '<main>' : t}:\n`;
      const rs = fam
        .filter((r) => str(r['route_table']) === t)
        .sort((a, b) => {
          if (plen(a) !== plen(b)) return plen(b) - plen(a);
          const pa = str(a['ip_prefix']);
          const pb = str(b['ip_prefix']);
          if (pa !== pb) return pa < pb ? -1 : 1;
          if (policyOf(a) !== policyOf(b)) return policyOf(a) < policyOf(b) ? 1 : -1;
          return str(a['nexthop']) < str(b['nexthop']) ? -1 : 1;
        });
      for (const r of rs) {
        let line = `${str(r['ip_prefix']).padStart(25)} ${str(r['nexthop']).padStart(25)} ${policyOf(r)}`;
        const port = asArray(r['output_port'])[0];
        if (port !== undefined) line += ` ${String(port)}`;
        if ((counts.get(key(r)) ?? 0) > 1) line += asMap(r['options'])['ecmp_symmetric_reply'] === 'true' ? ' ecmp-symmetric-reply' : ' ecmp';
        out += line + '\n';
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------- routing policies

const POLICY = 'Logical_Router_Policy';

function policiesOf(ctx: CommandContext, router: Row): Row[] {
  return asArray(router['policies'])
    .map((u) => ctx.view.get(POLICY, String(u)))
    .filter((r): r is Row => r !== undefined);
}

def('Logical Router Policy Commands', 'lr-policy-add', {
  syntax: 'ROUTER PRIORITY MATCH ACTION [NEXTHOP[,NEXTHOP]...] [KEY=VALUE]...',
  min: 4,
  max: Infinity,
  options: ['--may-exist'],
  tables: [LR, POLICY],
  summary: 'add a policy to ROUTER (ACTION allow, drop or reroute; reroute needs NEXTHOPs; options: pkt_mark=N)',
  example: "lr-policy-add lr0 1001 'ip4.src == 10.0.0.0/24' reroute 172.16.0.1",
  run(ctx) {
    const [routerName, prio, match, action] = ctx.args as [string, string, string, string];
    const router = lr(ctx.view, routerName);
    if (!/^\d+$/.test(prio) || Number(prio) > 32767) fail('invalid-value', `${prio}: priority must in range 0...32767`, { table: POLICY, column: 'priority', value: prio });
    const priority = Number(prio);
    if (!['allow', 'drop', 'reroute'].includes(action)) fail('invalid-value', `${action}: action must be one of "allow", "drop", and "reroute"`, { table: POLICY, column: 'action', value: action });
    let rest = ctx.args.slice(4);
    let nexthops: string[] = [];
    if (action === 'reroute') {
      const first = rest[0];
      if (first === undefined || first.includes('=')) fail('bad-request', 'Nexthop is required when action is reroute.', { table: POLICY, column: 'nexthops', hint: "example: lr-policy-add lr0 1001 'ip4.src == 10.0.0.0/24' reroute 172.16.0.1" });
      nexthops = first.split(',').map((x) => x.trim());
      for (const nh of nexthops) if (!isIp(nh)) fail('invalid-value', `bad next hop argument: ${nh}`, { table: POLICY, column: 'nexthops', value: nh });
      rest = rest.slice(1);
    }
    const options = parseKeyValues(rest);
    for (const k of Object.keys(options)) {
      if (k !== 'pkt_mark') fail('invalid-value', `Unknown option ${k}`, { table: POLICY, column: 'options', value: k, hint: 'supported: pkt_mark=N' });
    }
    if (policiesOf(ctx, router).some((p) => p['priority'] === priority && p['match'] === match)) {
      if (has(ctx, 'may-exist')) return;
      fail('duplicate', `Same routing policy already existed on the logical router ${routerName}.`, { table: POLICY, value: match, hint: 'use --may-exist to accept it' });
    }
    const row: Record<string, Value> = { priority, match, action };
    if (nexthops.length > 0) row['nexthops'] = nexthops;
    if (Object.keys(options).length > 0) row['options'] = options;
    const p = ctx.view.insert(POLICY, row);
    ctx.view.addToSet(LR, router._uuid, 'policies', [p._uuid]);
  },
});

def('Logical Router Policy Commands', 'lr-policy-del', {
  syntax: 'ROUTER [{PRIORITY | UUID} [MATCH]]',
  min: 1,
  max: 3,
  options: ['--if-exists'],
  tables: [LR, POLICY],
  summary: 'remove policies from ROUTER (all, those of PRIORITY, the one of PRIORITY and MATCH, or by UUID)',
  example: 'lr-policy-del lr0 1001',
  run(ctx) {
    const [routerName, which, match] = ctx.args as [string, string | undefined, string | undefined];
    const router = lr(ctx.view, routerName);
    const policies = policiesOf(ctx, router);
    if (which !== undefined && isUuid(which)) {
      const p = policies.find((x) => x._uuid === which.toLowerCase());
      if (p === undefined) {
        if (has(ctx, 'if-exists')) return;
        fail('not-found', 'Logical router policy uuid is not found.', { table: POLICY, value: which });
      }
      ctx.view.delete(POLICY, p._uuid);
      return;
    }
    if (which !== undefined && (!/^\d+$/.test(which) || Number(which) > 32767)) fail('invalid-value', `${which}: priority must in range 0...32767`, { table: POLICY, column: 'priority', value: which });
    for (const p of policies) {
      if (which !== undefined && p['priority'] !== Number(which)) continue;
      if (match !== undefined && p['match'] !== match) continue;
      ctx.view.delete(POLICY, p._uuid);
    }
  },
});

def('Logical Router Policy Commands', 'lr-policy-list', {
  syntax: 'ROUTER',
  min: 1,
  tables: [LR, POLICY],
  summary: 'print policies for ROUTER',
  example: 'lr-policy-list lr0',
  readOnly: true,
  run(ctx) {
    ctx.out += formatPolicies(policiesOf(ctx, lr(ctx.view, ctx.args[0] as string)));
  },
});

/** lr-policy-list's layout: priority descending, then match. */
export function formatPolicies(policies: readonly Row[]): string {
  if (policies.length === 0) return '';
  const sorted = [...policies].sort((a, b) => Number(b['priority']) - Number(a['priority']) || (str(a['match']) < str(b['match']) ? -1 : 1));
  let out = 'Routing Policies\n';
  for (const p of sorted) {
    let line = `${String(p['priority']).padStart(10)} ${str(p['match']).padStart(50)} ${str(p['action']).padStart(15)}`;
    const nh = asArray(p['nexthops']).map(String);
    if (nh.length > 0) line += ` ${(nh[0] as string).padStart(25)}${nh.slice(1).map((x) => `, ${x}`).join('')}`;
    const opts = asMap(p['options']);
    const keys = Object.keys(opts).sort();
    if (keys.length > 0) line += `${''.padStart(15)}${keys.map((k) => `${k}=${String(opts[k])}`).join(',')}`;
    out += line + '\n';
  }
  return out;
}

// ---------------------------------------------------------------- NAT

function natsOf(ctx: CommandContext, router: Row): Row[] {
  return asArray(router['nat'])
    .map((u) => ctx.view.get(NAT, String(u)))
    .filter((r): r is Row => r !== undefined);
}

def('NAT Commands', 'lr-nat-add', {
  syntax: 'ROUTER TYPE EXTERNAL_IP LOGICAL_IP [LOGICAL_PORT EXTERNAL_MAC]',
  min: 4,
  max: 6,
  options: ['--may-exist', '--stateless', '--portrange=RANGE', '--gateway-port=PORT', '--add-route'],
  tables: [LR, NAT, LSP, LRP],
  summary: 'add a NAT to ROUTER (TYPE dnat, snat or dnat_and_snat)',
  example: 'lr-nat-add lr0 dnat_and_snat 172.16.0.11 10.0.0.11 vm1 0a:00:00:00:01:01',
  run(ctx) {
    const [routerName, type, externalIp, logicalIpText, logicalPort, externalMac] = ctx.args as [string, string, string, string, string | undefined, string | undefined];
    const router = lr(ctx.view, routerName);
    if (!NAT_TYPES.includes(type)) fail('invalid-value', `${type}: type must be one of "dnat", "snat" and "dnat_and_snat".`, { table: NAT, column: 'type', value: type });
    if (!isIp(externalIp)) fail('invalid-value', `${externalIp}: should be an IPv4 address.`, { table: NAT, column: 'external_ip', value: externalIp });
    let logicalIp = logicalIpText;
    if (type === 'snat') {
      const n = normalizePrefix(logicalIpText);
      if (n === undefined) fail('invalid-value', `${logicalIpText}: should be an IPv4 address or network.`, { table: NAT, column: 'logical_ip', value: logicalIpText });
      logicalIp = n.text;
    } else if (!isIp(logicalIpText)) fail('invalid-value', `${logicalIpText}: should be an IPv4 address.`, { table: NAT, column: 'logical_ip', value: logicalIpText });
    if ((parseIp4(externalIp) === undefined) !== (parseIp4(logicalIp.split('/')[0] as string) === undefined)) {
      fail('invalid-value', `${externalIp}, ${logicalIp}: EXTERNAL_IP and LOGICAL_IP must be of the same address family`, { table: NAT, value: externalIp });
    }
    if (logicalPort !== undefined) {
      if (type !== 'dnat_and_snat') fail('invalid-value', 'logical port and external mac are only valid when type is "dnat_and_snat".', { table: NAT, column: 'logical_port', value: logicalPort });
      if (externalMac === undefined) fail('bad-request', 'lr-nat-add with logical_port must also specify external_mac.', { hint: 'lr-nat-add ROUTER dnat_and_snat EXTERNAL_IP LOGICAL_IP LOGICAL_PORT EXTERNAL_MAC' });
      lsp(ctx.view, logicalPort);
      if (!isMac(externalMac)) fail('invalid-value', `${externalMac}: invalid mac address.`, { table: NAT, column: 'external_mac', value: externalMac });
    }
    const stateless = has(ctx, 'stateless');
    if (stateless && type !== 'dnat_and_snat') fail('invalid-value', 'stateless is only valid for dnat_and_snat', { table: NAT, value: type });
    const gwPort = ctx.options.get('gateway-port');
    if (gwPort !== undefined) lrp(ctx.view, gwPort);
    for (const n of natsOf(ctx, router)) {
      if (n['type'] !== type) continue;
      if (n['external_ip'] === externalIp && n['logical_ip'] === logicalIp) {
        if (has(ctx, 'may-exist')) return;
        fail('duplicate', `${externalIp}, ${logicalIp}: a NAT with this external_ip and logical_ip already exists`, { table: NAT, value: externalIp, hint: 'use --may-exist to accept it' });
      }
      if (type === 'snat') {
        if (n['logical_ip'] !== logicalIp) continue;
        if (has(ctx, 'may-exist')) {
          ctx.view.update(NAT, n._uuid, { external_ip: externalIp });
          return;
        }
        fail('duplicate', `a NAT with this type (${type}) and logical_ip (${logicalIp}) already exists`, { table: NAT, value: logicalIp, hint: 'use --may-exist to update its external_ip' });
      }
      if (n['external_ip'] !== externalIp) continue;
      if (has(ctx, 'may-exist')) {
        ctx.view.update(NAT, n._uuid, { logical_ip: logicalIp });
        return;
      }
      fail('duplicate', `a NAT with this type (${type}), external_ip (${externalIp}) already exists`, { table: NAT, value: externalIp, hint: 'use --may-exist to update its logical_ip' });
    }
    const row: Record<string, Value> = { type, external_ip: externalIp, logical_ip: logicalIp };
    if (logicalPort !== undefined) row['logical_port'] = logicalPort;
    if (externalMac !== undefined) row['external_mac'] = externalMac;
    const options: Record<string, string> = {};
    if (stateless) options['stateless'] = 'true';
    if (has(ctx, 'add-route')) options['add_route'] = 'true';
    if (Object.keys(options).length > 0) row['options'] = options;
    const portrange = ctx.options.get('portrange');
    if (portrange !== undefined) row['external_port_range'] = portrange;
    const nat = ctx.view.insert(NAT, row);
    if (gwPort !== undefined) ctx.view.update(NAT, nat._uuid, { gateway_port: (lrp(ctx.view, gwPort) as Row)._uuid });
    ctx.view.addToSet(LR, router._uuid, 'nat', [nat._uuid]);
  },
});

def('NAT Commands', 'lr-nat-del', {
  syntax: 'ROUTER [TYPE [IP]]',
  min: 1,
  max: 3,
  options: ['--if-exists'],
  tables: [LR, NAT],
  summary: 'remove NATs from ROUTER (all, all of TYPE, or the one with IP: logical for snat, external otherwise)',
  example: 'lr-nat-del lr0 snat 10.0.0.0/24',
  run(ctx) {
    const [routerName, type, ipText] = ctx.args as [string, string | undefined, string | undefined];
    const router = lr(ctx.view, routerName);
    if (type !== undefined && !NAT_TYPES.includes(type)) fail('invalid-value', `${type}: type must be one of "dnat", "snat" and "dnat_and_snat".`, { table: NAT, column: 'type', value: type });
    const ip = ipText !== undefined && type === 'snat' ? (normalizePrefix(ipText)?.text ?? ipText) : ipText;
    // Like ovn-nbctl 23.03, no match is not an error.
    for (const nat of natsOf(ctx, router)) {
      if (type !== undefined && nat['type'] !== type) continue;
      if (ip !== undefined && nat[type === 'snat' ? 'logical_ip' : 'external_ip'] !== ip) continue;
      ctx.view.delete(NAT, nat._uuid);
    }
  },
});

def('NAT Commands', 'lr-nat-list', {
  syntax: 'ROUTER',
  min: 1,
  tables: [LR, NAT, LRP],
  summary: 'print NATs for ROUTER',
  example: 'lr-nat-list lr0',
  readOnly: true,
  run(ctx) {
    const nats = natsOf(ctx, lr(ctx.view, ctx.args[0] as string));
    ctx.out += formatNats(nats, (u) => str(ctx.view.get(LRP, u)?.['name']));
  },
});

export function formatNats(nats: readonly Row[], portName: (uuid: string) => string): string {
  if (nats.length === 0) return '';
  const cols = (a: string, b: string, c: string, d: string, e: string, f: string, g: string) =>
    `${a.padEnd(17)}${b.padEnd(22)}${c.padEnd(19)}${d.padEnd(17)}${e.padEnd(20)}${f.padEnd(21)}${g}`.trimEnd() + '\n';
  let out = cols('TYPE', 'GATEWAY_PORT', 'EXTERNAL_IP', 'EXTERNAL_PORT', 'LOGICAL_IP', 'EXTERNAL_MAC', 'LOGICAL_PORT');
  const sorted = [...nats].sort((a, b) => str(a['type']).localeCompare(str(b['type'])) || str(a['external_ip']).localeCompare(str(b['external_ip'])) || str(a['logical_ip']).localeCompare(str(b['logical_ip'])));
  for (const n of sorted) {
    const gw = asArray(n['gateway_port'])[0];
    out += cols(
      str(n['type']),
      gw === undefined ? '' : portName(String(gw)),
      str(n['external_ip']),
      str(n['external_port_range']),
      str(n['logical_ip']),
      str(asArray(n['external_mac'])[0]),
      str(asArray(n['logical_port'])[0]),
    );
  }
  return out;
}

// ---------------------------------------------------------------- load balancers

def('Load Balancer Commands', 'lb-add', {
  syntax: 'LB VIP[:PORT] IP[:PORT]... [PROTOCOL]',
  min: 3,
  max: 4,
  options: ['--may-exist', '--add-duplicate'],
  tables: [LB],
  summary: 'create a load-balancer or add a VIP to an existing load balancer (PROTOCOL tcp, udp or sctp; default tcp)',
  example: 'lb-add lb0 172.16.0.100:80 10.0.0.11:8080,10.0.0.12:8080 tcp',
  run(ctx) {
    const [name, vipText, ipsText, protoText] = ctx.args as [string, string, string, string | undefined];
    const vip = parseEndpoint(vipText);
    if (vip === undefined) fail('invalid-value', `${vipText}: should be an IP address (or an IP address and a port number with : as a separator).`, { table: LB, column: 'vips', value: vipText });
    if (protoText !== undefined && !['tcp', 'udp', 'sctp'].includes(protoText)) fail('invalid-value', `${protoText}: protocol must be "tcp", "udp" or "sctp".`, { table: LB, column: 'protocol', value: protoText });
    if (protoText !== undefined && vip.port === undefined) fail('invalid-value', 'Protocol is unnecessary when no port of vip is given.', { table: LB, column: 'protocol', value: protoText });
    const backends = ipsText.split(',').map((s) => s.trim()).filter((s) => s !== '');
    for (const b of backends) {
      const e = parseEndpoint(b);
      if (e === undefined) fail('invalid-value', `${b}: should be an IP address (or an IP address and a port number with : as a separator).`, { table: LB, column: 'vips', value: b });
      if (e.family !== vip.family) fail('invalid-value', `${vipText}: IP address family is different from VIP ${b}.`, { table: LB, column: 'vips', value: b });
      if ((vip.port === undefined) !== (e.port === undefined)) fail('invalid-value', `${b}: a backend needs a port exactly when the VIP has one.`, { table: LB, column: 'vips', value: b });
    }
    const protocol = protoText ?? 'tcp';
    const vipKey = vip.port === undefined ? vip.ip : vip.family === 6 ? `[${vip.ip}]:${vip.port}` : `${vip.ip}:${vip.port}`;
    const existing = has(ctx, 'add-duplicate') ? undefined : lb(ctx.view, name, false);
    if (existing !== undefined) {
      const vips = asMap(existing['vips']);
      if (vipKey in vips && !has(ctx, 'may-exist')) {
        fail('duplicate', `${name}: a load balancer with this vip (${vipKey}) already exists`, { table: LB, column: 'vips', value: vipKey, hint: 'use --may-exist to replace its backends' });
      }
      vips[vipKey] = backends.join(',');
      ctx.view.update(LB, existing._uuid, { vips, ...(vip.port !== undefined ? { protocol } : {}) });
      return;
    }
    const row: Record<string, Value> = { name, vips: { [vipKey]: backends.join(',') } };
    if (vip.port !== undefined) row['protocol'] = protocol;
    ctx.view.insert(LB, row);
  },
});

def('Load Balancer Commands', 'lb-del', {
  syntax: 'LB [VIP]',
  min: 1,
  max: 2,
  options: ['--if-exists'],
  tables: [LB, LS, LR],
  summary: 'remove a load-balancer or just its VIP',
  example: 'lb-del lb0 172.16.0.100:80',
  run(ctx) {
    const l = lb(ctx.view, ctx.args[0] as string, !has(ctx, 'if-exists'));
    if (l === undefined) return;
    const vip = ctx.args[1];
    if (vip === undefined) {
      ctx.view.delete(LB, l._uuid);
      return;
    }
    const vips = asMap(l['vips']);
    if (!(vip in vips)) {
      if (has(ctx, 'if-exists')) return;
      fail('not-found', `vip ${vip} is not part of the load balancer.`, { table: LB, column: 'vips', value: vip });
    }
    delete vips[vip];
    if (Object.keys(vips).length === 0) ctx.view.delete(LB, l._uuid);
    else ctx.view.update(LB, l._uuid, { vips });
  },
});

def('Load Balancer Commands', 'lb-list', {
  syntax: '[LB]',
  min: 0,
  max: 1,
  tables: [LB],
  summary: 'print load-balancers',
  example: 'lb-list',
  readOnly: true,
  run(ctx) {
    const id = ctx.args[0];
    const rows = id !== undefined ? [lb(ctx.view, id)] : sortRows(ctx.view.table(LB), ctx.view.rows(LB));
    ctx.out += formatLbs(rows);
  },
});

export function formatLbs(lbs: readonly Row[]): string {
  if (lbs.length === 0) return '';
  // ovn-nbctl: "%-40.36s%-20.16s%-11.7s%-*.*s%s" with the VIP column as wide as the widest VIP + 4.
  const w = Math.max(0, ...lbs.flatMap((l) => Object.keys(asMap(l['vips'])).map((k) => k.length)));
  const cut = (x: string, n: number, width: number) => x.slice(0, n).padEnd(width);
  const line = (a: string, b: string, c: string, d: string, e: string) => `${cut(a, 36, 40)}${cut(b, 16, 20)}${cut(c, 7, 11)}${cut(d, w, w + 4)}${e}`.trimEnd() + '\n';
  let out = line('UUID', 'LB', 'PROTO', 'VIP', 'IPs');
  for (const l of lbs) {
    const vips = asMap(l['vips']);
    const keys = Object.keys(vips).sort();
    keys.forEach((k, i) => {
      const hasPort = /\]:\d+$/.test(k) || /^[^:[\]]+:\d+$/.test(k);
      const proto = hasPort ? str(asArray(l['protocol'])[0] ?? 'tcp') : '';
      out += line(i === 0 ? l._uuid : '', i === 0 ? str(l['name']) : '', proto, k, String(vips[k]));
    });
    if (keys.length === 0) out += line(l._uuid, str(l['name']), '', '', '');
  }
  return out;
}

function lbAttach(kind: 'ls' | 'lr'): void {
  const table = kind === 'ls' ? LS : LR;
  const what = kind === 'ls' ? 'SWITCH' : 'ROUTER';
  const find = (kind === 'ls' ? ls : lr);
  def('Load Balancer Commands', `${kind}-lb-add`, {
    syntax: `${what} LB`,
    min: 2,
    options: ['--may-exist'],
    tables: [table, LB],
    summary: `add load-balancer LB to ${what}`,
    example: `${kind}-lb-add ${kind === 'ls' ? 'sw0' : 'lr0'} lb0`,
    run(ctx) {
      const parent = find(ctx.view, ctx.args[0] as string);
      const l = lb(ctx.view, ctx.args[1] as string);
      if (asArray(parent['load_balancer']).some((u) => u === l._uuid)) {
        if (has(ctx, 'may-exist')) return;
        fail('duplicate', `${ctx.args[1] as string}: an LB with this UUID (${l._uuid}) already exists`, { table, column: 'load_balancer', value: ctx.args[1], hint: 'use --may-exist to accept it' });
      }
      ctx.view.addToSet(table, parent._uuid, 'load_balancer', [l._uuid]);
    },
  });
  def('Load Balancer Commands', `${kind}-lb-del`, {
    syntax: `${what} [LB]`,
    min: 1,
    max: 2,
    options: ['--if-exists'],
    tables: [table, LB],
    summary: `remove load-balancers from ${what} (all, or just LB)`,
    example: `${kind}-lb-del ${kind === 'ls' ? 'sw0' : 'lr0'} lb0`,
    run(ctx) {
      const parent = find(ctx.view, ctx.args[0] as string);
      const id = ctx.args[1];
      if (id === undefined) {
        ctx.view.update(table, parent._uuid, { load_balancer: [] });
        return;
      }
      const l = lb(ctx.view, id);
      if (!asArray(parent['load_balancer']).some((u) => u === l._uuid)) {
        if (has(ctx, 'if-exists')) return;
        fail('not-found', `load balancer ${id} is not part of any logical ${kind === 'ls' ? 'switch' : 'router'}.`, { table, column: 'load_balancer', value: id });
      }
      ctx.view.removeFromSet(table, parent._uuid, 'load_balancer', [l._uuid]);
    },
  });
  def('Load Balancer Commands', `${kind}-lb-list`, {
    syntax: what,
    min: 1,
    tables: [table, LB],
    summary: `print load-balancers of ${what}`,
    example: `${kind}-lb-list ${kind === 'ls' ? 'sw0' : 'lr0'}`,
    readOnly: true,
    run(ctx) {
      const parent = find(ctx.view, ctx.args[0] as string);
      const lbs = asArray(parent['load_balancer'])
        .map((u) => ctx.view.get(LB, String(u)))
        .filter((r): r is Row => r !== undefined);
      ctx.out += formatLbs(sortRows(ctx.view.table(LB), lbs));
    },
  });
}
lbAttach('ls');
lbAttach('lr');

// ---------------------------------------------------------------- DHCP options

def('DHCP Options Commands', 'dhcp-options-create', {
  syntax: 'CIDR [EXTERNAL_IDS]',
  min: 1,
  max: Infinity,
  tables: [DHCP],
  summary: 'create a DHCP options row with CIDR (EXTERNAL_IDS as KEY=VALUE)',
  example: 'dhcp-options-create 10.0.0.0/24 subnet=net0',
  run(ctx) {
    const cidr = ctx.args[0] as string;
    const n = normalizePrefix(cidr);
    if (n === undefined || !cidr.includes('/')) fail('invalid-value', `Invalid cidr format '${cidr}'`, { table: DHCP, column: 'cidr', value: cidr, hint: 'example: 10.0.0.0/24' });
    ctx.view.insert(DHCP, { cidr, external_ids: parseKeyValues(ctx.args.slice(1)) });
  },
});

def('DHCP Options Commands', 'dhcp-options-del', {
  syntax: 'DHCP_OPT_UUID',
  min: 1,
  tables: [DHCP, LSP],
  summary: 'delete the DHCP options row',
  example: 'dhcp-options-del 6c3a7a8e-8d8c-4b11-9a9b-2f6f3b3b9c01',
  run(ctx) {
    ctx.view.delete(DHCP, dhcp(ctx.view, ctx.args[0] as string)._uuid);
  },
});

def('DHCP Options Commands', 'dhcp-options-list', {
  syntax: '',
  min: 0,
  tables: [DHCP],
  summary: 'list the DHCP options rows',
  example: 'dhcp-options-list',
  readOnly: true,
  run(ctx) {
    for (const r of [...ctx.view.rows(DHCP)].sort((a, b) => (a._uuid < b._uuid ? -1 : 1))) print(ctx, r._uuid);
  },
});

def('DHCP Options Commands', 'dhcp-options-set-options', {
  syntax: 'DHCP_OPT_UUID KEY=VALUE [KEY=VALUE]...',
  min: 1,
  max: Infinity,
  tables: [DHCP],
  summary: 'set DHCP options (replaces them)',
  example: 'dhcp-options-set-options 6c3a7a8e-8d8c-4b11-9a9b-2f6f3b3b9c01 lease_time=3600 router=10.0.0.1 server_id=10.0.0.1 server_mac=c0:ff:ee:00:00:01',
  run(ctx) {
    const d = dhcp(ctx.view, ctx.args[0] as string);
    ctx.view.update(DHCP, d._uuid, { options: parseKeyValues(ctx.args.slice(1)) });
  },
});

def('DHCP Options Commands', 'dhcp-options-get-options', {
  syntax: 'DHCP_OPT_UUID',
  min: 1,
  tables: [DHCP],
  summary: 'print the DHCP options',
  example: 'dhcp-options-get-options 6c3a7a8e-8d8c-4b11-9a9b-2f6f3b3b9c01',
  readOnly: true,
  run(ctx) {
    printMap(ctx, dhcp(ctx.view, ctx.args[0] as string)['options']);
  },
});

// ---------------------------------------------------------------- QoS rules

function qosOf(ctx: CommandContext, sw: Row): Row[] {
  return asArray(sw['qos_rules'])
    .map((u) => ctx.view.get(QOS, String(u)))
    .filter((r): r is Row => r !== undefined);
}

def('Logical Switch QoS Rule Commands', 'qos-add', {
  syntax: 'SWITCH DIRECTION PRIORITY MATCH [dscp=DSCP] [rate=RATE [burst=BURST]]',
  min: 5,
  max: 7,
  options: ['--may-exist'],
  tables: [LS, QOS],
  summary: 'add a QoS rule (DSCP marking and/or metering at RATE kbps) to SWITCH',
  example: 'qos-add sw0 from-lport 100 "ip4.src == 10.0.0.10" dscp=12 rate=1000 burst=100',
  keys: (a) => ({ [LS]: a.slice(0, 1) }),
  run(ctx) {
    const [id, direction, prio, match] = ctx.args as [string, string, string, string];
    const sw = ls(ctx.view, id);
    checkDirection(direction);
    const priority = int(prio, 'priority', 0, 32767);
    const action: Record<string, number> = {};
    const bandwidth: Record<string, number> = {};
    const ranged = (text: string, what: string, lo: number, hi: number): number => {
      if (!/^\d+$/.test(text) || Number(text) < lo || Number(text) > hi) fail('invalid-value', `${text}: ${what} must be in the range ${lo}...${hi}`, { table: QOS, value: text });
      return Number(text);
    };
    for (const a of ctx.args.slice(4)) {
      if (a.startsWith('dscp=')) action['dscp'] = ranged(a.slice(5), 'dscp', 0, 63);
      else if (a.startsWith('rate=')) bandwidth['rate'] = ranged(a.slice(5), 'rate', 1, 4294967295);
      else if (a.startsWith('burst=')) bandwidth['burst'] = ranged(a.slice(6), 'burst', 1, 4294967295);
      else fail('invalid-value', `${a}: supported arguments are "dscp=", "rate=", and "burst="`, { table: QOS, value: a });
    }
    if (action['dscp'] === undefined && bandwidth['rate'] === undefined) fail('bad-request', 'Either "rate" and/or "dscp" must be specified', { table: QOS, hint: 'qos-add SWITCH DIRECTION PRIORITY MATCH dscp=DSCP rate=RATE' });
    const same = qosOf(ctx, sw).find((q) => q['direction'] === direction && q['priority'] === priority && q['match'] === match);
    if (same !== undefined) {
      if (has(ctx, 'may-exist')) return;
      fail('duplicate', `Same qos already existed on the ls ${id}.`, { table: QOS, value: match, hint: 'use --may-exist to accept an existing rule' });
    }
    const q = ctx.view.insert(QOS, { direction, priority, match, action, bandwidth });
    ctx.view.addToSet(LS, sw._uuid, 'qos_rules', [q._uuid]);
  },
});

def('Logical Switch QoS Rule Commands', 'qos-del', {
  syntax: 'SWITCH [{DIRECTION | UUID} [PRIORITY MATCH]]',
  min: 1,
  max: 4,
  tables: [LS, QOS],
  summary: 'remove QoS rules from SWITCH (all, one direction, one exact rule, or by UUID)',
  example: 'qos-del sw0 from-lport 100 "ip4.src == 10.0.0.10"',
  keys: (a) => ({ [LS]: a.slice(0, 1) }),
  run(ctx) {
    const sw = ls(ctx.view, ctx.args[0] as string);
    const second = ctx.args[1];
    if (second !== undefined && isUuid(second)) {
      const q = qosOf(ctx, sw).find((r) => r._uuid === second.toLowerCase());
      if (q === undefined) fail('not-found', `${second}: qos UUID not found in switch ${ctx.args[0] as string}`, { table: QOS, value: second });
      ctx.view.delete(QOS, q._uuid);
      return;
    }
    if (ctx.args.length === 3) fail('bad-request', 'cannot specify priority without match', { hint: 'qos-del SWITCH DIRECTION PRIORITY MATCH' });
    if (second !== undefined) checkDirection(second);
    const priority = ctx.args[2] !== undefined ? int(ctx.args[2], 'priority', 0, 32767) : undefined;
    for (const q of qosOf(ctx, sw)) {
      if (second !== undefined && q['direction'] !== second) continue;
      if (priority !== undefined && (q['priority'] !== priority || q['match'] !== ctx.args[3])) continue;
      ctx.view.delete(QOS, q._uuid);
    }
  },
});

def('Logical Switch QoS Rule Commands', 'qos-list', {
  syntax: 'SWITCH',
  min: 1,
  tables: [LS, QOS],
  summary: 'print QoS rules for SWITCH',
  example: 'qos-list sw0',
  readOnly: true,
  keys: (a) => ({ [LS]: a.slice(0, 1) }),
  run(ctx) {
    const rules = qosOf(ctx, ls(ctx.view, ctx.args[0] as string)).sort((a, b) =>
      str(a['direction']).localeCompare(str(b['direction'])) || Number(b['priority']) - Number(a['priority']) || str(a['match']).localeCompare(str(b['match'])));
    for (const q of rules) {
      const bw = asMap(q['bandwidth']);
      const act = asMap(q['action']);
      let line = `${str(q['direction']).padStart(10)} ${String(q['priority']).padStart(5)} (${str(q['match'])})`;
      if (bw['rate'] !== undefined) line += ` rate=${String(bw['rate'])}`;
      if (bw['burst'] !== undefined) line += ` burst=${String(bw['burst'])}`;
      if (act['dscp'] !== undefined) line += ` dscp=${String(act['dscp'])}`;
      print(ctx, line);
    }
  },
});

// ---------------------------------------------------------------- meters

def('Meter Commands', 'meter-add', {
  syntax: 'NAME ACTION RATE UNIT [BURST]',
  min: 4,
  max: 5,
  options: ['--fair'],
  tables: [METER, BAND],
  summary: 'add a meter with one band (ACTION drop; UNIT kbps or pktps); --fair: each ACL logging through it gets its own copy',
  example: '--fair meter-add acl-log drop 10 pktps',
  run(ctx) {
    const [name, action, rateText, unit, burstText] = ctx.args as [string, string, string, string, string | undefined];
    if (ctx.view.rows(METER).some((m) => m['name'] === name)) fail('duplicate', `meter with name "${name}" already exists`, { table: METER, column: 'name', value: name });
    if (name.startsWith('__')) fail('invalid-value', 'meter names that begin with "__" are reserved', { table: METER, column: 'name', value: name });
    if (action !== 'drop') fail('invalid-value', 'action must be "drop"', { table: BAND, column: 'action', value: action });
    if (unit !== 'kbps' && unit !== 'pktps') fail('invalid-value', 'unit must be "kbps" or "pktps"', { table: METER, column: 'unit', value: unit });
    const inRange = (t: string, lo: number): boolean => /^\d+$/.test(t) && Number(t) >= lo && Number(t) <= 4294967295;
    if (!inRange(rateText, 1)) fail('invalid-value', 'rate must be in the range 1...4294967295', { table: BAND, column: 'rate', value: rateText });
    if (burstText !== undefined && !inRange(burstText, 0)) fail('invalid-value', 'burst must be in the range 0...4294967295', { table: BAND, column: 'burst_size', value: burstText });
    const band = ctx.view.insert(BAND, { action, rate: Number(rateText), ...(burstText !== undefined ? { burst_size: Number(burstText) } : {}) });
    ctx.view.insert(METER, { name, unit, bands: [band._uuid], ...(has(ctx, 'fair') ? { fair: true } : {}) });
  },
});

def('Meter Commands', 'meter-del', {
  syntax: '[NAME]',
  min: 0,
  max: 1,
  tables: [METER, BAND],
  summary: 'remove meters (all, or the one named NAME)',
  example: 'meter-del acl-log',
  run(ctx) {
    const name = ctx.args[0];
    for (const m of ctx.view.rows(METER)) if (name === undefined || m['name'] === name) ctx.view.delete(METER, m._uuid);
  },
});

def('Meter Commands', 'meter-list', {
  syntax: '',
  min: 0,
  tables: [METER, BAND],
  summary: 'print meters',
  example: 'meter-list',
  readOnly: true,
  run(ctx) {
    for (const m of [...ctx.view.rows(METER)].sort((a, b) => str(a['name']).localeCompare(str(b['name'])))) {
      print(ctx, `${str(m['name'])}:${m['fair'] === true || asArray(m['fair'])[0] === true ? ' (fair)' : ''} bands:`);
      for (const u of asArray(m['bands'])) {
        const b = ctx.view.get(BAND, String(u));
        if (b === undefined) continue;
        const burst = Number(asArray(b['burst_size'])[0] ?? b['burst_size'] ?? 0);
        print(ctx, `  ${str(b['action'])}: ${String(b['rate'])} ${str(m['unit'])}${burst > 0 ? `, ${burst} ${m['unit'] === 'kbps' ? 'kb' : 'packet'} burst` : ''}`);
      }
    }
  },
});

// ---------------------------------------------------------------- HA chassis groups

const hag = (v: TxnView, id: string): Row => {
  const r = lookup(v, HAG, id, 'ha_chassis_group', false);
  // ovn-nbctl 23.03's wording, typo included, so scripts matching it keep working
  if (r === undefined) fail('not-found', `${id}: ha_chassi_group name not found`, { table: HAG, value: id, hint: 'create it with ha-chassis-group-add' });
  return r;
};

function haChassisOf(ctx: CommandContext, g: Row): Row[] {
  return asArray(g['ha_chassis'])
    .map((u) => ctx.view.get(HAC, String(u)))
    .filter((r): r is Row => r !== undefined);
}

def('HA Chassis Group commands', 'ha-chassis-group-add', {
  syntax: 'GROUP',
  min: 1,
  tables: [HAG],
  summary: 'create an HA chassis group named GROUP',
  example: 'ha-chassis-group-add ext-group',
  run(ctx) {
    ctx.view.insert(HAG, { name: ctx.args[0] as string });
  },
});

def('HA Chassis Group commands', 'ha-chassis-group-del', {
  syntax: 'GROUP',
  min: 1,
  tables: [HAG, HAC],
  summary: 'delete the HA chassis group GROUP',
  example: 'ha-chassis-group-del ext-group',
  run(ctx) {
    ctx.view.delete(HAG, hag(ctx.view, ctx.args[0] as string)._uuid);
  },
});

def('HA Chassis Group commands', 'ha-chassis-group-list', {
  syntax: '',
  min: 0,
  tables: [HAG, HAC],
  summary: 'print the HA chassis groups and their chassis',
  example: 'ha-chassis-group-list',
  readOnly: true,
  run(ctx) {
    for (const g of [...ctx.view.rows(HAG)].sort((a, b) => str(a['name']).localeCompare(str(b['name'])))) {
      print(ctx, `${g._uuid} (${str(g['name'])})`);
      for (const c of haChassisOf(ctx, g).sort((a, b) => str(a['chassis_name']).localeCompare(str(b['chassis_name'])))) {
        print(ctx, `    ${c._uuid} (${str(c['chassis_name'])})`);
        print(ctx, `    priority ${String(c['priority'])}\n`);
      }
      print(ctx, '');
    }
  },
});

def('HA Chassis Group commands', 'ha-chassis-group-add-chassis', {
  syntax: 'GROUP CHASSIS PRIORITY',
  min: 3,
  tables: [HAG, HAC],
  summary: 'add CHASSIS with PRIORITY to GROUP (or change its priority)',
  example: 'ha-chassis-group-add-chassis ext-group hv1 30',
  run(ctx) {
    const g = hag(ctx.view, ctx.args[0] as string);
    const chassis = ctx.args[1] as string;
    const priority = int(ctx.args[2] as string, 'priority', 0, 32767);
    const have = haChassisOf(ctx, g).find((c) => c['chassis_name'] === chassis);
    if (have !== undefined) {
      ctx.view.update(HAC, have._uuid, { priority });
      return;
    }
    const c = ctx.view.insert(HAC, { chassis_name: chassis, priority });
    ctx.view.addToSet(HAG, g._uuid, 'ha_chassis', [c._uuid]);
  },
});

def('HA Chassis Group commands', 'ha-chassis-group-remove-chassis', {
  syntax: 'GROUP CHASSIS',
  min: 2,
  tables: [HAG, HAC],
  summary: 'remove CHASSIS from GROUP',
  example: 'ha-chassis-group-remove-chassis ext-group hv1',
  run(ctx) {
    const [gid, chassis] = ctx.args as [string, string];
    const g = hag(ctx.view, gid);
    const c = haChassisOf(ctx, g).find((x) => x['chassis_name'] === chassis);
    if (c === undefined) fail('not-found', `${chassis}: ha chassis not found in ${str(g['name'])} ha chassis group`, { table: HAC, value: chassis });
    ctx.view.delete(HAC, c._uuid);
  },
});

/** Every northbound command: the ovn-nbctl verbs, then the database commands. */
export const nbCommands: readonly CommandSpec[] = [...specs, ...dbCommands];

