import { describe, expect, it } from 'vitest';
import { builtinDefinitions, resolveSchema, type OpenAPISchema } from '@kubets/api';
import type { JsonObject } from '@kubets/apimachinery';
import {
  decodeProtobufObject,
  decodeWatchEvent,
  encodeProtobufObject,
  encodeWatchEventFrame,
  protobufWatchFrame,
} from './protobuf.js';
import { ENCODABLE, MESSAGES, type FieldSpec } from './protobuf-tables.js';

const hex = (b: Buffer): string => b.toString('hex');
const bytes = (...parts: (number[] | string | Buffer)[]): Buffer =>
  Buffer.concat(
    parts.map((p) =>
      Buffer.isBuffer(p) ? p : typeof p === 'string' ? Buffer.from(p) : Buffer.from(p),
    ),
  );

/** A pod as the server stores it after defaulting, with most of the tree in use. */
export const richPod: JsonObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'web-0',
    namespace: 'default',
    uid: '6f1c2a4e-3a8b-4d57-9a53-0e1f2a3b4c5d',
    resourceVersion: '1234',
    generation: 1,
    creationTimestamp: '2026-12-07T10:00:00Z',
    deletionTimestamp: '2026-12-07T10:05:00Z',
    deletionGracePeriodSeconds: 0,
    labels: { app: 'web', 'z-last': '', tier: 'front' },
    annotations: { 'bench/sent-at': '1733565600123', note: 'ünïcode ✓' },
    ownerReferences: [
      {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        name: 'web',
        uid: 'aaaa',
        controller: true,
        blockOwnerDeletion: false,
      },
    ],
    finalizers: ['example.com/keep'],
    managedFields: [
      {
        manager: 'kubectl',
        operation: 'Update',
        apiVersion: 'v1',
        time: '2026-12-07T10:00:00Z',
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } } },
      },
    ],
  },
  spec: {
    volumes: [
      { name: 'data', emptyDir: { medium: 'Memory', sizeLimit: '1Gi' } },
      { name: 'cfg', configMap: { name: 'cfg', defaultMode: 420, optional: false } },
      {
        name: 'token',
        projected: {
          defaultMode: 420,
          sources: [
            { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
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
        },
      },
    ],
    initContainers: [
      { name: 'init', image: 'busybox', command: ['sh', '-c', 'true'], resources: {} },
    ],
    containers: [
      {
        name: 'app',
        image: 'nginx:1.25',
        args: ['--port', '8080'],
        ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
        env: [
          { name: 'EMPTY' },
          { name: 'MODE', value: 'prod' },
          {
            name: 'POD',
            valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } },
          },
          { name: 'KEY', valueFrom: { secretKeyRef: { name: 's', key: 'k', optional: true } } },
          {
            name: 'MEM',
            valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '0' } },
          },
        ],
        envFrom: [{ configMapRef: { name: 'env' } }, { prefix: 'S_', secretRef: { name: 's2' } }],
        resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '100m' } },
        volumeMounts: [
          { name: 'data', mountPath: '/data' },
          { name: 'cfg', mountPath: '/etc/cfg', readOnly: true, mountPropagation: 'None' },
        ],
        livenessProbe: {
          httpGet: { path: '/healthz', port: 8080, scheme: 'HTTP' },
          initialDelaySeconds: 3,
          timeoutSeconds: 1,
          periodSeconds: 10,
          successThreshold: 1,
          failureThreshold: 3,
        },
        readinessProbe: {
          tcpSocket: { port: 'http' },
          timeoutSeconds: 1,
          periodSeconds: 10,
          successThreshold: 1,
          failureThreshold: 3,
        },
        startupProbe: { exec: { command: ['cat', '/tmp/ok'] }, periodSeconds: 5 },
        lifecycle: { preStop: { sleep: { seconds: 5 } } },
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
        imagePullPolicy: 'IfNotPresent',
        securityContext: {
          capabilities: { drop: ['ALL'] },
          runAsNonRoot: true,
          runAsUser: 1000,
          allowPrivilegeEscalation: false,
          seccompProfile: { type: 'RuntimeDefault' },
        },
      },
    ],
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: 30,
    dnsPolicy: 'ClusterFirst',
    nodeSelector: { 'kubernetes.io/os': 'linux' },
    serviceAccountName: 'default',
    serviceAccount: 'default',
    nodeName: 'node-1',
    securityContext: {
      fsGroup: 2000,
      supplementalGroups: [1, 2, 3],
      sysctls: [{ name: 'a', value: '1' }],
    },
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }] },
          ],
        },
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 10, preference: { matchExpressions: [{ key: 'ssd', operator: 'Exists' }] } },
        ],
      },
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          {
            weight: 100,
            podAffinityTerm: {
              labelSelector: { matchLabels: { app: 'web' } },
              topologyKey: 'kubernetes.io/hostname',
            },
          },
        ],
      },
    },
    schedulerName: 'default-scheduler',
    tolerations: [
      {
        key: 'node.kubernetes.io/not-ready',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 300,
      },
      { key: 'dedicated', operator: 'Equal', value: 'web', effect: 'NoSchedule' },
    ],
    hostAliases: [{ ip: '10.0.0.1', hostnames: ['a.local'] }],
    priority: 0,
    enableServiceLinks: true,
    preemptionPolicy: 'PreemptLowerPriority',
    topologySpreadConstraints: [
      {
        maxSkew: 1,
        topologyKey: 'zone',
        whenUnsatisfiable: 'DoNotSchedule',
        labelSelector: { matchLabels: { app: 'web' } },
      },
    ],
    dnsConfig: { options: [{ name: 'ndots', value: '2' }] },
    readinessGates: [{ conditionType: 'example.com/ready' }],
    ephemeralContainers: [
      { name: 'debug', image: 'busybox', targetContainerName: 'app', stdin: true, tty: true },
    ],
  },
  status: {
    phase: 'Running',
    conditions: [
      {
        type: 'Ready',
        status: 'True',
        lastProbeTime: null,
        lastTransitionTime: '2026-12-07T10:00:05Z',
      },
    ],
    hostIP: '192.168.0.10',
    hostIPs: [{ ip: '192.168.0.10' }],
    podIP: '10.244.0.7',
    podIPs: [{ ip: '10.244.0.7' }],
    startTime: '2026-12-07T10:00:01Z',
    containerStatuses: [
      {
        name: 'app',
        state: { running: { startedAt: '2026-12-07T10:00:03Z' } },
        lastState: {
          terminated: {
            exitCode: 0,
            reason: 'Completed',
            startedAt: '2026-12-07T09:00:00Z',
            finishedAt: '2026-12-07T09:59:00Z',
            containerID: 'containerd://1',
          },
        },
        ready: false,
        restartCount: 0,
        image: 'nginx:1.25',
        imageID: '',
        containerID: 'containerd://2',
        started: false,
      },
    ],
    qosClass: 'Burstable',
  },
};

