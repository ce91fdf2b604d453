/**
 * A probe preloaded into kubets-store members by put-timeline.ts (`node --import`): records the
 * process's GC pauses, the duration of every `fs.writeSync` (the WAL's inline `O_DSYNC` writes,
 * decision 0019) and, with PROBE_STALLS=1, every event-loop gap of more than 3 ms seen by a
 * 1 ms timer (which costs the member 1,000 wake-ups a second: diagnosis only). Times are epoch
 * milliseconds so they line up with the bench process's. Written to
 * `$PROBE_DIR/probe-<pid>.json` when the process exits. Nothing of this is in the product.
 */
import type * as NodeFs from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { Socket } from 'node:net';
import { PerformanceObserver, performance } from 'node:perf_hooks';

const fs = createRequire(import.meta.url)('node:fs') as typeof NodeFs;
const dir = process.env.PROBE_DIR;
/** [start epoch ms, duration ms] */
type Span = [number, number];
const gcs: Span[] = [];
const writes: Span[] = [];
const stalls: Span[] = [];
/** [epoch ms of a socket's 'data' event, ms from it to the next WAL write's start] */
const dataToWrite: Span[] = [];
let lastData = -1;
const epoch = (t: number): number => performance.timeOrigin + t;

new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcs.push([epoch(e.startTime), e.duration]);
}).observe({ entryTypes: ['gc'] });

// The last socket 'data' event before each WAL write: how long the member took from reading a
// message (a follower's MsgApp) to starting the write it asks for.
const emit = Reflect.get(Socket.prototype, 'emit') as (this: Socket, ...a: unknown[]) => boolean;
Socket.prototype.emit = function (
  this: Socket,
  event: string | symbol,
  ...args: unknown[]
): boolean {
  if (event === 'data') lastData = performance.now();
  return emit.call(this, event, ...args);
};

const writeSync = fs.writeSync;
fs.writeSync = function (this: unknown, ...args: unknown[]): number {
  const t = performance.now();
  try {
    return (writeSync as (...a: unknown[]) => number).apply(this, args);
  } finally {
    // fd 1 and 2 are the log.
    if (typeof args[0] === 'number' && args[0] > 2) {
      writes.push([epoch(t), performance.now() - t]);
      if (lastData >= 0) dataToWrite.push([epoch(lastData), t - lastData]);
      lastData = -1;
    }
  }
};
// The store imports `writeSync` by name: make the ES module binding follow the patch.
syncBuiltinESMExports();

if (process.env.PROBE_STALLS === '1') {
  let last = performance.now();
  setInterval(() => {
    const now = performance.now();
    if (now - last > 3) stalls.push([epoch(last), now - last]);
    last = now;
  }, 1).unref();
}

let written = false;
const dump = (): void => {
  if (written || dir === undefined) return;
  written = true;
  fs.writeFileSync(
    `${dir}/probe-${process.pid}.json`,
    JSON.stringify({ pid: process.pid, gcs, writes, stalls, dataToWrite }),
  );
};
process.on('exit', dump);
