import { describe, expect, it } from 'vitest';
import { defaultPod, imageTag, defaultPullPolicy } from './pod.js';
import {
  defaultDaemonSet,
  defaultDeployment,
  defaultJob,
  defaultNamespace,
  defaultSecret,
  defaultService,
  defaultStatefulSet,
  defaultValidatingWebhookConfiguration,
} from './resources.js';
import type { Pod, Secret, Service } from '../types/core-v1.js';
import type {
  DaemonSet,
  Deployment,
  Job,
  StatefulSet,
  ValidatingWebhookConfiguration,
} from '../types/groups.js';

describe('image pull policy', () => {
  it.each([
    ['nginx', 'latest', 'Always'],
    ['nginx:latest', 'latest', 'Always'],
    ['nginx:1.25', '1.25', 'IfNotPresent'],
    ['localhost:5000/app', 'latest', 'Always'],
    ['localhost:5000/app:v2', 'v2', 'IfNotPresent'],
    [
      'nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
      '',
      'IfNotPresent',
    ],
    ['Nginx', '', 'IfNotPresent'],
  ])('%s -> tag %s -> %s', (image, tag, policy) => {
    expect(imageTag(image)).toBe(tag);
    expect(defaultPullPolicy(image)).toBe(policy);
  });
});

describe('defaultPod', () => {
  it('fills the PodSpec and container defaults upstream sets', () => {
    const pod: Pod = {
      metadata: { name: 'p' },
      spec: {
        containers: [
          {
            name: 'c',
            image: 'nginx',
            ports: [{ containerPort: 80 }],
            resources: { limits: { cpu: '1', memory: '1Gi' } },
            livenessProbe: { httpGet: { port: 80 } },
            env: [{ name: 'N', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
          },
        ],
        volumes: [{ name: 'v' }, { name: 's', secret: { secretName: 'x' } }],
      },
    };
    defaultPod(pod);
    const spec = pod.spec!;
    expect(spec.restartPolicy).toBe('Always');
    expect(spec.dnsPolicy).toBe('ClusterFirst');
    expect(spec.schedulerName).toBe('default-scheduler');
    expect(spec.terminationGracePeriodSeconds).toBe(30);
    expect(spec.securityContext).toEqual({});
    expect(spec.enableServiceLinks).toBe(true);
    const c = spec.containers[0]!;
    expect(c.imagePullPolicy).toBe('Always');
    expect(c.terminationMessagePath).toBe('/dev/termination-log');
    expect(c.terminationMessagePolicy).toBe('File');
    expect(c.ports![0]!.protocol).toBe('TCP');
    expect(c.resources!.requests).toEqual({ cpu: '1', memory: '1Gi' });
    expect(c.livenessProbe).toEqual({
      httpGet: { port: 80, path: '/', scheme: 'HTTP' },
      timeoutSeconds: 1,
      periodSeconds: 10,
      successThreshold: 1,
      failureThreshold: 3,
    });
    expect(c.env![0]!.valueFrom!.fieldRef!.apiVersion).toBe('v1');
    expect(spec.volumes![0]).toEqual({ name: 'v', emptyDir: {} });
    expect(spec.volumes![1]!.secret!.defaultMode).toBe(420);
  });

  it('is idempotent and keeps explicit values', () => {
    const pod: Pod = {
      spec: {
        restartPolicy: 'Never',
        hostNetwork: true,
        containers: [{ name: 'c', image: 'x:1', ports: [{ containerPort: 53, protocol: 'UDP' }] }],
      },
    };
    defaultPod(pod);
    const once = JSON.stringify(pod);
    defaultPod(pod);
    expect(JSON.stringify(pod)).toBe(once);
    expect(pod.spec!.restartPolicy).toBe('Never');
    expect(pod.spec!.containers[0]!.ports![0]).toEqual({
      containerPort: 53,
      protocol: 'UDP',
      hostPort: 53,
    });
  });
});

describe('workload defaults', () => {
  it('Deployment: replicas, RollingUpdate 25%/25%, history 10, deadline 600, template defaults', () => {
    const d: Deployment = {
      spec: {
        selector: { matchLabels: { a: 'b' } },
        template: { spec: { containers: [{ name: 'c', image: 'i' }] } },
      },
    };
    defaultDeployment(d);
    expect(d.spec).toMatchObject({
      replicas: 1,
      strategy: {
        type: 'RollingUpdate',
        rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' },
      },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
    });
    expect(d.spec!.template.spec!.restartPolicy).toBe('Always');
    expect(d.spec!.template.spec!.enableServiceLinks).toBeUndefined();
  });

  it('Deployment with Recreate gets no rollingUpdate', () => {
    const d: Deployment = { spec: { selector: {}, template: {}, strategy: { type: 'Recreate' } } };
    defaultDeployment(d);
    expect(d.spec!.strategy).toEqual({ type: 'Recreate' });
  });

  it('DaemonSet and StatefulSet', () => {
    const ds: DaemonSet = { spec: { selector: {}, template: {} } };
    defaultDaemonSet(ds);
    expect(ds.spec!.updateStrategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: 1, maxSurge: 0 },
    });
    expect(ds.spec!.revisionHistoryLimit).toBe(10);
    const ss: StatefulSet = { spec: { selector: {}, template: {} } };
    defaultStatefulSet(ss);
    expect(ss.spec).toMatchObject({
      podManagementPolicy: 'OrderedReady',
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
      replicas: 1,
      revisionHistoryLimit: 10,
    });
  });

  it('Job: completions/parallelism 1, backoffLimit 6, labels from template', () => {
    const job: Job = {
      metadata: { name: 'j' },
      spec: { template: { metadata: { labels: { app: 'x' } }, spec: { containers: [] } } },
    };
    defaultJob(job);
    expect(job.spec).toMatchObject({
      completions: 1,
      parallelism: 1,
      backoffLimit: 6,
      completionMode: 'NonIndexed',
      suspend: false,
      podReplacementPolicy: 'TerminatingOrFailed',
    });
    expect(job.metadata!.labels).toEqual({ app: 'x' });
    const parallel: Job = { spec: { parallelism: 3, template: {} } };
    defaultJob(parallel);
    expect(parallel.spec!.completions).toBeUndefined();
  });
});

