import { cpus } from 'node:os';

/** Busy and total CPU time of the whole machine so far (every core, every process: workers, Postgres, the fakes). */
export function machineCpu(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const { times } of cpus()) {
    const all = times.user + times.nice + times.sys + times.irq + times.idle;
    total += all;
    busy += all - times.idle;
  }
  return { busy, total };
}

/** Share of the machine's CPU in use between two readings: near 100% means more processes cannot help. */
export function busyShare(before: { busy: number; total: number }, after: { busy: number; total: number }): number {
  return (after.busy - before.busy) / (after.total - before.total);
}
