/**
 * Kubernetes protobuf answers over real HTTP (real etcd): get, list, watch and write answers for
 * Pods in `application/vnd.kubernetes.protobuf`, read back by kubets' own decoder AND by
 * protobufjs with an independently written `.proto` subset (proto/k8s/pod-subset.proto), so the
 * bytes are checked against upstream's field numbers, not only against our own round trip.
 * Kinds without wire tables (ReplicaSets, custom resources) fall back to JSON, or 406 when the
 * client accepts nothing else.
 */
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeProtobufObject, decodeWatchEvent } from '../src/http/protobuf.js';
import { etcdMissingReason } from './helpers/etcd.js';
import { startTestCluster, type TestCluster } from './helpers/apiserver.js';
import { KUBECTL, kubectlFor } from './helpers/kubectl.js';

const skip = etcdMissingReason();
if (skip) console.warn(`skipping protobuf HTTP tests: ${skip}`);

const PB = 'application/vnd.kubernetes.protobuf';
const root = protobuf.loadSync(
  fileURLToPath(new URL('../../../proto/k8s/pod-subset.proto', import.meta.url)),
);
const T = (name: string): protobuf.Type => root.lookupType(`k8s.io.kubets.testsubset.${name}`);
const asObject = (m: protobuf.Message, type: protobuf.Type): any =>
  type.toObject(m, { longs: Number, bytes: Buffer, defaults: false });

/** Reads an enveloped answer with protobufjs: its typeMeta and the raw message decoded as `as`. */
function readWithProtobufjs(body: Buffer, as: string): { typeMeta: any; object: any } {
  expect([...body.subarray(0, 4)]).toEqual([0x6b, 0x38, 0x73, 0x00]);
  const unknown = asObject(T('Unknown').decode(body.subarray(4)), T('Unknown'));
  return { typeMeta: unknown.typeMeta, object: asObject(T(as).decode(unknown.raw), T(as)) };
}

let cluster: TestCluster;

async function call(
  method: string,
  path: string,
  accept: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<{ status: number; type: string; bytes: Buffer; json: any }> {
  const res = await fetch(cluster.url + path, {
    method,
    headers: { accept, ...(body !== undefined ? { 'content-type': contentType } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const bytes = Buffer.from(await res.arrayBuffer());
  const type = res.headers.get('content-type') ?? '';
  return {
    status: res.status,
    type,
    bytes,
    json: type.startsWith('application/json') ? JSON.parse(bytes.toString('utf8')) : undefined,
  };
}

/** A pod using most of the tree: volumes, probes, env, resources, tolerations, affinity. */
const richPod = (name: string): object => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels: { app: 'web' }, annotations: { 'bench/sent-at': '12345' } },
  spec: {
    volumes: [
      { name: 'data', emptyDir: { sizeLimit: '1Gi' } },
      { name: 'cfg', configMap: { name: 'cfg' } },
    ],
    containers: [
      {
        name: 'app',
        image: 'nginx:1.25',
        command: ['nginx', '-g', 'daemon off;'],
        ports: [{ name: 'http', containerPort: 8080 }],
        env: [{ name: 'MODE', value: 'prod' }],
        resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '100m' } },
        volumeMounts: [{ name: 'data', mountPath: '/data' }],
        livenessProbe: { httpGet: { path: '/healthz', port: 8080 }, initialDelaySeconds: 3 },
      },
    ],
    tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'web', effect: 'NoSchedule' }],
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] },
          ],
        },
      },
    },
  },
});

/** Opens a protobuf watch and collects frames until `done` says so (or 15 s pass). */
function watchFrames(
  path: string,
  done: (events: { type: string; frame: Buffer }[]) => boolean,
): Promise<{ type: string; events: { type: string; frame: Buffer }[] }> {
  return new Promise((resolve, reject) => {
    const events: { type: string; frame: Buffer }[] = [];
    let buf = Buffer.alloc(0);
    const req = request(cluster.url + path, { headers: { accept: PB } }, (res) => {
      const type = res.headers['content-type'] ?? '';
      const timer = setTimeout(() => {
        req.destroy();
        resolve({ type, events });
      }, 15_000);
      res.on('data', (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        while (buf.length >= 4 && buf.length >= 4 + buf.readUInt32BE(0)) {
          const frame = buf.subarray(4, 4 + buf.readUInt32BE(0));
          buf = buf.subarray(4 + frame.length);
          events.push({ type: decodeWatchEvent(frame).type, frame });
        }
        if (done(events)) {
          clearTimeout(timer);
          req.destroy();
          resolve({ type, events });
        }
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ type, events });
      });
    });
    req.on('error', (err) => (events.length > 0 ? undefined : reject(err)));
    req.end();
  });
}

