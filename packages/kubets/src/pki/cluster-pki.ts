/**
 * The whole PKI of a cluster, in kubeadm's layout (file names relative to the PKI directory):
 *
 * | file | signed by | kind | subject |
 * |---|---|---|---|
 * | `ca.crt/key` | self | CA | CN=kubernetes |
 * | `apiserver.crt/key` | ca | server | CN=kube-apiserver, SANs below |
 * | `apiserver-kubelet-client.crt/key` | ca | client | CN=kube-apiserver-kubelet-client, O=system:masters |
 * | `front-proxy-ca.crt/key` | self | CA | CN=front-proxy-ca (optional) |
 * | `front-proxy-client.crt/key` | front-proxy-ca | client | CN=front-proxy-client |
 * | `etcd/ca.crt/key` | self | CA | CN=etcd-ca |
 * | `etcd/server.crt/key`, `etcd/peer.crt/key` | etcd/ca | peer | CN=<node>, SANs of the member |
 * | `etcd/healthcheck-client.crt/key` | etcd/ca | client | CN=kube-etcd-healthcheck-client |
 * | `apiserver-etcd-client.crt/key` | etcd/ca | client | CN=kube-apiserver-etcd-client |
 * | `sa.key`, `sa.pub` | - | RSA 2048 | service-account token signing |
 * | `admin.conf` ... | ca | client (embedded) | see `KUBECONFIG_IDENTITIES` |
 *
 * The store has its own CA because the store trusts every certificate its CA signed: with the
 * cluster CA, any node or user certificate would open the whole database.
 *
 * `planClusterPki` is pure (what to issue); `createClusterPki` generates keys and signs, and
 * returns file contents and modes without touching the disk.
 */
import { createCertificateAuthority, issueCertificate } from './certificates.js';
import type { CertificateAuthority, CertificateKind, SigningContext } from './certificates.js';
import { formatIp, indexedIp, parseCidr } from './ip.js';
import {
  CERTIFICATE_KEY_ALGORITHM,
  generateKeyPair as generateRealKeyPair,
  privateKeyToPem,
} from './keys.js';
import type { CryptoKeyPair, KeyAlgorithm } from './keys.js';
import { renderKubeconfig, parseServerUrl } from './kubeconfig.js';
import type { SubjectAltName } from './names.js';
import { dnsSubdomainProblem, parseSubjectAltName, uniqueSubjectAltNames } from './names.js';
import { generateServiceAccountKeyPair } from './service-account-key.js';

export const DEFAULT_CLUSTER_NAME = 'kubernetes';
export const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';
export const DEFAULT_SERVICE_CLUSTER_IP_RANGE = '10.96.0.0/12';
export const DEFAULT_SERVER = 'https://127.0.0.1:6443';

/** Private keys and kubeconfigs (which embed keys) are owner-only; certificates are public. */
export const PRIVATE_FILE_MODE = 0o600;
export const PUBLIC_FILE_MODE = 0o644;

export interface ClusterPkiOptions {
  /** The node this PKI is created on (kubelet.conf, store member certificates). */
  nodeName: string;
  nodeIps?: readonly string[];
  clusterName?: string;
  clusterDomain?: string;
  /** One CIDR, or two of different families (dual stack), as kube-apiserver takes them. */
  serviceClusterIpRanges?: readonly string[];
  apiserverCertExtraSans?: readonly string[];
  etcdCertExtraSans?: readonly string[];
  /** The URL written into the kubeconfig files; its host is added to the API server's SANs. */
  server?: string;
  caValidityMs?: number;
  certValidityMs?: number;
  /** Create the front-proxy CA and client (the aggregation layer's). Default true. */
  frontProxy?: boolean;
}

export type CaName = 'ca' | 'front-proxy-ca' | 'etcd/ca';

export interface PlannedCertificate {
  /** Path without extension: `<name>.crt` and `<name>.key` are written. */
  name: string;
  ca: CaName;
  kind: CertificateKind;
  commonName: string;
  organizations: string[];
  subjectAltNames: SubjectAltName[];
}

export interface PlannedKubeconfig {
  file: string;
  userName: string;
  organizations: string[];
}

export interface ClusterPkiPlan {
  cas: { name: CaName; commonName: string }[];
  certificates: PlannedCertificate[];
  kubeconfigs: PlannedKubeconfig[];
  clusterName: string;
  server: string;
  caValidityMs: number | undefined;
  certValidityMs: number | undefined;
}

/**
 * The identities kubeadm-style kubeconfig files carry, and the groups the default RBAC policy
 * binds them through (`system:masters` is the superuser group; the others are matched by user).
 */
export function kubeconfigIdentities(nodeName: string): PlannedKubeconfig[] {
  return [
    { file: 'admin.conf', userName: 'admin', organizations: ['system:masters'] },
    {
      file: 'controller-manager.conf',
      userName: 'system:kube-controller-manager',
      organizations: [],
    },
    { file: 'scheduler.conf', userName: 'system:kube-scheduler', organizations: [] },
    { file: 'kubelet.conf', userName: `system:node:${nodeName}`, organizations: ['system:nodes'] },
    { file: 'proxy.conf', userName: 'system:kube-proxy', organizations: [] },
  ];
}

