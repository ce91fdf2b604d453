// The README's first command: `kubets up` starts a working cluster on embedded defaults, real
// kubectl drives it with the admin.conf it writes, and the cluster's state survives a restart.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadClientConfig, newClientset } from '@kubets/client';
import { scratchDir, which, type RunningProcess } from './support/process.js';
import { freeUpPorts, kubectlWith, startKubetsUp, type UpPorts } from './support/kubets-up.js';

const kubectl = which('kubectl');
const etcdctl = which('etcdctl');
if (!kubectl) console.warn('SKIP kubets up e2e: no `kubectl` on PATH');

describe.skipIf(!kubectl)('kubets up', () => {
  const scratch = scratchDir('up');
  let cluster: RunningProcess | undefined;
  afterAll(async () => {
    await cluster?.stop();
    scratch.remove();
  });

  const up = (ports: UpPorts): Promise<RunningProcess> => startKubetsUp(scratch.dir, ports);
  const kubectlRun = kubectlWith(kubectl!, scratch.dir);

  it('serves kubectl over HTTPS with the generated admin.conf and keeps state across a restart', async () => {
    const ports = await freeUpPorts();
    const api = ports.api;
    cluster = await up(ports);

    const ns = kubectlRun('get', 'namespaces', '-o', 'name');
    expect(ns.stderr).toBe('');
    expect(ns.stdout.split('\n')).toEqual(
      expect.arrayContaining(['namespace/default', 'namespace/kube-system']),
    );
    expect(kubectlRun('create', 'configmap', 'survives', '--from-literal=answer=42').status).toBe(
      0,
    );
    // @kubets/client finds the gRPC API through admin.conf's kubets.io/grpc-server extension and
    // authenticates with its client certificate; it sees what kubectl wrote over REST.
    const config = loadClientConfig({}, { explicitPath: join(scratch.dir, 'admin.conf') });
    expect(config.grpcServer).toBe(`127.0.0.1:${ports.grpc}`);
    const clientset = newClientset(config);
    try {
      const viaGrpc = await clientset.coreV1.configMaps('default').get('survives');
      expect((viaGrpc as { data?: Record<string, string> }).data).toEqual({ answer: '42' });
    } finally {
      clientset.close();
    }
    // Secured: admin.conf's client certificate is in system:masters; RBAC (Node,RBAC) decides.
    const whoami = kubectlRun('auth', 'whoami', '-o', 'jsonpath={.status.userInfo.groups}');
    expect(whoami.stdout).toContain('system:masters');
    const jane = kubectlRun('auth', 'can-i', 'list', 'secrets', '--as=jane');
    expect(jane.stdout.trim()).toBe('no');
    // Service-account tokens signed with the cluster's sa.key authenticate; RBAC still decides.
    expect(kubectlRun('create', 'serviceaccount', 'robot').status).toBe(0);
    const token = kubectlRun('create', 'token', 'robot');
    expect(token.status).toBe(0);
    const asRobot = spawnSync(
      kubectl!,
      [
        '--kubeconfig=/dev/null',
        `--server=https://127.0.0.1:${api}`,
        `--certificate-authority=${join(scratch.dir, 'pki', 'ca.crt')}`,
        `--token=${token.stdout.trim()}`,
        'get',
        'secrets',
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(asRobot.stderr).toContain(
      'User "system:serviceaccount:default:robot" cannot list resource "secrets"',
    );

    // The store takes only clients with a certificate of its own CA (as kubeadm's etcd).
    if (etcdctl) {
      const pki = join(scratch.dir, 'pki');
      const etcdctlRun = (...args: string[]) =>
        spawnSync(
          etcdctl,
          [
            `--endpoints=https://127.0.0.1:${ports.storeClient}`,
            `--cacert=${join(pki, 'etcd', 'ca.crt')}`,
            '--dial-timeout=5s',
            '--command-timeout=10s',
            ...args,
          ],
          { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ETCDCTL_API: '3' } },
        );
      expect(
        etcdctlRun('get', '--prefix', '/registry/configmaps/default/survives').status,
      ).not.toBe(0);
      const withCert = etcdctlRun(
        `--cert=${join(pki, 'etcd', 'healthcheck-client.crt')}`,
        `--key=${join(pki, 'etcd', 'healthcheck-client.key')}`,
        'get',
        '--keys-only',
        '/registry/configmaps/default/survives',
      );
      expect(withCert.stdout.trim()).toBe('/registry/configmaps/default/survives');
    } else {
      console.warn('etcdctl not found: the store TLS check of kubets up is skipped');
    }

    await cluster.stop();
    expect(cluster.output()).toContain('SIGTERM received, stopping the cluster');
    cluster = await up(ports);
    const cm = kubectlRun('get', 'configmap', 'survives', '-o', 'jsonpath={.data.answer}');
    expect(cm.stderr).toBe('');
    expect(cm.stdout).toBe('42');
  }, 240_000);
});
