import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU seconds (user + system) process `pid` has used so far, from `/proc/<pid>/stat`; 0 when it
 * cannot be read (the process ended, or no procfs). Benchmarks use it to report CPU per operation
 * of the processes they start, peers (etcd) included.
 */
export function processCpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // Fields after the command name (which may contain spaces and parentheses): utime is the
    // 14th field, stime the 15th, both in clock ticks (USER_HZ, 100 on Linux).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

const CLOCK_TICKS_PER_SECOND = 100;

/**
 * On-CPU nanoseconds of every thread of process `pid` (`/proc/<pid>/task/<tid>/schedstat`): finer
 * than clock ticks, for micro-benchmarks of short runs.
 */
export function threadsCpuNs(pid: number): number {
  let total = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // The thread ended meanwhile.
    }
  }
  return total;
}
