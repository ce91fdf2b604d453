/**
 * CPU cost of one pod create inside the API server, without the noise of a full benchmark:
 * `tsc -p bench/tsconfig.json && node .bench/bench/create-cpu.js` (add `--cpu-prof` for a
 * profile). Starts one real etcd (Debian's, /dev/shm) and the API server in this process, then
 * measures this process's CPU (process.cpuUsage) per create, three ways:
 *
 * 1. registry, dryRun: defaulting, admission, validation, managedFields — everything but the
 *    write;
 * 2. registry, stored: the same plus the etcd transaction and the watch cache taking the event;
 * 3. updates of the stored pods through the registry (the update path: one annotation changed
 *    per update): `patch` (merge patch), `json` (JSON patch), `strategic` (strategic merge
 *    patch), `apply` (server-side apply of the annotation by a second manager), `put` (update
 *    with the object the previous update returned, as a read-modify-write client sends it);
 * 4. gRPC door and REST door (a client in this process too, so its cost is included; the
 *    difference between the doors is what matters): creates (`grpc`, `rest`), and the REST
 *    door's merge patch and PUT of the stored pods (`rest-patch`, `rest-put`; issue 5's watch
 *    load sends the merge patch).
 *
 * CREATE_CPU_PODS (default 3000) creates per round, CREATE_CPU_CLIENTS (50) concurrent,
 * CREATE_CPU_ROUNDS (3) rounds per phase (the minimum is the figure least disturbed by other
 * processes), CREATE_CPU_PHASES (dry,stored,patch,json,strategic,apply,put,grpc,rest,rest-patch,
 * rest-put) picks the phases; the update phases need `stored` (they update its pods).
 * CREATE_CPU_PROFILE=<phase> writes a CPU profile of that phase's last round alone to
 * `create-cpu-<phase>.cpuprofile` in the working directory (open in Chrome DevTools).
 * CREATE_CPU_HEAP=<phase> samples that round's allocations instead (V8's sampling heap profiler
 * with the objects minor and major GCs collected included, so it counts what was allocated, not
 * what survived) into `create-cpu-<phase>.heapprofile`, and prints the bytes allocated per op.
 */
import { writeFileSync } from 'node:fs';
import { request, Agent } from 'node:http';
import { Session } from 'node:inspector/promises';
import { customResourceSupport } from '../src/cli/run.js';
import { startApiServer } from '../src/server.js';
import { startEtcd } from '../test/helpers/etcd.js';
import { call as grpcCall, json, resourcesClient } from '../test/helpers/grpc.js';
import { testServerOptions } from '../test/helpers/server-options.js';
import type { ApiObject } from '../src/storage/codec.js';

const PODS = Number(process.env.CREATE_CPU_PODS ?? 3000);
const CLIENTS = Number(process.env.CREATE_CPU_CLIENTS ?? 50);
const ROUNDS = Number(process.env.CREATE_CPU_ROUNDS ?? 3);
const PHASES = (
  process.env.CREATE_CPU_PHASES ??
  'dry,stored,patch,json,strategic,apply,put,grpc,rest,rest-patch,rest-put'
).split(',');
const PROFILE = process.env.CREATE_CPU_PROFILE ?? '';
const HEAP = process.env.CREATE_CPU_HEAP ?? '';
const NS = 'bench';

function pod(name: string): ApiObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS, labels: { app: 'bench', shard: name.slice(-1) } },
    spec: {
      containers: [
        {
          name: 'app',
          image: 'registry.k8s.io/pause:3.9',
          resources: { requests: { cpu: '10m', memory: '16Mi' } },
        },
      ],
    },
  };
}

/** Runs a phase ROUNDS times; prints every round's CPU per create and the minimum. */
async function phase(label: string, op: (name: string) => Promise<void>): Promise<void> {
  if (!PHASES.includes(label.split(' ')[0]!)) return;
  const results: number[] = [];
  const name = label.split(' ')[0]!;
  for (let r = 0; r < ROUNDS; r++) {
    const tag = `${name}-${r}`;
    const last = r === ROUNDS - 1;
    const profiled = PROFILE === name && last ? await startProfile() : undefined;
    const sampled = HEAP === name && last ? await startHeapSampling() : undefined;
    results.push(await drive(PODS, (i) => op(`${tag}-${i}`)));
    if (profiled) await profiled(`create-cpu-${name}.cpuprofile`);
    if (sampled) {
      const bytes = await sampled(`create-cpu-${name}.heapprofile`);
      console.log(`${name}: ${(bytes / PODS / 1024).toFixed(1)} KiB allocated per op (sampled)`);
    }
  }
  console.log(
    `${label.padEnd(32)} ${Math.min(...results).toFixed(3)} ms CPU per op (rounds: ${results
      .map((r) => r.toFixed(3))
      .join(', ')})`,
  );
}

/** Starts the V8 profiler; the returned function stops it and writes the profile. */
async function startProfile(): Promise<(file: string) => Promise<void>> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async (file) => {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  };
}

/**
 * Starts V8's sampling heap profiler (every 8 KiB on average) counting collected objects too;
 * the returned function stops it, writes the profile and returns the sampled bytes in total.
 */
async function startHeapSampling(): Promise<(file: string) => Promise<number>> {
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.enable');
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 8192,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  return async (file) => {
    const { profile } = await session.post('HeapProfiler.stopSampling');
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
    let total = 0;
    const walk = (n: typeof profile.head): void => {
      total += n.selfSize;
      n.children.forEach(walk);
    };
    walk(profile.head);
    return total;
  };
}

