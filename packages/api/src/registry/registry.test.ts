import { describe, expect, it } from 'vitest';
import {
  fillObjectMetaSystemFields,
  parseFieldSelector,
  strategicMergePatch,
  type KubeObject,
} from '@kubets/apimachinery';
import {
  ResourceRegistry,
  applyScale,
  checkFieldSelector,
  compareKubeVersions,
  matchesFieldSelector,
  scaleOf,
} from './registry.js';

const registry = ResourceRegistry.withBuiltins();
const NOW = Date.parse('2024-05-01T12:00:00Z');

function create(plural: string, group: string, obj: KubeObject): KubeObject {
  const def = registry.byGroupResource(group, plural)!;
  def.strategy.default(obj);
  def.strategy.prepareForCreate(obj);
  fillObjectMetaSystemFields(obj, { uid: 'uid-1', now: NOW - 60_000 });
  return obj;
}

describe('lookups', () => {
  it.each([
    ['po', '', 'pods'],
    ['pods', '', 'pods'],
    ['Pod', '', 'pods'],
    ['deploy', 'apps', 'deployments'],
    ['deployments.apps', 'apps', 'deployments'],
    ['deployment.v1.apps', 'apps', 'deployments'],
    ['svc', '', 'services'],
    ['ev', '', 'events'],
    ['events.events.k8s.io', 'events.k8s.io', 'events'],
    ['crd', 'apiextensions.k8s.io', 'customresourcedefinitions'],
    ['pc', 'scheduling.k8s.io', 'priorityclasses'],
  ])('%s resolves to %s/%s', (arg, group, plural) => {
    const def = registry.resolve(arg)!;
    expect([def.group, def.plural]).toEqual([group, plural]);
  });

  it('GVR and GVK lookups only find served versions', () => {
    expect(
      registry.byGVR({ group: 'apps', version: 'v1', resource: 'deployments' })?.def.kind,
    ).toBe('Deployment');
    expect(
      registry.byGVR({ group: 'apps', version: 'v1beta1', resource: 'deployments' }),
    ).toBeUndefined();
    expect(
      registry.byGVK({ group: 'policy', version: 'v1', kind: 'PodDisruptionBudget' })?.def.plural,
    ).toBe('poddisruptionbudgets');
    expect(registry.byKind('Event').map((d) => d.group)).toEqual(['', 'events.k8s.io']);
    expect(registry.resolve('nosuchthing')).toBeUndefined();
  });

  it('discovery facts: scope, verbs, categories, subresources', () => {
    const pods = registry.byGroupResource('', 'pods')!;
    expect(pods.namespaced).toBe(true);
    expect(pods.versions[0]!.subresources.map((s) => s.name)).toEqual([
      'status',
      'binding',
      'eviction',
      'log',
      'exec',
      'attach',
      'portforward',
    ]);
    expect(pods.versions[0]!.subresources.find((s) => s.name === 'eviction')!.kind).toEqual({
      group: 'policy',
      version: 'v1',
      kind: 'Eviction',
    });
    expect(registry.byGroupResource('', 'namespaces')!.verbs).not.toContain('deletecollection');
    expect(registry.byGroupResource('', 'nodes')!.namespaced).toBe(false);
    expect(
      registry
        .category('all')
        .map((d) => d.plural)
        .sort(),
    ).toEqual([
      'daemonsets',
      'deployments',
      'jobs',
      'pods',
      'replicasets',
      'services',
      'statefulsets',
    ]);
    const deploy = registry.byGroupResource('apps', 'deployments')!;
    expect(deploy.versions[0]!.subresources.find((s) => s.name === 'scale')!.kind).toEqual({
      group: 'autoscaling',
      version: 'v1',
      kind: 'Scale',
    });
    expect(registry.groups().find((g) => g.name === 'apps')).toEqual({
      name: 'apps',
      versions: ['v1'],
      preferredVersion: 'v1',
    });
  });

  it('orders versions as Kubernetes does', () => {
    expect(['v1alpha1', 'v1beta1', 'v2', 'v1', 'v1beta2', 'foo'].sort(compareKubeVersions)).toEqual(
      ['v2', 'v1', 'v1beta2', 'v1beta1', 'v1alpha1', 'foo'],
    );
  });
});

