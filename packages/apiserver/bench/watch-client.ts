/**
 * Holds many API watches in its own process (forked by apiserver-bench.ts) so reading thousands
 * of event streams does not slow the driver down. Each MODIFIED event carries the time its update
 * was sent (annotation `bench/sent-at`, epoch ms with 3 decimals); the delivery latency of every
 * event at every watcher goes into a 0.1 ms histogram the driver merges.
 *
 * The client must cost far less than the server it measures (they share the machine): it never
 * decodes or parses events, and touches each event's bytes about once. Per line it searches the
 * marker (found a few hundred bytes in, in the metadata) and then skips to the end of the line
 * with a byte search; nothing is copied except a few bytes when a marker straddles two reads.
 * A watch that ends before `stop` (an ERROR event closes it, as does a dropped slow watcher)
 * counts as an error. `watch-client.c` does the same natively and is the bench's default
 * (BENCH_WATCH_CLIENT=node picks this one); keep the two in step.
 *
 * With `encoding: 'protobuf'` the watches ask for `application/vnd.kubernetes.protobuf`: events
 * are length-prefixed frames, and the sent-at is the annotation's map entry in ObjectMeta
 * (`0a 0d "bench/sent-at" 12 <len> <value>`), searched within each frame.
 *
 * IPC: `open` {url, path, count, encoding} -> `ready` once every watch has its response headers;
 * `report` -> {received, errors, buckets: [bucket, count][], firstLast: [sentAt, first, last][],
 * cpu: process.cpuUsage()};
 * `stop` closes everything.
 */
import { request, type ClientRequest } from 'node:http';

interface Open {
  type: 'open';
  url: string;
  path: string;
  count: number;
  encoding?: 'json' | 'protobuf';
}

const BUCKET_MS = 0.1;
const MAX_BUCKET = 600_000; // 60 s
const histogram = new Uint32Array(MAX_BUCKET + 1);
let received = 0;
/** Body bytes and body reads ('data' events): bytes per event, events per read. */
let bytes = 0;
let reads = 0;
/** Per update (its sent-at in µs since the epoch): first and last time any watch here got it. */
const spread = new Map<number, [number, number]>();
let errors = 0;
let stopping = false;
const requests: ClientRequest[] = [];
const MARKER = Buffer.from('"bench/sent-at":"');
/** Bytes that must follow a marker's start to hold its value and closing quote. */
const TAIL = MARKER.length + 32;
const QUOTE = 0x22;
const SLASH = 0x2f;
/** Where the marker's slash sits in it (`"bench/`). */
const SLASH_AT = MARKER.indexOf(SLASH);
const LAST_BEFORE_SLASH = MARKER[SLASH_AT - 1]!;
const NEWLINE = 0x0a;

const now = (): number => performance.timeOrigin + performance.now();

/** Per watch: where the previous read left off. */
interface Conn {
  /** The current line's marker was counted: skip to its end. */
  skipLine: boolean;
  /** The end of the previous read, when it may hold the start of a marker. */
  carry: Buffer | undefined;
}

/** Records the value between `start` and the closing quote at `end` (digits and one '.'). */
function record(buf: Buffer, start: number, end: number, t: number): void {
  let micros = 0;
  for (let i = start; i < end; i++) {
    const c = buf[i]!;
    if (c >= 0x30 && c <= 0x39) micros = micros * 10 + (c - 0x30);
  }
  received++;
  const latency = t - micros / 1000;
  const seen = spread.get(micros);
  if (seen) seen[1] = t;
  else spread.set(micros, [t, t]);
  histogram[Math.min(MAX_BUCKET, Math.max(0, Math.round(latency / BUCKET_MS)))]!++;
}

/**
 * The next marker at or after `pos`, or -1. A multi-byte search sets up its tables on every
 * call, which dominated this client; a pod's first '/' in a line is almost always the marker's,
 * so a byte search (memchr) for '/' and a comparison is much cheaper.
 */
