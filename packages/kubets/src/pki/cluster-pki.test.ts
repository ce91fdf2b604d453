/**
 * The cluster PKI: the plan (pure) and the generated files parsed back: every certificate signed
 * by the CA it should be, with the subject, SANs and usages of the layout, and keys that belong
 * to their certificates.
 */
import {
  createPrivateKey,
  createPublicKey,
  sign,
  verify,
  X509Certificate as NodeX509,
} from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { FIXED_NOW, seededRandomBytes } from '../../test/random.js';
import {
  apiserverSubjectAltNames,
  createClusterPki,
  defaultGroupsFor,
  planClusterPki,
  plannedFiles,
  serviceApiserverIps,
} from './cluster-pki.js';
import type { PkiFile } from './cluster-pki.js';
import { extendedKeyUsagesOf, subjectAltNamesOf } from './inspect.js';
import { formatSubjectAltName } from './names.js';
import { parseCertificate } from './pem.js';
import { verifyCertificateChain } from './verify.js';

const options = {
  nodeName: 'node1',
  nodeIps: ['192.168.1.10'],
  apiserverCertExtraSans: ['api.example.com', '10.0.0.5'],
};

describe('apiserverSubjectAltNames', () => {
  it('covers every name in-cluster and local clients dial, in a stable order', () => {
    expect(apiserverSubjectAltNames({ nodeName: 'node1' }).map(formatSubjectAltName)).toEqual([
      'DNS:kubernetes',
      'DNS:kubernetes.default',
      'DNS:kubernetes.default.svc',
      'DNS:kubernetes.default.svc.cluster.local',
      'DNS:localhost',
      'DNS:node1',
      'IP:127.0.0.1',
      'IP:10.96.0.1',
    ]);
  });

  it('follows the cluster domain, service range, node IPs, server host and extra SANs', () => {
    const sans = apiserverSubjectAltNames({
      nodeName: 'cp-0',
      nodeIps: ['192.168.1.10', '127.0.0.1'],
      clusterDomain: 'corp.internal',
      serviceClusterIpRanges: ['10.100.0.0/16', 'fd00:10:96::/108'],
      server: 'https://cp.example.com:6443',
      apiserverCertExtraSans: ['*.api.example.com', '10.0.0.5', 'kubernetes'],
    }).map(formatSubjectAltName);
    expect(sans).toEqual([
      'DNS:kubernetes',
      'DNS:kubernetes.default',
      'DNS:kubernetes.default.svc',
      'DNS:kubernetes.default.svc.corp.internal',
      'DNS:localhost',
      'DNS:cp-0',
      'IP:127.0.0.1',
      'IP:10.100.0.1',
      'IP:fd00:10:96::1',
      'IP:192.168.1.10',
      'DNS:cp.example.com',
      'DNS:*.api.example.com',
      'IP:10.0.0.5',
    ]);
  });

  it('adds an IPv6 server host without brackets', () => {
    const sans = apiserverSubjectAltNames({ nodeName: 'n', server: 'https://[fd00::10]:6443' });
    expect(sans).toContainEqual({ type: 'ip', value: 'fd00::10' });
  });
});

describe('serviceApiserverIps', () => {
  it('takes one range or two of different families', () => {
    expect(serviceApiserverIps(['10.96.0.0/12'])).toEqual(['10.96.0.1']);
    expect(() => serviceApiserverIps(['10.96.0.0/12', '10.97.0.0/16'])).toThrow(
      'different IP families',
    );
    expect(() => serviceApiserverIps(['10.0.0.0/8', 'fd00::/108', '10.1.0.0/16'])).toThrow(
      'one or two',
    );
    expect(() => serviceApiserverIps(['10.96.0.0/33'])).toThrow('prefix length 33');
  });
});