async function drive(total: number, op: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const t0 = process.cpuUsage();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      for (;;) {
        const i = next++;
        if (i >= total) return;
        await op(i);
      }
    }),
  );
  const d = process.cpuUsage(t0);
  return (d.user + d.system) / 1000 / total;
}

async function main(): Promise<void> {
  const etcd = await startEtcd();
  const server = await startApiServer({
    ...testServerOptions([etcd.endpoint]),
    customResources: customResourceSupport,
    grpcPort: 0,
  });
  try {
    const catalog = server.catalog;
    await catalog.get('', 'namespaces')!.create(undefined, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: NS },
    });
    const pods = catalog.get('', 'pods')!;
    const opts = { userAgent: 'bench/1.0' };
    // Warm-up (JIT), not measured.
    await drive(500, async (i) => {
      await pods.create(NS, pod(`warm-${i}`), { ...opts, dryRun: true });
    });
    await phase('dry (registry, dryRun)', async (name) => {
      await pods.create(NS, pod(name), { ...opts, dryRun: true });
    });
    await phase('stored (registry)', async (name) => {
      await pods.create(NS, pod(name), opts);
    });
    // Updates of pods made by the stored phase (the update path: guaranteed update from the
    // watch cache's copy, admission, validation, managedFields, a compare-and-swap); each
    // changes one annotation, as issue 5's watch load does.
    let n = 0;
    const target = (): string => `stored-0-${n++ % PODS}`;
    await phase('patch (registry, merge patch)', async () => {
      await pods.patch(
        NS,
        target(),
        'merge',
        { metadata: { annotations: { 'bench/n': String(n) } } },
        opts,
      );
    });
    await phase('json (registry, JSON patch)', async () => {
      await pods.patch(
        NS,
        target(),
        'json',
        [{ op: 'add', path: '/metadata/annotations/bench~1n', value: String(n) }],
        opts,
      );
    });
    await phase('strategic (registry, SMP)', async () => {
      await pods.patch(
        NS,
        target(),
        'strategic',
        { metadata: { annotations: { 'bench/n': String(n) } } },
        opts,
      );
    });
    await phase('apply (registry, apply)', async () => {
      const name = target();
      await pods.patch(
        NS,
        name,
        'apply',
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name, namespace: NS, annotations: { 'bench/applied': String(n) } },
        },
        { ...opts, fieldManager: 'bench-apply' },
      );
    });
    // PUT sends back the object it last got (a read-modify-write client), one annotation changed.
    const last = new Map<string, ApiObject>();
    const latest = async (name: string): Promise<ApiObject> =>
      last.get(name) ?? (await pods.get(NS, name));
    await phase('put (registry, update)', async () => {
      const name = target();
      const obj = await latest(name);
      obj.metadata = {
        ...obj.metadata,
        annotations: { ...obj.metadata?.annotations, 'bench/n': String(n) },
      };
      last.set(name, (await pods.update(NS, name, obj, opts)).object);
    });
    const client = resourcesClient(server.grpcAddress!);
    const ref = { group: '', version: 'v1', resource: 'pods', namespace: NS };
    await phase('grpc (door + client)', async (name) => {
      await grpcCall(client, 'Create', { ref, object: json(pod(name)) });
    });
    client.close();
    const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
    const url = `${server.url}/api/v1/namespaces/${NS}/pods`;
    await phase(
      'rest (door + client)',
      (name) =>
        new Promise<void>((resolve, reject) => {
          const body = JSON.stringify(pod(name));
          const req = request(
            url,
            { method: 'POST', agent, headers: { 'content-type': 'application/json' } },
            (res) => {
              res.resume();
              res.on('end', () =>
                res.statusCode === 201 ? resolve() : reject(new Error(`${res.statusCode}`)),
              );
            },
          );
          req.on('error', reject);
          req.end(body);
        }),
    );
    const send = (
      method: string,
      path: string,
      contentType: string,
      body: string,
      parse = false,
    ): Promise<ApiObject | undefined> =>
      new Promise<ApiObject | undefined>((resolve, reject) => {
        const req = request(
          `${server.url}${path}`,
          { method, agent, headers: { 'content-type': contentType } },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              if (res.statusCode !== 200) {
                reject(new Error(`${res.statusCode}: ${Buffer.concat(chunks).toString()}`));
                return;
              }
              // Only PUT needs the answer (its next body); the patch client drops it.
              resolve(
                parse ? (JSON.parse(Buffer.concat(chunks).toString()) as ApiObject) : undefined,
              );
            });
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    await phase('rest-patch (door + client)', async () => {
      const name = target();
      await send(
        'PATCH',
        `/api/v1/namespaces/${NS}/pods/${name}`,
        'application/merge-patch+json',
        JSON.stringify({ metadata: { annotations: { 'bench/n': String(n) } } }),
      );
    });
    last.clear();
    await phase('rest-put (door + client)', async () => {
      const name = target();
      const obj = await latest(name);
      obj.metadata = {
        ...obj.metadata,
        annotations: { ...obj.metadata?.annotations, 'bench/n': String(n) },
      };
      last.set(
        name,
        (await send(
          'PUT',
          `/api/v1/namespaces/${NS}/pods/${name}`,
          'application/json',
          JSON.stringify(obj),
          true,
        ))!,
      );
    });
    agent.destroy();
  } finally {
    await server.close();
    await etcd.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
