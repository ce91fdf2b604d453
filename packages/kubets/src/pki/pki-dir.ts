/**
 * A PKI directory as a whole: loading a CA by name (`ca`, `etcd/ca`), and listing every
 * certificate in it (and the client certificates embedded in kubeconfig files) with the CA that
 * signed it, for `kubets pki certs`.
 */
import { access, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { loadCertificateAuthority } from './certificates.js';
import type { CertificateAuthority } from './certificates.js';
import { checkRelativePath, readTextFile } from './files.js';
import { isCertificateAuthority, summarizeCertificate } from './inspect.js';
import type { CertificateSummary } from './inspect.js';
import { importPrivateKeyPem } from './keys.js';
import { kubeconfigClientCertificates } from './kubeconfig.js';
import { parseCertificates } from './pem.js';
import type { x509 } from './x509.js';

/** Reads `<dir>/<name>.crt` and `<dir>/<name>.key` and checks they form a CA. */
export async function loadCertificateAuthorityFiles(
  dir: string,
  name: string,
): Promise<CertificateAuthority> {
  const base = join(dir, checkRelativePath(name));
  const certificatePem = await readTextFile(`${base}.crt`, 'CA certificate');
  const keyPem = await readTextFile(`${base}.key`, 'CA key');
  const keys = await importPrivateKeyPem(keyPem, `${base}.key`);
  return loadCertificateAuthority(certificatePem, keys, `${base}.crt/.key`);
}

/** Reads `<dir>/<name>.crt` alone (enough to trust a CA, e.g. for a token kubeconfig). */
export async function loadCertificateFile(
  dir: string,
  name: string,
): Promise<{ pem: string; certificate: x509.X509Certificate }> {
  const path = `${join(dir, checkRelativePath(name))}.crt`;
  const pem = await readTextFile(path, 'certificate');
  const [certificate] = parseCertificates(pem, path);
  return { pem, certificate: certificate as x509.X509Certificate };
}

export interface ListedCertificate {
  /** `apiserver`, `etcd/server`, `admin.conf`; kubeconfigs with several users add `/<user>`. */
  name: string;
  file: string;
  summary: CertificateSummary;
  /** Name of the CA in the listing that signed it; undefined if none did (or self-signed). */
  authority: string | undefined;
  /** Whether the CA's private key is absent (kubeadm's "externally managed"). */
  externallyManaged: boolean;
}

export interface PkiListing {
  authorities: ListedCertificate[];
  certificates: ListedCertificate[];
}

async function walk(dir: string, suffix: string, recursive: boolean): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new Error(`directory ${dir} does not exist`);
    throw err;
  }
  const out: string[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && recursive) out.push(...(await walk(path, suffix, true)));
    else if (entry.isFile() && entry.name.endsWith(suffix)) out.push(path);
  }
  return out;
}

async function fileExists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Every `*.crt` under `dir` (recursively) and every client certificate embedded in a `*.conf`
 * of `kubeconfigDir`. A file that does not parse is an error naming it: a listing that silently
 * skipped a broken certificate would hide exactly what it is for.
 */
export async function listPkiDirectory(
  dir: string,
  kubeconfigDir: string = dir,
): Promise<PkiListing> {
  const found: { name: string; file: string; certificate: x509.X509Certificate }[] = [];
  for (const file of await walk(dir, '.crt', true)) {
    const [certificate] = parseCertificates(await readTextFile(file, 'certificate'), file);
    found.push({
      name: relative(dir, file).replace(/\.crt$/, ''),
      file,
      certificate: certificate as x509.X509Certificate,
    });
  }
  for (const file of await walk(kubeconfigDir, '.conf', false)) {
    const users = kubeconfigClientCertificates(await readTextFile(file, 'kubeconfig'), file);
    for (const user of users) {
      const [certificate] = parseCertificates(
        user.certificatePem,
        `${file} (user ${user.userName})`,
      );
      const base = relative(kubeconfigDir, file);
      found.push({
        name: users.length > 1 ? `${base}/${user.userName}` : base,
        file,
        certificate: certificate as x509.X509Certificate,
      });
    }
  }

  const cas = found.filter((entry) => isCertificateAuthority(entry.certificate));
  const issuerOf = async (certificate: x509.X509Certificate): Promise<string | undefined> => {
    for (const ca of cas) {
      if (ca.certificate === certificate) continue;
      if (certificate.issuer !== ca.certificate.subject) continue;
      try {
        if (await certificate.verify({ publicKey: ca.certificate.publicKey, signatureOnly: true }))
          return ca.name;
      } catch {
        // A key of another type cannot have signed it.
      }
    }
    return undefined;
  };

  const caKeyPresent = new Map<string, boolean>();
  for (const ca of cas)
    caKeyPresent.set(ca.name, await fileExists(ca.file.replace(/\.crt$/, '.key')));

  const listed = async (entry: (typeof found)[number]): Promise<ListedCertificate> => {
    const authority = await issuerOf(entry.certificate);
    // kubeadm's "externally managed": the signing CA's key is not here, so kubets cannot renew.
    const signer = isCertificateAuthority(entry.certificate) ? entry.name : authority;
    return {
      name: entry.name,
      file: entry.file,
      summary: summarizeCertificate(entry.certificate),
      authority,
      externallyManaged: signer !== undefined && caKeyPresent.get(signer) === false,
    };
  };
  const authorities: ListedCertificate[] = [];
  const certificates: ListedCertificate[] = [];
  for (const entry of found) {
    (isCertificateAuthority(entry.certificate) ? authorities : certificates).push(
      await listed(entry),
    );
  }
  return { authorities, certificates };
}
