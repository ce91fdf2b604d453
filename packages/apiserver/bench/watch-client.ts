/**
 * Holds many API watches in its own process (forked by apiserver-bench.ts) so reading thousands
 * of event streams does not slow the driver down. Each MODIFIED event carries the time its update
 * was sent (annotation `bench/sent-at`, epoch ms); the delivery latency of every event at every
 * watcher goes into a 0.1 ms histogram the driver merges.
 *
 * IPC: `open` {url, path, count} -> `ready` once every watch has its response headers;
 * `report` -> {received, errors, buckets: [bucket, count][], firstLast: [sentAt, first, last][]};
 * `stop` closes everything.
 */
import { request, type ClientRequest } from 'node:http';

interface Open {
  type: 'open';
  url: string;
  path: string;
  count: number;
}

const BUCKET_MS = 0.1;
const MAX_BUCKET = 600_000; // 60 s
const histogram = new Uint32Array(MAX_BUCKET + 1);
let received = 0;
/** Per update (its sent-at text): first and last time any watch here received it. */
const spread = new Map<string, [number, number]>();
let errors = 0;
const requests: ClientRequest[] = [];
const MARKER = Buffer.from('"bench/sent-at":"');
const ERROR = Buffer.from('{"type":"ERROR"');
/** Longest tail that can hold an incomplete marker plus its value. */
const TAIL = MARKER.length + 32;

const now = (): number => performance.timeOrigin + performance.now();

/**
 * Scans raw bytes for the sent-at annotation (native search, no UTF-8 decoding or JSON parsing:
 * the client must cost far less than the server it measures). Returns the unscanned tail.
 */
function scan(buf: Buffer): Buffer {
  const t = now();
  let from = 0;
  for (;;) {
    const at = buf.indexOf(MARKER, from);
    if (at < 0) break;
    const start = at + MARKER.length;
    const end = buf.indexOf(0x22, start); // closing quote
    if (end < 0) return buf.subarray(at);
    received++;
    const key = buf.toString('latin1', start, end);
    const latency = t - Number(key);
    const seen = spread.get(key);
    if (seen) seen[1] = t;
    else spread.set(key, [t, t]);
    histogram[Math.min(MAX_BUCKET, Math.max(0, Math.round(latency / BUCKET_MS)))]!++;
    from = end + 1;
  }
  if (buf.indexOf(ERROR, 0) >= 0) errors++;
  return buf.length - from > TAIL ? buf.subarray(buf.length - TAIL) : buf.subarray(from);
}

function open(o: Open): void {
  let ready = 0;
  for (let i = 0; i < o.count; i++) {
    let rest: Buffer = Buffer.alloc(0);
    const req = request(o.url + o.path, { agent: false }, (res) => {
      if (++ready === o.count) process.send?.({ type: 'ready' });
      res.on('data', (chunk: Buffer) => {
        rest = scan(rest.length > 0 ? Buffer.concat([rest, chunk]) : chunk);
      });
      res.on('error', () => undefined);
    });
    req.on('error', () => {
      errors++;
    });
    req.end();
    requests.push(req);
  }
}

process.on('message', (m: Open | { type: 'report' | 'stop' }) => {
  if (m.type === 'open') open(m);
  else if (m.type === 'report') {
    const buckets: [number, number][] = [];
    for (let i = 0; i <= MAX_BUCKET; i++) if (histogram[i]! > 0) buckets.push([i, histogram[i]!]);
    const firstLast = [...spread.entries()].map(([k, [a, b]]) => [k, a, b]);
    process.send?.({ type: 'report', received, errors, buckets, firstLast });
  } else {
    for (const r of requests) r.destroy();
    process.exit(0);
  }
});
