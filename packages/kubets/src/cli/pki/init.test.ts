import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { makeTempDir, testCli } from '../../../test/helpers.js';
import { subjectAltNamesOf } from '../../pki/inspect.js';
import { formatSubjectAltName } from '../../pki/names.js';
import { parseCertificate } from '../../pki/pem.js';

let root: string;
let remove: () => Promise<void>;
const cli = testCli({ hostname: 'CP-Node' });
const mode = async (path: string) => (await stat(path)).mode & 0o777;

beforeAll(async () => ({ dir: root, remove } = await makeTempDir()));
afterAll(async () => remove());

describe('kubets pki init', () => {
  it('creates the PKI with kubeadm file names and modes', async () => {
    const dir = join(root, 'pki');
    const result = await cli.run(
      'pki',
      'init',
      `--dir=${dir}`,
      '--node-ip=192.168.1.10',
      '--apiserver-cert-extra-sans=api.example.com,10.0.0.5',
      '--service-cluster-ip-range=10.100.0.0/16',
      '--cluster-domain=corp.internal',
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('[certs] Generated "ca" certificate and key (CN=kubernetes)');
    expect(result.stdout).toContain(
      '[kubeconfig] Wrote "admin.conf" for user admin groups [system:masters] -> https://127.0.0.1:6443',
    );

    expect((await readdir(dir)).sort()).toEqual([
      'admin.conf',
      'apiserver-etcd-client.crt',
      'apiserver-etcd-client.key',
      'apiserver-kubelet-client.crt',
      'apiserver-kubelet-client.key',
      'apiserver.crt',
      'apiserver.key',
      'ca.crt',
      'ca.key',
      'controller-manager.conf',
      'etcd',
      'front-proxy-ca.crt',
      'front-proxy-ca.key',
      'front-proxy-client.crt',
      'front-proxy-client.key',
      'kubelet.conf',
      'proxy.conf',
      'sa.key',
      'sa.pub',
      'scheduler.conf',
    ]);
    for (const name of [
      'ca.key',
      'apiserver.key',
      'sa.key',
      'etcd/ca.key',
      'etcd/peer.key',
      'admin.conf',
      'kubelet.conf',
    ]) {
      expect(await mode(join(dir, name)), name).toBe(0o600);
    }
    for (const name of ['ca.crt', 'apiserver.crt', 'sa.pub', 'etcd/server.crt']) {
      expect(await mode(join(dir, name)), name).toBe(0o644);
    }

    const apiserver = parseCertificate(await readFile(join(dir, 'apiserver.crt'), 'utf8'));
    expect(subjectAltNamesOf(apiserver).map(formatSubjectAltName)).toEqual([
      'DNS:kubernetes',
      'DNS:kubernetes.default',
      'DNS:kubernetes.default.svc',
      'DNS:kubernetes.default.svc.corp.internal',
      'DNS:localhost',
      'DNS:cp-node',
      'IP:127.0.0.1',
      'IP:10.100.0.1',
      'IP:192.168.1.10',
      'DNS:api.example.com',
      'IP:10.0.0.5',
    ]);
    // The node name defaults to the lowercased hostname.
    const kubelet = parse(await readFile(join(dir, 'kubelet.conf'), 'utf8'));
    expect(kubelet.users[0].name).toBe('system:node:cp-node');
  });

  it('refuses to overwrite an existing CA, naming it, and changes nothing', async () => {
    const dir = join(root, 'pki');
    const before = await readFile(join(dir, 'ca.crt'), 'utf8');
    const result = await cli.run('pki', 'init', `--dir=${dir}`);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(
        `^error: refusing to overwrite the existing CA ${join(dir, 'ca.crt').replaceAll('/', '\\/')} \\(and 26 other existing files: .* and 22 more\\); pass --force`,
      ),
    );
    expect(await readFile(join(dir, 'ca.crt'), 'utf8')).toBe(before);
  });

  it('refuses when only some files exist, naming them', async () => {
    const dir = join(root, 'partial');
    const first = await cli.run('pki', 'init', `--dir=${dir}`, '--front-proxy=false');
    expect(first.code).toBe(0);
    const again = await cli.run(
      'pki',
      'init',
      `--dir=${join(root, 'other')}`,
      `--kubeconfig-dir=${dir}`,
    );
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(
      `refusing to overwrite existing files: ${join(dir, 'admin.conf')}`,
    );
    await expect(stat(join(root, 'other'))).rejects.toThrow(); // nothing written at all
  });

  it('replaces everything with --force, keeping strict modes', async () => {
    const dir = join(root, 'pki');
    const before = await readFile(join(dir, 'ca.crt'), 'utf8');
    await writeFile(join(dir, 'ca.key'), 'junk', { mode: 0o644 });
    const result = await cli.run('pki', 'init', `--dir=${dir}`, '--force');
    expect(result.code).toBe(0);
    expect(await readFile(join(dir, 'ca.crt'), 'utf8')).not.toBe(before);
    expect(await readFile(join(dir, 'ca.key'), 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(await mode(join(dir, 'ca.key'))).toBe(0o600);
  });

  it('writes kubeconfigs to --kubeconfig-dir and skips the front proxy on request', async () => {
    const dir = join(root, 'split/pki');
    const confs = join(root, 'split');
    const result = await cli.run(
      'pki',
      'init',
      `--dir=${dir}`,
      `--kubeconfig-dir=${confs}`,
      '--front-proxy=false',
      '--server=https://cp.example.com:6443',
    );
    expect(result.code).toBe(0);
    expect((await readdir(confs)).sort()).toEqual([
      'admin.conf',
      'controller-manager.conf',
      'kubelet.conf',
      'pki',
      'proxy.conf',
      'scheduler.conf',
    ]);
    expect((await readdir(dir)).filter((f) => f.startsWith('front-proxy'))).toEqual([]);
    const admin = parse(await readFile(join(confs, 'admin.conf'), 'utf8'));
    expect(admin.clusters[0].cluster.server).toBe('https://cp.example.com:6443');
    const apiserver = parseCertificate(await readFile(join(dir, 'apiserver.crt'), 'utf8'));
    expect(subjectAltNamesOf(apiserver)).toContainEqual({ type: 'dns', value: 'cp.example.com' });
  });

  it('refuses bad flag values before writing anything, naming the flag (exit 2)', async () => {
    const dir = join(root, 'never');
    const cases: [string[], string][] = [
      [
        ['--service-cluster-ip-range=10.96.0.0/33'],
        'error: invalid argument "10.96.0.0/33" for "--service-cluster-ip-range" flag: prefix length 33 out of range for IPv4 (0-32)',
      ],
      [
        ['--service-cluster-ip-range=10.96.0.0/12,10.97.0.0/16'],
        'for "--service-cluster-ip-range" flag: two service CIDRs must be of different IP families',
      ],
      [
        ['--apiserver-cert-extra-sans=Bad_Name'],
        'invalid argument "Bad_Name" for "--apiserver-cert-extra-sans" flag: "Bad_Name" is neither an IP address nor a valid DNS name',
      ],
      [['--node-ip=node2'], 'invalid argument "node2" for "--node-ip" flag'],
      [
        ['--server=http://x:6443'],
        'invalid argument "http://x:6443" for "--server" flag: "http://x:6443" must use https',
      ],
      [['--cert-validity=forever'], 'for "--cert-validity" flag'],
      [['--node-name=Bad_Node'], 'error: node name "Bad_Node" must consist of lower case'],
      [['--cluster-domain=-x'], 'error: cluster domain "-x"'],
      [['--frobnicate'], 'error: unknown flag: --frobnicate'],
    ];
    for (const [flags, message] of cases) {
      const result = await cli.run('pki', 'init', `--dir=${dir}`, ...flags);
      expect(result.code, flags.join(' ')).toBe(2);
      expect(result.stderr, flags.join(' ')).toContain(message);
      expect(result.stderr).toContain("See 'kubets pki init --help' for usage.");
    }
    await expect(stat(dir)).rejects.toThrow();
  });

  it('points at --node-name when the host name is not a valid node name', async () => {
    const result = await testCli({ hostname: 'my_host' }).run(
      'pki',
      'init',
      `--dir=${join(root, 'never')}`,
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('error: node name "my_host" must consist of lower case');
    expect(result.stderr).toContain('(it comes from the host name; set --node-name)');
  });

  it('requires --dir', async () => {
    expect(await cli.run('pki', 'init')).toEqual({
      code: 2,
      stdout: '',
      stderr: 'error: required flag "--dir" not set\nSee \'kubets pki init --help\' for usage.\n',
    });
  });
});
