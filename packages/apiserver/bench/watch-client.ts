/**
 * Holds many API watches in its own process (forked by apiserver-bench.ts) so parsing thousands
 * of event streams does not slow the driver down. Each MODIFIED event carries the time its update
 * was sent (annotation `bench/sent-at`, epoch ms); the delivery latency of every event at every
 * watcher goes into a 0.1 ms histogram the driver merges.
 *
 * IPC: `open` {url, path, count} -> `ready` once every watch has its response headers;
 * `report` -> {received, errors, buckets: [bucket, count][]}; `stop` closes everything.
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
let errors = 0;
const requests: ClientRequest[] = [];
const SENT_AT = /"bench\/sent-at":"([0-9.]+)"/;

const now = (): number => performance.timeOrigin + performance.now();

function onLine(line: string): void {
  if (line.length === 0) return;
  if (line.startsWith('{"type":"ERROR"')) {
    errors++;
    return;
  }
  if (!line.startsWith('{"type":"MODIFIED"')) return;
  const m = SENT_AT.exec(line);
  if (!m) return;
  received++;
  const latency = now() - Number(m[1]);
  histogram[Math.min(MAX_BUCKET, Math.max(0, Math.round(latency / BUCKET_MS)))]!++;
}

function open(o: Open): void {
  let ready = 0;
  for (let i = 0; i < o.count; i++) {
    let buf = '';
    const req = request(o.url + o.path, { agent: false }, (res) => {
      if (++ready === o.count) process.send?.({ type: 'ready' });
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let start = 0;
        let nl;
        while ((nl = buf.indexOf('\n', start)) >= 0) {
          onLine(buf.slice(start, nl));
          start = nl + 1;
        }
        buf = buf.slice(start);
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
    process.send?.({ type: 'report', received, errors, buckets });
  } else {
    for (const r of requests) r.destroy();
    process.exit(0);
  }
});
