import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXED_NOW, makeTempDir, testCli } from '../../../test/helpers.js';
import { extendedKeyUsagesOf, subjectAltNamesOf } from '../../pki/inspect.js';
import { parseCertificate } from '../../pki/pem.js';
import { verifyCertificateChain } from '../../pki/verify.js';

let dir: string;
let remove: () => Promise<void>;
const cli = testCli({ seed: 2 });
const read = (name: string) => readFile(join(dir, name), 'utf8');

beforeAll(async () => {
  ({ dir, remove } = await makeTempDir());
  expect((await cli.run('pki', 'init', `--dir=${dir}`, '--node-name=n1')).code).toBe(0);
});
afterAll(async () => remove());

describe('kubets pki issue', () => {
  it('issues a serving certificate with the given SANs, signed by the CA', async () => {
    const result = await cli.run(
      'pki',
      'issue',
      `--dir=${dir}`,
      '--kind=server',
      '--name=kubelet-n1',
      '--cn=system:node:n1',
      '--org=system:nodes',
      '--sans=n1,192.168.1.11',
      '--sans=fd00::11',
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      `Wrote ${join(dir, 'kubelet-n1.crt')} and kubelet-n1.key: server, subject "O=system:nodes, CN=system:node:n1", SANs DNS:n1, IP:192.168.1.11, IP:fd00::11, signed by ca, expires Jan 15, 2027 12:00 UTC`,
    );
    const cert = parseCertificate(await read('kubelet-n1.crt'));
    expect(subjectAltNamesOf(cert)).toEqual([
      { type: 'dns', value: 'n1' },
      { type: 'ip', value: '192.168.1.11' },
      { type: 'ip', value: 'fd00::11' },
    ]);
    expect(extendedKeyUsagesOf(cert)).toEqual(['serverAuth']);
    const chain = await verifyCertificateChain(cert, [parseCertificate(await read('ca.crt'))], {
      now: FIXED_NOW,
      purpose: 'serverAuth',
    });
    expect(chain.valid).toBe(true);
    expect((await stat(join(dir, 'kubelet-n1.key'))).mode & 0o777).toBe(0o600);
  });

  it('issues a store peer certificate from the store CA into a subdirectory', async () => {
    const result = await cli.run(
      'pki',
      'issue',
      `--dir=${dir}`,
      '--ca=etcd/ca',
      '--kind=peer',
      '--name=etcd/peer-m2',
      '--cn=m2',
      '--sans=m2,10.0.0.2',
      '--cert-validity=720h',
    );
    expect(result.code).toBe(0);
    const cert = parseCertificate(await read('etcd/peer-m2.crt'));
    expect(extendedKeyUsagesOf(cert)).toEqual(['serverAuth', 'clientAuth']);
    expect(cert.notAfter.getTime() - FIXED_NOW.getTime()).toBe(720 * 3600_000);
    const byEtcdCa = await verifyCertificateChain(
      cert,
      [parseCertificate(await read('etcd/ca.crt'))],
      { now: FIXED_NOW, purpose: 'clientAuth' },
    );
    expect(byEtcdCa.valid).toBe(true);
  });

  it('issues client certificates without SANs', async () => {
    const result = await cli.run(
      'pki',
      'issue',
      `--dir=${dir}`,
      '--kind=client',
      '--name=jane',
      '--cn=jane',
      '--org=dev,ops',
    );
    expect(result.code).toBe(0);
    expect(parseCertificate(await read('jane.crt')).subject).toBe('O=dev, O=ops, CN=jane');
  });

  it('refuses to overwrite unless --force', async () => {
    const args = ['pki', 'issue', `--dir=${dir}`, '--kind=client', '--name=jane', '--cn=jane2'];
    const refused = await cli.run(...args);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `error: refusing to overwrite existing files: ${join(dir, 'jane.crt')}, ${join(dir, 'jane.key')}; pass --force to replace them\n`,
    );
    expect((await cli.run(...args, '--force')).code).toBe(0);
    expect(parseCertificate(await read('jane.crt')).subject).toBe('CN=jane2');
  });

  it('reports usage errors with exit 2', async () => {
    const cases: [string[], string][] = [
      [['--kind=server', '--name=x', '--cn=x'], 'error: --sans is required for --kind=server'],
      [
        ['--kind=bogus', '--name=x', '--cn=x'],
        'invalid argument "bogus" for "--kind" flag: must be one of "server", "client", "peer"',
      ],
      [['--kind=client', '--cn=x'], 'error: required flag "--name" not set'],
      [
        ['--kind=client', '--name=../x', '--cn=x'],
        'error: --name: "../x" must be a relative path inside the directory',
      ],
      [['--kind=client', '--name=x', '--cn=x', '--sans=a b'], 'for "--sans" flag'],
    ];
    for (const [flags, message] of cases) {
      const result = await cli.run('pki', 'issue', `--dir=${dir}`, ...flags);
      expect(result.code, flags.join(' ')).toBe(2);
      expect(result.stderr, flags.join(' ')).toContain(message);
    }
  });

  it('fails (exit 1) naming the file when the CA is missing', async () => {
    const result = await cli.run(
      'pki',
      'issue',
      `--dir=${dir}`,
      '--ca=front-proxy',
      '--kind=client',
      '--name=fp',
      '--cn=fp',
    );
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: `error: CA certificate ${join(dir, 'front-proxy.crt')} does not exist\n`,
    });
  });
});
