// cli/help.ts — `loom --help` and `loom CMD --help`.
//
// Owns: the manual page text: synopsis, daemons, every command group with exact syntax
// and an example per command, options, environment, exit status; per-command help.
// Reads: the command tables (cli/nbctl.ts, cli/sbctl.ts).
// Called by: cli/main.ts.
// Must never: describe a command or option the tables do not have (help is generated
// from them, so it cannot drift).

import type { CommandSpec } from './command.js';

export interface DaemonHelp {
  readonly name: string;
  readonly syntax: string;
  readonly summary: string;
  readonly example: string;
}

export const daemons: readonly DaemonHelp[] = [
  { name: 'nbdb', syntax: '--db FILE --listen HOST:PORT', summary: 'serve the northbound database (OVN_Northbound) from a SQLite FILE over REST + WebSocket', example: 'loom nbdb --db nb.db --listen 127.0.0.1:6641' },
  { name: 'sbdb', syntax: '--db FILE --listen HOST:PORT', summary: 'serve the southbound database (OVN_Southbound)', example: 'loom sbdb --db sb.db --listen 127.0.0.1:6642' },
  {
    name: 'northd',
    syntax: '--nb URL --sb URL [--recompute] [--lock NAME | --no-lock] [--unixctl PATH] [--paused]',
    summary:
      'compile the northbound topology into southbound logical flows (--recompute: full recompute on every change); active/standby as ovn-northd: only the holder of the SB lock (default loom_northd) compiles, others stand by and take over when it goes; --no-lock: always active; control socket for loom appctl at --unixctl PATH (default $LOOM_RUNDIR/loom-northd.PID.ctl); --paused: start paused (loom appctl resume)',
    example: 'loom northd --nb http://127.0.0.1:6641 --sb http://127.0.0.1:6642',
  },
  {
    name: 'appctl',
    syntax: '[-t northd | -t SOCKET] COMMAND',
    summary:
      'talk to a running northd as ovn-appctl -t ovn-northd: pause (watch NB, write nothing), resume (one batch with everything held), is-paused, status, inc-engine/recompute, inc-engine/show-stats, memory/show, exit, list-commands; -t northd (the default) finds the one live socket in $LOOM_RUNDIR; loom up serves STATE_DIR/northd.ctl',
    example: 'loom appctl -t northd pause',
  },
  { name: 'up', syntax: '[--state-dir DIR] [--nb-listen HOST:PORT] [--sb-listen HOST:PORT]', summary: 'all in one process: nbdb + sbdb + northd, files under DIR (default ./loom-state)', example: 'loom up --state-dir /var/lib/loom' },
];

function usageLine(spec: CommandSpec): string {
  const opts = spec.options.map((o) => `[${o}]`).join(' ');
  return [opts, spec.name, spec.syntax].filter((s) => s !== '').join(' ');
}

function groups(specs: readonly CommandSpec[]): Map<string, CommandSpec[]> {
  const m = new Map<string, CommandSpec[]>();
  for (const s of specs) {
    const list = m.get(s.group) ?? [];
    list.push(s);
    m.set(s.group, list);
  }
  return m;
}

function commandBlock(spec: CommandSpec, prefix: string): string {
  return `  ${usageLine(spec)}\n      ${spec.summary}\n      e.g. ${prefix}${spec.example}\n`;
}

