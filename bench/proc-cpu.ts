// bench/proc-cpu.ts — the CPU a process has used, from /proc/PID/stat (utime + stime), for
// benches that time processes they spawned (nbdb, sbdb, northd, the datapath).
// Linux reports those in clock ticks of USER_HZ, 100 a second on every platform it builds
// for; a process that is gone reads as NaN.
import { readFileSync } from 'node:fs';

/** CPU ms (user + system) process `pid` has used so far; NaN once it is gone (or never had a pid). */
export function processCpuMs(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return NaN;
  }
  // fields after the command name, which is in parentheses and may hold spaces
  const f = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}
