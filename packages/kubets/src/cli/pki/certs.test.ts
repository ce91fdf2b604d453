import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXED_NOW, makeTempDir, testCli } from '../../../test/helpers.js';

let dir: string;
let remove: () => Promise<void>;

beforeAll(async () => {
  ({ dir, remove } = await makeTempDir());
  expect(
    (
      await testCli({ seed: 4 }).run(
        'pki',
        'init',
        `--dir=${dir}`,
        '--node-name=n1',
        '--front-proxy=false',
      )
    ).code,
  ).toBe(0);
});
afterAll(async () => remove());

describe('kubets pki certs', () => {
  it('prints the kubeadm-style tables', async () => {
    const result = await testCli().run('pki', 'certs', `--dir=${dir}`);
    expect(result.code).toBe(0);
    const [certs, cas] = result.stdout.split('\n\n');
    const certLines = certs!.split('\n');
    expect(certLines[0]).toMatch(
      /^CERTIFICATE\s+EXPIRES\s+RESIDUAL TIME\s+CERTIFICATE AUTHORITY\s+EXTERNALLY MANAGED\s+SUBJECT\s+SANS$/,
    );
    expect(certLines.find((l) => l.startsWith('apiserver ')) ?? '').toMatch(
      /^apiserver\s+Jan 15, 2027 12:00 UTC\s+1y\s+ca\s+no\s+CN=kube-apiserver\s+DNS:kubernetes,DNS:kubernetes.default,.*IP:10.96.0.1$/,
    );
    expect(certLines.find((l) => l.startsWith('admin.conf ')) ?? '').toMatch(
      /ca\s+no\s+O=system:masters, CN=admin\s+-$/,
    );
    expect(certLines.find((l) => l.startsWith('etcd/peer ')) ?? '').toMatch(/\s+etcd\/ca\s+/);
    expect(cas).toMatch(
      /^CERTIFICATE AUTHORITY\s+EXPIRES\s+RESIDUAL TIME\s+EXTERNALLY MANAGED\s+SUBJECT\nca\s+Jan 13, 2036 12:00 UTC\s+10y\s+no\s+CN=kubernetes\netcd\/ca\s+.*CN=etcd-ca\n$/,
    );
  });

  it('is also check-expiration, and shows residual time from the injected clock', async () => {
    const later = new Date(FIXED_NOW.getTime() + 400 * 24 * 3600_000);
    const result = await testCli({ now: later }).run('pki', 'check-expiration', `--dir=${dir}`);
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n').find((l) => l.startsWith('apiserver '))).toContain(
      '<invalid>',
    );
  });

  it('prints JSON with -o json', async () => {
    const result = await testCli().run('pki', 'certs', `--dir=${dir}`, '-o', 'json');
    const listing = JSON.parse(result.stdout);
    const admin = listing.certificates.find((c: { name: string }) => c.name === 'admin.conf');
    expect(admin).toMatchObject({
      file: join(dir, 'admin.conf'),
      commonName: 'admin',
      organizations: ['system:masters'],
      extendedKeyUsages: ['clientAuth'],
      authority: 'ca',
      notAfter: '2027-01-15T12:00:00.000Z',
      residualSeconds: 365 * 24 * 3600,
      residualTime: '1y', // exactly 8760h: ShortHumanDuration rounds to years
    });
    expect(listing.authorities.map((a: { name: string }) => a.name)).toEqual(['ca', 'etcd/ca']);
  });

  it('names a missing directory (exit 1) and a bad output format (exit 2)', async () => {
    const missing = await testCli().run('pki', 'certs', `--dir=${join(dir, 'nope')}`);
    expect(missing).toEqual({
      code: 1,
      stdout: '',
      stderr: `error: directory ${join(dir, 'nope')} does not exist\n`,
    });
    const badFormat = await testCli().run('pki', 'certs', `--dir=${dir}`, '-o', 'xml');
    expect(badFormat.code).toBe(2);
    expect(badFormat.stderr).toContain('invalid argument "xml" for "-o, --output" flag');
  });
});