describe('protobuf encoding: golden bytes (upstream field numbers)', () => {
  it('wraps a pod in k8s\\0 + runtime.Unknown{typeMeta, raw, contentEncoding, contentType}', () => {
    const out = encodeProtobufObject({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a' } });
    expect(hex(out)).toBe(
      hex(
        bytes(
          [0x6b, 0x38, 0x73, 0x00],
          [0x0a, 0x09, 0x0a, 0x02],
          'v1',
          [0x12, 0x03],
          'Pod',
          // raw: Pod{1: ObjectMeta{1: "a"}}
          [0x12, 0x05, 0x0a, 0x03, 0x0a, 0x01],
          'a',
          [0x1a, 0x00, 0x22, 0x00],
        ),
      ),
    );
  });

  it('writes Time as {1: seconds}, maps as sorted entries, quantities and int-or-strings', () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { creationTimestamp: '1970-01-01T00:02:00Z', labels: { b: '2', a: '1' } },
      spec: {
        containers: [
          {
            name: 'c',
            resources: { requests: { cpu: '1' } },
            livenessProbe: { httpGet: { port: 80 } },
          },
        ],
      },
    };
    const raw = readRaw(encodeProtobufObject(pod));
    // ObjectMeta: 8 creationTimestamp {1: 120}; 11 labels entries a=1 then b=2.
    const meta = bytes(
      [0x42, 0x02, 0x08, 120],
      [0x5a, 0x06, 0x0a, 0x01],
      'a',
      [0x12, 0x01],
      '1',
      [0x5a, 0x06, 0x0a, 0x01],
      'b',
      [0x12, 0x01],
      '2',
    );
    // Container: 1 name; 8 resources{2 requests {1 "cpu", 2 Quantity{1 "1"}}};
    // 10 livenessProbe{1 ProbeHandler{2 httpGet{2 port IntOrString{1: 0, 2: 80}}}}.
    const container = bytes(
      [0x0a, 0x01],
      'c',
      [0x42, 0x0c, 0x12, 0x0a, 0x0a, 0x03],
      'cpu',
      [0x12, 0x03, 0x0a, 0x01],
      '1',
      [0x52, 0x0a, 0x0a, 0x08, 0x12, 0x06, 0x12, 0x04, 0x08, 0x00, 0x10, 80],
    );
    const spec = bytes([0x12, container.length], container);
    expect(hex(raw)).toBe(hex(bytes([0x0a, meta.length], meta, [0x12, spec.length], spec)));
  });

  it('keeps pointer zeros and drops plain zeros; negative int64 as ten-byte varints', () => {
    const raw = readRaw(
      encodeProtobufObject({
        apiVersion: 'v1',
        kind: 'Pod',
        spec: { terminationGracePeriodSeconds: 0, hostNetwork: false, priority: -1 },
      }),
    );
    // PodSpec: 4 terminationGracePeriodSeconds 0 (pointer); hostNetwork false dropped;
    // 25 priority -1 (pointer int32, sign-extended as Go writes it).
    const spec = bytes(
      [0x20, 0x00],
      [0xc8, 0x01],
      [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
    );
    expect(hex(raw)).toBe(hex(bytes([0x12, spec.length], spec)));
  });

  it('frames watch events: length, k8s\\0 Unknown{WatchEvent{type, RawExtension{object}}}', () => {
    const object = encodeProtobufObject({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a' } });
    const frame = encodeWatchEventFrame('ADDED', 'v1', object);
    expect(frame.readUInt32BE(0)).toBe(frame.length - 4);
    const event = bytes(
      [0x0a, 0x05],
      'ADDED',
      [0x12, object.length + 2, 0x0a, object.length],
      object,
    );
    expect(hex(readRaw(frame.subarray(4)))).toBe(hex(event));
    expect(decodeWatchEvent(frame.subarray(4))).toEqual({
      type: 'ADDED',
      object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a' } },
    });
  });
});

/** The raw bytes of an envelope (field 2 of the Unknown after the magic). */
function readRaw(env: Buffer): Buffer {
  let at = 4;
  const varint = (): number => {
    let v = 0;
    let shift = 0;
    for (;;) {
      const b = env[at++]!;
      v += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return v;
      shift += 7;
    }
  };
  for (;;) {
    const tag = varint();
    const len = varint();
    if (tag >> 3 === 2) return env.subarray(at, at + len);
    at += len;
  }
}

describe('protobuf encoding failures', () => {
  it('turns an object the tables cannot write into an ERROR frame, not a lost event', () => {
    const bad = { apiVersion: 'v1', kind: 'Pod', spec: { priority: 'high' } };
    const frame = protobufWatchFrame('MODIFIED', bad);
    const event = decodeWatchEvent(frame.subarray(4));
    expect(event.type).toBe('ERROR');
    expect(event.object).toMatchObject({ kind: 'Status', code: 500, reason: 'InternalError' });
  });
});

describe('protobuf round trip', () => {
  it('encodes a full pod and decodes it back to the same JSON', () => {
    expect(decodeProtobufObject(encodeProtobufObject(richPod))).toEqual(richPod);
  });

  it('round-trips lists and Status', () => {
    const list = {
      apiVersion: 'v1',
      kind: 'PodList',
      metadata: { resourceVersion: '99', continue: 'abc', remainingItemCount: 0 },
      items: [richPod, { metadata: { name: 'b' }, spec: {}, status: {} }],
    };
    const back = decodeProtobufObject(encodeProtobufObject(list));
    expect(back.metadata).toEqual(list.metadata);
    const { apiVersion: _a, kind: _k, ...item } = richPod;
    expect((back.items as unknown[])[0]).toEqual(item);
    const status = {
      apiVersion: 'v1',
      kind: 'Status',
      metadata: {},
      status: 'Failure',
      message: 'too old resource version: 1 (5)',
      reason: 'Expired',
      details: { causes: [{ reason: 'FieldValueInvalid', field: 'a' }] },
      code: 410,
    };
    expect(decodeProtobufObject(encodeProtobufObject(status))).toEqual(status);
  });
});

describe('protobuf round trip of the other kinds answered in protobuf', () => {
  it('Node, Endpoints and Event', () => {
    const node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'n1', creationTimestamp: '2026-12-07T10:00:00Z', labels: { a: 'b' } },
      spec: {
        podCIDR: '10.244.1.0/24',
        podCIDRs: ['10.244.1.0/24'],
        taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }],
        unschedulable: true,
      },
      status: {
        capacity: { cpu: '2', memory: '4Gi', pods: '110' },
        allocatable: { cpu: '1900m', memory: '3Gi', pods: '110' },
        conditions: [
          {
            type: 'Ready',
            status: 'True',
            lastHeartbeatTime: '2026-12-07T10:00:00Z',
            lastTransitionTime: '2026-12-07T09:00:00Z',
            reason: 'KubeletReady',
            message: 'kubelet is posting ready status',
          },
        ],
        addresses: [{ type: 'InternalIP', address: '192.168.0.10' }],
        daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
        nodeInfo: {
          machineID: 'm',
          systemUUID: 's',
          bootID: 'b',
          kernelVersion: '6.1',
          osImage: 'Debian',
          containerRuntimeVersion: 'containerd://1.7',
          kubeletVersion: 'v1.32.0',
          kubeProxyVersion: '',
          operatingSystem: 'linux',
          architecture: 'amd64',
        },
        images: [{ names: ['registry.k8s.io/pause:3.9'], sizeBytes: 321520 }],
      },
    };
    expect(decodeProtobufObject(encodeProtobufObject(node))).toEqual(node);
    const endpoints = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'web', namespace: 'default' },
      subsets: [
        {
          addresses: [
            {
              ip: '10.244.0.7',
              nodeName: 'n1',
              targetRef: { kind: 'Pod', namespace: 'default', name: 'web-0', uid: 'u' },
            },
          ],
          notReadyAddresses: [{ ip: '10.244.0.8' }],
          ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
        },
      ],
    };
    expect(decodeProtobufObject(encodeProtobufObject(endpoints))).toEqual(endpoints);
    const event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'e1', namespace: 'default' },
      involvedObject: { kind: 'Pod', namespace: 'default', name: 'web-0' },
      reason: 'Scheduled',
      message: 'assigned',
      source: { component: 'default-scheduler' },
      firstTimestamp: null,
      lastTimestamp: null,
      type: 'Normal',
      eventTime: '2026-12-07T10:00:00.123456Z',
      series: { count: 2, lastObservedTime: '2026-12-07T10:00:01.000001Z' },
      action: 'Binding',
      reportingComponent: 'default-scheduler',
      reportingInstance: '',
    };
    expect(decodeProtobufObject(encodeProtobufObject(event))).toEqual(event);
  });

  it('Lease and EndpointSlice', () => {
    const lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'n1', namespace: 'kube-node-lease' },
      spec: {
        holderIdentity: 'n1',
        leaseDurationSeconds: 40,
        renewTime: '2026-12-07T10:00:00.654321Z',
        leaseTransitions: 0,
      },
    };
    expect(decodeProtobufObject(encodeProtobufObject(lease))).toEqual(lease);
    const slice: JsonObject = {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: 'web-abc',
        namespace: 'default',
        labels: { 'kubernetes.io/service-name': 'web' },
      },
      addressType: 'IPv4',
      endpoints: [
        {
          addresses: ['10.244.0.7'],
          conditions: { ready: true, serving: true, terminating: false },
          nodeName: 'n1',
          zone: 'a',
          targetRef: { kind: 'Pod', namespace: 'default', name: 'web-0', uid: 'u' },
          hints: { forZones: [{ name: 'a' }] },
        },
        { addresses: ['10.244.0.8'], conditions: {} },
      ],
      ports: [{ name: '', protocol: 'TCP', port: 0, appProtocol: 'http' }],
    };
    expect(decodeProtobufObject(encodeProtobufObject(slice))).toEqual(slice);
  });
});