describe.skipIf(skip)('Kubernetes protobuf over HTTP', () => {
  beforeAll(async () => {
    // Bookmarks every 200 ms; a window of 8 events so an old resourceVersion is soon Expired.
    cluster = await startTestCluster({
      watchCacheTuning: { bookmarkIntervalMs: 200 },
      watchCacheWindow: { lowerBound: 8, upperBound: 8 },
    });
  }, 30_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('answers create and get of a pod in protobuf; both readers agree with the JSON form', async () => {
    const created = await call(
      'POST',
      '/api/v1/namespaces/default/pods',
      `${PB}, application/json`,
      richPod('pb-1'),
    );
    expect(created.status).toBe(201);
    expect(created.type).toBe(PB);

    const json = (await call('GET', '/api/v1/namespaces/default/pods/pb-1', 'application/json'))
      .json;
    const got = await call('GET', '/api/v1/namespaces/default/pods/pb-1', PB);
    expect(got.status).toBe(200);
    expect(got.type).toBe(PB);
    expect(got.bytes.length).toBeLessThan(Buffer.byteLength(JSON.stringify(json)));
    // Our decoder: the same object as the JSON answer, field for field.
    expect(decodeProtobufObject(got.bytes)).toEqual(json);

    // protobufjs with the independent .proto subset.
    const { typeMeta, object: pod } = readWithProtobufjs(got.bytes, 'Pod');
    expect(typeMeta).toEqual({ apiVersion: 'v1', kind: 'Pod' });
    expect(pod.metadata).toMatchObject({
      name: 'pb-1',
      namespace: 'default',
      uid: json.metadata.uid,
      resourceVersion: json.metadata.resourceVersion,
      labels: { app: 'web' },
      annotations: { 'bench/sent-at': '12345' },
    });
    expect(pod.metadata.creationTimestamp.seconds).toBe(
      Date.parse(json.metadata.creationTimestamp) / 1000,
    );
    const mf = pod.metadata.managedFields[0];
    expect(mf.manager).toBe(json.metadata.managedFields[0].manager);
    expect(JSON.parse(mf.fieldsV1.Raw.toString('utf8'))).toEqual(
      json.metadata.managedFields[0].fieldsV1,
    );
    const c = pod.spec.containers[0];
    expect(c).toMatchObject({
      name: 'app',
      image: 'nginx:1.25',
      command: ['nginx', '-g', 'daemon off;'],
      ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
      env: [{ name: 'MODE', value: 'prod' }],
      // The service account admission adds the token volume's mount after ours.
      volumeMounts: expect.arrayContaining([{ name: 'data', mountPath: '/data' }]),
      terminationMessagePath: '/dev/termination-log',
    });
    expect(c.resources.limits.cpu.string).toBe('500m');
    expect(c.resources.requests.cpu.string).toBe('100m');
    expect(c.livenessProbe.handler.httpGet).toMatchObject({
      path: '/healthz',
      port: { intVal: 8080 },
    });
    expect(pod.spec.volumes[0].volumeSource.emptyDir.sizeLimit.string).toBe('1Gi');
    expect(pod.spec.volumes[1].volumeSource.configMap.localObjectReference.name).toBe('cfg');
    expect(pod.spec.tolerations[0]).toMatchObject({ key: 'dedicated', effect: 'NoSchedule' });
    expect(pod.spec.terminationGracePeriodSeconds).toBe(json.spec.terminationGracePeriodSeconds);
    expect(pod.status.phase).toBe(json.status.phase);
  });

  it('answers the other kinds with tables as their JSON says', async () => {
    const objects: [string, object][] = [
      [
        '/api/v1/nodes',
        {
          apiVersion: 'v1',
          kind: 'Node',
          metadata: { name: 'pb-n1' },
          spec: { taints: [{ key: 'k', effect: 'NoSchedule' }] },
          status: { capacity: { cpu: '2' }, conditions: [{ type: 'Ready', status: 'True' }] },
        },
      ],
      [
        '/api/v1/namespaces/default/endpoints',
        {
          apiVersion: 'v1',
          kind: 'Endpoints',
          metadata: { name: 'pb-ep' },
          subsets: [{ addresses: [{ ip: '10.0.0.1' }], ports: [{ port: 80 }] }],
        },
      ],
      [
        '/api/v1/namespaces/default/events',
        {
          apiVersion: 'v1',
          kind: 'Event',
          metadata: { name: 'pb-ev' },
          involvedObject: { kind: 'Pod', namespace: 'default', name: 'x' },
          reason: 'Test',
          message: 'm',
          type: 'Normal',
          eventTime: '2026-12-07T10:00:00.123456Z',
          reportingComponent: 'test',
          reportingInstance: 'i',
          action: 'A',
        },
      ],
      [
        '/apis/coordination.k8s.io/v1/namespaces/default/leases',
        {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: 'pb-lease' },
          spec: {
            holderIdentity: 'me',
            leaseDurationSeconds: 15,
            renewTime: '2026-12-07T10:00:00.000001Z',
          },
        },
      ],
      [
        '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices',
        {
          apiVersion: 'discovery.k8s.io/v1',
          kind: 'EndpointSlice',
          metadata: { name: 'pb-slice' },
          addressType: 'IPv4',
          endpoints: [{ addresses: ['10.0.0.2'], conditions: { ready: true } }],
          ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
        },
      ],
    ];
    objects.push(
      ['/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'pb-ns' } }],
      [
        '/api/v1/namespaces/default/configmaps',
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'pb-cm' },
          data: { a: 'b', empty: '' },
          binaryData: { bin: Buffer.from([0, 1, 2, 255]).toString('base64') },
        },
      ],
      [
        '/api/v1/namespaces/default/secrets',
        {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'pb-secret' },
          type: 'Opaque',
          data: { k: Buffer.from('v').toString('base64') },
        },
      ],
      [
        '/api/v1/namespaces/default/serviceaccounts',
        { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'pb-sa' } },
      ],
      [
        '/api/v1/namespaces/default/services',
        {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 'pb-svc' },
          spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 'http' }] },
        },
      ],
      [
        '/apis/apps/v1/namespaces/default/deployments',
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'pb-deploy' },
          spec: {
            replicas: 0,
            selector: { matchLabels: { app: 'pb' } },
            template: {
              metadata: { labels: { app: 'pb' } },
              spec: { containers: [{ name: 'c', image: 'nginx' }] },
            },
          },
        },
      ],
      [
        '/apis/batch/v1/namespaces/default/jobs',
        {
          apiVersion: 'batch/v1',
          kind: 'Job',
          metadata: { name: 'pb-job' },
          spec: {
            backoffLimit: 0,
            template: {
              spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] },
            },
          },
        },
      ],
      [
        '/apis/rbac.authorization.k8s.io/v1/clusterroles',
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRole',
          metadata: { name: 'pb-reader' },
          rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }],
        },
      ],
      [
        '/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings',
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'RoleBinding',
          metadata: { name: 'pb-binding' },
          subjects: [{ kind: 'User', name: 'alice', apiGroup: 'rbac.authorization.k8s.io' }],
          roleRef: {
            apiGroup: 'rbac.authorization.k8s.io',
            kind: 'ClusterRole',
            name: 'pb-reader',
          },
        },
      ],
    );
    for (const [collection, object] of objects) {
      const created = await call('POST', collection, `${PB}, application/json`, object);
      expect(created.status, collection).toBe(201);
      expect(created.type).toBe(PB);
      const name = (object as { metadata: { name: string } }).metadata.name;
      const json = (await call('GET', `${collection}/${name}`, 'application/json')).json;
      const pb = await call('GET', `${collection}/${name}`, PB);
      expect(pb.type).toBe(PB);
      expect(decodeProtobufObject(pb.bytes)).toEqual(json);
      const list = await call('GET', collection, PB);
      expect(list.type).toBe(PB);
      expect((decodeProtobufObject(list.bytes).items as unknown[]).length).toBeGreaterThan(0);
    }
  });

  it('answers lists in protobuf (PodList with ListMeta)', async () => {
    await call('POST', '/api/v1/namespaces/default/pods', 'application/json', richPod('pb-2'));
    const json = (await call('GET', '/api/v1/namespaces/default/pods', 'application/json')).json;
    const list = await call('GET', '/api/v1/namespaces/default/pods', `${PB},application/json`);
    expect(list.type).toBe(PB);
    const { typeMeta, object } = readWithProtobufjs(list.bytes, 'PodList');
    expect(typeMeta).toEqual({ apiVersion: 'v1', kind: 'PodList' });
    expect(object.metadata.resourceVersion).toBe(json.metadata.resourceVersion);
    expect(object.items.map((p: any) => p.metadata.name)).toEqual(
      json.items.map((p: any) => p.metadata.name),
    );
    const ours = decodeProtobufObject(list.bytes);
    expect((ours.items as any[]).map((p) => p.metadata.uid)).toEqual(
      json.items.map((p: any) => p.metadata.uid),
    );
  });

  it('streams watch events as length-prefixed frames with bookmarks', async () => {
    const rv = (await call('GET', '/api/v1/namespaces/default/pods', 'application/json')).json
      .metadata.resourceVersion;
    const watching = watchFrames(
      `/api/v1/namespaces/default/pods?watch=1&allowWatchBookmarks=true&resourceVersion=${rv}`,
      (events) =>
        events.some((e) => e.type === 'MODIFIED') && events.some((e) => e.type === 'BOOKMARK'),
    );
    await new Promise((r) => setTimeout(r, 100));
    const patched = await fetch(`${cluster.url}/api/v1/namespaces/default/pods/pb-1`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/merge-patch+json', accept: 'application/json' },
      body: JSON.stringify({ metadata: { labels: { step: 'two' } } }),
    });
    const after = (await patched.json()) as any;
    const { type, events } = await watching;
    expect(type).toBe(`${PB};stream=watch`);
    const modified = events.find((e) => e.type === 'MODIFIED')!;
    expect(decodeWatchEvent(modified.frame).object).toEqual(after);

    // protobufjs: Unknown{WatchEvent{type, RawExtension{raw: k8s\0 Unknown{Pod}}}}.
    const { typeMeta, object: event } = readWithProtobufjs(modified.frame, 'WatchEvent');
    expect(typeMeta.kind).toBe('WatchEvent');
    expect(event.type).toBe('MODIFIED');
    const inner = readWithProtobufjs(event.object.raw, 'Pod');
    expect(inner.typeMeta).toEqual({ apiVersion: 'v1', kind: 'Pod' });
    expect(inner.object.metadata.labels).toEqual({ app: 'web', step: 'two' });

    const bookmark = readWithProtobufjs(
      events.find((e) => e.type === 'BOOKMARK')!.frame,
      'WatchEvent',
    );
    const bm = readWithProtobufjs(bookmark.object.object.raw, 'Pod');
    expect(Number(bm.object.metadata.resourceVersion)).toBeGreaterThanOrEqual(
      Number(after.metadata.resourceVersion),
    );
  });

  it('sends ERROR events as a protobuf Status', async () => {
    const first = await call(
      'POST',
      '/api/v1/namespaces/default/pods',
      'application/json',
      richPod('pb-old'),
    );
    for (let i = 0; i < 12; i++) {
      const r = await fetch(`${cluster.url}/api/v1/namespaces/default/pods/pb-old`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/merge-patch+json', accept: 'application/json' },
        body: JSON.stringify({ metadata: { labels: { i: String(i) } } }),
      });
      expect(r.status).toBe(200);
    }
    const { type, events } = await watchFrames(
      `/api/v1/namespaces/default/pods?watch=1&resourceVersion=${first.json.metadata.resourceVersion}`,
      (e) => e.some((x) => x.type === 'ERROR'),
    );
    expect(type).toBe(`${PB};stream=watch`);
    const error = events.find((e) => e.type === 'ERROR');
    expect(error).toBeDefined();
    const { object: event } = readWithProtobufjs(error!.frame, 'WatchEvent');
    const status = readWithProtobufjs(event.object.raw, 'Status');
    expect(status.typeMeta).toEqual({ apiVersion: 'v1', kind: 'Status' });
    expect(status.object).toMatchObject({ status: 'Failure', code: 410, reason: 'Expired' });
  });

  // kubectl's drain and cordon use client-go's typed clients, which ask for protobuf: a real Go
  // decoder reads our Node and Pod answers (and would fail the command on a wrong byte).
  it.skipIf(!KUBECTL)(
    'kubectl cordon and drain read Nodes and Pods in protobuf',
    async () => {
      const k = kubectlFor(cluster.url);
      try {
        await call('POST', '/api/v1/nodes', 'application/json', {
          apiVersion: 'v1',
          kind: 'Node',
          metadata: { name: 'pb-node', labels: { 'kubernetes.io/hostname': 'pb-node' } },
          status: {
            capacity: { cpu: '2', pods: '110' },
            addresses: [{ type: 'InternalIP', address: '10.0.0.9' }],
          },
        });
        const pod = richPod('pb-drained') as { spec: Record<string, unknown> };
        pod.spec.nodeName = 'pb-node';
        expect(
          (await call('POST', '/api/v1/namespaces/default/pods', 'application/json', pod)).status,
        ).toBe(201);
        const drain = await k.run(
          [
            'drain',
            'pb-node',
            '--force',
            '--delete-emptydir-data',
            '--grace-period=0',
            '--timeout=20s',
            '-v=8',
          ],
          undefined,
          40_000,
        );
        expect(drain.stderr).toMatch(/Accept: application\/vnd\.kubernetes\.protobuf/);
        expect(drain.stderr).toMatch(/Content-Type: application\/vnd\.kubernetes\.protobuf/);
        if (drain.code !== 0) console.log(drain.stdout, drain.stderr.slice(-6000));
        expect(drain.code).toBe(0);
        expect(drain.stdout).toMatch(/node\/pb-node cordoned/);
        expect(drain.stdout).toMatch(/pod\/pb-drained evicted/);
        const node = (await call('GET', '/api/v1/nodes/pb-node', 'application/json')).json;
        expect(node.spec.unschedulable).toBe(true);
      } finally {
        k.cleanup();
      }
    },
    60_000,
  );

  it('falls back to JSON for kinds without tables (ReplicaSets) and custom resources; 406 without JSON', async () => {
    const cm = await call(
      'GET',
      '/apis/apps/v1/namespaces/default/replicasets',
      `${PB}, application/json`,
    );
    expect(cm.status).toBe(200);
    expect(cm.type).toBe('application/json');
    const refused = await call('GET', '/apis/apps/v1/namespaces/default/replicasets', PB);
    expect(refused.status).toBe(406);
    expect(refused.json).toMatchObject({ kind: 'Status', reason: 'NotAcceptable', code: 406 });
    // Pods with protobuf alone: served.
    expect((await call('GET', '/api/v1/namespaces/default/pods', PB)).type).toBe(PB);

    const crd = await call(
      'POST',
      '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
      'application/json',
      {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: 'gadgets.example.com' },
        spec: {
          group: 'example.com',
          scope: 'Namespaced',
          names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget' },
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              schema: {
                openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
              },
            },
          ],
        },
      },
    );
    expect(crd.status).toBe(201);
    const path = '/apis/example.com/v1/namespaces/default/gadgets';
    let created = 0;
    for (let i = 0; i < 100 && created !== 201; i++) {
      created = (
        await call('POST', path, 'application/json', {
          apiVersion: 'example.com/v1',
          kind: 'Gadget',
          metadata: { name: 'g1' },
        })
      ).status;
      if (created !== 201) await new Promise((r) => setTimeout(r, 100));
    }
    expect(created).toBe(201);
    const g = await call('GET', `${path}/g1`, `${PB}, application/json`);
    expect(g.type).toBe('application/json');
    expect(g.json.metadata.name).toBe('g1');
    expect((await call('GET', `${path}/g1`, PB)).status).toBe(406);
  });
});
