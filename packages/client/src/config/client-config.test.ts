import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  buildClientConfig,
  inClusterConfig,
  NOT_IN_CLUSTER_MESSAGE,
  SERVICE_ACCOUNT_DIR,
  type ConfigOverrides,
} from './client-config.js';
import { parseKubeconfig } from './kubeconfig.js';
import { FileTokenSource } from './token-source.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

const KUBECONFIG = `
apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: dev-cluster
  cluster:
    server: https://10.0.0.1:6443
    certificate-authority-data: ${b64('DEV CA')}
    tls-server-name: api.dev
- name: prod-cluster
  cluster:
    server: https://prod.example:443
    certificate-authority: /etc/prod-ca.crt
    extensions:
    - name: kubets.io/grpc-server
      extension:
        server: grpc.prod.example:7000
- name: plain
  cluster:
    server: 127.0.0.1:8080
users:
- name: dev-user
  user:
    client-certificate-data: ${b64('DEV CERT')}
    client-key-data: ${b64('DEV KEY')}
- name: prod-user
  user:
    token: prod-token
contexts:
- name: dev
  context: {cluster: dev-cluster, user: dev-user}
- name: prod
  context: {cluster: prod-cluster, user: prod-user, namespace: payments}
- name: broken
  context: {cluster: nowhere, user: prod-user}
`;

const cfg = parseKubeconfig(KUBECONFIG);
const readFile = (p: string): Buffer => {
  if (p === '/etc/prod-ca.crt') return Buffer.from('PROD CA');
  if (p === '/etc/other-ca.crt') return Buffer.from('OTHER CA');
  throw Object.assign(new Error(`ENOENT: no such file or directory, open '${p}'`), {
    code: 'ENOENT',
  });
};
const build = (o: ConfigOverrides = {}): ReturnType<typeof buildClientConfig> =>
  buildClientConfig(cfg, o, { readFile });

describe('buildClientConfig', () => {
  it('uses current-context: server, CA, client certificate, tls-server-name, default namespace', () => {
    const c = build();
    expect(c.server).toBe('https://10.0.0.1:6443');
    expect(c.tls).toBe(true);
    expect(c.caData?.toString()).toBe('DEV CA');
    expect(c.certData?.toString()).toBe('DEV CERT');
    expect(c.keyData?.toString()).toBe('DEV KEY');
    expect(c.tlsServerName).toBe('api.dev');
    expect(c.namespace).toBe('default');
    expect(c.bearerToken).toBeUndefined();
    // No extension: the REST host on the default gRPC port.
    expect(c.grpcServer).toBe('10.0.0.1:6444');
  });

  it('--context picks another context, its namespace, token and grpc-server extension', () => {
    const c = build({ context: 'prod' });
    expect(c.server).toBe('https://prod.example:443');
    expect(c.caData?.toString()).toBe('PROD CA');
    expect(c.bearerToken).toBe('prod-token');
    expect(c.namespace).toBe('payments');
    expect(c.grpcServer).toBe('grpc.prod.example:7000');
    expect(build({ context: 'prod', namespace: 'other' }).namespace).toBe('other');
  });

  it('--cluster and --user override the context’s choices', () => {
    const c = build({ context: 'dev', user: 'prod-user', cluster: 'prod-cluster' });
    expect(c.server).toBe('https://prod.example:443');
    expect(c.bearerToken).toBe('prod-token');
    expect(c.certData).toBeUndefined();
  });

  it('--server clears the kubeconfig tls-server-name; --insecure-skip-tls-verify drops its CA', () => {
    const c = build({ server: 'https://10.0.0.2:6443', insecureSkipTLSVerify: true });
    expect(c.server).toBe('https://10.0.0.2:6443');
    expect(c.tlsServerName).toBeUndefined();
    expect(c.insecureSkipTLSVerify).toBe(true);
    expect(c.caData).toBeUndefined();
    expect(c.grpcServer).toBe('10.0.0.2:6444');
    const ca = build({ certificateAuthority: '/etc/other-ca.crt', tlsServerName: 'x' });
    expect(ca.caData?.toString()).toBe('OTHER CA');
    expect(ca.tlsServerName).toBe('x');
  });

  it('--token replaces the user’s token; grpcServer override wins over everything', () => {
    const c = build({ context: 'prod', token: 'override', grpcServer: '127.0.0.1:1' });
    expect(c.bearerToken).toBe('override');
    expect(c.grpcServer).toBe('127.0.0.1:1');
  });

  it('a server without scheme is http without TLS settings (and so is its gRPC channel)', () => {
    const c = build({ cluster: 'plain', user: 'prod-user' });
    expect(c.server).toBe('http://127.0.0.1:8080');
    expect(c.tls).toBe(false);
    expect(c.grpcServer).toBe('127.0.0.1:6444');
  });

  it('rejects what kubectl rejects, with its messages', () => {
    expect(() => build({ context: 'nope' })).toThrow('context "nope" does not exist');
    expect(() =>
      buildClientConfig(parseKubeconfig('current-context: gone\nclusters: []'), {}),
    ).toThrow(/context was not found for specified context: gone/);
    expect(() => build({ context: 'broken' })).toThrow('cluster has no server defined');
    expect(() => build({ user: 'ghost' })).toThrow('auth info "ghost" does not exist');
    const bad = parseKubeconfig(`
current-context: c
clusters:
- name: k
  cluster: {server: https://x, insecure-skip-tls-verify: true, certificate-authority-data: ${b64('CA')}}
- name: noserver
  cluster: {tls-server-name: y}
users:
- name: both
  user: {client-certificate: /a, client-certificate-data: ${b64('C')}, client-key-data: ${b64('K')}}
- name: nokey
  user: {client-certificate-data: ${b64('C')}}
- name: two
  user: {token: t, username: u, password: p}
contexts:
- {name: c, context: {cluster: k, user: both}}
`);
    expect(() => buildClientConfig(bad, {})).toThrow(
      /specifying a root certificates file with the insecure flag is not allowed.*client-cert-data and client-cert are both specified for both; please specify only one/,
    );
    expect(() => buildClientConfig(bad, { cluster: 'noserver', user: 'nokey' })).toThrow(
      /no server found for cluster "noserver".*client-key-data or client-key must be specified for nokey to use the clientCert authentication method/,
    );
    expect(() => buildClientConfig(bad, { server: 'https://x', user: 'two' })).toThrow(
      /more than one authentication method found for two; found \[token basicAuth\], only one is allowed/,
    );
    expect(() =>
      buildClientConfig(bad, {
        server: 'https://x',
        user: 'both',
        certificateAuthority: '/missing',
      }),
    ).toThrow(/client-cert-data and client-cert are both specified/);
  });

  it('names the file it could not read', () => {
    expect(() => build({ context: 'prod', certificateAuthority: '/missing/ca.crt' })).toThrow(
      /unable to read certificate-authority \/missing\/ca.crt for prod-cluster due to ENOENT/,
    );
  });

  it('works from overrides alone (no kubeconfig file)', () => {
    const c = buildClientConfig(parseKubeconfig(''), { server: 'http://127.0.0.1:9', token: 't' });
    expect(c.server).toBe('http://127.0.0.1:9');
    expect(c.bearerToken).toBe('t');
  });
});