/** Groups of the well-known users when none are given (`admin`, `system:node:<name>`). */
export function defaultGroupsFor(userName: string): string[] {
  if (userName === 'admin') return ['system:masters'];
  if (userName.startsWith('system:node:')) return ['system:nodes'];
  return [];
}

/**
 * The first address of each service range: the ClusterIP of the `kubernetes` Service in
 * `default`, which in-cluster clients dial, so it must be a SAN of the serving certificate.
 */
export function serviceApiserverIps(ranges: readonly string[]): string[] {
  if (ranges.length === 0 || ranges.length > 2) {
    throw new Error(`expected one or two service CIDRs, got ${ranges.length}`);
  }
  const cidrs = ranges.map((range) => parseCidr(range));
  if (cidrs.length === 2 && cidrs[0]?.family === cidrs[1]?.family) {
    throw new Error('two service CIDRs must be of different IP families (one IPv4, one IPv6)');
  }
  return cidrs.map((cidr) => formatIp(indexedIp(cidr, 1)));
}

function sans(values: readonly string[]): SubjectAltName[] {
  return uniqueSubjectAltNames(values.map((value) => parseSubjectAltName(value)));
}

/** The API server serving certificate's SANs, DNS names first, then IPs, then extras. */
export function apiserverSubjectAltNames(options: ClusterPkiOptions): SubjectAltName[] {
  const domain = options.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN;
  const serverHost = parseServerUrl(options.server ?? DEFAULT_SERVER).hostname.replace(
    /^\[|\]$/g,
    '',
  );
  return sans([
    'kubernetes',
    'kubernetes.default',
    'kubernetes.default.svc',
    `kubernetes.default.svc.${domain}`,
    'localhost',
    options.nodeName,
    '127.0.0.1',
    ...serviceApiserverIps(options.serviceClusterIpRanges ?? [DEFAULT_SERVICE_CLUSTER_IP_RANGE]),
    ...(options.nodeIps ?? []),
    serverHost,
    ...(options.apiserverCertExtraSans ?? []),
  ]);
}

/** A store member's SANs: how peers and local clients reach it. */
export function etcdMemberSubjectAltNames(options: ClusterPkiOptions): SubjectAltName[] {
  return sans([
    'localhost',
    options.nodeName,
    '127.0.0.1',
    '::1',
    ...(options.nodeIps ?? []),
    ...(options.etcdCertExtraSans ?? []),
  ]);
}

function checkOptions(options: ClusterPkiOptions): void {
  const nodeProblem = dnsSubdomainProblem(options.nodeName);
  if (nodeProblem !== undefined) throw new Error(`node name "${options.nodeName}" ${nodeProblem}`);
  const domainProblem = dnsSubdomainProblem(options.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN);
  if (domainProblem !== undefined) {
    throw new Error(`cluster domain "${options.clusterDomain ?? ''}" ${domainProblem}`);
  }
  for (const ip of options.nodeIps ?? []) {
    if (parseSubjectAltName(ip).type !== 'ip')
      throw new Error(`node IP "${ip}" is not an IP address`);
  }
  if ((options.clusterName ?? DEFAULT_CLUSTER_NAME).trim() === '') {
    throw new Error('cluster name must not be empty');
  }
}

/** What `createClusterPki` issues, with every name and SAN resolved. Throws on bad options. */
export function planClusterPki(options: ClusterPkiOptions): ClusterPkiPlan {
  checkOptions(options);
  const frontProxy = options.frontProxy ?? true;
  const member = etcdMemberSubjectAltNames(options);
  const cert = (
    name: string,
    ca: CaName,
    kind: CertificateKind,
    commonName: string,
    organizations: string[] = [],
    subjectAltNames: SubjectAltName[] = [],
  ): PlannedCertificate => ({ name, ca, kind, commonName, organizations, subjectAltNames });
  return {
    cas: [
      { name: 'ca', commonName: 'kubernetes' },
      ...(frontProxy ? [{ name: 'front-proxy-ca' as const, commonName: 'front-proxy-ca' }] : []),
      { name: 'etcd/ca', commonName: 'etcd-ca' },
    ],
    certificates: [
      cert('apiserver', 'ca', 'server', 'kube-apiserver', [], apiserverSubjectAltNames(options)),
      // system:masters, as kubeadm did until 1.29: the API server may do anything on kubelets.
      cert('apiserver-kubelet-client', 'ca', 'client', 'kube-apiserver-kubelet-client', [
        'system:masters',
      ]),
      ...(frontProxy
        ? [cert('front-proxy-client', 'front-proxy-ca', 'client', 'front-proxy-client')]
        : []),
      cert('etcd/server', 'etcd/ca', 'peer', options.nodeName, [], member),
      cert('etcd/peer', 'etcd/ca', 'peer', options.nodeName, [], member),
      cert('etcd/healthcheck-client', 'etcd/ca', 'client', 'kube-etcd-healthcheck-client'),
      cert('apiserver-etcd-client', 'etcd/ca', 'client', 'kube-apiserver-etcd-client'),
    ],
    kubeconfigs: kubeconfigIdentities(options.nodeName),
    clusterName: options.clusterName ?? DEFAULT_CLUSTER_NAME,
    server: options.server ?? DEFAULT_SERVER,
    caValidityMs: options.caValidityMs,
    certValidityMs: options.certValidityMs,
  };
}

