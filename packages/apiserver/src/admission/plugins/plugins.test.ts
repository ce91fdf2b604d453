import { describe, expect, it } from 'vitest';
import type { ApiObject } from '../../storage/codec.js';
import { attrsFor } from '../testing.js';
import { addDefaultTolerations, DefaultTolerationSeconds } from './default-toleration-seconds.js';
import { defaultContainers, LimitRanger, podViolations, withItemDefaults } from './limit-ranger.js';
import { FORCE_LIVE_LOOKUP_MS, NamespaceLifecycle } from './namespace-lifecycle.js';
import { forbiddenNodeLabels, nodeIdentity, NodeRestriction } from './node-restriction.js';
import { charge } from './resource-quota.js';
import {
  mountServiceAccountToken,
  ServiceAccountPlugin,
  tokenVolumeSource,
} from './service-account.js';

const pod = (spec: object, meta: object = {}): ApiObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'default', ...meta },
  spec,
});

const node = (name: string) => ({
  username: `system:node:${name}`,
  groups: ['system:nodes', 'system:authenticated'],
});

describe('NamespaceLifecycle', () => {
  const namespaces: Record<string, ApiObject> = {
    live: { metadata: { name: 'live' } },
    dying: {
      metadata: { name: 'dying', deletionTimestamp: '2026-01-01T00:00:00Z' },
      status: { phase: 'Terminating' },
    },
  };
  const plugin = new NamespaceLifecycle((n) => Promise.resolve(namespaces[n]));

  it('refuses creates in missing and terminating namespaces', async () => {
    await expect(
      plugin.validate(
        attrsFor('configmaps', 'CREATE', { metadata: { name: 'c' } }, { namespace: 'nope' }),
      ),
    ).rejects.toThrow('namespaces "nope" not found');
    await expect(
      plugin.validate(
        attrsFor('configmaps', 'CREATE', { metadata: { name: 'c' } }, { namespace: 'dying' }),
      ),
    ).rejects.toThrow(
      'configmaps "c" is forbidden: unable to create new content in namespace dying because it is being terminated',
    );
    await plugin.validate(
      attrsFor('configmaps', 'CREATE', { metadata: { name: 'c' } }, { namespace: 'live' }),
    );
  });

  it('reads a namespace live for a while after its delete, when a cache may lag', async () => {
    // A cache that still shows `racing` active; the store has it Terminating.
    const store: Record<string, ApiObject> = {
      racing: {
        metadata: { name: 'racing', deletionTimestamp: '2026-01-01T00:00:00Z' },
        status: { phase: 'Terminating' },
      },
    };
    const reads: string[] = [];
    let now = 1_000;
    const lagging = new NamespaceLifecycle(
      (n, o) => {
        reads.push(o?.live ? 'live' : 'cache');
        return Promise.resolve(o?.live ? store[n] : { metadata: { name: n } });
      },
      () => now,
    );
    const create = () =>
      lagging.validate(
        attrsFor('configmaps', 'CREATE', { metadata: { name: 'c' } }, { namespace: 'racing' }),
      );
    await create();
    await lagging.validate(
      attrsFor('namespaces', 'DELETE', undefined, { namespace: '', name: 'racing' }),
    );
    await expect(create()).rejects.toThrow('because it is being terminated');
    now += FORCE_LIVE_LOOKUP_MS;
    await create();
    expect(reads).toEqual(['cache', 'live', 'cache']);
  });

  it('refuses deleting the system namespaces', async () => {
    await expect(
      plugin.validate(
        attrsFor('namespaces', 'DELETE', undefined, { namespace: '', name: 'kube-system' }),
      ),
    ).rejects.toThrow('namespaces "kube-system" is forbidden: this namespace may not be deleted');
    await plugin.validate(
      attrsFor('namespaces', 'DELETE', undefined, { namespace: '', name: 'live' }),
    );
  });
});