export function mainHelp(nb: readonly CommandSpec[], sb: readonly CommandSpec[]): string {
  let out = `NAME
  loom - control loom, an OVN-style SDN system: daemons, northbound (ovn-nbctl) and
  southbound (ovn-sbctl) commands

SYNOPSIS
  loom [OPTIONS] COMMAND [ARG...] [-- [OPTIONS] COMMAND [ARG...]]...
  loom sb [OPTIONS] COMMAND [ARG...]
  loom nbdb|sbdb|northd|up [DAEMON OPTIONS]
  loom COMMAND --help

DESCRIPTION
  Without a daemon name, loom speaks ovn-nbctl's language to the northbound database.
  Several commands joined by "--" run as ONE transaction: later commands see the effects
  of earlier ones, and if any fails nothing changes. Options written before a command
  belong to it (e.g. "-- --may-exist ls-add sw0"); a leading "--" is allowed.

DAEMONS
`;
  for (const d of daemons) out += `  loom ${d.name} ${d.syntax}\n      ${d.summary}\n      e.g. ${d.example}\n`;
  for (const [group, specs] of groups(nb)) {
    out += `\n${group.toUpperCase()}\n`;
    for (const s of specs) out += commandBlock(s, 'loom ');
  }
  out += '\nSOUTHBOUND COMMANDS (loom sb ...)\n';
  for (const s of sb.filter((x) => x.group === 'Southbound Commands')) out += commandBlock(s, 'loom sb ');
  out += '  list, find, get, set, add, remove, clear, create, destroy on any southbound table\n      e.g. loom sb find Port_Binding type=patch\n';
  out += `
GLOBAL OPTIONS
  --db=URL              database to talk to (default: $LOOM_NB, then http://127.0.0.1:6641;
                        for "loom sb": $LOOM_SB, then http://127.0.0.1:6642)
  --wait=none|sb|hv     after a change, wait until northd has compiled it (sb) or every
                        hypervisor has applied it (hv): bumps NB_Global nb_cfg and waits
                        for sb_cfg / hv_cfg to reach it
  --timeout=SECS        give up after SECS seconds (default: no limit)
  --may-exist, --if-exists
                        written before a command, as ovn-nbctl: accept an existing
                        object / a missing one
  --format=list|table|csv|json
                        output format of list and find (default list)
  --json                JSON output, and errors as JSON objects
  --columns=COL[,COL]   columns list and find print
  --bare                values only (no names, quotes or brackets)
  --no-headings         no column headings in table and csv formats
  -h, --help            this text; "loom COMMAND --help" for one command
  --detach [--db=URL] [--pidfile[=FILE]] [--log-file[=FILE]]
                        start a resident client in the background and print its control
                        socket (as ovn-nbctl --detach); with LOOM_NB_DAEMON set to it,
                        each loom command is handed to it instead of starting node:
                            export LOOM_NB_DAEMON=$(loom --detach)
                        it uses --db (or LOOM_NB, LOOM_SB) as they were when it started,
                        unless a command gives --db; stop it with kill (the number in
                        the socket name is its pid)

DATABASE VALUES
  Sets: a,b or [a,b]; maps: {k=v,k2=v2}; map keys: COL:KEY=VALUE; strings may be
  "double quoted"; --id=@name on create (or get) names a row for later commands of the
  same invocation, e.g.
      loom -- --id=@p create Logical_Switch_Port name=p9 -- add Logical_Switch sw0 ports @p

ENVIRONMENT
  LOOM_NB   northbound database URL (default http://127.0.0.1:6641)
  LOOM_SB   southbound database URL (default http://127.0.0.1:6642)
  LOOM_RUNDIR
            where loom northd puts its control socket (loom-northd.PID.ctl) and where
            loom appctl -t northd looks for it (default: the temp directory, /tmp)
  LOOM_NB_DAEMON
            control socket of a resident client (loom --detach): commands other than
            daemons go to it (bin/loom forwards with nc -U; node is not started)
  NODE_EXTRA_CA_CERTS
            dropped by the loom launcher unless an https:// URL is in play: node would
            parse that whole certificate file at every start-up

EXIT STATUS
  0  success
  1  a command failed, or the database refused the transaction: "loom: MESSAGE" and a
     hint line on stderr (with --json: the structured error object on stdout); nothing
     was changed
  2  usage error of a daemon
`;
  return out;
}

export function commandHelp(spec: CommandSpec, prefix = 'loom '): string {
  let out = `usage: ${prefix}${usageLine(spec)}\n\n  ${spec.summary}\n`;
  if (spec.options.length > 0) out += `\noptions:\n${spec.options.map((o) => `  ${o}\n`).join('')}`;
  out += `\nexample:\n  ${prefix}${spec.example}\n`;
  return out;
}

export function daemonHelp(d: DaemonHelp): string {
  return `usage: loom ${d.name} ${d.syntax}\n\n  ${d.summary}\n\nexample:\n  ${d.example}\n`;
}
