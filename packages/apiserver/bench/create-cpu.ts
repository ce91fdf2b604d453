/**
 * CPU cost of one pod create inside the API server, without the noise of a full benchmark:
 * `tsc -p bench/tsconfig.json && node .bench/bench/create-cpu.js` (add `--cpu-prof` for a
 * profile). Starts one real etcd (Debian's, /dev/shm) and the API server in this process, then
 * measures this process's CPU (process.cpuUsage) per create, three ways:
 *
 * 1. registry, dryRun: defaulting, admission, validation, managedFields — everything but the
 *    write;
 * 2. registry, stored: the same plus the etcd transaction and the watch cache taking the event;
 * 3. registry merge patches of the stored pods (the update path);
 * 4. gRPC door and REST door (a client in this process too, so its cost is included; the
 *    difference between the doors is what matters).
 *
 * CREATE_CPU_PODS (default 3000) creates per round, CREATE_CPU_CLIENTS (50) concurrent,
 * CREATE_CPU_ROUNDS (3) rounds per phase (the minimum is the figure least disturbed by other
 * processes), CREATE_CPU_PHASES (dry,stored,patch,grpc,rest) picks the phases.
 */
import { request, Agent } from 'node:http';
import { customResourceSupport } from '../src/cli/run.js';
import { startApiServer } from '../src/server.js';
import { startEtcd } from '../test/helpers/etcd.js';
import { call as grpcCall, json, resourcesClient } from '../test/helpers/grpc.js';
import { testServerOptions } from '../test/helpers/server-options.js';
import type { ApiObject } from '../src/storage/codec.js';

const PODS = Number(process.env.CREATE_CPU_PODS ?? 3000);
const CLIENTS = Number(process.env.CREATE_CPU_CLIENTS ?? 50);
const ROUNDS = Number(process.env.CREATE_CPU_ROUNDS ?? 3);
const PHASES = (process.env.CREATE_CPU_PHASES ?? 'dry,stored,patch,grpc,rest').split(',');
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
  for (let r = 0; r < ROUNDS; r++) {
    const tag = `${label.split(' ')[0]!}-${r}`;
    results.push(await drive(PODS, (i) => op(`${tag}-${i}`)));
  }
  console.log(
    `${label.padEnd(28)} ${Math.min(...results).toFixed(3)} ms CPU per create (rounds: ${results
      .map((r) => r.toFixed(3))
      .join(', ')})`,
  );
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
    // Merge patches of pods made by the stored phase (the update path: guaranteed update from
    // the watch cache's copy, admission, validation, managedFields, a compare-and-swap).
    let patched = 0;
    await phase('patch (registry, merge patch)', async () => {
      const i = patched++ % PODS;
      await pods.patch(
        NS,
        `stored-0-${i}`,
        'merge',
        { metadata: { annotations: { 'bench/n': String(patched) } } },
        opts,
      );
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
