import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildClientConfig, EMPTY_CONFIG_MESSAGE, loadClientConfig } from './client-config.js';
import { loadKubeconfig, parseKubeconfig } from './kubeconfig.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

function kubeconfig(opts: {
  current?: string;
  clusters?: Record<string, Record<string, unknown>>;
  users?: Record<string, Record<string, unknown>>;
  contexts?: Record<string, Record<string, unknown>>;
}): string {
  const list = (m: Record<string, Record<string, unknown>> | undefined, key: string): unknown[] =>
    Object.entries(m ?? {}).map(([name, v]) => ({ name, [key]: v }));
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': opts.current ?? '',
    clusters: list(opts.clusters, 'cluster'),
    users: list(opts.users, 'user'),
    contexts: list(opts.contexts, 'context'),
  });
}

function enoent(path: string): Error {
  return Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), {
    code: 'ENOENT',
  });
}

/** An in-memory file system for loadKubeconfig. */
function files(map: Record<string, string>): (p: string) => string {
  return (p) => {
    const v = map[p];
    if (v === undefined) throw enoent(p);
    return v;
  };
}

describe('parseKubeconfig', () => {
  it('reads YAML as kubectl writes it', () => {
    const cfg = parseKubeconfig(`
apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: c1
  cluster:
    server: https://10.0.0.1:6443
    certificate-authority-data: ${b64('CA')}
users:
- name: u1
  user:
    token: abc
contexts:
- name: dev
  context:
    cluster: c1
    user: u1
    namespace: team-a
`);
    expect(cfg.currentContext).toBe('dev');
    expect(cfg.clusters.get('c1')?.server).toBe('https://10.0.0.1:6443');
    expect(cfg.users.get('u1')?.token).toBe('abc');
    expect(cfg.contexts.get('dev')).toEqual({ cluster: 'c1', user: 'u1', namespace: 'team-a' });
  });

  it('treats an empty file as an empty config and rejects malformed ones with the file named', () => {
    expect(parseKubeconfig('').clusters.size).toBe(0);
    expect(() => parseKubeconfig('clusters: 3', 'a.yaml')).toThrow(
      'a.yaml: "clusters" must be a list',
    );
    expect(() => parseKubeconfig('clusters: [{cluster: {}}]', 'a.yaml')).toThrow(
      /non-empty "name"/,
    );
    expect(() =>
      parseKubeconfig('clusters: [{name: a, cluster: {}}, {name: a, cluster: {}}]', 'a.yaml'),
    ).toThrow(/duplicate name "a"/);
    expect(() => parseKubeconfig('kind: Pod')).toThrow(/not a Config/);
  });
});

describe('loadKubeconfig: precedence and KUBECONFIG merge rules', () => {
  const a = kubeconfig({
    current: 'ctx-a',
    clusters: { shared: { server: 'https://a:6443' }, onlyA: { server: 'https://only-a' } },
    users: { u: { token: 'from-a' } },
    contexts: { 'ctx-a': { cluster: 'shared', user: 'u' } },
  });
  const b = kubeconfig({
    current: 'ctx-b',
    clusters: { shared: { server: 'https://b:6443', 'tls-server-name': 'b' } },
    users: { u: { token: 'from-b' }, other: { token: 'o' } },
    contexts: { 'ctx-b': { cluster: 'shared', user: 'other' } },
  });

  it('the first file to define a name wins it whole, and the first current-context wins', () => {
    const cfg = loadKubeconfig({
      env: { KUBECONFIG: '/k/a:/k/b' },
      readFile: files({ '/k/a': a, '/k/b': b }),
    });
    expect(cfg.currentContext).toBe('ctx-a');
    // Not merged field by field: b's tls-server-name does not leak into a's cluster.
    expect(cfg.clusters.get('shared')).toEqual({ server: 'https://a:6443' });
    expect(cfg.users.get('u')?.token).toBe('from-a');
    expect(cfg.users.get('other')?.token).toBe('o');
    expect([...cfg.contexts.keys()].sort()).toEqual(['ctx-a', 'ctx-b']);
    expect(cfg.sources).toEqual(['/k/a', '/k/b']);
  });

  it('a file without current-context does not hide a later one', () => {
    const noCurrent = kubeconfig({ clusters: { x: { server: 'https://x' } } });
    const cfg = loadKubeconfig({
      env: { KUBECONFIG: '/k/n:/k/b' },
      readFile: files({ '/k/n': noCurrent, '/k/b': b }),
    });
    expect(cfg.currentContext).toBe('ctx-b');
  });

  it('skips missing and empty entries of KUBECONFIG and reads repeated files once', () => {
    const cfg = loadKubeconfig({
      env: { KUBECONFIG: '/missing::/k/b:/k/b' },
      readFile: files({ '/k/b': b }),
    });
    expect(cfg.currentContext).toBe('ctx-b');
    expect(cfg.sources).toEqual(['/k/b']);
  });

  it('--kubeconfig reads only that file, which must exist', () => {
    const cfg = loadKubeconfig({
      explicitPath: '/k/b',
      env: { KUBECONFIG: '/k/a' },
      readFile: files({ '/k/a': a, '/k/b': b }),
    });
    expect(cfg.currentContext).toBe('ctx-b');
    expect(() => loadKubeconfig({ explicitPath: '/nope', readFile: files({}) })).toThrow(
      'stat /nope: no such file or directory',
    );
  });

  it('without KUBECONFIG reads ~/.kube/config, and nothing at all is the empty config', () => {
    const cfg = loadKubeconfig({
      env: { HOME: '/home/me' },
      readFile: files({ '/home/me/.kube/config': b }),
    });
    expect(cfg.currentContext).toBe('ctx-b');
    const none = loadKubeconfig({ env: { HOME: '/home/me' }, readFile: files({}) });
    expect(() => buildClientConfig(none)).toThrow(EMPTY_CONFIG_MESSAGE);
  });
});

describe('relative paths are resolved against the kubeconfig directory', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('reads certificate-authority, client-certificate, client-key and tokenFile next to the file', () => {
    dir = mkdtempSync(join(tmpdir(), 'kubets-client-kubeconfig-'));
    mkdirSync(join(dir, 'pki'));
    writeFileSync(join(dir, 'pki', 'ca.crt'), 'CA PEM');
    writeFileSync(join(dir, 'pki', 'me.crt'), 'CERT PEM');
    writeFileSync(join(dir, 'pki', 'me.key'), 'KEY PEM');
    writeFileSync(join(dir, 'token'), 'tok\n');
    writeFileSync(
      join(dir, 'config'),
      kubeconfig({
        current: 'c',
        clusters: {
          k: { server: 'https://127.0.0.1:6443', 'certificate-authority': 'pki/ca.crt' },
        },
        users: {
          me: {
            'client-certificate': 'pki/me.crt',
            'client-key': './pki/me.key',
            tokenFile: 'token',
          },
        },
        contexts: { c: { cluster: 'k', user: 'me' } },
      }),
    );
    // Loaded from another working directory, through KUBECONFIG.
    const cfg = loadClientConfig({}, { env: { KUBECONFIG: join(dir, 'config') } });
    expect(cfg.caData?.toString()).toBe('CA PEM');
    expect(cfg.certData?.toString()).toBe('CERT PEM');
    expect(cfg.keyData?.toString()).toBe('KEY PEM');
    expect(cfg.bearerTokenFile).toBe(join(dir, 'token'));
  });
});