describe('planClusterPki', () => {
  it("lays out kubeadm's files", () => {
    const plan = planClusterPki(options);
    expect(plannedFiles(plan).map((f) => f.path)).toEqual([
      'ca.crt',
      'ca.key',
      'front-proxy-ca.crt',
      'front-proxy-ca.key',
      'etcd/ca.crt',
      'etcd/ca.key',
      'apiserver.crt',
      'apiserver.key',
      'apiserver-kubelet-client.crt',
      'apiserver-kubelet-client.key',
      'front-proxy-client.crt',
      'front-proxy-client.key',
      'etcd/server.crt',
      'etcd/server.key',
      'etcd/peer.crt',
      'etcd/peer.key',
      'etcd/healthcheck-client.crt',
      'etcd/healthcheck-client.key',
      'apiserver-etcd-client.crt',
      'apiserver-etcd-client.key',
      'sa.key',
      'sa.pub',
      'admin.conf',
      'controller-manager.conf',
      'scheduler.conf',
      'kubelet.conf',
      'proxy.conf',
    ]);
  });

  it('drops the front proxy on request', () => {
    const paths = plannedFiles(planClusterPki({ ...options, frontProxy: false })).map(
      (f) => f.path,
    );
    expect(paths.filter((p) => p.startsWith('front-proxy'))).toEqual([]);
  });

  it('refuses invalid node names, domains and node IPs', () => {
    expect(() => planClusterPki({ nodeName: 'Node_1' })).toThrow(
      'node name "Node_1" must consist of lower case',
    );
    expect(() => planClusterPki({ nodeName: 'n', clusterDomain: 'Cluster.Local' })).toThrow(
      'cluster domain',
    );
    expect(() => planClusterPki({ nodeName: 'n', nodeIps: ['node2'] })).toThrow(
      'node IP "node2" is not an IP address',
    );
  });

  it('knows the groups of well-known users', () => {
    expect(defaultGroupsFor('admin')).toEqual(['system:masters']);
    expect(defaultGroupsFor('system:node:n1')).toEqual(['system:nodes']);
    expect(defaultGroupsFor('system:kube-scheduler')).toEqual([]);
  });
});

