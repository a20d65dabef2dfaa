// cli/sbctl.ts — `loom sb ...`: ovn-sbctl's read side over loom's southbound store.
//
// Owns: `show` (chassis, encaps, the ports bound to each, as ovn-sbctl show), `lflow-list`
// in ovn-sbctl's exact layout and order (a flow on a datapath group is listed under each
// datapath of the group), `--show-source` (the NB origin recorded in a flow's
// external_ids), and the shared database commands.
// Reads: Chassis, Encap, Port_Binding, Datapath_Binding, Logical_DP_Group, Logical_Flow.
// Called by: cli/run.ts for `loom sb CMD`.
// Must never: write to the southbound database except through the generic db commands an
// operator types explicitly (northd and the controllers own SB content).
// Invariants: lflow-list order is datapath (name, uuid), pipeline (ingress first), table,
// priority descending, match, actions — as ovn-sbctl sorts.

import type { Row } from '../store/types.js';
import { fail, str, type CommandContext, type CommandSpec } from './command.js';
import { dbCommands, findRecord } from './db-commands.js';
import { asArray, asMap, formatAtom, formatValue } from './values.js';
import type { TxnView } from './txn-view.js';

function datapathName(dp: Row): string {
  const ids = asMap(dp['external_ids']);
  return str(ids['name'] ?? ids['name2'] ?? '');
}

export function showSb(view: TxnView): string {
  let out = '';
  const chassis = view.rows('Chassis').sort((a, b) => str(a['name']).localeCompare(str(b['name'])));
  const bindings = view.isLoaded('Port_Binding') ? view.rows('Port_Binding') : [];
  const encapCol = view.column('Encap', 'options');
  for (const ch of chassis) {
    out += `Chassis ${formatAtom(str(ch['name']))}\n`;
    const hostname = str(ch['hostname']);
    if (hostname !== '') out += `    hostname: ${formatAtom(hostname)}\n`;
    for (const id of asArray(ch['encaps'])) {
      const e = view.get('Encap', String(id));
      if (e === undefined) continue;
      out += `    Encap ${str(e['type'])}\n`;
      out += `        ip: ${JSON.stringify(str(e['ip']))}\n`;
      out += `        options: ${formatValue(encapCol, e['options'])}\n`;
    }
    const mine = bindings
      .filter((pb) => asArray(pb['chassis'])[0] === ch._uuid)
      .map((pb) => str(pb['logical_port']))
      .sort();
    for (const lp of mine) out += `    Port_Binding ${formatAtom(lp)}\n`;
  }
  return out;
}

export interface FlowLine {
  readonly datapath: Row;
  readonly flow: Row;
}

/** Flows per datapath (a datapath-group flow under each member), in ovn-sbctl's order. */
export function lflowLines(view: TxnView, only?: Row): FlowLine[] {
  const lines: FlowLine[] = [];
  for (const f of view.rows('Logical_Flow')) {
    const dps: string[] = [];
    const dp = asArray(f['logical_datapath'])[0];
    if (dp !== undefined) dps.push(String(dp));
    const group = asArray(f['logical_dp_group'])[0];
    if (group !== undefined && view.isLoaded('Logical_DP_Group')) {
      const g = view.get('Logical_DP_Group', String(group));
      for (const d of asArray(g?.['datapaths'])) dps.push(String(d));
    }
    for (const id of dps) {
      if (only !== undefined && only._uuid !== id) continue;
      const d = view.get('Datapath_Binding', id);
      if (d !== undefined) lines.push({ datapath: d, flow: f });
    }
  }
  const pipe = (f: Row) => (f['pipeline'] === 'ingress' ? 0 : 1);
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return lines.sort(
    (a, b) =>
      cmp(datapathName(a.datapath), datapathName(b.datapath)) ||
      cmp(a.datapath._uuid, b.datapath._uuid) ||
      pipe(a.flow) - pipe(b.flow) ||
      Number(a.flow['table_id']) - Number(b.flow['table_id']) ||
      Number(b.flow['priority']) - Number(a.flow['priority']) ||
      cmp(str(a.flow['match']), str(b.flow['match'])) ||
      cmp(str(a.flow['actions']), str(b.flow['actions'])),
  );
}

export interface LflowFormat {
  readonly uuid?: boolean;
  readonly showSource?: boolean;
}

