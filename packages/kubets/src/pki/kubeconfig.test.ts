import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  buildKubeconfig,
  kubeconfigClientCertificates,
  parseServerUrl,
  renderKubeconfig,
  withGrpcServer,
} from './kubeconfig.js';

const CA = '-----BEGIN CERTIFICATE-----\nQ0E=\n-----END CERTIFICATE-----\n';
const CERT = '-----BEGIN CERTIFICATE-----\nQ0VSVA==\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nS0VZ\n-----END PRIVATE KEY-----\n';
const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('renderKubeconfig', () => {
  it('writes the structure kubectl reads, with embedded CA, certificate and key', () => {
    const yaml = renderKubeconfig({
      clusterName: 'kubernetes',
      server: 'https://127.0.0.1:6443',
      caCertificatePem: CA,
      userName: 'admin',
      credentials: { clientCertificatePem: CERT, clientKeyPem: KEY },
    });
    expect(parse(yaml)).toEqual({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'kubernetes',
          cluster: { server: 'https://127.0.0.1:6443', 'certificate-authority-data': b64(CA) },
        },
      ],
      contexts: [{ name: 'admin@kubernetes', context: { cluster: 'kubernetes', user: 'admin' } }],
      'current-context': 'admin@kubernetes',
      preferences: {},
      users: [
        {
          name: 'admin',
          user: { 'client-certificate-data': b64(CERT), 'client-key-data': b64(KEY) },
        },
      ],
    });
  });

  it("uses kubectl's layout: sorted keys, unindented sequences, no folded lines", () => {
    const longCert = `-----BEGIN CERTIFICATE-----\n${'A'.repeat(600)}\n-----END CERTIFICATE-----\n`;
    const yaml = renderKubeconfig({
      clusterName: 'kubernetes',
      server: 'https://127.0.0.1:6443',
      caCertificatePem: longCert,
      userName: 'admin',
      credentials: { token: 'abcdef.0123456789abcdef' },
    });
    const lines = yaml.split('\n');
    expect(lines[0]).toBe('apiVersion: v1');
    expect(lines).toContain('clusters:');
    expect(lines).toContain('- cluster:');
    expect(lines.find((l) => l.includes('certificate-authority-data'))).toBe(
      `    certificate-authority-data: ${b64(longCert)}`,
    );
    expect(Object.keys(parse(yaml) as object)).toEqual([
      'apiVersion',
      'clusters',
      'contexts',
      'current-context',
      'kind',
      'preferences',
      'users',
    ]);
  });

  it('writes a token user for bearer tokens', () => {
    const config = buildKubeconfig({
      clusterName: 'c1',
      server: 'https://[::1]:6443',
      caCertificatePem: CA,
      userName: 'tls-bootstrap-token-user',
      credentials: { token: 'abcdef.0123456789abcdef' },
      namespace: 'kube-system',
    });
    expect(config.users).toEqual([
      { name: 'tls-bootstrap-token-user', user: { token: 'abcdef.0123456789abcdef' } },
    ]);
    expect(config.contexts[0]?.context).toEqual({
      cluster: 'c1',
      namespace: 'kube-system',
      user: 'tls-bootstrap-token-user',
    });
  });

  it('refuses what kubectl could not use', () => {
    const base = {
      clusterName: 'k',
      caCertificatePem: CA,
      userName: 'u',
      credentials: { token: 't' },
    };
    expect(() => buildKubeconfig({ ...base, server: 'http://127.0.0.1:6443' })).toThrow(
      'must use https',
    );
    expect(() => buildKubeconfig({ ...base, server: '127.0.0.1:6443' })).toThrow();
    expect(() => buildKubeconfig({ ...base, server: 'https://u:p@host:6443' })).toThrow(
      'must not carry credentials',
    );
    expect(() =>
      buildKubeconfig({ ...base, server: 'https://h:1', credentials: { token: 'a b' } }),
    ).toThrow('no whitespace');
    expect(() => buildKubeconfig({ ...base, server: 'https://h:1', userName: '' })).toThrow(
      'user name must not be empty',
    );
  });
});

describe('parseServerUrl', () => {
  it('accepts https URLs with IPv6 hosts', () => {
    expect(parseServerUrl('https://[fd00::1]:6443').hostname).toBe('[fd00::1]');
    expect(() => parseServerUrl('not a url')).toThrow('"not a url" is not a URL');
  });
});

describe('kubeconfigClientCertificates', () => {
  it('returns the embedded client certificates by user', () => {
    const yaml = renderKubeconfig({
      clusterName: 'k',
      server: 'https://h:1',
      caCertificatePem: CA,
      userName: 'admin',
      credentials: { clientCertificatePem: CERT, clientKeyPem: KEY },
    });
    expect(kubeconfigClientCertificates(yaml)).toEqual([
      { userName: 'admin', certificatePem: CERT },
    ]);
  });

  it('names the file when the text is not a kubeconfig', () => {
    expect(() => kubeconfigClientCertificates('kind: Pod\n', '/x/admin.conf')).toThrow(
      '/x/admin.conf: not a kubeconfig',
    );
    expect(() => kubeconfigClientCertificates('a: [', '/x/admin.conf')).toThrow(
      '/x/admin.conf: invalid YAML',
    );
  });
});

describe('withGrpcServer', () => {
  const base = renderKubeconfig({
    clusterName: 'kubernetes',
    server: 'https://127.0.0.1:6443',
    caCertificatePem: CA,
    userName: 'admin',
    credentials: { token: 't' },
  });

  it('advertises the gRPC endpoint in the cluster extension, replacing an older value', () => {
    const once = withGrpcServer(base, '127.0.0.1:6444');
    const twice = withGrpcServer(once, '127.0.0.1:7444');
    const cluster = (parse(twice) as { clusters: { cluster: Record<string, unknown> }[] })
      .clusters[0]!.cluster;
    expect(cluster.extensions).toEqual([
      { name: 'kubets.io/grpc-server', extension: { server: '127.0.0.1:7444' } },
    ]);
    expect(cluster.server).toBe('https://127.0.0.1:6443');
    expect(withGrpcServer(twice, '127.0.0.1:7444')).toBe(twice);
  });

  it('refuses a file that is not a kubeconfig, naming it', () => {
    expect(() => withGrpcServer('kind: Pod\n', '127.0.0.1:6444', 'admin.conf')).toThrow(
      'admin.conf: not a kubeconfig',
    );
  });
});
