/**
 * Real kubectl (the installed dispatcher, which picks kubectl 1.32 from our /version) against a
 * kubets API server on real etcd and on kubets-store (a real store process), with a fresh
 * --cache-dir. Each command's output is checked.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etcdMissingReason } from './helpers/etcd.js';
import { startTestCluster, type TestCluster } from './helpers/apiserver.js';
import { storeMissingReason } from './helpers/store.js';
import { KUBECTL, kubectlFor, type Kubectl, type KubectlResult } from './helpers/kubectl.js';

const skip = etcdMissingReason() ?? (KUBECTL ? undefined : 'kubectl not found on PATH');
if (skip) console.warn(`skipping kubectl tests: ${skip}`);
const storeMissing = storeMissingReason();
if (!skip && storeMissing) console.warn(`skipping kubectl tests on kubets-store: ${storeMissing}`);
const BACKENDS = storeMissing ? (['etcd'] as const) : (['etcd', 'kubets-store'] as const);

let cluster: TestCluster;
let k: Kubectl;

const kubectl = (args: string[]): Promise<KubectlResult> => k.run(args);
const ok = (args: string[]): Promise<string> => k.ok(args);
const file = (name: string, content: string): string => k.file(name, content);

const DEPLOYMENT = (image: string, replicas = 2): string => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: ${image}
        ports:
        - containerPort: 80
`;

const BUNDLE = `${DEPLOYMENT('nginx:1.25')}---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  mode: fast
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
  - port: 80
    targetPort: 80
`;

describe.skipIf(skip).each(BACKENDS)('kubectl against kubets-apiserver on %s', (backend) => {
  beforeAll(async () => {
    cluster = await startTestCluster({ backend });
    k = kubectlFor(cluster.url);
  }, 30_000);

  afterAll(async () => {
    await cluster?.stop();
    k?.cleanup();
  });

  it('version picks kubectl 1.32 from the server minor', async () => {
    const out = await ok(['version']);
    expect(out).toMatch(/Server Version: v1\.32\.0-kubets/);
  });

  it('get ns lists the system namespaces with a Table', async () => {
    const out = await ok(['get', 'ns']);
    expect(out.split('\n')[0]).toMatch(/^NAME\s+STATUS\s+AGE$/);
    for (const ns of ['default', 'kube-node-lease', 'kube-public', 'kube-system']) {
      expect(out).toMatch(new RegExp(`^${ns}\\s+Active\\s+\\d+s$`, 'm'));
    }
  });

  it('api-resources lists resources from aggregated discovery', async () => {
    const out = await ok(['api-resources']);
    expect(out).toMatch(/^pods\s+po\s+v1\s+true\s+Pod$/m);
    expect(out).toMatch(/^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
    expect(out).toMatch(/^namespaces\s+ns\s+v1\s+false\s+Namespace$/m);
  });

  it('create -f creates a Deployment, ConfigMap and Service; a second create is AlreadyExists', async () => {
    const bundle = file('bundle.yaml', BUNDLE);
    const out = await ok(['create', '-f', bundle]);
    expect(out).toBe(
      'deployment.apps/web created\nconfigmap/settings created\nservice/web created\n',
    );
    const again = await kubectl(['create', '-f', bundle]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('Error from server (AlreadyExists): error when creating');
    expect(again.stderr).toContain('deployments.apps "web" already exists');
  });

  it('get -o yaml / json / wide', async () => {
    const yaml = await ok(['get', 'deploy', 'web', '-o', 'yaml']);
    expect(yaml).toMatch(/^kind: Deployment$/m);
    expect(yaml).toMatch(/^ {2}generation: 1$/m);
    expect(yaml).toMatch(/imagePullPolicy: IfNotPresent/);
    const json = JSON.parse(await ok(['get', 'svc', 'web', '-o', 'json']));
    expect(json.spec.clusterIP).toMatch(/^10\.96\.0\.\d+$/);
    const wide = await ok(['get', 'deploy', '-o', 'wide']);
    expect(wide.split('\n')[0]).toMatch(
      /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR$/,
    );
    expect(wide).toMatch(/^web\s+0\/2\s+0\s+0\s+\d+s\s+nginx\s+nginx:1\.25\s+app=web$/m);
    const cm = await ok(['get', 'cm', 'settings']);
    expect(cm).toMatch(/^settings\s+1\s+\d+s$/m);
  });

  it('apply -f client-side (created, unchanged, configured), then --server-side twice', async () => {
    const path = file('apply.yaml', DEPLOYMENT('nginx:1.25').replace('name: web', 'name: applied'));
    expect(await ok(['apply', '-f', path])).toBe('deployment.apps/applied created\n');
    expect(await ok(['apply', '-f', path])).toBe('deployment.apps/applied unchanged\n');
    file('apply.yaml', DEPLOYMENT('nginx:1.26').replace('name: web', 'name: applied'));
    expect(await ok(['apply', '-f', path])).toBe('deployment.apps/applied configured\n');
    expect(
      await ok([
        'get',
        'deploy',
        'applied',
        '-o',
        'jsonpath={.spec.template.spec.containers[0].image} {.metadata.generation}',
      ]),
    ).toBe('nginx:1.26 2');
    expect(await ok(['apply', '--server-side', '-f', path])).toBe(
      'deployment.apps/applied serverside-applied\n',
    );
    expect(await ok(['apply', '--server-side', '-f', path])).toBe(
      'deployment.apps/applied serverside-applied\n',
    );
    const managers = JSON.parse(
      await ok(['get', 'deploy', 'applied', '-o', 'jsonpath={.metadata.managedFields}']),
    );
    expect(
      managers.map((m: { manager: string; operation: string }) => `${m.manager}/${m.operation}`),
    ).toContain('kubectl/Apply');
  });

  it('server-side apply by another manager conflicts, and --force-conflicts takes over', async () => {
    const path = file(
      'conflict.yaml',
      DEPLOYMENT('nginx:1.26', 5).replace('name: web', 'name: applied'),
    );
    const conflict = await kubectl(['apply', '--server-side', '--field-manager=other', '-f', path]);
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toContain(
      'Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas',
    );
    expect(
      await ok([
        'apply',
        '--server-side',
        '--field-manager=other',
        '--force-conflicts',
        '-f',
        path,
      ]),
    ).toBe('deployment.apps/applied serverside-applied\n');
    expect(await ok(['get', 'deploy', 'applied', '-o', 'jsonpath={.spec.replicas}'])).toBe('5');
  });

  it('patch with strategic, merge and JSON patches', async () => {
    expect(
      await ok([
        'patch',
        'deploy',
        'web',
        '-p',
        '{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.27"}]}}}}',
      ]),
    ).toBe('deployment.apps/web patched\n');
    expect(
      await ok([
        'patch',
        'deploy',
        'web',
        '--type=merge',
        '-p',
        '{"metadata":{"labels":{"patched":"merge"}}}',
      ]),
    ).toBe('deployment.apps/web patched\n');
    expect(
      await ok([
        'patch',
        'deploy',
        'web',
        '--type=json',
        '-p',
        '[{"op":"replace","path":"/spec/replicas","value":1}]',
      ]),
    ).toBe('deployment.apps/web patched\n');
    const got = await ok([
      'get',
      'deploy',
      'web',
      '-o',
      'jsonpath={.spec.template.spec.containers[0].image} {.spec.template.spec.containers[0].ports[0].containerPort} {.metadata.labels.patched} {.spec.replicas}',
    ]);
    // The strategic patch merged the container by name: its port survived.
    expect(got).toBe('nginx:1.27 80 merge 1');
  });

  it('label and annotate', async () => {
    expect(await ok(['label', 'deploy', 'web', 'tier=frontend'])).toBe(
      'deployment.apps/web labeled\n',
    );
    expect(await ok(['annotate', 'deploy', 'web', 'owner=team-a'])).toBe(
      'deployment.apps/web annotated\n',
    );
    expect(await ok(['label', 'deploy', 'web', 'tier-'])).toBe('deployment.apps/web unlabeled\n');
    expect(
      await ok([
        'get',
        'deploy',
        'web',
        '-o',
        'jsonpath={.metadata.labels.tier}|{.metadata.annotations.owner}',
      ]),
    ).toBe('|team-a');
  });

  it('scale deployment bumps replicas and generation', async () => {
    const before = Number(
      await ok(['get', 'deploy', 'web', '-o', 'jsonpath={.metadata.generation}']),
    );
    expect(await ok(['scale', 'deployment', 'web', '--replicas=3'])).toBe(
      'deployment.apps/web scaled\n',
    );
    expect(
      await ok(['get', 'deploy', 'web', '-o', 'jsonpath={.spec.replicas} {.metadata.generation}']),
    ).toBe(`3 ${before + 1}`);
  });

  it('get pods with label and field selectors', async () => {
    const pod = (name: string, app: string): string => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  labels: {app: ${app}}
spec:
  containers:
  - name: c
    image: busybox
`;
    await ok(['create', '-f', file('p1.yaml', pod('px1', 'x'))]);
    await ok(['create', '-f', file('p2.yaml', pod('pz1', 'z'))]);
    const out = await ok([
      'get',
      'pods',
      '-l',
      'app=x',
      '--field-selector',
      'status.phase=Pending',
    ]);
    expect(out.split('\n')[0]).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
    expect(out).toMatch(/^px1\s+0\/1\s+Pending\s+0\s+\d+s$/m);
    expect(out).not.toContain('pz1');
    const none = await kubectl(['get', 'pods', '--field-selector', 'status.phase=Running']);
    expect(none.stderr).toContain('No resources found in default namespace.');
    const chunked = await ok(['get', 'pods', '--chunk-size=1', '-o', 'name']);
    expect(chunked).toBe('pod/px1\npod/pz1\n');
    const all = await ok(['get', 'pods', '-A', '--show-labels']);
    expect(all).toMatch(/^default\s+px1\s+.*app=x$/m);
  });

  it('get --watch prints changes as they happen', async () => {
    const child = spawn(KUBECTL!, k.argv(['get', 'cm', '--watch', '--output-watch-events']), {
      env: k.env,
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const waitFor = async (re: RegExp): Promise<void> => {
      const deadline = Date.now() + 10_000;
      while (!re.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    };
    try {
      await waitFor(/settings/);
      await ok(['create', 'configmap', 'watched', '--from-literal=a=b']);
      await waitFor(/ADDED\s+watched/);
      await ok(['delete', 'configmap', 'watched']);
      await waitFor(/DELETED\s+watched/);
    } finally {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
    }
    expect(out).toMatch(/^EVENT\s+NAME\s+DATA\s+AGE$/m);
    expect(out).toMatch(/^ADDED\s+watched\s+1\s+\d+s$/m);
    expect(out).toMatch(/^DELETED\s+watched\s+1\s+\d+s$/m);
  });

  it('explain reads the OpenAPI v3 schemas', async () => {
    const out = await ok(['explain', 'pod.spec.containers']);
    expect(out).toMatch(/^KIND:\s+Pod$/m);
    expect(out).toMatch(/^FIELD: containers <\[\]Container>$/m);
    expect(out).toMatch(/^ {2}image\t<string>$/m);
  });

  it('--dry-run=server validates without persisting', async () => {
    expect(await ok(['create', 'configmap', 'dry', '--from-literal=a=b', '--dry-run=server'])).toBe(
      'configmap/dry created (server dry run)\n',
    );
    const missing = await kubectl(['get', 'configmap', 'dry']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('Error from server (NotFound): configmaps "dry" not found\n');
  });

  it('reports errors from the server as kubectl users expect', async () => {
    const r = await kubectl(['get', 'pods', 'x']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('Error from server (NotFound): pods "x" not found\n');
    const strict = await kubectl([
      'apply',
      '-f',
      file(
        'bad.yaml',
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bad\nspec:\n  foo: 1\n',
      ),
    ]);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain('unknown field "spec"');
  });

  it('create subcommands that send protobuf bodies work', async () => {
    expect(await ok(['create', 'namespace', 'team-a'])).toBe('namespace/team-a created\n');
    expect(
      await ok(['create', 'deployment', 'api', '--image=nginx', '--replicas=2', '-n', 'team-a']),
    ).toBe('deployment.apps/api created\n');
    expect(
      await ok([
        'create',
        'secret',
        'generic',
        'creds',
        '--from-literal=user=admin',
        '-n',
        'team-a',
      ]),
    ).toBe('secret/creds created\n');
    expect(
      await ok([
        'get',
        'deploy',
        'api',
        '-n',
        'team-a',
        '-o',
        'jsonpath={.spec.replicas} {.spec.template.spec.containers[0].image}',
      ]),
    ).toBe('2 nginx');
  });

  it('CRD create, then custom resources apply/get/scale with printer columns, then cleanup', async () => {
    const crd = file(
      'crd.yaml',
      `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: crontabs.stable.example.com
spec:
  group: stable.example.com
  scope: Namespaced
  names: {plural: crontabs, singular: crontab, kind: CronTab, shortNames: [ct]}
  versions:
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
      scale: {specReplicasPath: .spec.replicas, statusReplicasPath: .status.replicas}
    additionalPrinterColumns:
    - {name: Spec, type: string, jsonPath: .spec.cronSpec}
    - {name: Replicas, type: integer, jsonPath: .spec.replicas}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              cronSpec: {type: string}
              replicas: {type: integer, default: 1}
          status:
            type: object
            properties:
              replicas: {type: integer}
`,
    );
    expect(await ok(['apply', '-f', crd])).toBe(
      'customresourcedefinition.apiextensions.k8s.io/crontabs.stable.example.com created\n',
    );
    await cluster.server.customResources?.idle();
    const ct = file(
      'ct.yaml',
      'apiVersion: stable.example.com/v1\nkind: CronTab\nmetadata:\n  name: my-cron\nspec:\n  cronSpec: "*/5 * * * *"\n',
    );
    expect(await ok(['apply', '-f', ct])).toBe('crontab.stable.example.com/my-cron created\n');
    expect(await ok(['apply', '--server-side', '-f', ct])).toBe(
      'crontab.stable.example.com/my-cron serverside-applied\n',
    );
    expect(await ok(['scale', 'ct', 'my-cron', '--replicas=3'])).toBe(
      'crontab.stable.example.com/my-cron scaled\n',
    );
    const table = await ok(['get', 'ct']);
    expect(table.split('\n')[0]).toMatch(/^NAME\s+SPEC\s+REPLICAS$/);
    expect(table).toMatch(/^my-cron\s+\*\/5 \* \* \* \*\s+3$/m);
    const invalid = await kubectl([
      'apply',
      '-f',
      file(
        'bad-ct.yaml',
        'apiVersion: stable.example.com/v1\nkind: CronTab\nmetadata:\n  name: bad\nspec:\n  replicas: lots\n',
      ),
    ]);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain(
      'The CronTab "bad" is invalid: spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"',
    );
    expect(await ok(['delete', 'crd', 'crontabs.stable.example.com'])).toBe(
      'customresourcedefinition.apiextensions.k8s.io "crontabs.stable.example.com" deleted\n',
    );
    const gone = await kubectl(['get', 'crontabs.stable.example.com']);
    expect(gone.code).toBe(1);
  });

  it('delete removes objects (and finishes waiting)', async () => {
    expect(await ok(['delete', '-f', join(k.dir, 'bundle.yaml')])).toBe(
      'deployment.apps "web" deleted\nconfigmap "settings" deleted\nservice "web" deleted\n',
    );
    expect(await ok(['delete', 'pod', 'px1'])).toBe('pod "px1" deleted\n');
    const gone = await kubectl(['get', 'deploy', 'web']);
    expect(gone.stderr).toBe('Error from server (NotFound): deployments.apps "web" not found\n');
  });
});