describe('createClusterPki', () => {
  let files: Map<string, PkiFile>;
  const cert = (path: string) => parseCertificate(files.get(path)!.contents, path);
  const kubeconfigCert = (path: string) => {
    const config = parse(files.get(path)!.contents);
    return parseCertificate(
      Buffer.from(config.users[0].user['client-certificate-data'], 'base64').toString(),
      path,
    );
  };

  beforeAll(async () => {
    const list = await createClusterPki(options, {
      now: FIXED_NOW,
      randomBytes: seededRandomBytes(5),
    });
    files = new Map(list.map((f) => [f.path, f]));
  });

  it('produces exactly the planned files, keys and kubeconfigs owner-only', () => {
    expect([...files.keys()]).toEqual(plannedFiles(planClusterPki(options)).map((f) => f.path));
    for (const file of files.values()) {
      const secret = file.path.endsWith('.key') || file.path.endsWith('.conf');
      expect(file.mode, file.path).toBe(secret ? 0o600 : 0o644);
      expect(file.category ?? 'pki').toBe(file.path.endsWith('.conf') ? 'kubeconfig' : 'pki');
    }
  });

  it('signs each certificate with the CA of the layout, for the right purpose', async () => {
    const expectations: [string, string, 'serverAuth' | 'clientAuth', string[]][] = [
      ['apiserver.crt', 'ca.crt', 'serverAuth', ['serverAuth']],
      ['apiserver-kubelet-client.crt', 'ca.crt', 'clientAuth', ['clientAuth']],
      ['front-proxy-client.crt', 'front-proxy-ca.crt', 'clientAuth', ['clientAuth']],
      ['etcd/server.crt', 'etcd/ca.crt', 'serverAuth', ['serverAuth', 'clientAuth']],
      ['etcd/peer.crt', 'etcd/ca.crt', 'clientAuth', ['serverAuth', 'clientAuth']],
      ['etcd/healthcheck-client.crt', 'etcd/ca.crt', 'clientAuth', ['clientAuth']],
      ['apiserver-etcd-client.crt', 'etcd/ca.crt', 'clientAuth', ['clientAuth']],
    ];
    for (const [leaf, ca, purpose, ekus] of expectations) {
      const result = await verifyCertificateChain(cert(leaf), [cert(ca)], {
        now: FIXED_NOW,
        purpose,
      });
      expect(result.valid, `${leaf} by ${ca}`).toBe(true);
      expect(extendedKeyUsagesOf(cert(leaf)), leaf).toEqual(ekus);
    }
    // The store CA is separate: a cluster certificate must not open the store.
    const crossed = await verifyCertificateChain(
      cert('apiserver-kubelet-client.crt'),
      [cert('etcd/ca.crt')],
      {
        now: FIXED_NOW,
        purpose: 'clientAuth',
      },
    );
    expect(crossed.valid).toBe(false);
  });

  it('names CAs and leaves as kubeadm does', () => {
    expect(cert('ca.crt').subject).toBe('CN=kubernetes');
    expect(cert('front-proxy-ca.crt').subject).toBe('CN=front-proxy-ca');
    expect(cert('etcd/ca.crt').subject).toBe('CN=etcd-ca');
    expect(cert('apiserver.crt').subject).toBe('CN=kube-apiserver');
    expect(cert('apiserver-kubelet-client.crt').subject).toBe(
      'O=system:masters, CN=kube-apiserver-kubelet-client',
    );
    expect(cert('etcd/server.crt').subject).toBe('CN=node1');
    expect(cert('apiserver-etcd-client.crt').subject).toBe('CN=kube-apiserver-etcd-client');
  });

  it('gives the API server and the store members their SANs', () => {
    expect(subjectAltNamesOf(cert('apiserver.crt')).map(formatSubjectAltName)).toEqual(
      apiserverSubjectAltNames(options).map(formatSubjectAltName),
    );
    expect(subjectAltNamesOf(cert('etcd/peer.crt')).map(formatSubjectAltName)).toEqual([
      'DNS:localhost',
      'DNS:node1',
      'IP:127.0.0.1',
      'IP:::1',
      'IP:192.168.1.10',
    ]);
  });

  it('writes kubeconfigs for admin, controller-manager, scheduler, the node and the proxy', async () => {
    const identities: [string, string][] = [
      ['admin.conf', 'O=system:masters, CN=admin'],
      ['controller-manager.conf', 'CN=system:kube-controller-manager'],
      ['scheduler.conf', 'CN=system:kube-scheduler'],
      ['kubelet.conf', 'O=system:nodes, CN=system:node:node1'],
      ['proxy.conf', 'CN=system:kube-proxy'],
    ];
    for (const [file, subject] of identities) {
      const config = parse(files.get(file)!.contents);
      expect(kubeconfigCert(file).subject, file).toBe(subject);
      expect(config.clusters[0].cluster.server).toBe('https://127.0.0.1:6443');
      expect(
        Buffer.from(config.clusters[0].cluster['certificate-authority-data'], 'base64').toString(),
      ).toBe(files.get('ca.crt')!.contents);
      const result = await verifyCertificateChain(kubeconfigCert(file), [cert('ca.crt')], {
        now: FIXED_NOW,
        purpose: 'clientAuth',
      });
      expect(result.valid, file).toBe(true);
    }
  });

  it('writes private keys that belong to their certificates', () => {
    for (const [path, file] of files) {
      if (!path.endsWith('.crt')) continue;
      const key = createPrivateKey(files.get(path.replace(/\.crt$/, '.key'))!.contents);
      expect(new NodeX509(file.contents).checkPrivateKey(key), path).toBe(true);
    }
    for (const file of ['admin.conf', 'kubelet.conf']) {
      const user = parse(files.get(file)!.contents).users[0].user;
      const key = createPrivateKey(Buffer.from(user['client-key-data'], 'base64').toString());
      const certPem = Buffer.from(user['client-certificate-data'], 'base64').toString();
      expect(new NodeX509(certPem).checkPrivateKey(key), file).toBe(true);
    }
  });

  it('writes an RSA 2048 service-account key pair that signs and verifies RS256', () => {
    const privateKey = createPrivateKey(files.get('sa.key')!.contents);
    const publicKey = createPublicKey(files.get('sa.pub')!.contents);
    expect(privateKey.asymmetricKeyType).toBe('rsa');
    expect(privateKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(files.get('sa.key')!.contents).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(files.get('sa.pub')!.contents).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    const signature = sign('sha256', Buffer.from('header.payload'), privateKey);
    expect(verify('sha256', Buffer.from('header.payload'), publicKey, signature)).toBe(true);
  });
});
