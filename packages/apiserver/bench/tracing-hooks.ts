/**
 * `npx tsc -p bench/tsconfig.json && node .bench/bench/tracing-hooks.js`: nanoseconds the
 * tracing hooks add to one request when tracing is on but the request is not traced (sampling
 * rate 0, no caller context): the REST door wrapper, the wrapped guard, admission chain,
 * validation and etcd call, each against the bare call. With tracing off none of these
 * wrappers exists. Single process, no I/O: CPU time of a tight loop.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Metadata } from '@grpc/grpc-js';
import { samplesRootSpans, startTracing } from '@kubets/component-base';
import { builtinDefinitions } from '../src/cli/run.js';
import { RequestTracing, TRACER_NAME } from '../src/request/tracing.js';
import { allowAllGuard } from '../src/auth/types.js';
import type { AdmissionAttributes, AdmissionController } from '../src/admission/types.js';

const N = Number(process.env.BENCH_N ?? 200_000);

function time(label: string, fn: () => unknown, base?: number): number {
  for (let i = 0; i < 10_000; i++) fn(); // warm-up
  const start = process.cpuUsage();
  for (let i = 0; i < N; i++) fn();
  const used = process.cpuUsage(start);
  const ns = ((used.user + used.system) * 1000) / N;
  const extra = base === undefined ? '' : `  (+${(ns - base).toFixed(0)} ns)`;
  console.log(`${label.padEnd(44)} ${ns.toFixed(0).padStart(6)} ns/call${extra}`);
  return ns;
}

async function timeAsync(
  label: string,
  fn: () => Promise<unknown>,
  base?: number,
): Promise<number> {
  for (let i = 0; i < 10_000; i++) await fn();
  const start = process.cpuUsage();
  for (let i = 0; i < N; i++) await fn();
  const used = process.cpuUsage(start);
  const ns = ((used.user + used.system) * 1000) / N;
  const extra = base === undefined ? '' : `  (+${(ns - base).toFixed(0)} ns)`;
  console.log(`${label.padEnd(44)} ${ns.toFixed(0).padStart(6)} ns/call${extra}`);
  return ns;
}

async function main(): Promise<void> {
  const tracing = startTracing({
    serviceName: 'bench',
    env: {},
    registerGlobal: false,
    settings: { endpoint: '127.0.0.1:9', samplingRatePerMillion: 0 },
  });
  const rt = new RequestTracing(
    tracing.getTracer(TRACER_NAME),
    samplesRootSpans(tracing.config.sampler),
  );
  const req = {
    method: 'POST',
    url: '/api/v1/namespaces/default/configmaps?fieldManager=kubectl-create',
    headers: { 'user-agent': 'kubectl/v1.32.4' },
    httpVersion: '1.1',
    socket: { remoteAddress: '127.0.0.1' },
  } as unknown as IncomingMessage;
  const res = { statusCode: 200, once: () => res } as unknown as ServerResponse;
  let sink = 0;
  const handler = (): void => {
    sink++;
  };
  const door = rt.http(handler);
  const bare = time('REST handler, bare', () => handler());
  time('REST handler, tracing door (rate 0)', () => door(req, res), bare);

  const creds = { authorization: 'Bearer x' };
  const guard = rt.guard(allowAllGuard);
  const g0 = await timeAsync('authenticate, bare', () => allowAllGuard.authenticate(creds));
  await timeAsync('authenticate, wrapped', () => guard.authenticate(creds), g0);

  const chain: AdmissionController = {
    admit: () => Promise.resolve(),
    validate: () => Promise.resolve(),
  };
  const traced = rt.admission(chain);
  const attrs = { operation: 'CREATE' } as AdmissionAttributes;
  const a0 = await timeAsync('admission admit, bare', () => chain.admit(attrs));
  await timeAsync('admission admit, wrapped', () => traced.admit(attrs), a0);

  const def = builtinDefinitions().find((d) => d.plural === 'configmaps')!;
  const tdef = rt.definition(def);
  const obj = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'd' } };
  const ctx = {} as never;
  const v0 = time('strategy.validate, bare', () => def.strategy.validate(obj, ctx));
  time('strategy.validate, wrapped', () => tdef.strategy.validate(obj, ctx), v0);

  const txn = { compare: [{ key: Buffer.from('/registry/configmaps/d/x') }] };
  const e0 = await timeAsync('etcd call, bare', () => Promise.resolve(new Metadata()));
  await timeAsync(
    'etcd call, wrapped + inject',
    () => rt.etcdCall('txn', txn, () => Promise.resolve(rt.inject(new Metadata()))),
    e0,
  );
  await tracing.shutdown();
  if (sink < 0) console.log(sink);
}

await main();
