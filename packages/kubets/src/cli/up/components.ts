/**
 * Where the component binaries of a local cluster come from and the command lines `kubets up`
 * gives them. Pure: paths and ports in, argument vectors out, so the plan is unit-tested.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface LocalClusterLayout {
  /** Root of the cluster's state: pki/, store/, logs/. */
  dataDir: string;
  apiserverPort: number;
  /** The gRPC resource API of the API server (advertised to clients in admin.conf). */
  grpcPort: number;
  storeClientPort: number;
  storePeerPort: number;
}

export interface ComponentLaunch {
  name: 'kubets-store' | 'kubets-apiserver';
  /** Absolute path of the component's JavaScript entry point, run with this Node binary. */
  script: string;
  args: string[];
  logFile: string;
}

const require = createRequire(import.meta.url);

/** kubeadm's default `--service-account-issuer`. */
export const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

/** The file an installed package's `bin` entry points at. */
export function resolvePackageBin(packageName: string, binName: string): string {
  const manifestPath = require.resolve(`${packageName}/package.json`);
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
    bin?: Record<string, string>;
  };
  const bin = manifest.bin?.[binName];
  if (!bin) throw new Error(`${packageName} has no "${binName}" binary in its package.json`);
  return join(dirname(manifestPath), bin);
}

export function pkiDir(layout: LocalClusterLayout): string {
  return join(layout.dataDir, 'pki');
}

export function adminKubeconfig(layout: LocalClusterLayout): string {
  return join(layout.dataDir, 'admin.conf');
}

export function apiserverUrl(layout: LocalClusterLayout): string {
  return `https://127.0.0.1:${layout.apiserverPort}`;
}

/** The store's etcd v3 client URL (HTTPS with client certificates). */
export function storeClientUrl(layout: LocalClusterLayout): string {
  return `https://127.0.0.1:${layout.storeClientPort}`;
}

/** `host:port` of the gRPC resource API, as @kubets/client reads it from a kubeconfig. */
export function grpcServer(layout: LocalClusterLayout): string {
  return `127.0.0.1:${layout.grpcPort}`;
}

/** Store first (the API server needs it), then the API server. Both listen on loopback only. */
export function planLaunches(
  layout: LocalClusterLayout,
  resolveBin: (pkg: string, bin: string) => string = resolvePackageBin,
): ComponentLaunch[] {
  const storeUrl = storeClientUrl(layout);
  // One member: no peer traffic, so the peer URL stays as first written into the data dir.
  const peerUrl = `http://127.0.0.1:${layout.storePeerPort}`;
  const pki = pkiDir(layout);
  return [
    {
      name: 'kubets-store',
      script: resolveBin('@kubets/store', 'kubets-store'),
      args: [
        '--name=local',
        `--data-dir=${join(layout.dataDir, 'store')}`,
        `--listen-client-urls=${storeUrl}`,
        `--advertise-client-urls=${storeUrl}`,
        `--listen-peer-urls=${peerUrl}`,
        `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=local=${peerUrl}`,
        // Clients (the API server) over mutual TLS with the store's own CA, as kubeadm's etcd.
        `--cert-file=${join(pki, 'etcd', 'server.crt')}`,
        `--key-file=${join(pki, 'etcd', 'server.key')}`,
        `--trusted-ca-file=${join(pki, 'etcd', 'ca.crt')}`,
        '--client-cert-auth=true',
      ],
      logFile: join(layout.dataDir, 'logs', 'kubets-store.log'),
    },
    {
      name: 'kubets-apiserver',
      script: resolveBin('@kubets/apiserver', 'kubets-apiserver'),
      args: [
        `--etcd-servers=${storeUrl}`,
        `--etcd-cafile=${join(pki, 'etcd', 'ca.crt')}`,
        `--etcd-certfile=${join(pki, 'apiserver-etcd-client.crt')}`,
        `--etcd-keyfile=${join(pki, 'apiserver-etcd-client.key')}`,
        '--bind-address=127.0.0.1',
        `--secure-port=${layout.apiserverPort}`,
        `--grpc-port=${layout.grpcPort}`,
        `--tls-cert-file=${join(pki, 'apiserver.crt')}`,
        `--tls-private-key-file=${join(pki, 'apiserver.key')}`,
        // Secured as a kubeadm cluster: client certificates of the cluster CA (admin.conf is in
        // system:masters), service-account tokens, bootstrap tokens for node join, Node+RBAC.
        // Anonymous requests stay on (upstream's default) so /readyz, /livez, /healthz and
        // /version answer unauthenticated callers through system:public-info-viewer.
        `--client-ca-file=${join(pki, 'ca.crt')}`,
        `--service-account-key-file=${join(pki, 'sa.pub')}`,
        `--service-account-signing-key-file=${join(pki, 'sa.key')}`,
        `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
        '--enable-bootstrap-token-auth=true',
        '--authorization-mode=Node,RBAC',
        // As kubeadm: kubelets may change only their own Node and their own pods.
        '--enable-admission-plugins=NodeRestriction',
      ],
      logFile: join(layout.dataDir, 'logs', 'kubets-apiserver.log'),
    },
  ];
}