describe('inClusterConfig', () => {
  let root: string | undefined;
  afterEach(() => {
    if (root) rmSync(root, { recursive: true, force: true });
    root = undefined;
  });

  function mount(files: Record<string, string>): string {
    root = mkdtempSync(join(tmpdir(), 'kubets-client-incluster-'));
    const dir = join(root, SERVICE_ACCOUNT_DIR);
    mkdirSync(dir, { recursive: true });
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
    return root;
  }

  it('needs KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT', () => {
    expect(() => inClusterConfig({ env: { KUBERNETES_SERVICE_HOST: '10.96.0.1' } })).toThrow(
      NOT_IN_CLUSTER_MESSAGE,
    );
  });

  it('reads the service account token, CA and namespace; gRPC on the service’s grpc port', () => {
    const r = mount({ token: 'sa-token\n', 'ca.crt': 'CLUSTER CA', namespace: 'kube-system' });
    const c = inClusterConfig({
      root: r,
      env: {
        KUBERNETES_SERVICE_HOST: '10.96.0.1',
        KUBERNETES_SERVICE_PORT: '443',
        KUBERNETES_SERVICE_PORT_GRPC: '6444',
      },
    });
    expect(c.server).toBe('https://10.96.0.1:443');
    expect(c.grpcServer).toBe('10.96.0.1:6444');
    expect(c.bearerToken).toBe('sa-token');
    expect(c.bearerTokenFile).toBe(join(r, SERVICE_ACCOUNT_DIR, 'token'));
    expect(c.caData?.toString()).toBe('CLUSTER CA');
    expect(c.namespace).toBe('kube-system');
  });

  it('brackets IPv6 hosts, prefers POD_NAMESPACE, and survives a missing CA with a warning', () => {
    const r = mount({ token: 't' });
    const warnings: string[] = [];
    const c = inClusterConfig({
      root: r,
      env: {
        KUBERNETES_SERVICE_HOST: 'fd00::1',
        KUBERNETES_SERVICE_PORT: '443',
        POD_NAMESPACE: 'mine',
      },
      onWarning: (m) => warnings.push(m),
    });
    expect(c.server).toBe('https://[fd00::1]:443');
    expect(c.grpcServer).toBe('[fd00::1]:6444');
    expect(c.namespace).toBe('mine');
    expect(c.caData).toBeUndefined();
    expect(warnings[0]).toMatch(/Expected to load root CA config from .*ca\.crt/);
  });

  it('fails without a token file', () => {
    const r = mount({});
    expect(() =>
      inClusterConfig({
        root: r,
        env: { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' },
      }),
    ).toThrow(/token/);
  });
});

describe('FileTokenSource', () => {
  it('re-reads the file once per period and keeps the last good token on failure', () => {
    let now = 1_000_000;
    const clock = { now: () => now, setTimer: () => ({ cancel: () => undefined }) };
    let content: string | Error = 'one\n';
    let reads = 0;
    const src = new FileTokenSource('/t', {
      clock,
      readFile: () => {
        reads++;
        if (content instanceof Error) throw content;
        return content;
      },
    });
    expect(src.token()).toBe('one');
    content = 'two';
    expect(src.token()).toBe('one');
    expect(reads).toBe(1);
    now = 1_000_000 + 59_999;
    expect(src.token()).toBe('one');
    now = 1_000_000 + 60_000;
    expect(src.token()).toBe('two'); // rotated
    content = new Error('EACCES');
    now = 1_000_000 + 120_000;
    expect(src.token()).toBe('two'); // kept
    content = '';
    now = 1_000_000 + 180_000;
    expect(src.token()).toBe('two'); // an empty file is not a token
    expect(reads).toBe(4);
  });
});
