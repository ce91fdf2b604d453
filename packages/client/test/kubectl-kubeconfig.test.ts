/**
 * Differential test of kubeconfig loading against kubectl itself: for KUBECONFIG lists with
 * overlapping names, missing current-contexts and relative paths, and for --context choices,
 * `kubectl config view --minify --flatten` must name the same server, TLS server name, CA bytes,
 * token and namespace as loadClientConfig. kubectl reads the files only; no server is contacted.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadClientConfig } from '../src/config/client-config.js';

const KUBECTL = process.env.KUBETS_KUBECTL ?? '/usr/bin/kubectl';
const skip = existsSync(KUBECTL) ? undefined : `kubectl not found at ${KUBECTL}`;
if (skip) console.warn(`skipping kubectl kubeconfig comparison: ${skip}`);
const run = promisify(execFile);

interface Minified {
  clusters?: { cluster: Record<string, string> }[];
  users?: { user: Record<string, string> }[];
  contexts?: { context: { namespace?: string } }[];
}

describe.skipIf(skip)('kubeconfig loading matches kubectl', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kubets-client-kubectl-'));
    mkdirSync(join(dir, 'a-dir', 'pki'), { recursive: true });
    writeFileSync(join(dir, 'a-dir', 'pki', 'ca.crt'), 'CA OF A\n');
    writeFileSync(
      join(dir, 'a-dir', 'config'),
      `apiVersion: v1
kind: Config
current-context: ctx-a
clusters:
- name: shared
  cluster: {server: "https://a:6443", certificate-authority: pki/ca.crt}
users:
- name: u
  user: {token: from-a}
contexts:
- name: ctx-a
  context: {cluster: shared, user: u, namespace: ns-a}
`,
    );
    writeFileSync(
      join(dir, 'b'),
      `apiVersion: v1
kind: Config
current-context: ctx-b
clusters:
- name: shared
  cluster: {server: "https://b:6443", tls-server-name: b.example}
- name: other
  cluster: {server: "https://other:6443", tls-server-name: other.example, certificate-authority-data: ${Buffer.from('CA OF OTHER').toString('base64')}}
users:
- name: u
  user: {token: from-b}
- name: v
  user: {token: v-token}
contexts:
- name: ctx-b
  context: {cluster: other, user: v}
- name: ctx-shared
  context: {cluster: shared, user: u, namespace: from-b}
`,
    );
    writeFileSync(
      join(dir, 'nocurrent'),
      `apiVersion: v1
kind: Config
clusters:
- name: shared
  cluster: {server: "https://nocurrent:6443"}
`,
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const cases: { list: string[]; context?: string }[] = [
    { list: ['a-dir/config', 'b'] },
    { list: ['b', 'a-dir/config'] },
    { list: ['nocurrent', 'b'] },
    { list: ['nocurrent', 'a-dir/config', 'b'], context: 'ctx-shared' },
    { list: ['a-dir/config', 'b'], context: 'ctx-b' },
    { list: ['missing', 'b', 'b'], context: 'ctx-shared' },
  ];

  for (const c of cases) {
    it(`KUBECONFIG=${c.list.join(':')}${c.context ? ` --context ${c.context}` : ''}`, async () => {
      const KUBECONFIG = c.list.map((f) => join(dir, f)).join(':');
      const args = ['config', 'view', '--minify', '--flatten', '-o', 'json'];
      if (c.context) args.push('--context', c.context);
      const { stdout } = await run(KUBECTL, args, { env: { ...process.env, KUBECONFIG } });
      const k = JSON.parse(stdout) as Minified;
      const cluster = k.clusters?.[0]?.cluster ?? {};
      const user = k.users?.[0]?.user ?? {};

      const ours = loadClientConfig(c.context ? { context: c.context } : {}, {
        env: { KUBECONFIG },
      });
      expect(ours.server).toBe(cluster.server);
      expect(ours.tlsServerName).toBe(cluster['tls-server-name']);
      expect(ours.caData?.toString('base64')).toBe(cluster['certificate-authority-data']);
      expect(ours.bearerToken).toBe(user.token);
      expect(ours.namespace).toBe(k.contexts?.[0]?.context.namespace ?? 'default');
    });
  }
});
