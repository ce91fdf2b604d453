/**
 * A probe preloaded into kubets-store members by put-hops.ts (`node --import`): records, on
 * CLOCK_MONOTONIC (µs, the same clock in every process on Linux), every socket `data` event and
 * every socket write (with the socket's local and remote ports, so put-hops can tell the client
 * connection from each peer's), the start and end of every `fs.writeSync` to a file (the WAL's
 * inline `O_DSYNC` writes), every GC pause and every timer callback (setTimeout / setInterval:
 * the Raft tick, the lease check). The events go into a preallocated Float64Array, so recording
 * allocates next to nothing on the member's heap. Written to `$PROBE_DIR/hops-<pid>.bin` (with a
 * JSON header) when the process exits. Diagnosis only; nothing of this is in the product.
 */
import type * as NodeFs from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { Socket } from 'node:net';
import { PerformanceObserver, performance } from 'node:perf_hooks';

const fs = createRequire(import.meta.url)('node:fs') as typeof NodeFs;
const dir = process.env.PROBE_DIR;

/** Event kinds (the second field of a record). */
export const DATA = 1;
export const WRITE = 2;
export const WAL_START = 3;
export const WAL_END = 4;
export const GC = 5;
export const TIMER = 6;
/** Fields per record: time µs, kind, local port, remote port, bytes (or duration µs). */
export const FIELDS = 5;

const CAPACITY = Number(process.env.PROBE_EVENTS ?? 2_000_000);
const ev = new Float64Array(CAPACITY * FIELDS);
let n = 0;

// performance.now() is uv_hrtime() (CLOCK_MONOTONIC) since the process's time origin; its
// monotonic value of that origin, so that offset + now() is CLOCK_MONOTONIC in µs.
const offsetUs = Number(process.hrtime.bigint()) / 1e3 - performance.now() * 1e3;
const nowUs = (): number => offsetUs + performance.now() * 1e3;

function record(t: number, kind: number, lp: number, rp: number, len: number): void {
  if (n >= CAPACITY) return;
  const o = n * FIELDS;
  ev[o] = t;
  ev[o + 1] = kind;
  ev[o + 2] = lp;
  ev[o + 3] = rp;
  ev[o + 4] = len;
  n++;
}

new PerformanceObserver((list) => {
  for (const e of list.getEntries())
    record(
      offsetUs + e.startTime * 1e3,
      GC,
      (Reflect.get(e, 'detail') as { kind?: number } | undefined)?.kind ?? 0,
      0,
      e.duration * 1e3,
    );
}).observe({ entryTypes: ['gc'] });

const emit = Reflect.get(Socket.prototype, 'emit') as (this: Socket, ...a: unknown[]) => boolean;
Socket.prototype.emit = function (
  this: Socket,
  event: string | symbol,
  ...args: unknown[]
): boolean {
  if (event === 'data')
    record(
      nowUs(),
      DATA,
      this.localPort ?? 0,
      this.remotePort ?? 0,
      (args[0] as Buffer | undefined)?.length ?? 0,
    );
  return emit.call(this, event, ...args);
};

type WriteGeneric = (this: Socket, writev: boolean, data: unknown, ...rest: unknown[]) => unknown;
const writeGeneric = Reflect.get(Socket.prototype, '_writeGeneric') as WriteGeneric;
Reflect.set(Socket.prototype, '_writeGeneric', function (
  this: Socket,
  writev: boolean,
  data: unknown,
  ...rest: unknown[]
): unknown {
  let len = 0;
  if (writev) for (const c of data as Array<{ chunk: Buffer }>) len += c.chunk.length;
  else len = (data as Buffer).length;
  record(nowUs(), WRITE, this.localPort ?? 0, this.remotePort ?? 0, len);
  return writeGeneric.call(this, writev, data, ...rest);
} as WriteGeneric);

const writeSync = fs.writeSync;
fs.writeSync = function (this: unknown, ...args: unknown[]): number {
  const file = typeof args[0] === 'number' && args[0] > 2;
  if (file) record(nowUs(), WAL_START, 0, 0, 0);
  try {
    return (writeSync as (...a: unknown[]) => number).apply(this, args);
  } finally {
    if (file) record(nowUs(), WAL_END, 0, 0, 0);
  }
};
syncBuiltinESMExports();

// Timer callbacks: start and duration.
for (const name of ['setTimeout', 'setInterval'] as const) {
  const orig = globalThis[name] as (fn: (...a: unknown[]) => void, ...r: unknown[]) => unknown;
  (globalThis as Record<string, unknown>)[name] = function (
    fn: (...a: unknown[]) => void,
    ...rest: unknown[]
  ): unknown {
    if (typeof fn !== 'function') return orig(fn, ...rest);
    return orig(
      function (this: unknown, ...a: unknown[]) {
        const t = nowUs();
        try {
          fn.apply(this, a);
        } finally {
          record(t, TIMER, 0, 0, nowUs() - t);
        }
      },
      ...rest,
    );
  };
}

let written = false;
const dump = (): void => {
  if (written || dir === undefined) return;
  written = true;
  fs.writeFileSync(`${dir}/hops-${process.pid}.bin`, ev.subarray(0, n * FIELDS));
};
process.on('exit', dump);

// PROBE_MARK=1: a line with the monotonic time in the member's output every 250 ms, to place
// V8's --trace-opt / --trace-deopt lines (which carry no time) on the timeline.
if (process.env.PROBE_MARK === '1')
  setInterval(() => process.stdout.write(`@@mark ${nowUs().toFixed(0)}\n`), 250).unref();
