/**
 * The audit log with a real server on real etcd, driven by real kubectl: events as
 * audit.k8s.io/v1 JSON lines per the policy, the Audit-Id header, watches' ResponseStarted,
 * Secrets never in clear, and rotation of the file (the flags' code path: setupAuditLog).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupAuditLog, type AuditSetup } from '../src/audit/setup.js';
import type { AuditEvent } from '../src/audit/types.js';
import { startApiServer, type RunningApiServer } from '../src/server.js';
import { etcdMissingReason, startEtcd, type EtcdProcess } from './helpers/etcd.js';
import { KUBECTL, kubectlFor, type Kubectl } from './helpers/kubectl.js';
import { call, json, resourcesClient } from './helpers/grpc.js';
import { testServerOptions } from './helpers/server-options.js';

const skip = etcdMissingReason() ?? (KUBECTL ? undefined : 'kubectl not found');
if (skip) console.warn(`skipping audit log tests: ${skip}`);

const POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: None
  nonResourceURLs: ["/healthz*", "/readyz*", "/livez*", /version, "/openapi*", /api, /apis, "/apis/*", "/api/*"]
- level: RequestResponse
  verbs: [watch]
- level: RequestResponse
  resources:
  - group: ""
    resources: [configmaps, secrets]
- level: Metadata
`;

describe.skipIf(skip)('audit log', () => {
  let dir: string;
  let etcd: EtcdProcess;
  let server: RunningApiServer;
  let audit: AuditSetup;
  let kubectl: Kubectl;
  let logPath: string;

  const events = (): AuditEvent[] =>
    [dir, ...readdirSync(dir).filter((n) => /^audit-.*\.log$/.test(n))]
      .slice(1)
      .map((n) => join(dir, n))
      .concat([logPath])
      .flatMap((p) =>
        readFileSync(p, 'utf8')
          .split('\n')
          .filter((l) => l !== '')
          .map((l) => JSON.parse(l) as AuditEvent),
      );

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kubets-audit-'));
    logPath = join(dir, 'audit.log');
    writeFileSync(join(dir, 'policy.yaml'), POLICY);
    etcd = await startEtcd();
    audit = setupAuditLog({
      policyFile: join(dir, 'policy.yaml'),
      logPath,
      maxSizeMB: 1,
      maxBackups: 1,
    })!;
    server = await startApiServer({
      ...testServerOptions(etcd.endpoint),
      audit: audit.auditor,
      grpcPort: 0,
    });
    kubectl = kubectlFor(server.url);
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    audit?.close();
    await etcd?.stop();
    kubectl?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('logs kubectl requests by the policy as audit.k8s.io/v1 events', async () => {
    await kubectl.ok(['create', 'configmap', 'settings', '--from-literal=mode=fast']);
    await kubectl.ok(['get', 'pods']);
    const all = events();
    const create = all.find((e) => e.verb === 'create' && e.objectRef?.resource === 'configmaps')!;
    expect(create).toMatchObject({
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      level: 'RequestResponse',
      stage: 'ResponseComplete',
      requestURI: expect.stringMatching(/^\/api\/v1\/namespaces\/default\/configmaps\?/),
      user: { username: 'system:unsecured' },
      sourceIPs: ['127.0.0.1'],
      userAgent: expect.stringMatching(/^kubectl/),
      objectRef: {
        resource: 'configmaps',
        namespace: 'default',
        name: 'settings',
        apiVersion: 'v1',
      },
      responseStatus: { code: 201 },
      requestObject: { kind: 'ConfigMap', data: { mode: 'fast' } },
      responseObject: { kind: 'ConfigMap', metadata: { name: 'settings' } },
      annotations: { 'authorization.k8s.io/decision': 'allow' },
    });
    expect(create.requestReceivedTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    // RequestReceived is omitted by the policy; discovery is at None.
    expect(all.some((e) => e.stage === 'RequestReceived')).toBe(false);
    expect(all.some((e) => e.requestURI.startsWith('/api?') || e.requestURI === '/api')).toBe(
      false,
    );
    const list = all.find((e) => e.verb === 'list' && e.objectRef?.resource === 'pods')!;
    expect(list.level).toBe('Metadata');
    expect(list.responseObject).toBeUndefined();
  }, 60_000);

  it('answers with the Audit-Id of the logged event (and keeps a client-given one)', async () => {
    const res = await fetch(`${server.url}/api/v1/namespaces/default/configmaps/missing`);
    expect(res.status).toBe(404);
    const id = res.headers.get('audit-id')!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const ev = events().find((e) => e.auditID === id)!;
    expect(ev.responseStatus).toMatchObject({ code: 404, reason: 'NotFound' });
    const mine = await fetch(`${server.url}/api/v1/namespaces/default/pods`, {
      headers: { 'Audit-ID': 'my-trace-id' },
    });
    expect(mine.headers.get('audit-id')).toBe('my-trace-id');
    expect(events().some((e) => e.auditID === 'my-trace-id')).toBe(true);
  });

  it('never logs Secret data, whatever the level', async () => {
    await kubectl.ok(['create', 'secret', 'generic', 'db', '--from-literal=password=TOPSECRET-42']);
    await kubectl.ok(['get', 'secret', 'db', '-o', 'yaml']);
    await kubectl.ok(['get', 'secrets', '-o', 'json']);
    const text = readFileSync(logPath, 'utf8');
    expect(text).not.toContain('TOPSECRET-42');
    expect(text).not.toContain(Buffer.from('TOPSECRET-42').toString('base64'));
    const secretEvents = events().filter((e) => e.objectRef?.resource === 'secrets');
    expect(secretEvents.length).toBeGreaterThanOrEqual(3);
    for (const e of secretEvents) {
      expect(e.level).toBe('Metadata');
      expect(e.requestObject).toBeUndefined();
      expect(e.responseObject).toBeUndefined();
    }
    expect(secretEvents.find((e) => e.verb === 'create')!.objectRef?.name).toBe('db');
  }, 60_000);

  it('records watches at ResponseStarted and ResponseComplete', async () => {
    const res = await fetch(
      `${server.url}/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=1`,
    );
    const id = res.headers.get('audit-id');
    await res.text();
    await new Promise((r) => setTimeout(r, 200));
    const stages = events()
      .filter((e) => e.auditID === id)
      .map((e) => e.stage);
    // RequestReceived stays omitted: the policy's omitStages apply to every rule.
    expect(stages).toEqual(['ResponseStarted', 'ResponseComplete']);
  });

  it('records gRPC calls like REST requests, with the user and the object', async () => {
    const client = resourcesClient(server.grpcAddress!);
    try {
      const ref = { group: '', version: 'v1', resource: 'configmaps', namespace: 'default' };
      const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'via-grpc' } };
      await call(client, 'Create', { ref, object: json(cm) });
    } finally {
      client.close();
    }
    const ev = events().find(
      (e) => e.requestURI === '/kubets.api.v1.Resources/Create' && e.objectRef?.name === undefined,
    );
    expect(ev).toMatchObject({
      verb: 'create',
      stage: 'ResponseComplete',
      user: { username: 'system:unsecured' },
      objectRef: { resource: 'configmaps', namespace: 'default' },
      responseStatus: { code: 201 },
    });
  });

  it("carries admission's audit annotations (PodSecurity audit mode) on the request's event", async () => {
    await kubectl.ok(['create', 'namespace', 'audited']);
    await kubectl.ok([
      'label',
      'namespace',
      'audited',
      'pod-security.kubernetes.io/audit=restricted',
    ]);
    await kubectl.ok(['run', 'loose', '-n', 'audited', '--image=busybox', '--restart=Never']);
    const ev = events().find(
      (e) =>
        e.verb === 'create' &&
        e.objectRef?.resource === 'pods' &&
        e.objectRef.namespace === 'audited' &&
        e.stage === 'ResponseComplete',
    );
    expect(ev?.annotations?.['pod-security.kubernetes.io/audit-violations']).toMatch(
      /would violate PodSecurity "restricted:latest"/,
    );
  }, 60_000);

  it('rotates the file at --audit-log-maxsize and keeps --audit-log-maxbackup files', async () => {
    const big = 'x'.repeat(300 * 1024);
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${server.url}/api/v1/namespaces/default/configmaps`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: `big-${i}` },
          data: { big },
        }),
      });
      expect(res.status).toBe(201);
    }
    const files = readdirSync(dir).filter((n) => n.startsWith('audit'));
    const backups = files.filter((n) =>
      /^audit-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}\.log$/.test(n),
    );
    expect(backups).toHaveLength(1);
    expect(files).toContain('audit.log');
    for (const f of files) {
      expect(readFileSync(join(dir, f)).length).toBeLessThanOrEqual(1024 * 1024);
    }
    // The newest event is in the current file.
    const last = readFileSync(logPath, 'utf8').trim().split('\n').pop()!;
    expect((JSON.parse(last) as AuditEvent).objectRef?.name).toBe('big-3');
  }, 60_000);
});
