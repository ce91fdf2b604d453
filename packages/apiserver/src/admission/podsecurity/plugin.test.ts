import { describe, expect, it } from 'vitest';
import type { ApiObject } from '../../storage/codec.js';
import { attrsFor } from '../testing.js';
import { PodSecurity } from './plugin.js';
import { DEFAULT_POD_SECURITY } from './policy.js';

const labels: Record<string, Record<string, string>> = {
  strict: { 'pod-security.kubernetes.io/enforce': 'restricted' },
  base: {
    'pod-security.kubernetes.io/enforce': 'baseline',
    'pod-security.kubernetes.io/enforce-version': 'v1.31',
    'pod-security.kubernetes.io/warn': 'restricted',
    'pod-security.kubernetes.io/audit': 'restricted',
  },
  open: {},
};
const plugin = new PodSecurity(
  (n) => Promise.resolve(labels[n] ? { metadata: { name: n, labels: labels[n] } } : undefined),
  {
    ...DEFAULT_POD_SECURITY,
    exemptions: {
      usernames: ['system:serviceaccount:kube-system:replicaset-controller'],
      runtimeClasses: ['kata'],
      namespaces: [],
    },
  },
);

const pod = (spec: object): ApiObject => ({ metadata: { name: 'p' }, spec });
const plain = pod({ containers: [{ name: 'c', image: 'x' }] });

describe('PodSecurity plugin', () => {
  it('enforces with upstream message and records the policy', async () => {
    const a = attrsFor('pods', 'CREATE', plain, { namespace: 'strict' });
    await expect(plugin.validate(a)).rejects.toThrow(
      /^pods "p" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false/,
    );
    expect(a.annotations['pod-security.kubernetes.io/enforce-policy']).toBe('restricted:latest');
  });

  it('warns and audits at their own levels, shows the version', async () => {
    const a = attrsFor(
      'pods',
      'CREATE',
      pod({ hostPID: true, containers: [{ name: 'c', image: 'x' }] }),
      { namespace: 'base' },
    );
    await expect(plugin.validate(a)).rejects.toThrow(
      'violates PodSecurity "baseline:v1.31": host namespaces (hostPID=true)',
    );
    const ok = attrsFor('pods', 'CREATE', plain, { namespace: 'base' });
    await plugin.validate(ok);
    expect(ok.warnings).toHaveLength(1);
    expect(ok.warnings[0]).toMatch(
      /^would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false/,
    );
    expect(ok.annotations['pod-security.kubernetes.io/audit-violations']).toMatch(
      /^would violate PodSecurity "restricted:latest"/,
    );
  });

  it('never refuses workloads, warning for the enforce level instead', async () => {
    const deployment = {
      metadata: { name: 'd' },
      spec: { template: { spec: { containers: [{ name: 'c', image: 'x' }] } } },
    } as ApiObject;
    const a = attrsFor('deployments', 'CREATE', deployment, {
      group: 'apps',
      namespace: 'strict',
      kind: 'Deployment',
    });
    await plugin.validate(a);
    expect(a.warnings[0]).toMatch(/^would violate PodSecurity "restricted:latest": /);
  });

  it('skips exempt users and runtime classes, unlabelled namespaces, and updates that keep the spec', async () => {
    await plugin.validate(
      attrsFor('pods', 'CREATE', plain, {
        namespace: 'strict',
        user: { username: 'system:serviceaccount:kube-system:replicaset-controller', groups: [] },
      }),
    );
    await plugin.validate(
      attrsFor('pods', 'CREATE', pod({ runtimeClassName: 'kata', containers: [{ name: 'c' }] }), {
        namespace: 'strict',
      }),
    );
    await plugin.validate(attrsFor('pods', 'CREATE', plain, { namespace: 'open' }));
    const relabelled = { ...plain, metadata: { name: 'p', labels: { a: 'b' } } } as ApiObject;
    await plugin.validate(
      attrsFor('pods', 'UPDATE', relabelled, { namespace: 'strict', oldObject: plain }),
    );
    await plugin.validate(
      attrsFor('pods', 'UPDATE', plain, {
        namespace: 'strict',
        oldObject: plain,
        subresource: 'status',
      }),
    );
  });
});
