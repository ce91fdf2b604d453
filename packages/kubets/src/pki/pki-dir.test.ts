import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testKeyPair } from '../../test/keys.js';
import { FIXED_NOW, seededRandomBytes } from '../../test/random.js';
import { makeTempDir } from '../../test/temp-dir.js';
import { createClusterPki } from './cluster-pki.js';
import { destinations, writeFiles } from './files.js';
import { listPkiDirectory, loadCertificateAuthorityFiles } from './pki-dir.js';

let dir: string;
let remove: () => Promise<void>;

beforeAll(async () => {
  ({ dir, remove } = await makeTempDir());
  const files = await createClusterPki(
    { nodeName: 'n1', frontProxy: false },
    { now: FIXED_NOW, randomBytes: seededRandomBytes(8), generateKeyPair: testKeyPair },
  );
  await writeFiles(
    destinations(files, () => dir),
    { force: false },
  );
});
afterAll(async () => remove());

describe('loadCertificateAuthorityFiles', () => {
  it('loads a CA by name, including one in a subdirectory', async () => {
    expect((await loadCertificateAuthorityFiles(dir, 'ca')).certificate.subject).toBe(
      'CN=kubernetes',
    );
    expect((await loadCertificateAuthorityFiles(dir, 'etcd/ca')).certificate.subject).toBe(
      'CN=etcd-ca',
    );
  });

  it('refuses a leaf as CA and names missing files', async () => {
    await expect(loadCertificateAuthorityFiles(dir, 'apiserver')).rejects.toThrow('is not a CA');
    await expect(loadCertificateAuthorityFiles(dir, 'front-proxy-ca')).rejects.toThrow(
      `CA certificate ${join(dir, 'front-proxy-ca.crt')} does not exist`,
    );
  });
});

describe('listPkiDirectory', () => {
  it('lists CAs and certificates with their signing CA', async () => {
    const listing = await listPkiDirectory(dir);
    expect(listing.authorities.map((a) => [a.name, a.externallyManaged])).toEqual([
      ['ca', false],
      ['etcd/ca', false],
    ]);
    const byName = Object.fromEntries(listing.certificates.map((c) => [c.name, c.authority]));
    expect(byName).toEqual({
      'apiserver-etcd-client': 'etcd/ca',
      'apiserver-kubelet-client': 'ca',
      apiserver: 'ca',
      'etcd/healthcheck-client': 'etcd/ca',
      'etcd/peer': 'etcd/ca',
      'etcd/server': 'etcd/ca',
      'admin.conf': 'ca',
      'controller-manager.conf': 'ca',
      'kubelet.conf': 'ca',
      'proxy.conf': 'ca',
      'scheduler.conf': 'ca',
    });
    expect(
      listing.certificates.find((c) => c.name === 'admin.conf')?.summary.organizations,
    ).toEqual(['system:masters']);
  });

  it('marks certificates whose CA key is absent as externally managed', async () => {
    const { dir: copy, remove: removeCopy } = await makeTempDir();
    try {
      const files = await createClusterPki(
        { nodeName: 'n1', frontProxy: false },
        { now: FIXED_NOW, randomBytes: seededRandomBytes(9), generateKeyPair: testKeyPair },
      );
      await writeFiles(
        destinations(files, () => copy),
        { force: false },
      );
      await rm(join(copy, 'etcd/ca.key'));
      const listing = await listPkiDirectory(copy);
      expect(listing.authorities.find((a) => a.name === 'etcd/ca')?.externallyManaged).toBe(true);
      expect(listing.certificates.find((c) => c.name === 'etcd/peer')?.externallyManaged).toBe(
        true,
      );
      expect(listing.certificates.find((c) => c.name === 'apiserver')?.externallyManaged).toBe(
        false,
      );
    } finally {
      await removeCopy();
    }
  });

  it('stops on a corrupt certificate, naming it', async () => {
    const { dir: broken, remove: removeBroken } = await makeTempDir();
    try {
      await writeFile(
        join(broken, 'bad.crt'),
        '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
      );
      await expect(listPkiDirectory(broken)).rejects.toThrow(
        `${join(broken, 'bad.crt')}: not a valid X.509 certificate`,
      );
      await writeFile(join(broken, 'bad.crt'), 'hello');
      await expect(listPkiDirectory(broken)).rejects.toThrow(
        `${join(broken, 'bad.crt')}: no PEM certificate found`,
      );
    } finally {
      await removeBroken();
    }
  });

  it('names a missing directory', async () => {
    await expect(listPkiDirectory(join(dir, 'nope'))).rejects.toThrow(
      `directory ${join(dir, 'nope')} does not exist`,
    );
  });
});
