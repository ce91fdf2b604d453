/**
 * `npm run bench:watch-hub -w @kubets/store`: the member's own CPU for a watch fan-out, in one
 * process and without sockets: 1,000 watchers on one prefix over 10 streams, puts of 256-byte
 * values, every message encoded as the Watch service does (shared body, per-watcher head).
 * Commits land `BENCH_PER_TURN` to a turn of the loop (default: 1 and 10), the scheduler runs
 * between turns. Prints messages, events per message and CPU per put and per delivered event.
 *
 * KUBETS_STORE_DIST: another build's dist directory (an A/B against the branch point, e.g.
 * /work/main/packages/store/dist); default this package's build.
 */
import { pathToFileURL } from 'node:url';

const PUTS = Number(process.env.BENCH_PUTS ?? 2000);
const WATCHERS = Number(process.env.BENCH_WATCHERS ?? 1000);
const PER_TURN = (process.env.BENCH_PER_TURN ?? '1,10').split(',').map(Number);
const dist = process.env.KUBETS_STORE_DIST ?? new URL('../../dist', import.meta.url).pathname;

/** What the bench uses of a build, loaded at run time so that another build can be measured. */
interface Build {
  MvccStore: new () => {
    write(): { put(k: Buffer, v: Buffer, lease: bigint): void; end(): void };
  };
  WatchHub: new (
    store: unknown,
    opts: { schedule: (fn: () => void) => void },
  ) => {
    openStream(sink: { send(m: Message): boolean }): {
      watch(req: { range: { key: string; end: string }; startRevision: number }): number;
    };
  };
  watchEventsBody: (header: unknown, events: readonly unknown[], prevKv: boolean) => Buffer;
  watchResponseHead: (out: Buffer, id: number, length: number) => number;
  WATCH_HEAD_MAX: number;
  keyString: (b: Buffer) => string;
}

interface Message {
  watchId: number;
  revision: number;
  events: readonly unknown[];
  prevKv: boolean;
}

async function load(): Promise<Build> {
  const at = (p: string): string => pathToFileURL(`${dist}/${p}`).href;
  return {
    ...((await import(at('mvcc/store.js'))) as Pick<Build, 'MvccStore'>),
    ...((await import(at('watch/watch-hub.js'))) as Pick<Build, 'WatchHub'>),
    ...((await import(at('server/watch-encoding.js'))) as Pick<
      Build,
      'watchEventsBody' | 'watchResponseHead' | 'WATCH_HEAD_MAX'
    >),
    ...((await import(at('mvcc/kv.js'))) as Pick<Build, 'keyString'>),
  };
}

function run(b: Build, perTurn: number): void {
  const store = new b.MvccStore();
  const queue: Array<() => void> = [];
  const hub = new b.WatchHub(store, { schedule: (fn) => queue.push(fn) });
  const head = Buffer.allocUnsafe(b.WATCH_HEAD_MAX);
  // etcd.header()'s shape. With `revision` left out here, `{ ...header, revision }` below
  // adds a property to a spread, which V8 does ~1 µs slower than a plain copy: it swamped the
  // measurement.
  const header = {
    cluster_id: '14841639068965178418',
    member_id: '1027665774393297',
    revision: 0,
    raft_term: 5,
  };
  let messages = 0;
  let events = 0;
  const sink = {
    send(m: Message): boolean {
      if (m.events.length === 0) return true;
      const body = b.watchEventsBody({ ...header, revision: m.revision }, m.events, m.prevKv);
      b.watchResponseHead(head, m.watchId, body.length);
      messages++;
      events += m.events.length;
      return true;
    },
  };
  const streams = Array.from({ length: 10 }, () => hub.openStream(sink));
  const range = { key: b.keyString(Buffer.from('fan/')), end: b.keyString(Buffer.from('fan0')) };
  for (let i = 0; i < WATCHERS; i++) streams[i % 10]!.watch({ range, startRevision: 0 });
  const value = Buffer.alloc(256, 'x');
  let seq = 0;
  const puts = (n: number): void => {
    for (let i = 0; i < n; i++) {
      const t = store.write();
      t.put(Buffer.from(`fan/${seq++}`), value, 0n);
      t.end();
      if ((i + 1) % perTurn === 0) while (queue.length > 0) queue.shift()!();
    }
    while (queue.length > 0) queue.shift()!();
  };
  puts(200); // warm-up
  messages = 0;
  events = 0;
  const cpu0 = process.cpuUsage();
  puts(PUTS);
  const cpu = process.cpuUsage(cpu0);
  const us = cpu.user + cpu.system;
  console.log(
    `${perTurn} put(s) per turn: ${messages} messages, ${(events / messages).toFixed(1)} events per message, ` +
      `${(us / PUTS).toFixed(1)} µs per put, ${((us * 1000) / events).toFixed(0)} ns per event`,
  );
}

const build = await load();
console.log(`watch hub fan-out, ${WATCHERS} watchers / 10 streams, ${PUTS} puts, build ${dist}`);
for (const n of PER_TURN) run(build, n);