function findMarker(chunk: Buffer, pos: number): number {
  for (let from = pos + SLASH_AT; ;) {
    const slash = chunk.indexOf(SLASH, from);
    if (slash < 0) return -1;
    const at = slash - SLASH_AT;
    // A marker cut by the end of this read is carried by the caller.
    if (chunk.length - at < MARKER.length) return -1;
    // Cheap byte checks first (pods hold other slashes: images, tolerations, managed fields).
    if (
      chunk[at] === QUOTE &&
      chunk[slash - 1] === LAST_BEFORE_SLASH &&
      chunk.compare(MARKER, 0, MARKER.length, at, at + MARKER.length) === 0
    ) {
      return at;
    }
    from = slash + 1;
  }
}

function scan(conn: Conn, chunk: Buffer): void {
  const t = now();
  let pos = 0;
  if (conn.carry) {
    // A marker (or its value) may straddle the two reads: look at the seam only.
    const carried = conn.carry.length;
    const seam = Buffer.concat([conn.carry, chunk.subarray(0, TAIL)]);
    conn.carry = undefined;
    const at = seam.indexOf(MARKER);
    if (at >= 0) {
      const end = seam.indexOf(QUOTE, at + MARKER.length);
      if (end >= 0) {
        record(seam, at + MARKER.length, end, t);
        pos = Math.max(0, end + 1 - carried);
        conn.skipLine = true;
      }
    }
  }
  for (;;) {
    if (conn.skipLine) {
      const nl = chunk.indexOf(NEWLINE, pos);
      if (nl < 0) return;
      conn.skipLine = false;
      pos = nl + 1;
    }
    const at = findMarker(chunk, pos);
    if (at < 0) {
      // Keep what could be the beginning of a marker.
      const from = Math.max(pos, chunk.length - MARKER.length + 1);
      if (from < chunk.length) conn.carry = Buffer.from(chunk.subarray(from));
      return;
    }
    const end = chunk.indexOf(QUOTE, at + MARKER.length);
    if (end < 0) {
      conn.carry = Buffer.from(chunk.subarray(at));
      return;
    }
    record(chunk, at + MARKER.length, end, t);
    conn.skipLine = true;
    pos = end + 1;
  }
}

/** The annotation's map entry in a protobuf ObjectMeta: key (field 1), then the value's tag. */
const PB_MARKER = Buffer.concat([
  Buffer.from([0x0a, 0x0d]),
  Buffer.from('bench/sent-at'),
  Buffer.from([0x12]),
]);

/** Protobuf frames: 4-byte big-endian length, then the frame; the marker is searched per frame. */
function scanFrames(conn: { pending: Buffer }, chunk: Buffer): void {
  const t = now();
  let buf = conn.pending.length > 0 ? Buffer.concat([conn.pending, chunk]) : chunk;
  while (buf.length >= 4) {
    const len = buf.readUInt32BE(0);
    if (buf.length < 4 + len) break;
    const frame = buf.subarray(4, 4 + len);
    const at = frame.indexOf(PB_MARKER);
    if (at >= 0) {
      const start = at + PB_MARKER.length + 1;
      const valueLen = frame[at + PB_MARKER.length]!;
      if (valueLen > 0 && valueLen < 0x80 && start + valueLen <= frame.length) {
        record(frame, start, start + valueLen, t);
      }
    }
    buf = buf.subarray(4 + len);
  }
  conn.pending = Buffer.from(buf);
}

function open(o: Open): void {
  let ready = 0;
  const protobuf = o.encoding === 'protobuf';
  for (let i = 0; i < o.count; i++) {
    const conn: Conn = { skipLine: false, carry: undefined };
    const frames = { pending: Buffer.alloc(0) };
    const headers = {
      accept: protobuf ? 'application/vnd.kubernetes.protobuf' : 'application/json',
    };
    const req = request(o.url + o.path, { agent: false, headers }, (res) => {
      if (++ready === o.count) process.send?.({ type: 'ready' });
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        reads++;
        if (protobuf) scanFrames(frames, chunk);
        else scan(conn, chunk);
      });
      res.on('end', () => {
        if (!stopping) errors++;
      });
      res.on('error', () => undefined);
    });
    req.on('error', () => {
      if (!stopping) errors++;
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
    const firstLast = [...spread.entries()].map(([k, [a, b]]) => [k / 1000, a, b]);
    process.send?.({
      type: 'report',
      received,
      errors,
      bytes,
      reads,
      buckets,
      firstLast,
      cpu: process.cpuUsage(),
    });
  } else {
    stopping = true;
    for (const r of requests) r.destroy();
    process.exit(0);
  }
});