export function formatLflows(lines: readonly FlowLine[], opts: LflowFormat = {}): string {
  let out = '';
  let prevDp = '';
  let prevPipe = '';
  for (const { datapath, flow } of lines) {
    const pipeline = str(flow['pipeline']);
    if (datapath._uuid !== prevDp || pipeline !== prevPipe) {
      out += `Datapath: "${datapathName(datapath)}" (${datapath._uuid})  Pipeline: ${pipeline}\n`;
      prevDp = datapath._uuid;
      prevPipe = pipeline;
    }
    const ids = asMap(flow['external_ids']);
    const stage = str(ids['stage-name']);
    const uuid = opts.uuid === true ? `uuid=0x${flow._uuid.slice(0, 8)}, ` : '';
    out += `  ${uuid}table=${String(flow['table_id']).padEnd(2)}(${stage.padEnd(19)}), priority=${String(flow['priority']).padEnd(5)}, match=(${str(flow['match'])}), action=(${str(flow['actions'])})\n`;
    if (opts.showSource === true) {
      const src = flowSource(ids);
      if (src !== '') out += `      from ${src}\n`;
    }
  }
  return out;
}

/**
 * Where a flow came from, from its external_ids: the NB row northd recorded ("nb-row" =
 * TABLE:UUID, else OVN's 8-hex "stage-hint") and the northd source line, then any other key.
 */
export function flowSource(ids: { readonly [k: string]: unknown }): string {
  const parts: string[] = [];
  const nbRow = ids['nb-row'];
  if (typeof nbRow === 'string' && nbRow.includes(':')) {
    const i = nbRow.indexOf(':');
    parts.push(`${nbRow.slice(0, i)} ${nbRow.slice(i + 1)}`);
  } else if (ids['stage-hint'] !== undefined) parts.push(`NB row ${String(ids['stage-hint'])}`);
  if (ids['source'] !== undefined) parts.push(`northd ${String(ids['source'])}`);
  for (const k of Object.keys(ids).sort()) {
    if (!['stage-name', 'stage-hint', 'nb-row', 'source'].includes(k)) parts.push(`${k}=${String(ids[k])}`);
  }
  return parts.join(', ');
}

function lflowJson(lines: readonly FlowLine[]): string {
  return (
    JSON.stringify(
      lines.map(({ datapath, flow }) => ({
        datapath: datapathName(datapath),
        datapath_uuid: datapath._uuid,
        pipeline: flow['pipeline'],
        table: flow['table_id'],
        stage: asMap(flow['external_ids'])['stage-name'] ?? '',
        priority: flow['priority'],
        match: flow['match'],
        actions: flow['actions'],
        uuid: flow._uuid,
        external_ids: asMap(flow['external_ids']),
      })),
      null,
      1,
    ) + '\n'
  );
}

const sbSpecs: CommandSpec[] = [
  {
    name: 'show',
    group: 'Southbound Commands',
    syntax: '',
    min: 0,
    max: 0,
    options: [],
    summary: 'print overview of the southbound database: chassis, encapsulations, bound ports',
    example: 'show',
    tables: () => ['Chassis', 'Encap', 'Port_Binding'],
    readOnly: true,
    run(ctx) {
      ctx.out += showSb(ctx.view);
    },
  },
  {
    name: 'lflow-list',
    group: 'Southbound Commands',
    syntax: '[DATAPATH]',
    min: 0,
    max: 1,
    options: ['--uuid', '--show-source'],
    summary: 'list logical flows (of one DATAPATH: a switch or router name or a Datapath_Binding UUID)',
    example: 'lflow-list sw0',
    tables: () => ['Logical_Flow', 'Datapath_Binding', 'Logical_DP_Group'],
    readOnly: true,
    run(ctx: CommandContext) {
      const id = ctx.args[0];
      let only: Row | undefined;
      if (id !== undefined) {
        only = findRecord(ctx.view, 'Datapath_Binding', id, false);
        if (only === undefined) fail('not-found', `${id}: unknown datapath`, { table: 'Datapath_Binding', value: id, hint: 'name a logical switch or router, or a Datapath_Binding UUID' });
      }
      const lines = lflowLines(ctx.view, only);
      if (ctx.global.format === 'json') ctx.out += lflowJson(lines);
      else ctx.out += formatLflows(lines, { uuid: ctx.options.has('uuid'), showSource: ctx.options.has('show-source') });
    },
  },
];

// ovn-sbctl's other name for lflow-list.
const lflowList = sbSpecs.find((c) => c.name === 'lflow-list') as CommandSpec;
sbSpecs.push({ ...lflowList, name: 'dump-flows', summary: 'same as lflow-list', example: 'dump-flows sw0' });

export const sbCommands: readonly CommandSpec[] = [...sbSpecs, ...dbCommands];
