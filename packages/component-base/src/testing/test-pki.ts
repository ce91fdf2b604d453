import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A certificate for `makeTestPki`: files `<name>.crt` and `<name>.key` in the PKI's folder. */
export interface TestCertificate {
  name: string;
  /** openssl's form, e.g. `/O=system:masters/CN=alice`. */
  subject: string;
  /** openssl x509 extensions, one per line, e.g. `subjectAltName=IP:127.0.0.1`. */
  extensions: string;
  /** The CA that signs it (one of `cas`; default `ca`). */
  issuer?: string;
}

export interface TestPki {
  dir: string;
  /** The path of a file of the PKI, e.g. `ca.crt`, `server.key`. */
  path(file: string): string;
  read(file: string): Buffer;
  remove(): void;
}

/** Why tests that need `makeTestPki` are skipped, or undefined when openssl is available. */
export function opensslMissingReason(): string | undefined {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'openssl not found on PATH';
  }
}

/**
 * A throwaway PKI for TLS tests, made with the openssl CLI in a new temporary folder: the CAs
 * (`<ca>.crt`/`<ca>.key`, subject `/CN=<ca>`) and the certificates they sign, all P-256 keys
 * (fast to generate) valid for a day. The caller removes it.
 */
export function makeTestPki(
  certificates: readonly TestCertificate[],
  options: { cas?: readonly string[]; prefix?: string } = {},
): TestPki {
  const dir = mkdtempSync(join(tmpdir(), options.prefix ?? 'kubets-test-pki-'));
  const path = (file: string): string => join(dir, file);
  const ssl = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  };
  const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  for (const ca of options.cas ?? ['ca']) {
    ssl(
      'req',
      '-x509',
      ...newKey,
      '-keyout',
      `${ca}.key`,
      '-out',
      `${ca}.crt`,
      '-days',
      '1',
      '-subj',
      `/CN=${ca}`,
    );
  }
  for (const c of certificates) {
    const issuer = c.issuer ?? 'ca';
    writeFileSync(path(`${c.name}.ext`), `${c.extensions}\n`);
    ssl('req', ...newKey, '-keyout', `${c.name}.key`, '-out', `${c.name}.csr`, '-subj', c.subject);
    ssl(
      'x509',
      '-req',
      '-in',
      `${c.name}.csr`,
      '-CA',
      `${issuer}.crt`,
      '-CAkey',
      `${issuer}.key`,
      '-CAcreateserial',
      '-out',
      `${c.name}.crt`,
      '-days',
      '1',
      '-extfile',
      `${c.name}.ext`,
    );
  }
  return {
    dir,
    path,
    read: (file) => readFileSync(path(file)),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