describe('strategies', () => {
  it('pod create resets status to Pending with its QoS class', () => {
    const pod = create('pods', '', {
      metadata: { name: 'p', namespace: 'default' },
      spec: {
        containers: [
          { name: 'c', image: 'nginx', resources: { limits: { cpu: '1', memory: '1Gi' } } },
        ],
      },
      status: { phase: 'Running' },
    } as KubeObject);
    expect((pod as { status?: unknown }).status).toEqual({
      phase: 'Pending',
      qosClass: 'Guaranteed',
    });
    const def = registry.byGroupResource('', 'pods')!;
    expect(def.strategy.validate(pod, {})).toEqual([]);
  });

  it('deployment generation: 1 on create, bumped by spec changes only; status kept', () => {
    const def = registry.byGroupResource('apps', 'deployments')!;
    const d = create('deployments', 'apps', {
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'c', image: 'nginx' }] },
        },
      },
      status: { replicas: 9 },
    } as KubeObject);
    expect(d.metadata!.generation).toBe(1);
    expect((d as { status?: unknown }).status).toEqual({});
    const stored = { ...structuredClone(d), status: { replicas: 3 } } as KubeObject;
    const labelsOnly: KubeObject = structuredClone(stored);
    labelsOnly.metadata!.labels = { x: 'y' };
    (labelsOnly as { status?: unknown }).status = { replicas: 100 };
    def.strategy.prepareForUpdate(labelsOnly, stored);
    expect(labelsOnly.metadata!.generation).toBe(1);
    expect((labelsOnly as { status?: unknown }).status).toEqual({ replicas: 3 });
    const scaled = structuredClone(stored) as KubeObject & { spec: { replicas: number } };
    scaled.spec.replicas = 5;
    def.strategy.prepareForUpdate(scaled, stored);
    expect(scaled.metadata!.generation).toBe(2);
  });

  it('status updates change only status', () => {
    const def = registry.byGroupResource('apps', 'deployments')!;
    const stored = {
      metadata: { name: 'w', generation: 4, labels: { a: 'b' } },
      spec: { replicas: 1 },
      status: {},
    } as unknown as KubeObject;
    const update = {
      metadata: { name: 'w', generation: 9, labels: { a: 'c' } },
      spec: { replicas: 7 },
      status: { replicas: 1 },
    } as unknown as KubeObject;
    def.statusStrategy!.prepareForUpdate(update, stored);
    expect(update).toEqual({
      metadata: { name: 'w', generation: 4, labels: { a: 'b' } },
      spec: { replicas: 1 },
      status: { replicas: 1 },
    });
  });

  it('namespace create adds the kubernetes finalizer and Active phase', () => {
    const ns = create('namespaces', '', { metadata: { name: 'team' } });
    expect(ns).toMatchObject({ spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } });
  });

  it('job validation generates the selector from the uid', () => {
    const def = registry.byGroupResource('batch', 'jobs')!;
    const job = create('jobs', 'batch', {
      metadata: { name: 'pi', namespace: 'default' },
      spec: {
        template: { spec: { restartPolicy: 'Never', containers: [{ name: 'pi', image: 'perl' }] } },
      },
    } as KubeObject);
    expect(def.strategy.validate(job, {})).toEqual([]);
    expect((job as { spec: { selector: unknown } }).spec.selector).toEqual({
      matchLabels: { 'batch.kubernetes.io/controller-uid': 'uid-1' },
    });
  });
});

describe('field selectors', () => {
  it('pods support spec.nodeName and status.phase; unknown fields get upstream messages', () => {
    const pods = registry.byGroupResource('', 'pods')!;
    const sel = checkFieldSelector(
      pods,
      parseFieldSelector('spec.nodeName=n1,status.phase!=Succeeded'),
    );
    const pod = {
      metadata: { name: 'p', namespace: 'd' },
      spec: { nodeName: 'n1', containers: [] },
      status: { phase: 'Running' },
    } as unknown as KubeObject;
    expect(matchesFieldSelector(pods, sel, pod)).toBe(true);
    expect(() => checkFieldSelector(pods, parseFieldSelector('spec.foo=x'))).toThrow(
      'field label not supported: spec.foo',
    );
    const cms = registry.byGroupResource('', 'configmaps')!;
    expect(() => checkFieldSelector(cms, parseFieldSelector('data.x=y'))).toThrow(
      '"data.x" is not a known field selector: only "metadata.name", "metadata.namespace"',
    );
    const events = registry.byGroupResource('', 'events')!;
    const ev = {
      metadata: { name: 'e', namespace: 'd' },
      involvedObject: { kind: 'Pod', name: 'p', uid: 'u' },
    } as unknown as KubeObject;
    expect(
      matchesFieldSelector(
        events,
        checkFieldSelector(
          events,
          parseFieldSelector('involvedObject.name=p,involvedObject.uid=u'),
        ),
        ev,
      ),
    ).toBe(true);
  });
});