describe('core defaults', () => {
  it('Service: ClusterIP, None affinity, TCP, targetPort = port, internalTrafficPolicy', () => {
    const svc: Service = {
      spec: { ports: [{ port: 80 }, { port: 53, protocol: 'UDP', targetPort: 'dns' }] },
    };
    defaultService(svc);
    expect(svc.spec).toEqual({
      type: 'ClusterIP',
      sessionAffinity: 'None',
      internalTrafficPolicy: 'Cluster',
      ports: [
        { port: 80, protocol: 'TCP', targetPort: 80 },
        { port: 53, protocol: 'UDP', targetPort: 'dns' },
      ],
    });
  });

  it('Service: NodePort gets externalTrafficPolicy Cluster; ClientIP gets a 10800s timeout', () => {
    const svc: Service = {
      spec: { type: 'NodePort', sessionAffinity: 'ClientIP', ports: [{ port: 80 }] },
    };
    defaultService(svc);
    expect(svc.spec!.externalTrafficPolicy).toBe('Cluster');
    expect(svc.spec!.sessionAffinityConfig).toEqual({ clientIP: { timeoutSeconds: 10800 } });
  });

  it('Namespace gets its name label and Active phase', () => {
    const ns = { metadata: { name: 'team-a' } };
    defaultNamespace(ns);
    expect(ns).toEqual({
      metadata: { name: 'team-a', labels: { 'kubernetes.io/metadata.name': 'team-a' } },
      status: { phase: 'Active' },
    });
  });

  it('Secret: Opaque type, stringData merged into data as base64', () => {
    const s: Secret = { data: { a: 'b2xk' }, stringData: { a: 'new', b: 'héllo' } };
    defaultSecret(s);
    expect(s).toEqual({ type: 'Opaque', data: { a: 'bmV3', b: 'aMOpbGxv' } });
  });

  it('webhook configuration defaults', () => {
    const c: ValidatingWebhookConfiguration = {
      webhooks: [
        {
          name: 'a.b.c',
          clientConfig: { service: { namespace: 'n', name: 's' } },
          sideEffects: 'None',
          admissionReviewVersions: ['v1'],
          rules: [{ operations: ['CREATE'] }],
        },
      ],
    };
    defaultValidatingWebhookConfiguration(c);
    expect(c.webhooks![0]).toMatchObject({
      failurePolicy: 'Fail',
      matchPolicy: 'Equivalent',
      namespaceSelector: {},
      objectSelector: {},
      timeoutSeconds: 10,
      clientConfig: { service: { port: 443 } },
      rules: [{ scope: '*' }],
    });
  });
});
