import { describe, expect, it } from 'vitest';
import { newInvalid, type FieldError } from '@kubets/apimachinery';
import { defaultPod } from '../defaults/pod.js';
import { defaultDeployment, defaultService } from '../defaults/resources.js';
import type { Pod, Service } from '../types/core-v1.js';
import type { Deployment, Lease } from '../types/groups.js';
import { validatePod, validatePodUpdate, validatePodBinding } from './pod.js';
import { validateService, validateServiceUpdate } from './service.js';
import { validateDeployment, validateDeploymentUpdate, validateScale } from './workloads.js';
import {
  validateConfigMap,
  validateLease,
  validateNamespace,
  validatePriorityClass,
  validateRoleBinding,
  validateSecret,
} from './resources.js';

const msgs = (errs: FieldError[]): string[] => errs.map((e) => e.message);

function pod(spec: Partial<NonNullable<Pod['spec']>> = {}, name = 'p'): Pod {
  const p: Pod = {
    metadata: { name, namespace: 'default' },
    spec: { containers: [{ name: 'c', image: 'nginx' }], ...spec },
  };
  defaultPod(p);
  return p;
}

describe('pod validation', () => {
  it('accepts a defaulted pod', () => {
    expect(validatePod(pod())).toEqual([]);
  });

  it.each<[string, Partial<NonNullable<Pod['spec']>>, string[]]>([
    ['no containers', { containers: [] }, ['spec.containers: Required value']],
    [
      'bad container name and missing image',
      { containers: [{ name: 'Web', image: '' }] },
      [
        `spec.containers[0].name: Invalid value: "Web": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
        'spec.containers[0].image: Required value',
      ],
    ],
    [
      'duplicate container names',
      {
        containers: [
          { name: 'a', image: 'x' },
          { name: 'a', image: 'y' },
        ],
      },
      ['spec.containers[1].name: Duplicate value: "a"'],
    ],
    [
      'port out of range and bad protocol',
      {
        containers: [
          { name: 'a', image: 'x', ports: [{ containerPort: 70000, protocol: 'HTTP' as never }] },
        ],
      },
      [
        'spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
        'spec.containers[0].ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
      ],
    ],
    [
      'requests above limits',
      {
        containers: [
          { name: 'a', image: 'x', resources: { limits: { cpu: '1' }, requests: { cpu: '2' } } },
        ],
      },
      [
        'spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1',
      ],
    ],
    [
      'negative quantity and unknown resource',
      {
        containers: [
          { name: 'a', image: 'x', resources: { requests: { memory: '-1', gpu: '1' } } },
        ],
      },
      [
        'spec.containers[0].resources.requests[gpu]: Invalid value: "gpu": must be a standard resource for containers',
        'spec.containers[0].resources.requests[memory]: Invalid value: "-1": must be greater than or equal to 0',
      ],
    ],
    [
      'unknown restartPolicy',
      { restartPolicy: 'Sometimes' },
      [
        'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
      ],
    ],
    [
      'volume mount without volume, duplicate mount path',
      {
        containers: [
          {
            name: 'a',
            image: 'x',
            volumeMounts: [
              { name: 'data', mountPath: '/d' },
              { name: 'v', mountPath: '/d' },
            ],
          },
        ],
        volumes: [{ name: 'v', emptyDir: {} }],
      },
      [
        'spec.containers[0].volumeMounts[0].name: Not found: "data"',
        'spec.containers[0].volumeMounts[1].mountPath: Invalid value: "/d": must be unique',
      ],
    ],
    [
      'two volume sources',
      { volumes: [{ name: 'v', emptyDir: {}, hostPath: { path: '/x' } }] },
      ['spec.volumes[0].emptyDir: Forbidden: may not specify more than 1 volume type'],
    ],
    [
      'toleration with tolerationSeconds but no NoExecute',
      {
        tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoSchedule', tolerationSeconds: 5 }],
      },
      [
        'spec.tolerations[0].effect: Invalid value: "NoSchedule": effect must be \'NoExecute\' when `tolerationSeconds` is set',
      ],
    ],
    [
      'empty node selector terms and bad weight',
      {
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] },
            preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 0, preference: {} }],
          },
        },
      },
      [
        'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms: Required value: must have at least one node selector term',
        'spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight: Invalid value: 0: must be in the range 1-100',
      ],
    ],
    [
      'topology spread with zero skew',
      {
        topologySpreadConstraints: [
          { maxSkew: 0, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' },
        ],
      },
      ['spec.topologySpreadConstraints[0].maxSkew: Invalid value: 0: must be greater than zero'],
    ],
    [
      'liveness probe successThreshold',
      {
        containers: [
          {
            name: 'a',
            image: 'x',
            livenessProbe: { exec: { command: ['true'] }, successThreshold: 2 },
          },
        ],
      },
      ['spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1'],
    ],
  ])('%s', (_name, spec, expected) => {
    expect(msgs(validatePod(pod(spec)))).toEqual(expected);
  });

  it('renders an Invalid Status as upstream', () => {
    const errs = validatePod(pod({ containers: [] }));
    expect(newInvalid({ group: '', kind: 'Pod' }, 'p', errs).message).toBe(
      'Pod "p" is invalid: spec.containers: Required value',
    );
  });

  it('pod updates may change images but not other spec fields', () => {
    const old = pod();
    old.metadata!.resourceVersion = '5';
    const image = structuredClone(old);
    image.spec!.containers[0]!.image = 'nginx:2';
    expect(validatePodUpdate(image, old)).toEqual([]);
    const moved = structuredClone(old);
    moved.spec!.nodeName = 'node-1';
    const errs = validatePodUpdate(moved, old);
    expect(errs).toHaveLength(1);
    expect(errs[0]!.message.split('\n')[0]).toBe(
      'spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
    );
    expect(errs[0]!.message).toContain('+ \tNodeName: "node-1",');
    const added = structuredClone(old);
    added.spec!.containers.push({ name: 'b', image: 'x' });
    expect(msgs(validatePodUpdate(added, old))).toEqual([
      'spec.containers: Forbidden: pod updates may not add or remove containers',
    ]);
  });

  it('binding target', () => {
    expect(msgs(validatePodBinding({ target: { kind: 'Pod' } }))).toEqual([
      'target.kind: Unsupported value: "Pod": supported values: "Node", "<empty>"',
      'target.name: Required value',
    ]);
  });
});

function deployment(labels: Record<string, string>, selector: Record<string, string>): Deployment {
  const d: Deployment = {
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      selector: { matchLabels: selector },
      template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
    },
  };
  defaultDeployment(d);
  return d;
}

describe('deployment validation', () => {
  it('selector must match template labels', () => {
    expect(msgs(validateDeployment(deployment({ app: 'nginx2' }, { app: 'nginx' })))).toEqual([
      'spec.template.metadata.labels: Invalid value: map[string]string{"app":"nginx2"}: `selector` does not match template `labels`',
    ]);
  });

  it('selector is required and immutable', () => {
    const d = deployment({ app: 'a' }, { app: 'a' });
    delete (d.spec as { selector?: unknown }).selector;
    // As upstream: a nil selector is "Nothing", which also fails to match the template labels.
    expect(msgs(validateDeployment(d))).toEqual([
      'spec.selector: Required value',
      'spec.template.metadata.labels: Invalid value: map[string]string{"app":"a"}: `selector` does not match template `labels`',
    ]);
    const old = deployment({ app: 'a', v: '1' }, { app: 'a' });
    old.metadata!.resourceVersion = '1';
    const changed = deployment({ app: 'a', v: '1' }, { app: 'a', v: '1' });
    changed.metadata!.resourceVersion = '1';
    expect(msgs(validateDeploymentUpdate(changed, old))).toEqual([
      'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"a", "v":"1"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
    ]);
  });

  it('strategy and replicas', () => {
    const d = deployment({ app: 'a' }, { app: 'a' });
    d.spec!.replicas = -1;
    d.spec!.strategy = {
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: 0, maxSurge: '0%' },
    };
    d.spec!.template.spec!.restartPolicy = 'Never';
    expect(msgs(validateDeployment(d))).toEqual([
      'spec.replicas: Invalid value: -1: must be greater than or equal to 0',
      'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
      'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0',
    ]);
    expect(msgs(validateScale({ spec: { replicas: -2 } }))).toEqual([
      'spec.replicas: Invalid value: -2: must be greater than or equal to 0',
    ]);
  });
});

function service(spec: Service['spec']): Service {
  const s: Service = { metadata: { name: 'svc', namespace: 'default' }, spec };
  defaultService(s);
  return s;
}

describe('service validation', () => {
  it('ports and names', () => {
    expect(msgs(validateService(service({ ports: [{ port: 80 }, { port: 0 }] })))).toEqual([
      'spec.ports[0].name: Required value',
      'spec.ports[1].name: Required value',
      'spec.ports[1].port: Invalid value: 0: must be between 1 and 65535, inclusive',
      'spec.ports[1].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive',
    ]);
    expect(msgs(validateService(service({})))).toEqual(['spec.ports: Required value']);
    expect(validateService(service({ clusterIP: 'None' }))).toEqual([]);
  });

  it('node ports: type and range', () => {
    expect(msgs(validateService(service({ ports: [{ port: 80, nodePort: 30080 }] })))).toEqual([
      "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'",
    ]);
    const np = service({ type: 'NodePort', ports: [{ port: 80, nodePort: 40000 }] });
    expect(msgs(validateService(np, { nodePortRange: { base: 30000, size: 2768 } }))).toEqual([
      'spec.ports[0].nodePort: Invalid value: 40000: provided port is not in the valid range. The range of valid ports is 30000-32767',
    ]);
  });

  it('service names are DNS-1035 labels', () => {
    const s = service({ ports: [{ port: 80 }] });
    s.metadata!.name = '1svc';
    expect(msgs(validateService(s))[0]).toMatch(
      /^metadata.name: Invalid value: "1svc": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character/,
    );
  });

  it('cluster IPs may not change once set', () => {
    const old = service({
      ports: [{ port: 80 }],
      clusterIP: '10.96.0.20',
      clusterIPs: ['10.96.0.20'],
    });
    old.metadata!.resourceVersion = '1';
    const next = structuredClone(old);
    next.spec!.clusterIP = '10.96.0.21';
    next.spec!.clusterIPs = ['10.96.0.21'];
    expect(msgs(validateServiceUpdate(next, old))).toEqual([
      'spec.clusterIPs[0]: Invalid value: []string{"10.96.0.21"}: may not change once set',
    ]);
  });
});

describe('other kinds', () => {
  it('ConfigMap and Secret keys', () => {
    expect(
      msgs(
        validateConfigMap({
          metadata: { name: 'c', namespace: 'd' },
          data: { 'a/b': 'x', '..x': 'y' },
        }),
      ),
    ).toEqual([
      `data[..x]: Invalid value: "..x": must not start with '..'`,
      `data[a/b]: Invalid value: "a/b": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`,
    ]);
    expect(
      msgs(
        validateSecret({
          metadata: { name: 's', namespace: 'd' },
          type: 'kubernetes.io/tls',
          data: { 'tls.crt': 'YQ==' },
        }),
      ),
    ).toEqual(['data[tls.key]: Required value']);
  });

  it('Namespace names are DNS labels', () => {
    expect(msgs(validateNamespace({ metadata: { name: 'a.b' } }))).toEqual([
      'metadata.name: Invalid value: "a.b": must not contain dots',
    ]);
  });

  it('Lease durations', () => {
    const l: Lease = {
      metadata: { name: 'l', namespace: 'kube-node-lease' },
      spec: { leaseDurationSeconds: 0, leaseTransitions: -1 },
    };
    expect(msgs(validateLease(l))).toEqual([
      'spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0',
      'spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0',
    ]);
  });

  it('PriorityClass limits and RBAC role refs', () => {
    expect(
      msgs(validatePriorityClass({ metadata: { name: 'system-x' }, value: 2000000001 })),
    ).toEqual([
      'metadata.name: Invalid value: "system-x": priority class names with \'system-\' prefix are reserved',
      'value: Forbidden: maximum allowed value of a user defined priority is 1000000000',
    ]);
    expect(
      msgs(
        validateRoleBinding(
          {
            metadata: { name: 'rb' },
            roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' },
          },
          false,
        ),
      ),
    ).toEqual(['roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"']);
  });
});