describe('scale', () => {
  it('reads and writes replicas with the selector string', () => {
    const def = registry.byGroupResource('apps', 'deployments')!;
    const d = {
      metadata: { name: 'web', namespace: 'default', uid: 'u', resourceVersion: '7' },
      spec: { replicas: 2, selector: { matchLabels: { app: 'web' } } },
      status: { replicas: 2 },
    } as unknown as KubeObject;
    expect(scaleOf(def, d)).toEqual({
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: { name: 'web', namespace: 'default', uid: 'u', resourceVersion: '7' },
      spec: { replicas: 2 },
      status: { replicas: 2, selector: 'app=web' },
    });
    const scaled = applyScale(def, d, { spec: { replicas: 5 } });
    expect((scaled as { spec: { replicas: number } }).spec.replicas).toBe(5);
  });
});

describe('tables through the registry', () => {
  it('rows come from the version table with a fixed now', () => {
    const ns = registry.byGroupResource('', 'namespaces')!;
    expect(
      ns.versions[0]!.table.row(
        {
          metadata: { name: 'a', creationTimestamp: '2024-05-01T11:00:00Z' },
          status: { phase: 'Active' },
        } as KubeObject,
        NOW,
      ),
    ).toEqual(['a', 'Active', '60m']);
    const roles = registry.byGroupResource('rbac.authorization.k8s.io', 'roles')!;
    expect(roles.versions[0]!.table.columns.map((c) => [c.name, c.type])).toEqual([
      ['Name', 'string'],
      ['Created At', 'date'],
    ]);
  });
});

describe('strategic merge patch metadata from the schemas', () => {
  const deploy = registry.byGroupResource('apps', 'deployments')!;
  const live: any = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', finalizers: ['a'] },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'nginx',
              image: 'nginx:1.25',
              ports: [{ containerPort: 80, protocol: 'TCP' }],
              env: [{ name: 'A', value: '1' }],
            },
            { name: 'side', image: 'busybox' },
          ],
          volumes: [{ name: 'data', emptyDir: {} }],
        },
      },
    },
  };

  it('kubectl set image merges containers by name', () => {
    const patch = {
      spec: {
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'nginx' }, { name: 'side' }],
            containers: [{ image: 'nginx:1.26', name: 'nginx' }],
          },
        },
      },
    };
    const out = strategicMergePatch(live, patch, deploy.patchSchema!('v1')) as typeof live;
    expect(out.spec.template.spec.containers.map((c: any) => [c.name, c.image])).toEqual([
      ['nginx', 'nginx:1.26'],
      ['side', 'busybox'],
    ]);
    expect(out.spec.template.spec.containers[0]!.ports).toEqual([
      { containerPort: 80, protocol: 'TCP' },
    ]);
  });

  it('kubectl apply: env by name, ports by containerPort, volumes retainKeys, finalizers merge', () => {
    const patch = {
      metadata: { '$setElementOrder/finalizers': ['a', 'b'], finalizers: ['b'] },
      spec: {
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'nginx' }, { name: 'side' }],
            containers: [
              {
                name: 'nginx',
                '$setElementOrder/env': [{ name: 'A' }, { name: 'B' }],
                env: [{ name: 'B', value: '2' }],
                '$setElementOrder/ports': [{ containerPort: 80 }, { containerPort: 443 }],
                ports: [{ containerPort: 443 }],
              },
            ],
            volumes: [
              { name: 'data', $retainKeys: ['configMap', 'name'], configMap: { name: 'cm' } },
            ],
          },
        },
      },
    };
    const out = strategicMergePatch(live, patch, deploy.patchSchema!('v1')) as typeof live;
    const c = out.spec.template.spec.containers[0]!;
    expect(c.env).toEqual([
      { name: 'A', value: '1' },
      { name: 'B', value: '2' },
    ]);
    expect(c.ports.map((p: any) => p.containerPort)).toEqual([80, 443]);
    expect(out.spec.template.spec.volumes).toEqual([{ name: 'data', configMap: { name: 'cm' } }]);
    expect(out.metadata.finalizers).toEqual(['a', 'b']);
  });

  it('a $patch: delete removes a container', () => {
    const out = strategicMergePatch(
      live,
      { spec: { template: { spec: { containers: [{ name: 'side', $patch: 'delete' }] } } } },
      deploy.patchSchema!('v1'),
    ) as typeof live;
    expect(out.spec.template.spec.containers.map((c: any) => c.name)).toEqual(['nginx']);
  });

  it('unknown fields are found and pruned by schema', () => {
    const obj = structuredClone(live) as unknown as KubeObject;
    (obj as { spec: Record<string, unknown> }).spec.foo = 1;
    (
      obj as { spec: { template: { spec: { containers: Record<string, unknown>[] } } } }
    ).spec.template.spec.containers[1]!.bogus = true;
    expect(deploy.pruneUnknownFields(obj).sort()).toEqual([
      'spec.foo',
      'spec.template.spec.containers[1].bogus',
    ]);
    expect(deploy.pruneUnknownFields(obj)).toEqual([]);
  });
});