describe('protobuf tables cover the served schema', () => {
  /**
   * Walks the server's OpenAPI definitions from each kind answered in protobuf and fails on any
   * property without a field in the matching message: an answer can never drop data silently.
   */
  const defs = builtinDefinitions();
  const SCALARS = new Set(['Time', 'MicroTime', 'Quantity', 'IntOrString', 'FieldsV1']);
  const fieldsOf = (message: string): Map<string, FieldSpec> => {
    const out = new Map<string, FieldSpec>();
    for (const fs of Object.values(MESSAGES[message] ?? {})) {
      const t = fs.type;
      if (typeof t === 'object' && 'message' in t && t.inline) {
        for (const [k, v] of fieldsOf(t.message)) out.set(k, v);
      } else out.set(fs.name, fs);
    }
    return out;
  };
  const refName = (s: OpenAPISchema): string | undefined => {
    const r = s.$ref ?? (s.allOf?.length === 1 ? s.allOf[0]!.$ref : undefined);
    return r?.split('/').pop();
  };

  for (const [key, { message, definition }] of Object.entries(ENCODABLE)) {
    it(`${key}: every property has a protobuf field`, () => {
      const missing: string[] = [];
      const seen = new Set<string>();
      const walk = (defName: string, msg: string, path: string): void => {
        if (seen.has(defName)) return;
        seen.add(defName);
        const schema = resolveSchema({ $ref: `#/components/schemas/${defName}` }, defs);
        const fields = fieldsOf(msg);
        if (!MESSAGES[msg]) missing.push(`${path} (no message ${msg})`);
        for (const [prop, propSchema] of Object.entries(schema.properties ?? {})) {
          if (path === '' && (prop === 'apiVersion' || prop === 'kind')) continue;
          const fs = fields.get(prop);
          if (!fs) {
            missing.push(`${path}${prop} (${msg})`);
            continue;
          }
          const target = propSchema.items ?? propSchema.additionalProperties;
          const ref =
            refName(propSchema) ?? (typeof target === 'object' ? refName(target) : undefined);
          if (!ref) continue;
          const short = ref.split('.').pop()!;
          if (SCALARS.has(short)) continue;
          const t = fs.type;
          if (typeof t === 'object' && 'message' in t) walk(ref, t.message, `${path}${prop}.`);
          else missing.push(`${path}${prop}: ${short} is not a message in the table`);
        }
      };
      expect(defs[definition]).toBeDefined();
      walk(definition, message, '');
      expect(missing).toEqual([]);
      // The walk went deep (the Pod tree has ~90 definitions).
      expect(seen.size).toBeGreaterThan(message === 'Pod' ? 50 : 3);
    });
  }
});