describe('ServiceAccount', () => {
  const accounts: Record<string, ApiObject> = {
    'default/default': { metadata: { name: 'default' } },
    'default/builder': {
      metadata: { name: 'builder' },
      automountServiceAccountToken: false,
      imagePullSecrets: [{ name: 'regcred' }],
    },
  };
  const plugin = new ServiceAccountPlugin(
    (ns, n) => Promise.resolve(accounts[`${ns}/${n}`]),
    () => 0,
  );

  it('defaults the service account and mounts the token volume in every container', async () => {
    const p = pod({
      initContainers: [{ name: 'init', image: 'x' }],
      containers: [{ name: 'a', image: 'x' }],
    });
    const a = attrsFor('pods', 'CREATE', p);
    await plugin.admit(a);
    await plugin.validate(a);
    const spec = p.spec as any;
    expect(spec.serviceAccountName).toBe('default');
    expect(spec.volumes).toEqual([
      { name: 'kube-api-access-bbbbb', projected: tokenVolumeSource() },
    ]);
    for (const c of [...spec.initContainers, ...spec.containers]) {
      expect(c.volumeMounts).toEqual([
        {
          name: 'kube-api-access-bbbbb',
          readOnly: true,
          mountPath: '/var/run/secrets/kubernetes.io/serviceaccount',
        },
      ]);
    }
    expect(tokenVolumeSource()).toMatchObject({
      defaultMode: 420,
      sources: [
        { serviceAccountToken: { path: 'token', expirationSeconds: 3607 } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        {
          downwardAPI: {
            items: [
              {
                path: 'namespace',
                fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' },
              },
            ],
          },
        },
      ],
    });
  });

  it('honours automountServiceAccountToken (pod over service account) and copies imagePullSecrets', async () => {
    const p = pod({ serviceAccountName: 'builder', containers: [{ name: 'a', image: 'x' }] });
    await plugin.admit(attrsFor('pods', 'CREATE', p));
    expect((p.spec as any).volumes).toBeUndefined();
    expect((p.spec as any).imagePullSecrets).toEqual([{ name: 'regcred' }]);
    const q = pod({
      serviceAccountName: 'builder',
      automountServiceAccountToken: true,
      containers: [{ name: 'a', image: 'x' }],
    });
    await plugin.admit(attrsFor('pods', 'CREATE', q));
    expect((q.spec as any).volumes).toHaveLength(1);
  });

  it('leaves containers that already mount the path alone', () => {
    const spec: any = {
      containers: [
        {
          name: 'a',
          volumeMounts: [
            { name: 'mine', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' },
          ],
        },
      ],
    };
    mountServiceAccountToken(spec, () => 0);
    expect(spec.volumes).toBeUndefined();
    expect(spec.containers[0].volumeMounts).toHaveLength(1);
  });

  it('refuses a pod naming a missing service account; mirror pods may not name one', async () => {
    await expect(
      plugin.admit(
        attrsFor('pods', 'CREATE', pod({ serviceAccountName: 'ghost', containers: [] })),
      ),
    ).rejects.toThrow(
      'pods "p" is forbidden: error looking up service account default/ghost: serviceaccount "ghost" not found',
    );
    const mirror = pod(
      { serviceAccountName: 'default', containers: [] },
      { annotations: { 'kubernetes.io/config.mirror': 'x' } },
    );
    const a = attrsFor('pods', 'CREATE', mirror);
    await plugin.admit(a);
    await expect(plugin.validate(a)).rejects.toThrow(
      'a mirror pod may not reference service accounts',
    );
  });
});

describe('DefaultTolerationSeconds', () => {
  it('adds the not-ready and unreachable NoExecute tolerations for 300 s', async () => {
    const p = pod({ containers: [] });
    await new DefaultTolerationSeconds().admit(attrsFor('pods', 'CREATE', p));
    expect((p.spec as any).tolerations).toEqual([
      {
        key: 'node.kubernetes.io/not-ready',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 300,
      },
      {
        key: 'node.kubernetes.io/unreachable',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 300,
      },
    ]);
  });

  it('keeps existing tolerations that already cover the taints', () => {
    const spec: any = {
      tolerations: [
        {
          key: 'node.kubernetes.io/unreachable',
          operator: 'Exists',
          effect: 'NoExecute',
          tolerationSeconds: 10,
        },
      ],
    };
    addDefaultTolerations(spec);
    expect(spec.tolerations.map((t: any) => t.key)).toEqual([
      'node.kubernetes.io/unreachable',
      'node.kubernetes.io/not-ready',
    ]);
    const all: any = { tolerations: [{ operator: 'Exists' }] };
    addDefaultTolerations(all);
    expect(all.tolerations).toHaveLength(1);
  });
});

describe('NodeRestriction', () => {
  const pods: Record<string, ApiObject> = {
    'default/mine': pod({ nodeName: 'n1' }, { name: 'mine' }),
    'default/theirs': pod({ nodeName: 'n2' }, { name: 'theirs' }),
  };
  const plugin = new NodeRestriction({
    getPod: (ns, n) => Promise.resolve(pods[`${ns}/${n}`]),
    getNode: (n) => Promise.resolve({ metadata: { name: n, uid: `uid-${n}` } }),
  });
  const user = node('n1');

  it('identifies nodes by name prefix and group', () => {
    expect(nodeIdentity(user)).toBe('n1');
    expect(nodeIdentity({ username: 'system:node:n1', groups: [] })).toBeUndefined();
    expect(nodeIdentity({ username: 'alice', groups: ['system:nodes'] })).toBeUndefined();
  });

  it('lets a node modify only its own Node, without taint or restricted label changes', async () => {
    const n1 = {
      metadata: { name: 'n1', labels: { 'kubernetes.io/hostname': 'n1' } },
      spec: {},
    } as ApiObject;
    await plugin.admit(attrsFor('nodes', 'CREATE', n1, { namespace: '', user, kind: 'Node' }));
    await expect(
      plugin.admit(
        attrsFor(
          'nodes',
          'UPDATE',
          { metadata: { name: 'n2' } },
          { namespace: '', user, oldObject: { metadata: { name: 'n2' } } },
        ),
      ),
    ).rejects.toThrow('nodes "n2" is forbidden: node "n1" is not allowed to modify node "n2"');
    await expect(
      plugin.admit(
        attrsFor(
          'nodes',
          'UPDATE',
          { metadata: { name: 'n1' }, spec: { taints: [] } },
          {
            namespace: '',
            user,
            oldObject: {
              metadata: { name: 'n1' },
              spec: { taints: [{ key: 'k', effect: 'NoSchedule' }] },
            },
          },
        ),
      ),
    ).rejects.toThrow('node "n1" is not allowed to modify taints');
    await expect(
      plugin.admit(
        attrsFor(
          'nodes',
          'UPDATE',
          { metadata: { name: 'n1', labels: { 'node-restriction.kubernetes.io/x': 'y' } } },
          { namespace: '', user, oldObject: { metadata: { name: 'n1' } } },
        ),
      ),
    ).rejects.toThrow('is not allowed to modify labels: node-restriction.kubernetes.io/x');
    expect(
      forbiddenNodeLabels(
        {
          'kubernetes.io/os': 'linux',
          'node.kubernetes.io/foo': 'a',
          'foo.k8s.io/bar': 'b',
          'example.com/x': 'y',
        },
        {},
      ),
    ).toEqual(['foo.k8s.io/bar']);
  });

  it('lets a node create only mirror pods bound to itself, update only its pods status, evict only its pods', async () => {
    await expect(
      plugin.admit(attrsFor('pods', 'CREATE', pod({ nodeName: 'n1' }), { user })),
    ).rejects.toThrow(
      'pod does not have "kubernetes.io/config.mirror" annotation, node "n1" can only create mirror pods',
    );
    const mirror = (spec: object) =>
      pod(spec, { annotations: { 'kubernetes.io/config.mirror': 'h' } });
    await expect(
      plugin.admit(attrsFor('pods', 'CREATE', mirror({ nodeName: 'n2' }), { user })),
    ).rejects.toThrow('node "n1" can only create pods with spec.nodeName set to itself');
    await expect(
      plugin.admit(
        attrsFor(
          'pods',
          'CREATE',
          mirror({ nodeName: 'n1', volumes: [{ name: 's', secret: { secretName: 'x' } }] }),
          { user },
        ),
      ),
    ).rejects.toThrow('node "n1" can not create pods that reference secrets');
    await plugin.admit(attrsFor('pods', 'CREATE', mirror({ nodeName: 'n1' }), { user }));
    await plugin.admit(
      attrsFor('pods', 'UPDATE', pods['default/mine'], {
        user,
        subresource: 'status',
        oldObject: pods['default/mine'],
      }),
    );
    await expect(
      plugin.admit(
        attrsFor('pods', 'UPDATE', pods['default/theirs'], {
          user,
          subresource: 'status',
          oldObject: pods['default/theirs'],
        }),
      ),
    ).rejects.toThrow(
      'node "n1" can only update pod status for pods with spec.nodeName set to itself',
    );
    await expect(
      plugin.admit(
        attrsFor('pods', 'UPDATE', pods['default/mine'], { user, oldObject: pods['default/mine'] }),
      ),
    ).rejects.toThrow(
      'unexpected operation "UPDATE", node "n1" can only create and delete mirror pods',
    );
    await expect(
      plugin.admit(
        attrsFor(
          'pods',
          'CREATE',
          { metadata: { name: 'theirs' } },
          { user, subresource: 'eviction', name: 'theirs' },
        ),
      ),
    ).rejects.toThrow('node n1 can only evict pods with spec.nodeName set to itself');
    await plugin.admit(
      attrsFor('pods', 'DELETE', undefined, {
        user,
        name: 'mine',
        oldObject: pods['default/mine'],
      }),
    );
  });

  it('lets a node touch only its own Lease in kube-node-lease; other users pass', async () => {
    const lease = (name: string) => ({ metadata: { name } });
    const opts = { group: 'coordination.k8s.io', user };
    await plugin.admit(
      attrsFor('leases', 'CREATE', lease('n1'), { ...opts, namespace: 'kube-node-lease' }),
    );
    await expect(
      plugin.admit(
        attrsFor('leases', 'CREATE', lease('n2'), { ...opts, namespace: 'kube-node-lease' }),
      ),
    ).rejects.toThrow('can only access node lease with the same name as the requesting node');
    await expect(
      plugin.admit(attrsFor('leases', 'UPDATE', lease('n1'), { ...opts, namespace: 'default' })),
    ).rejects.toThrow('can only access leases in the "kube-node-lease" system namespace');
    await plugin.admit(attrsFor('nodes', 'DELETE', undefined, { namespace: '', name: 'n2' }));
  });
});

describe('LimitRanger', () => {
  const range = {
    metadata: { name: 'lr' },
    spec: {
      limits: [
        {
          type: 'Container',
          default: { cpu: '500m', memory: '256Mi' },
          defaultRequest: { cpu: '100m' },
          max: { cpu: '1' },
          min: { memory: '64Mi' },
          maxLimitRequestRatio: { cpu: '10' },
        },
      ],
    },
  } as ApiObject;
  const plugin = new LimitRanger(() => Promise.resolve([range]));

  it('defaults item fields as upstream (default <- max, defaultRequest <- default <- min)', () => {
    expect(
      withItemDefaults({ type: 'Container', max: { cpu: '2' }, min: { memory: '1Mi' } }),
    ).toEqual({
      type: 'Container',
      max: { cpu: '2' },
      min: { memory: '1Mi' },
      default: { cpu: '2' },
      defaultRequest: { cpu: '2', memory: '1Mi' },
    });
  });

  it('sets default requests and limits and annotates the pod', async () => {
    const p = pod({ containers: [{ name: 'nginx', image: 'x' }] });
    const a = attrsFor('pods', 'CREATE', p);
    await plugin.admit(a);
    await plugin.validate(a);
    expect((p.spec as any).containers[0].resources).toEqual({
      limits: { cpu: '500m', memory: '256Mi' },
      requests: { cpu: '100m', memory: '256Mi' },
    });
    expect(p.metadata?.annotations?.['kubernetes.io/limit-ranger']).toBe(
      'LimitRanger plugin set: cpu, memory request for container nginx; cpu, memory limit for container nginx',
    );
  });

  it('refuses containers outside min/max/ratio with upstream messages', async () => {
    const p = pod({
      containers: [
        {
          name: 'big',
          image: 'x',
          resources: { limits: { cpu: '2' }, requests: { cpu: '100m', memory: '32Mi' } },
        },
      ],
    });
    const a = attrsFor('pods', 'CREATE', p);
    await plugin.admit(a);
    await expect(plugin.validate(a)).rejects.toThrow(
      'pods "p" is forbidden: [minimum memory usage per Container is 64Mi, but request is 32Mi, maximum cpu usage per Container is 1, but limit is 2, cpu max limit to request ratio per Container is 10, but provided ratio is 20.000000]',
    );
    expect(
      podViolations(
        {
          containers: [{ name: 'a', resources: { requests: { cpu: '1' }, limits: { cpu: '1' } } }],
        },
        [{ type: 'Pod', max: { cpu: '1500m' } }],
      ),
    ).toEqual([]);
    expect(defaultContainers({ containers: [] }, [])).toEqual([]);
  });
});

describe('ResourceQuota charge', () => {
  const quota = (used: Record<string, string>, hard: Record<string, string>): ApiObject => ({
    metadata: { name: 'q', namespace: 'default' },
    spec: { hard },
    status: { hard, used },
  });
  const cpuPod = pod({
    containers: [
      {
        name: 'c',
        resources: {
          requests: { cpu: '500m', memory: '1Gi' },
          limits: { cpu: '1', memory: '1Gi' },
        },
      },
    ],
  });

  it('charges counts and compute, and refuses beyond hard with upstream message', () => {
    const q = quota({ pods: '1', 'requests.cpu': '1' }, { pods: '2', 'requests.cpu': '1500m' });
    const next = charge(q, attrsFor('pods', 'CREATE', cpuPod));
    expect((next!.status as any).used).toEqual({ pods: '2', 'requests.cpu': '1500m' });
    expect(() => charge(next!, attrsFor('pods', 'CREATE', cpuPod))).toThrow(
      'pods "p" is forbidden: exceeded quota: q, requested: pods=1,requests.cpu=500m, used: pods=2,requests.cpu=1500m, limited: pods=2,requests.cpu=1500m',
    );
  });

  it('refuses pods without the limited compute resources, and unknown usage', () => {
    const q = quota({ 'limits.memory': '0' }, { 'limits.memory': '1Gi' });
    expect(() =>
      charge(q, attrsFor('pods', 'CREATE', pod({ containers: [{ name: 'a' }, { name: 'b' }] }))),
    ).toThrow('failed quota: q: must specify limits.memory for: a,b');
    expect(() =>
      charge(
        quota({}, { configmaps: '1' }),
        attrsFor('configmaps', 'CREATE', { metadata: { name: 'c' } }),
      ),
    ).toThrow('status unknown for quota: q, resources: configmaps');
    expect(
      charge(
        quota({ secrets: '0' }, { secrets: '1' }),
        attrsFor('configmaps', 'CREATE', { metadata: { name: 'c' } }),
      ),
    ).toBeUndefined();
    expect(
      (
        charge(
          quota({ 'count/deployments.apps': '0' }, { 'count/deployments.apps': '1' }),
          attrsFor('deployments', 'CREATE', { metadata: { name: 'd' } }, { group: 'apps' }),
        )!.status as any
      ).used,
    ).toEqual({ 'count/deployments.apps': '1' });
  });
});
