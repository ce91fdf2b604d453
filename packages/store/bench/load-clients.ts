/**
 * put-bench's load generator behind one interface, used identically for both systems:
 * `lean` (the default: lean-kv.ts and lean-watch.ts, hand-encoded messages over component-base's
 * and a minimal HTTP/2 client) or `etcd3` (the npm etcd3 client, the benchmark's load generator
 * before decision 0044, kept for comparison). BENCH_CLIENT picks one.
 *
 * The load generator shares the 2-core machine with the members it measures: with etcd3 the
 * watch fan-out's watchers cost about 5 µs of CPU per delivered event, more than a member spends
 * per put, so the benchmark measured its own client as much as the servers (decision 0044).
 */
import { Etcd3 } from 'etcd3';
import { LeanKv } from './lean-kv.js';
import { startLeanWatchers } from './lean-watch.js';

/** One client's operations (keys as strings, as the workloads name them). */
export interface KvClient {
  put(key: string, value: Buffer): Promise<unknown>;
  get(key: string, serializable: boolean): Promise<unknown>;
}

export interface WatchOptions {
  endpoints: string[];
  prefix: string;
  watchers: number;
  /** Watch streams the watchers are spread over (etcd3: one client, one stream each). */
  streams: number;
  /** Watcher `watcher` got the put of key `prefix` + `seq`. */
  onPut(watcher: number, seq: number): void;
  /** The watches failed after they were created. */
  onError(err: Error): void;
}

export interface LoadClient {
  readonly name: 'lean' | 'etcd3';
  /** `n` clients, each given every member's endpoint; connected (one get each) when resolved. */
  kvClients(endpoints: string[], n: number): Promise<{ clients: KvClient[]; close(): void }>;
  /** The watches of `o.prefix`, every one of them created when resolved. */
  watch(o: WatchOptions): Promise<{ close(): void; eventMessages?(): number }>;
}

const lean: LoadClient = {
  name: 'lean',
  async kvClients(endpoints, n) {
    // One connection per member for all the clients (see lean-kv.ts).
    const kv = new LeanKv(endpoints);
    const client: KvClient = {
      put: (key, value) => kv.put(Buffer.from(key), value),
      get: (key, serializable) => kv.get(Buffer.from(key), serializable),
    };
    const clients = Array.from({ length: n }, () => client);
    try {
      await Promise.all(clients.map((c) => c.get('warmup', false)));
    } catch (err) {
      kv.close();
      throw err;
    }
    return { clients, close: () => kv.close() };
  },
  watch: (o) => startLeanWatchers(o),
};

const etcd3: LoadClient = {
  name: 'etcd3',
  async kvClients(endpoints, n) {
    const etcds = Array.from({ length: n }, () => new Etcd3({ hosts: endpoints }));
    const clients = etcds.map((c): KvClient => ({
      put: (key, value) => c.put(key).value(value).exec(),
      get: (key, serializable) =>
        serializable ? c.kv.range({ key: Buffer.from(key), serializable }) : c.get(key).buffer(),
    }));
    await Promise.all(etcds.map((c) => c.get('warmup').string()));
    return { clients, close: () => etcds.forEach((c) => c.close()) };
  },
  async watch(o) {
    const etcds = Array.from({ length: o.streams }, () => new Etcd3({ hosts: o.endpoints }));
    const close = (): void => etcds.forEach((c) => c.close());
    try {
      await Promise.all(
        Array.from({ length: o.watchers }, async (_, i) => {
          const w = await etcds[i % etcds.length]!.watch().prefix(o.prefix).create();
          w.on('put', (kv) => o.onPut(i, Number(kv.key.toString().slice(o.prefix.length))));
          w.on('error', (err) => o.onError(err));
        }),
      );
    } catch (err) {
      close();
      throw err;
    }
    return { close };
  },
};

/** BENCH_CLIENT: `lean` (default) or `etcd3`. */
export function loadClient(name = process.env.BENCH_CLIENT ?? 'lean'): LoadClient {
  if (name === 'lean') return lean;
  if (name === 'etcd3') return etcd3;
  throw new Error(`BENCH_CLIENT=${name}: use lean or etcd3`);
}
