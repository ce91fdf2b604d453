import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { FIXED_NOW, makeTempDir, testCli } from '../../../test/helpers.js';
import { parseCertificate } from '../../pki/pem.js';
import { authenticateClientCertificate } from '../../pki/verify.js';

let dir: string;
let remove: () => Promise<void>;
const cli = testCli({ seed: 3 });

beforeAll(async () => {
  ({ dir, remove } = await makeTempDir());
  expect((await cli.run('pki', 'init', `--dir=${dir}`, '--node-name=n1')).code).toBe(0);
});
afterAll(async () => remove());

async function userOf(yaml: string) {
  const config = parse(yaml);
  const pem = Buffer.from(config.users[0].user['client-certificate-data'], 'base64').toString();
  const ca = parseCertificate(await readFile(join(dir, 'ca.crt'), 'utf8'));
  return authenticateClientCertificate([parseCertificate(pem)], [ca], FIXED_NOW);
}

describe('kubets pki kubeconfig', () => {
  it('writes an admin kubeconfig (0600) whose certificate authenticates as admin/system:masters', async () => {
    const out = join(dir, 'my-admin.conf');
    const result = await cli.run(
      'pki',
      'kubeconfig',
      `--dir=${dir}`,
      '--user=admin',
      '--server=https://10.0.0.1:6443',
      `--out=${out}`,
    );
    expect(result).toEqual({
      code: 0,
      stdout: `Wrote ${out} for user admin with a client certificate (groups [system:masters]) -> https://10.0.0.1:6443\n`,
      stderr: '',
    });
    expect((await stat(out)).mode & 0o777).toBe(0o600);
    const yaml = await readFile(out, 'utf8');
    const config = parse(yaml);
    expect(config['current-context']).toBe('admin@kubernetes');
    expect(config.clusters[0]).toEqual({
      name: 'kubernetes',
      cluster: {
        'certificate-authority-data': Buffer.from(
          await readFile(join(dir, 'ca.crt'), 'utf8'),
        ).toString('base64'),
        server: 'https://10.0.0.1:6443',
      },
    });
    expect(await userOf(yaml)).toMatchObject({
      authenticated: true,
      user: { name: 'admin', groups: ['system:masters'] },
    });
  });

  it('prints to stdout without --out, with explicit groups and cluster name', async () => {
    const result = await cli.run(
      'pki',
      'kubeconfig',
      `--dir=${dir}`,
      '--user=jane',
      '--org=dev',
      '--org=ops',
      '--cluster-name=prod',
    );
    expect(result.code).toBe(0);
    expect(parse(result.stdout).contexts[0]).toEqual({
      name: 'jane@prod',
      context: { cluster: 'prod', user: 'jane' },
    });
    expect(await userOf(result.stdout)).toMatchObject({
      authenticated: true,
      user: { name: 'jane', groups: ['dev', 'ops'] },
    });
  });

  it('defaults a node user to system:nodes', async () => {
    const result = await cli.run('pki', 'kubeconfig', `--dir=${dir}`, '--user=system:node:n2');
    expect(await userOf(result.stdout)).toMatchObject({
      user: { name: 'system:node:n2', groups: ['system:nodes'] },
    });
  });

  it('writes a token kubeconfig without certificate or key', async () => {
    const result = await cli.run(
      'pki',
      'kubeconfig',
      `--dir=${dir}`,
      '--user=tls-bootstrap-token-user',
      '--token=abcdef.0123456789abcdef',
    );
    expect(result.code).toBe(0);
    const config = parse(result.stdout);
    expect(config.users).toEqual([
      { name: 'tls-bootstrap-token-user', user: { token: 'abcdef.0123456789abcdef' } },
    ]);
    expect(result.stdout).not.toContain('client-key-data');
  });

  it('refuses --org with --token, missing --user, and overwriting (exit 2, 2, 1)', async () => {
    const both = await cli.run(
      'pki',
      'kubeconfig',
      `--dir=${dir}`,
      '--user=u',
      '--token=t',
      '--org=x',
    );
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('error: --org cannot be combined with --token');
    const noUser = await cli.run('pki', 'kubeconfig', `--dir=${dir}`);
    expect(noUser.code).toBe(2);
    expect(noUser.stderr).toContain('error: required flag "--user" not set');
    const existing = await cli.run(
      'pki',
      'kubeconfig',
      `--dir=${dir}`,
      '--user=admin',
      `--out=${join(dir, 'admin.conf')}`,
    );
    expect(existing.code).toBe(1);
    expect(existing.stderr).toBe(
      `error: refusing to overwrite existing file: ${join(dir, 'admin.conf')}; pass --force to replace it\n`,
    );
  });
});
