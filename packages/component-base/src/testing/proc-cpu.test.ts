import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { processCpuSeconds, threadsCpuNs } from './proc-cpu.js';

const hasProc = existsSync(`/proc/${process.pid}/stat`);
if (!hasProc) console.warn('proc-cpu tests skipped: no /proc on this machine');

/** Uses `ms` of CPU (not wall time: a loaded machine may preempt the loop). */
function burn(ms: number): void {
  const start = process.cpuUsage();
  for (let i = 0; i < 1e8; i++) {
    const used = process.cpuUsage(start);
    if ((used.user + used.system) / 1000 >= ms) return;
  }
}

describe.skipIf(!hasProc)('CPU readers for benchmarks', () => {
  it('counts a process’s CPU time as it burns CPU, in seconds and in thread nanoseconds', () => {
    const seconds = processCpuSeconds(process.pid);
    const ns = threadsCpuNs(process.pid);
    burn(200);
    // Clock ticks are 10 ms: 200 ms of work shows as at least 0.1 s.
    expect(processCpuSeconds(process.pid) - seconds).toBeGreaterThanOrEqual(0.1);
    expect(threadsCpuNs(process.pid) - ns).toBeGreaterThanOrEqual(150e6);
  });

  it('answers 0 for a process it cannot read', () => {
    expect(processCpuSeconds(undefined)).toBe(0);
    expect(processCpuSeconds(2 ** 22 + 12345)).toBe(0);
  });
});