/**
 * One file to write: path relative to its directory, text, and permission bits. Kubeconfig
 * files may go to a different directory than the PKI (kubeadm: /etc/kubernetes vs its pki/).
 */
export interface PkiFile {
  path: string;
  contents: string;
  mode: number;
  category?: 'pki' | 'kubeconfig';
}

/** The files `createClusterPki(options)` returns, without creating them (to check beforehand). */
export function plannedFiles(plan: ClusterPkiPlan): Pick<PkiFile, 'path' | 'category'>[] {
  return [
    ...plan.cas.flatMap((ca) => [`${ca.name}.crt`, `${ca.name}.key`]),
    ...plan.certificates.flatMap((cert) => [`${cert.name}.crt`, `${cert.name}.key`]),
    'sa.key',
    'sa.pub',
  ]
    .map((path): Pick<PkiFile, 'path' | 'category'> => ({ path, category: 'pki' }))
    .concat(plan.kubeconfigs.map((kc) => ({ path: kc.file, category: 'kubeconfig' as const })));
}

export interface PkiContext extends SigningContext {
  /** Key source; defaults to fresh Web Crypto keys. Tests may inject pre-generated ones. */
  generateKeyPair?: (algorithm: KeyAlgorithm) => Promise<CryptoKeyPair>;
}

/**
 * Generates every key, signs every certificate of `planClusterPki(options)`, and renders the
 * kubeconfig files. Nothing is written: the caller decides where and how.
 */
export async function createClusterPki(
  options: ClusterPkiOptions,
  context: PkiContext,
): Promise<PkiFile[]> {
  const plan = planClusterPki(options);
  const generate = context.generateKeyPair ?? generateRealKeyPair;
  const files: PkiFile[] = [];
  const cas = new Map<CaName, CertificateAuthority>();

  for (const planned of plan.cas) {
    const keys = await generate(CERTIFICATE_KEY_ALGORITHM);
    const ca = await createCertificateAuthority(
      { commonName: planned.commonName, validityMs: plan.caValidityMs },
      keys,
      context,
    );
    cas.set(planned.name, ca);
    files.push(
      { path: `${planned.name}.crt`, contents: ca.certificatePem, mode: PUBLIC_FILE_MODE },
      {
        path: `${planned.name}.key`,
        contents: await privateKeyToPem(keys.privateKey),
        mode: PRIVATE_FILE_MODE,
      },
    );
  }
  const caNamed = (name: CaName) => cas.get(name) as CertificateAuthority;

  for (const planned of plan.certificates) {
    const keys = await generate(CERTIFICATE_KEY_ALGORITHM);
    const issued = await issueCertificate(
      caNamed(planned.ca),
      { ...planned, validityMs: plan.certValidityMs },
      keys.publicKey,
      context,
    );
    files.push(
      { path: `${planned.name}.crt`, contents: issued.certificatePem, mode: PUBLIC_FILE_MODE },
      {
        path: `${planned.name}.key`,
        contents: await privateKeyToPem(keys.privateKey),
        mode: PRIVATE_FILE_MODE,
      },
    );
  }

  const serviceAccount = await generateServiceAccountKeyPair(generate);
  files.push(
    { path: 'sa.key', contents: serviceAccount.privateKeyPem, mode: PRIVATE_FILE_MODE },
    { path: 'sa.pub', contents: serviceAccount.publicKeyPem, mode: PUBLIC_FILE_MODE },
  );

  const clusterCa = caNamed('ca');
  for (const identity of plan.kubeconfigs) {
    const keys = await generate(CERTIFICATE_KEY_ALGORITHM);
    const issued = await issueCertificate(
      clusterCa,
      {
        kind: 'client',
        commonName: identity.userName,
        organizations: identity.organizations,
        validityMs: plan.certValidityMs,
      },
      keys.publicKey,
      context,
    );
    files.push({
      path: identity.file,
      contents: renderKubeconfig({
        clusterName: plan.clusterName,
        server: plan.server,
        caCertificatePem: clusterCa.certificatePem,
        userName: identity.userName,
        credentials: {
          clientCertificatePem: issued.certificatePem,
          clientKeyPem: await privateKeyToPem(keys.privateKey),
        },
      }),
      mode: PRIVATE_FILE_MODE,
      category: 'kubeconfig',
    });
  }
  return files;
}
