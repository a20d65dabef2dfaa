// northd/stages.ts — the logical pipeline stages, declared once.
//
// Owns: every stage of the logical switch and logical router pipelines, as OVN 23.03 numbers
// them (ovn-northd(8), northd.h PIPELINE_STAGES). Reads nothing. Used by lflow.ts (a flow
// names its stage, the table number comes from here), the pipelines and the golden tests.
// Never: code elsewhere writes a table number; it names a stage and asks this file.
// Invariants: per (datapath type, pipeline) the tables are 0..n-1 without gaps, in order;
// names are unique (checked by stages.test.ts).

export type DatapathType = 'switch' | 'router';
export type Pipeline = 'ingress' | 'egress';

export interface Stage {
  readonly name: string;
  readonly datapath: DatapathType;
  readonly pipeline: Pipeline;
  readonly table: number;
}

const LS_IN = [
  'check_port_sec', 'apply_port_sec', 'lookup_fdb', 'put_fdb', 'pre_acl', 'pre_lb', 'pre_stateful',
  'acl_hint', 'acl', 'qos_mark', 'qos_meter', 'lb_aff_check', 'lb', 'lb_aff_learn', 'pre_hairpin',
  'nat_hairpin', 'hairpin', 'acl_after_lb', 'stateful', 'arp_rsp', 'dhcp_options', 'dhcp_response',
  'dns_lookup', 'dns_response', 'external_port', 'l2_lkup', 'l2_unknown',
] as const;
const LS_OUT = [
  'pre_acl', 'pre_lb', 'pre_stateful', 'acl_hint', 'acl', 'qos_mark', 'qos_meter', 'stateful',
  'check_port_sec', 'apply_port_sec',
] as const;
const LR_IN = [
  'admission', 'lookup_neighbor', 'learn_neighbor', 'ip_input', 'unsnat', 'defrag', 'lb_aff_check',
  'dnat', 'lb_aff_learn', 'ecmp_stateful', 'nd_ra_options', 'nd_ra_response', 'ip_routing_pre',
  'ip_routing', 'ip_routing_ecmp', 'policy', 'policy_ecmp', 'arp_resolve', 'chk_pkt_len',
  'larger_pkts', 'gw_redirect', 'arp_request',
] as const;
const LR_OUT = ['chk_dnat_local', 'undnat', 'post_undnat', 'snat', 'post_snat', 'egr_loop', 'delivery'] as const;

type Prefixed<P extends string, T extends readonly string[]> = `${P}${T[number]}`;
export type StageName =
  | Prefixed<'ls_in_', typeof LS_IN>
  | Prefixed<'ls_out_', typeof LS_OUT>
  | Prefixed<'lr_in_', typeof LR_IN>
  | Prefixed<'lr_out_', typeof LR_OUT>;

function declare(prefix: string, datapath: DatapathType, pipeline: Pipeline, names: readonly string[]): Stage[] {
  return names.map((n, table) => ({ name: prefix + n, datapath, pipeline, table }));
}

/** All stages, in pipeline order. */
export const STAGES: readonly Stage[] = [
  ...declare('ls_in_', 'switch', 'ingress', LS_IN),
  ...declare('ls_out_', 'switch', 'egress', LS_OUT),
  ...declare('lr_in_', 'router', 'ingress', LR_IN),
  ...declare('lr_out_', 'router', 'egress', LR_OUT),
];

const BY_NAME: ReadonlyMap<string, Stage> = new Map(STAGES.map((s) => [s.name, s]));

export function stage(name: StageName): Stage {
  const s = BY_NAME.get(name);
  if (s === undefined) throw new Error(`unknown stage ${name}`); // unreachable: StageName is closed
  return s;
}

export function findStage(name: string): Stage | undefined {
  return BY_NAME.get(name);
}

/** The stage at a table of a pipeline (for readers of SB rows, e.g. lflow-list and trace). */
export function stageAt(datapath: DatapathType, pipeline: Pipeline, table: number): Stage | undefined {
  return STAGES.find((s) => s.datapath === datapath && s.pipeline === pipeline && s.table === table);
}
