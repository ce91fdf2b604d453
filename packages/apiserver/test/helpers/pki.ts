/**
 * Test PKI made with the openssl CLI: self-signed CAs and serving certificates, server and client
 * certificates with CN (user) and O (groups), an RSA service-account key pair, and kubeconfig
 * files for real kubectl. Everything lives in a throwaway directory.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findTool } from './kubectl.js';

export const OPENSSL = findTool('openssl');

function openssl(args: string[], cwd: string): void {
  execFileSync(OPENSSL!, args, { cwd, stdio: 'ignore' });
}

export interface CertFiles {
  cert: string;
  key: string;
}

/** A new EC P-256 key, unencrypted (the openssl `req` arguments). */
const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/**
 * A self-signed certificate `<name>.crt` with key `<name>.key` in `dir`: a CA, or a serving
 * certificate when `subjectAltName` is given (e.g. `IP:127.0.0.1`).
 */
export function selfSigned(
  dir: string,
  name: string,
  options: { cn?: string; subjectAltName?: string; days?: number } = {},
): CertFiles {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  openssl(
    [
      'req',
      '-x509',
      ...EC_KEY,
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      String(options.days ?? 1),
      '-subj',
      `/CN=${options.cn ?? name}`,
      ...(options.subjectAltName ? ['-addext', `subjectAltName=${options.subjectAltName}`] : []),
    ],
    dir,
  );
  return { cert, key };
}

export function makeCA(dir: string, name: string): CertFiles {
  return selfSigned(dir, name, { days: 2 });
}

/** A certificate signed by `ca`: a client one (CN=user, O=groups) or a server one for 127.0.0.1. */
export function issue(
  dir: string,
  ca: CertFiles,
  name: string,
  subject: { cn: string; orgs?: string[] },
  kind: 'client' | 'server' = 'client',
): CertFiles {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.crt`);
  const ext = join(dir, `${name}.ext`);
  const subj = `/${(subject.orgs ?? []).map((o) => `O=${o}/`).join('')}CN=${subject.cn}`;
  openssl(['req', ...EC_KEY, '-keyout', key, '-out', csr, '-subj', subj], dir);
  writeFileSync(
    ext,
    kind === 'server'
      ? 'extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1\n'
      : 'extendedKeyUsage=clientAuth\n',
  );
  openssl(
    [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      ca.cert,
      '-CAkey',
      ca.key,
      '-CAcreateserial',
      '-out',
      cert,
      '-days',
      '1',
      '-extfile',
      ext,
    ],
    dir,
  );
  return { cert, key };
}

/** RSA 2048 service-account key pair (PKCS#8 private, SPKI public), as `kubets pki` makes. */
export function makeServiceAccountKey(dir: string): { key: string; pub: string } {
  const key = join(dir, 'sa.key');
  const pub = join(dir, 'sa.pub');
  openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', key], dir);
  openssl(['pkey', '-in', key, '-pubout', '-out', pub], dir);
  return { key, pub };
}

const b64 = (file: string): string => readFileSync(file).toString('base64');

/** A kubeconfig for `server` trusting `ca`, with a client certificate and/or a token. */
export function writeKubeconfig(
  file: string,
  server: string,
  caCert: string,
  auth: { cert?: CertFiles; token?: string },
): string {
  const user: string[] = [];
  if (auth.cert) {
    user.push(
      `    client-certificate-data: ${b64(auth.cert.cert)}`,
      `    client-key-data: ${b64(auth.cert.key)}`,
    );
  }
  if (auth.token) user.push(`    token: ${auth.token}`);
  writeFileSync(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: c',
      '  cluster:',
      `    server: ${server}`,
      `    certificate-authority-data: ${b64(caCert)}`,
      'users:',
      '- name: u',
      ...(user.length > 0 ? ['  user:', ...user] : ['  user: {}']),
      'contexts:',
      '- name: x',
      '  context:',
      '    cluster: c',
      '    user: u',
      '    namespace: default',
      'current-context: x',
      '',
    ].join('\n'),
  );
  return file;
}
