/**
 * Admission webhooks against real HTTPS webhook servers started here (127.0.0.1, self-signed
 * certificates as caBundle), a kubets API server on real etcd, and the real kubectl: mutation
 * visible to `kubectl get`, denials on kubectl's stderr, timeouts and unreachable webhooks under
 * both failure policies, selectors and rules that keep a webhook from ever being called, dryRun
 * and sideEffects, warnings, reinvocation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etcdMissingReason, freePort } from './helpers/etcd.js';
import { apiRequest, startTestCluster, type TestCluster } from './helpers/apiserver.js';
import { KUBECTL, kubectlFor, type Kubectl } from './helpers/kubectl.js';
import { OPENSSL } from './helpers/pki.js';
import { ValidatingWebhookPlugin } from '../src/admission/webhook/dispatcher.js';
import { WebhookSource } from '../src/admission/webhook/source.js';
import { attrsFor } from '../src/admission/testing.js';
import {
  makeCertificate,
  startWebhookServer,
  type ReviewRequest,
  type WebhookServer,
} from './helpers/webhook-server.js';

const skip =
  etcdMissingReason() ??
  (KUBECTL ? undefined : 'kubectl not found on PATH') ??
  (OPENSSL ? undefined : 'openssl not found on PATH');
if (skip) console.warn(`skipping admission webhook tests: ${skip}`);

let cluster: TestCluster;
let hooks: WebhookServer;
let k: Kubectl;

const api = (method: string, path: string, body?: unknown) =>
  apiRequest(cluster.url, method, path, body);

async function namespace(name: string, labels: Record<string, string> = {}): Promise<void> {
  const r = await api('POST', '/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: { scenario: name, ...labels } },
  });
  expect(r.status).toBe(201);
}

type Hook = Record<string, unknown>;

function hook(name: string, path: string, extra: Hook = {}): Hook {
  return {
    name,
    clientConfig: { url: `${hooks.url}${path}`, caBundle: hooks.caBundle },
    rules: [
      {
        operations: ['CREATE', 'UPDATE'],
        apiGroups: [''],
        apiVersions: ['v1'],
        resources: ['configmaps'],
      },
    ],
    sideEffects: 'None',
    admissionReviewVersions: ['v1'],
    ...extra,
  };
}

async function configure(
  kind: 'Mutating' | 'Validating',
  name: string,
  webhooks: Hook[],
): Promise<void> {
  const plural =
    kind === 'Mutating' ? 'mutatingwebhookconfigurations' : 'validatingwebhookconfigurations';
  const r = await api('POST', `/apis/admissionregistration.k8s.io/v1/${plural}`, {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: `${kind}WebhookConfiguration`,
    metadata: { name },
    webhooks,
  });
  if (r.status !== 201) throw new Error(JSON.stringify(r.body));
}

const onlyIn = (scenario: string): Hook => ({
  namespaceSelector: { matchLabels: { scenario } },
});

async function getConfigMap(ns: string, name: string) {
  return api('GET', `/api/v1/namespaces/${ns}/configmaps/${name}`);
}

describe.skipIf(skip)('admission webhooks over HTTPS', () => {
  beforeAll(async () => {
    hooks = await startWebhookServer((path, req: ReviewRequest) => {
      const obj = req.object as { metadata?: { name?: string; labels?: Record<string, string> } };
      switch (path) {
        case '/mutate':
          return {
            allowed: true,
            patch: [
              obj.metadata?.labels
                ? { op: 'add', path: '/metadata/labels/mutated', value: 'yes' }
                : { op: 'add', path: '/metadata/labels', value: { mutated: 'yes' } },
              { op: 'add', path: '/data', value: { injected: 'by-webhook' } },
            ],
            warnings: ['mutated by the test webhook'],
          };
        case '/deny':
          return obj.metadata?.name?.startsWith('bad-')
            ? {
                allowed: false,
                status: {
                  code: 403,
                  reason: 'Forbidden',
                  message: 'names starting with bad- are not allowed',
                },
              }
            : { allowed: true };
        case '/scale': {
          const replicas = (req.object as { spec?: { replicas?: number } }).spec?.replicas ?? 0;
          return req.kind.kind === 'Scale' && replicas > 3
            ? {
                allowed: false,
                status: { code: 422, message: `at most 3 replicas, not ${replicas}` },
              }
            : { allowed: true };
        }
        case '/slow':
          return { allowed: true, delayMs: 3000 };
        case '/first':
          // Reinvoked after /second changes the object: sees second=yes the second time.
          return obj.metadata?.labels?.first
            ? { allowed: true }
            : {
                allowed: true,
                patch: [
                  {
                    op: 'add',
                    path: '/metadata/labels',
                    value: { ...(obj.metadata?.labels ?? {}), first: 'yes' },
                  },
                ],
              };
        case '/second':
          return obj.metadata?.labels?.second
            ? { allowed: true }
            : {
                allowed: true,
                patch: [{ op: 'add', path: '/metadata/labels/second', value: 'yes' }],
              };
        default:
          return { allowed: true };
      }
    });
    cluster = await startTestCluster({ admission: { webhookConfigTTLMs: 60_000 } });
    k = kubectlFor(cluster.url);
  }, 60_000);

  afterAll(async () => {
    await cluster?.stop();
    await hooks?.stop();
    k?.cleanup();
  });

  it('applies a mutating webhook JSONPatch; kubectl get shows it and the warning reaches kubectl', async () => {
    await namespace('mutate');
    await configure('Mutating', 'mutate', [
      hook('mutate.kubets.test', '/mutate', onlyIn('mutate')),
    ]);
    const r = await k.run(['-n', 'mutate', 'create', 'configmap', 'm1', '--from-literal=a=b']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('Warning: mutated by the test webhook');
    const got = await k.run([
      '-n',
      'mutate',
      'get',
      'configmap',
      'm1',
      '-o',
      'jsonpath={.metadata.labels.mutated} {.data.injected}',
    ]);
    expect(got.stdout).toBe('yes by-webhook');
    const seen = hooks.calls.get('/mutate')!.at(-1)!;
    expect(seen.operation).toBe('CREATE');
    expect(seen.kind).toEqual({ group: '', version: 'v1', kind: 'ConfigMap' });
    expect(seen.resource).toEqual({ group: '', version: 'v1', resource: 'configmaps' });
    expect(seen.namespace).toBe('mutate');
    expect(seen.userInfo.username).toBe('system:unsecured');
    expect(seen.dryRun).toBe(false);
  });

  it('denies with the webhook message on kubectl stderr and stores nothing', async () => {
    await namespace('deny');
    await configure('Validating', 'deny', [hook('deny.kubets.test', '/deny', onlyIn('deny'))]);
    const r = await k.run(['-n', 'deny', 'create', 'configmap', 'bad-one']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      'admission webhook "deny.kubets.test" denied the request: names starting with bad- are not allowed',
    );
    const direct = await api('POST', '/api/v1/namespaces/deny/configmaps', {
      metadata: { name: 'bad-two' },
    });
    expect(direct.status).toBe(403);
    expect(direct.body.reason).toBe('Forbidden');
    expect((await getConfigMap('deny', 'bad-one')).status).toBe(404);
    expect((await k.run(['-n', 'deny', 'create', 'configmap', 'good-one'])).code).toBe(0);
  });

  it('a webhook that times out: Fail refuses (nothing stored), Ignore admits', async () => {
    await namespace('slow-fail');
    await namespace('slow-ignore');
    await configure('Validating', 'slow', [
      hook('slow-fail.kubets.test', '/slow', {
        ...onlyIn('slow-fail'),
        timeoutSeconds: 1,
        failurePolicy: 'Fail',
      }),
      hook('slow-ignore.kubets.test', '/slow', {
        ...onlyIn('slow-ignore'),
        timeoutSeconds: 1,
        failurePolicy: 'Ignore',
      }),
    ]);
    const failed = await api('POST', '/api/v1/namespaces/slow-fail/configmaps', {
      metadata: { name: 'c' },
    });
    expect(failed.status).toBe(500);
    expect(failed.body.message).toMatch(
      /^Internal error occurred: failed calling webhook "slow-fail.kubets.test": failed to call webhook: Post "https:\/\/127\.0\.0\.1:\d+\/slow\?timeout=1s": context deadline exceeded$/,
    );
    expect((await getConfigMap('slow-fail', 'c')).status).toBe(404);
    const admitted = await api('POST', '/api/v1/namespaces/slow-ignore/configmaps', {
      metadata: { name: 'c' },
    });
    expect(admitted.status).toBe(201);
  });

  it('a webhook that is down or untrusted: Fail refuses, Ignore admits', async () => {
    const port = await freePort();
    const other = makeCertificate();
    await namespace('down-fail');
    await namespace('down-ignore');
    await namespace('wrong-ca');
    await configure('Mutating', 'down', [
      {
        ...hook('down-fail.kubets.test', '/x', onlyIn('down-fail')),
        clientConfig: { url: `https://127.0.0.1:${port}/x`, caBundle: hooks.caBundle },
        failurePolicy: 'Fail',
      },
      {
        ...hook('down-ignore.kubets.test', '/x', onlyIn('down-ignore')),
        clientConfig: { url: `https://127.0.0.1:${port}/x`, caBundle: hooks.caBundle },
        failurePolicy: 'Ignore',
      },
      {
        ...hook('wrong-ca.kubets.test', '/x', onlyIn('wrong-ca')),
        clientConfig: {
          url: `${hooks.url}/x`,
          caBundle: Buffer.from(other.cert).toString('base64'),
        },
      },
    ]);
    const r = await k.run(['-n', 'down-fail', 'create', 'configmap', 'c']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      `failed calling webhook "down-fail.kubets.test": failed to call webhook: Post "https://127.0.0.1:${port}/x?timeout=10s": dial tcp 127.0.0.1:${port}: connect: connection refused`,
    );
    expect((await getConfigMap('down-fail', 'c')).status).toBe(404);
    expect((await k.run(['-n', 'down-ignore', 'create', 'configmap', 'c'])).code).toBe(0);
    const untrusted = await k.run(['-n', 'wrong-ca', 'create', 'configmap', 'c']);
    expect(untrusted.stderr).toContain('x509: certificate signed by unknown authority');
    expect(hooks.count('/x')).toBe(0);
  });

  it('never calls a webhook whose namespaceSelector, objectSelector or rules do not match', async () => {
    await namespace('select', { team: 'a' });
    await configure('Validating', 'select', [
      hook('ns.kubets.test', '/ns', { namespaceSelector: { matchLabels: { team: 'b' } } }),
      hook('obj.kubets.test', '/obj', {
        ...onlyIn('select'),
        objectSelector: { matchLabels: { watched: 'true' } },
      }),
      hook('rule.kubets.test', '/rule', {
        ...onlyIn('select'),
        rules: [
          {
            operations: ['DELETE'],
            apiGroups: [''],
            apiVersions: ['v1'],
            resources: ['configmaps'],
          },
        ],
      }),
      hook('secrets.kubets.test', '/secrets', {
        ...onlyIn('select'),
        rules: [
          { operations: ['*'], apiGroups: [''], apiVersions: ['v1'], resources: ['secrets'] },
        ],
      }),
    ]);
    expect((await k.run(['-n', 'select', 'create', 'configmap', 'plain'])).code).toBe(0);
    expect((await k.run(['-n', 'select', 'label', 'configmap', 'plain', 'other=1'])).code).toBe(0);
    expect(hooks.count('/ns')).toBe(0);
    expect(hooks.count('/obj')).toBe(0);
    expect(hooks.count('/rule')).toBe(0);
    expect(hooks.count('/secrets')).toBe(0);
    // The same webhooks do see what they match.
    expect(
      (await k.run(['-n', 'select', 'label', 'configmap', 'plain', 'watched=true'])).code,
    ).toBe(0);
    expect(hooks.count('/obj')).toBe(1);
    expect((await k.run(['-n', 'select', 'delete', 'configmap', 'plain'])).code).toBe(0);
    expect(hooks.count('/rule')).toBe(1);
    expect(hooks.calls.get('/rule')![0]!.oldObject).toMatchObject({ metadata: { name: 'plain' } });
    expect((await k.run(['-n', 'select', 'create', 'secret', 'generic', 's1'])).code).toBe(0);
    expect(hooks.count('/secrets')).toBe(1);
  });

  it('dryRun: sideEffects None sees dryRun=true and nothing is stored; Unknown refuses dry runs', async () => {
    await namespace('dry');
    await configure('Validating', 'dry', [hook('dry-none.kubets.test', '/dry', onlyIn('dry'))]);
    const r = await k.run(['-n', 'dry', 'create', 'configmap', 'd', '--dry-run=server']);
    expect(r.code, r.stderr).toBe(0);
    expect(hooks.calls.get('/dry')!.at(-1)!.dryRun).toBe(true);
    expect((await getConfigMap('dry', 'd')).status).toBe(404);

    // NoneOnDryRun webhooks are called on dry runs too (Some/Unknown cannot be stored in v1;
    // their refusal is covered by the dispatcher's unit tests).
    await namespace('dry-ondry');
    await configure('Validating', 'dry-ondry', [
      hook('dry-ondry.kubets.test', '/dry-ondry', {
        ...onlyIn('dry-ondry'),
        sideEffects: 'NoneOnDryRun',
      }),
    ]);
    const ondry = await k.run(['-n', 'dry-ondry', 'create', 'configmap', 'd', '--dry-run=server']);
    expect(ondry.code, ondry.stderr).toBe(0);
    expect(hooks.count('/dry-ondry')).toBe(1);
    expect((await getConfigMap('dry-ondry', 'd')).status).toBe(404);
  });

  it('admits subresources: deployments/scale sees an autoscaling/v1 Scale', async () => {
    await namespace('scaling');
    await configure('Validating', 'scale', [
      hook('scale.kubets.test', '/scale', {
        ...onlyIn('scaling'),
        rules: [
          {
            operations: ['UPDATE'],
            apiGroups: ['apps'],
            apiVersions: ['v1'],
            resources: ['deployments/scale'],
          },
        ],
      }),
    ]);
    expect(
      (await k.run(['-n', 'scaling', 'create', 'deployment', 'web', '--image=nginx'])).code,
    ).toBe(0);
    expect(hooks.count('/scale')).toBe(0);
    const denied = await k.run(['-n', 'scaling', 'scale', 'deployment', 'web', '--replicas=5']);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain(
      'admission webhook "scale.kubets.test" denied the request: at most 3 replicas, not 5',
    );
    expect(
      (await k.run(['-n', 'scaling', 'scale', 'deployment', 'web', '--replicas=2'])).code,
    ).toBe(0);
    const seen = hooks.calls.get('/scale')!;
    expect(seen[0]).toMatchObject({
      kind: { group: 'autoscaling', version: 'v1', kind: 'Scale' },
      resource: { group: 'apps', version: 'v1', resource: 'deployments' },
      subResource: 'scale',
      oldObject: { spec: { replicas: 1 } },
    });
    const d = await api('GET', '/apis/apps/v1/namespaces/scaling/deployments/web');
    expect(d.body.spec.replicas).toBe(2);
  });

  it('reinvokes an IfNeeded mutating webhook once a later webhook changed the object', async () => {
    await namespace('reinvoke');
    await configure('Mutating', 'reinvoke', [
      hook('first.kubets.test', '/first', {
        ...onlyIn('reinvoke'),
        reinvocationPolicy: 'IfNeeded',
      }),
      hook('second.kubets.test', '/second', onlyIn('reinvoke')),
    ]);
    expect((await k.run(['-n', 'reinvoke', 'create', 'configmap', 'r'])).code).toBe(0);
    const cm = await getConfigMap('reinvoke', 'r');
    expect(cm.body.metadata.labels).toEqual({ first: 'yes', second: 'yes' });
    expect(hooks.count('/first')).toBe(2);
    expect(hooks.count('/second')).toBe(1);
    expect(hooks.calls.get('/first')![1]!.object).toMatchObject({
      metadata: { labels: { second: 'yes' } },
    });
  });

  it('calls a webhook by Service (https://<name>.<ns>.svc:<port>, dialled at the clusterIP)', async () => {
    const source = new WebhookSource(() =>
      Promise.resolve([
        {
          metadata: { name: 'svc' },
          webhooks: [
            {
              name: 'svc.kubets.test',
              clientConfig: {
                service: { namespace: 'webhooks', name: 'hook', path: '/deny', port: hooks.port },
                caBundle: hooks.caBundle,
              },
              rules: [
                {
                  operations: ['CREATE'],
                  apiGroups: [''],
                  apiVersions: ['v1'],
                  resources: ['configmaps'],
                },
              ],
              sideEffects: 'None',
              admissionReviewVersions: ['v1'],
            },
          ],
        },
      ]),
    );
    const resolved: string[] = [];
    const plugin = new ValidatingWebhookPlugin(source, {
      getNamespace: () => Promise.resolve(undefined),
      serviceClusterIP: (ns, name) => {
        resolved.push(`${ns}/${name}`);
        return Promise.resolve(name === 'hook' ? '127.0.0.1' : undefined);
      },
      newUID: () => 'uid-1',
    });
    const before = hooks.count('/deny');
    await expect(
      plugin.validate(attrsFor('configmaps', 'CREATE', { metadata: { name: 'bad-svc' } })),
    ).rejects.toThrow('admission webhook "svc.kubets.test" denied the request');
    expect(hooks.count('/deny')).toBe(before + 1);
    expect(resolved).toEqual(['webhooks/hook']);
  });

  it('exports the admission metrics', async () => {
    const text = await (await fetch(`${cluster.url}/metrics`)).text();
    expect(text).toMatch(
      /apiserver_admission_webhook_admission_duration_seconds_count\{name="mutate.kubets.test",type="admit",operation="CREATE",rejected="false"\} [1-9]/,
    );
    expect(text).toMatch(
      /apiserver_admission_webhook_rejection_count\{name="deny.kubets.test",type="validating",operation="CREATE",error_type="no_error",rejection_code="403"\} 2/,
    );
    expect(text).toContain('apiserver_admission_step_admission_duration_seconds_bucket');
    expect(text).toMatch(
      /apiserver_admission_controller_admission_duration_seconds_count\{name="NamespaceLifecycle"/,
    );
  });
});
