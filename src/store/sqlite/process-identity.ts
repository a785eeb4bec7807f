import { existsSync, readFileSync } from 'node:fs';

/**
 * Who holds a SQLite session lock: a pid plus that process's start time, so a pid reused by a new process
 * after the holder died is not mistaken for the holder. (SQLite lives on one machine, so pids are meaningful.)
 */
export interface ProcessIdentity {
  pid: number;
  started: string;
}

/** Linux: field 22 of /proc/<pid>/stat, the start time in clock ticks after boot. Elsewhere: unknown (''). */
const HAS_PROC = existsSync('/proc/self/stat');

function startTimeOf(pid: number): string | null {
  if (!HAS_PROC) return '';
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: count fields after its closing ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    return '';
  }
}

export const currentProcess: ProcessIdentity = { pid: process.pid, started: startTimeOf(process.pid) ?? '' };

export function isAlive(holder: ProcessIdentity): boolean {
  const started = startTimeOf(holder.pid);
  if (started === null) return false;
  if (started !== '' && holder.started !== '') return started === holder.started;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
