import { describe, expect, it } from 'vitest';
import { adminKubeconfig, apiserverUrl, planLaunches, resolvePackageBin } from './components.js';

const layout = {
  dataDir: '/var/lib/kubets',
  apiserverPort: 6443,
  grpcPort: 6444,
  storeClientPort: 2379,
  storePeerPort: 2380,
};

describe('planLaunches', () => {
  it('starts the store first, then the API server pointed at it, both on loopback, secured with the cluster PKI and Node,RBAC', () => {
    const launches = planLaunches(layout, (pkg, bin) => `/bins/${pkg}/${bin}.js`);
    expect(launches.map((l) => l.name)).toEqual(['kubets-store', 'kubets-apiserver']);
    expect(launches[0]!.args).toEqual([
      '--name=local',
      '--data-dir=/var/lib/kubets/store',
      '--listen-client-urls=https://127.0.0.1:2379',
      '--advertise-client-urls=https://127.0.0.1:2379',
      '--listen-peer-urls=http://127.0.0.1:2380',
      '--initial-advertise-peer-urls=http://127.0.0.1:2380',
      '--initial-cluster=local=http://127.0.0.1:2380',
      '--cert-file=/var/lib/kubets/pki/etcd/server.crt',
      '--key-file=/var/lib/kubets/pki/etcd/server.key',
      '--trusted-ca-file=/var/lib/kubets/pki/etcd/ca.crt',
      '--client-cert-auth=true',
    ]);
    expect(launches[1]!.args).toEqual([
      '--etcd-servers=https://127.0.0.1:2379',
      '--etcd-cafile=/var/lib/kubets/pki/etcd/ca.crt',
      '--etcd-certfile=/var/lib/kubets/pki/apiserver-etcd-client.crt',
      '--etcd-keyfile=/var/lib/kubets/pki/apiserver-etcd-client.key',
      '--bind-address=127.0.0.1',
      '--secure-port=6443',
      '--grpc-port=6444',
      '--tls-cert-file=/var/lib/kubets/pki/apiserver.crt',
      '--tls-private-key-file=/var/lib/kubets/pki/apiserver.key',
      '--client-ca-file=/var/lib/kubets/pki/ca.crt',
      '--service-account-key-file=/var/lib/kubets/pki/sa.pub',
      '--service-account-signing-key-file=/var/lib/kubets/pki/sa.key',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      '--enable-bootstrap-token-auth=true',
      '--authorization-mode=Node,RBAC',
      '--enable-admission-plugins=NodeRestriction',
    ]);
    expect(launches[1]!.script).toBe('/bins/@kubets/apiserver/kubets-apiserver.js');
    expect(launches[1]!.logFile).toBe('/var/lib/kubets/logs/kubets-apiserver.log');
    expect(apiserverUrl(layout)).toBe('https://127.0.0.1:6443');
    expect(adminKubeconfig(layout)).toBe('/var/lib/kubets/admin.conf');
  });

  it('resolves the installed component binaries and names a missing one', () => {
    expect(resolvePackageBin('@kubets/store', 'kubets-store')).toMatch(/bin\/kubets-store\.js$/);
    expect(() => resolvePackageBin('@kubets/store', 'nope')).toThrow(
      '@kubets/store has no "nope" binary in its package.json',
    );
  });
});
