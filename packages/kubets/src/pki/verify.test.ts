/**
 * Chain verification and the x509 authenticator's user mapping, including the negatives an API
 * server must refuse: another CA with the same name, expiry, wrong key usage, a leaf posing as a
 * CA, unknown critical extensions.
 */
import { X509Certificate as NodeX509 } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIXED_NOW, seededRandomBytes } from '../../test/random.js';
import { createCertificateAuthority, issueCertificate } from './certificates.js';
import type { CertificateAuthority, IssuedCertificate } from './certificates.js';
import { generateKeyPair } from './keys.js';
import type { CryptoKeyPair } from './keys.js';
import { certificateToPem } from './pem.js';
import {
  authenticateClientCertificate,
  certificateMatchesHost,
  userFromClientCertificate,
  verifyCertificateChain,
} from './verify.js';
import { x509 } from './x509.js';

const context = { now: FIXED_NOW, randomBytes: seededRandomBytes(21) };
const DAY = 24 * 3600_000;
let keys: CryptoKeyPair[];
let ca: CertificateAuthority;
let impostorCa: CertificateAuthority;
let admin: IssuedCertificate;
let server: IssuedCertificate;

beforeAll(async () => {
  keys = await Promise.all(Array.from({ length: 5 }, () => generateKeyPair('ECDSA-P256')));
  ca = await createCertificateAuthority({ commonName: 'kubernetes' }, keys[0]!, context);
  // Same subject, different key: name matching alone must not be enough.
  impostorCa = await createCertificateAuthority({ commonName: 'kubernetes' }, keys[1]!, context);
  admin = await issueCertificate(
    ca,
    { kind: 'client', commonName: 'admin', organizations: ['system:masters'] },
    keys[2]!.publicKey,
    context,
  );
  server = await issueCertificate(
    ca,
    {
      kind: 'server',
      commonName: 'kube-apiserver',
      subjectAltNames: [
        { type: 'dns', value: 'kubernetes.default.svc.cluster.local' },
        { type: 'dns', value: '*.apps.example.com' },
        { type: 'ip', value: '10.96.0.1' },
        { type: 'ip', value: '::1' },
      ],
    },
    keys[3]!.publicKey,
    context,
  );
});

const at = (offsetMs: number) => new Date(FIXED_NOW.getTime() + offsetMs);

describe('verifyCertificateChain', () => {
  it('accepts a client certificate for clientAuth and returns the chain', async () => {
    const result = await verifyCertificateChain(admin.certificate, [ca.certificate], {
      now: at(DAY),
      purpose: 'clientAuth',
    });
    expect(result.valid).toBe(true);
    if (result.valid)
      expect(result.chain.map((c) => c.subject)).toEqual([
        'O=system:masters, CN=admin',
        'CN=kubernetes',
      ]);
  });

  it('refuses a CA with the same name but another key', async () => {
    const result = await verifyCertificateChain(admin.certificate, [impostorCa.certificate], {
      now: at(DAY),
      purpose: 'clientAuth',
    });
    expect(result).toEqual({
      valid: false,
      reason:
        'certificate "O=system:masters, CN=admin" is not signed by the key of "CN=kubernetes"',
    });
  });

  it('finds the real CA among several roots', async () => {
    const result = await verifyCertificateChain(
      admin.certificate,
      [impostorCa.certificate, ca.certificate],
      {
        now: at(DAY),
        purpose: 'clientAuth',
      },
    );
    expect(result.valid).toBe(true);
  });

  it('refuses expired and not-yet-valid certificates', async () => {
    const late = await verifyCertificateChain(admin.certificate, [ca.certificate], {
      now: at(400 * DAY),
      purpose: 'clientAuth',
    });
    expect(late.valid).toBe(false);
    if (!late.valid)
      expect(late.reason).toMatch(/^certificate "O=system:masters, CN=admin" has expired/);
    const early = await verifyCertificateChain(admin.certificate, [ca.certificate], {
      now: at(-10 * 60_000),
      purpose: 'clientAuth',
    });
    expect(early.valid).toBe(false);
    if (!early.valid) expect(early.reason).toMatch(/is not yet valid/);
    // Within the clock-skew backdate it is already valid.
    const skewed = await verifyCertificateChain(admin.certificate, [ca.certificate], {
      now: at(-4 * 60_000),
      purpose: 'clientAuth',
    });
    expect(skewed.valid).toBe(true);
  });

  it('refuses a serving certificate used as a client certificate, and vice versa', async () => {
    const asClient = await verifyCertificateChain(server.certificate, [ca.certificate], {
      now: at(DAY),
      purpose: 'clientAuth',
    });
    expect(asClient).toEqual({
      valid: false,
      reason:
        'certificate "CN=kube-apiserver" specifies an incompatible key usage (has serverAuth, needs clientAuth)',
    });
    const asServer = await verifyCertificateChain(admin.certificate, [ca.certificate], {
      now: at(DAY),
      purpose: 'serverAuth',
    });
    expect(asServer.valid).toBe(false);
    const any = await verifyCertificateChain(admin.certificate, [ca.certificate], {
      now: at(DAY),
      purpose: 'any',
    });
    expect(any.valid).toBe(true);
  });

  it('refuses a certificate signed by a leaf posing as a CA', async () => {
    const fakeCa: CertificateAuthority = {
      certificate: admin.certificate,
      certificatePem: admin.certificatePem,
      keys: keys[2]!,
    };
    const forged = await issueCertificate(
      fakeCa,
      { kind: 'client', commonName: 'mallory' },
      keys[4]!.publicKey,
      context,
    );
    const result = await verifyCertificateChain(forged.certificate, [ca.certificate], {
      now: at(DAY),
      purpose: 'clientAuth',
      intermediates: [admin.certificate],
    });
    expect(result).toEqual({
      valid: false,
      reason:
        'certificate "O=system:masters, CN=admin" is not a CA (basicConstraints CA:TRUE missing) but signed another certificate',
    });
  });

  it('says "unknown authority" when no candidate issuer exists', async () => {
    const other = await createCertificateAuthority(
      { commonName: 'someone-else' },
      keys[1]!,
      context,
    );
    const result = await verifyCertificateChain(admin.certificate, [other.certificate], {
      now: at(DAY),
      purpose: 'clientAuth',
    });
    expect(result).toEqual({
      valid: false,
      reason:
        'certificate "O=system:masters, CN=admin" is signed by unknown authority "CN=kubernetes"',
    });
  });

  it('completes chains through presented intermediates', async () => {
    const intermediateKeys = keys[1]!;
    const intermediate = await x509.X509CertificateGenerator.create({
      serialNumber: '0a',
      subject: [{ CN: ['kubernetes-intermediate'] }],
      issuer: ca.certificate.subjectName,
      notBefore: at(-DAY),
      notAfter: at(100 * DAY),
      publicKey: intermediateKeys.publicKey,
      signingKey: ca.keys.privateKey,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true),
      ],
    });
    const intermediateCa: CertificateAuthority = {
      certificate: intermediate,
      certificatePem: certificateToPem(intermediate),
      keys: intermediateKeys,
    };
    const leaf = await issueCertificate(
      intermediateCa,
      { kind: 'client', commonName: 'bob', organizations: ['dev'] },
      keys[4]!.publicKey,
      context,
    );

    const withoutIntermediate = await authenticateClientCertificate(
      [leaf.certificate],
      [ca.certificate],
      at(DAY),
    );
    expect(withoutIntermediate.authenticated).toBe(false);
    const withIntermediate = await authenticateClientCertificate(
      [leaf.certificate, intermediate],
      [ca.certificate],
      at(DAY),
    );
    expect(withIntermediate).toMatchObject({
      authenticated: true,
      user: { name: 'bob', groups: ['dev'] },
    });
    if (withIntermediate.authenticated) expect(withIntermediate.chain).toHaveLength(3);

    // pathLength 0: a CA signed by the intermediate may not sign anything that chains up.
    const subCa = await x509.X509CertificateGenerator.create({
      serialNumber: '0e',
      subject: [{ CN: ['sub-ca'] }],
      issuer: intermediate.subjectName,
      notBefore: at(-DAY),
      notAfter: at(100 * DAY),
      publicKey: keys[0]!.publicKey,
      signingKey: intermediateKeys.privateKey,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
    });
    const tooDeep = await x509.X509CertificateGenerator.create({
      serialNumber: '0b',
      subject: [{ CN: ['deep'] }],
      issuer: subCa.subjectName,
      notBefore: at(-DAY),
      notAfter: at(100 * DAY),
      publicKey: keys[4]!.publicKey,
      signingKey: keys[0]!.privateKey,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    });
    const deep = await verifyCertificateChain(tooDeep, [ca.certificate], {
      now: at(DAY),
      purpose: 'any',
      intermediates: [subCa, intermediate],
    });
    expect(deep).toEqual({
      valid: false,
      reason: 'CA "CN=kubernetes-intermediate" allows 0 intermediate CAs below it, the chain has 1',
    });
  });

  it('refuses certificates with critical extensions it does not understand', async () => {
    const odd = await x509.X509CertificateGenerator.create({
      serialNumber: '0c',
      subject: [{ CN: ['odd'] }],
      issuer: ca.certificate.subjectName,
      notBefore: at(-DAY),
      notAfter: at(100 * DAY),
      publicKey: keys[4]!.publicKey,
      signingKey: ca.keys.privateKey,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      extensions: [new x509.Extension('1.2.3.4.5', true, new Uint8Array([5, 0]))],
    });
    const result = await verifyCertificateChain(odd, [ca.certificate], {
      now: at(DAY),
      purpose: 'any',
    });
    expect(result).toEqual({
      valid: false,
      reason: 'certificate "CN=odd" has an unhandled critical extension 1.2.3.4.5',
    });
  });
});

describe('userFromClientCertificate / authenticateClientCertificate', () => {
  it('maps CN to the user and O values to groups', async () => {
    expect(userFromClientCertificate(admin.certificate)).toEqual({
      name: 'admin',
      groups: ['system:masters'],
    });
    const result = await authenticateClientCertificate(
      [admin.certificate],
      [ca.certificate],
      at(DAY),
    );
    expect(result).toMatchObject({
      authenticated: true,
      user: { name: 'admin', groups: ['system:masters'] },
    });
  });

  it('does not authenticate a certificate without a CN', async () => {
    const noCn = await x509.X509CertificateGenerator.create({
      serialNumber: '0d',
      subject: [{ O: ['system:masters'] }],
      issuer: ca.certificate.subjectName,
      notBefore: at(-DAY),
      notAfter: at(100 * DAY),
      publicKey: keys[4]!.publicKey,
      signingKey: ca.keys.privateKey,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    });
    expect(userFromClientCertificate(noCn)).toBeUndefined();
    expect(await authenticateClientCertificate([noCn], [ca.certificate], at(DAY))).toEqual({
      authenticated: false,
      reason: 'certificate "O=system:masters" has no common name',
    });
  });

  it('does not authenticate without a certificate, or with an untrusted one', async () => {
    expect(await authenticateClientCertificate([], [ca.certificate], at(DAY))).toEqual({
      authenticated: false,
      reason: 'no client certificate presented',
    });
    const untrusted = await authenticateClientCertificate(
      [admin.certificate],
      [impostorCa.certificate],
      at(DAY),
    );
    expect(untrusted.authenticated).toBe(false);
  });
});

describe('certificateMatchesHost', () => {
  it('agrees with OpenSSL hostname and IP checks', () => {
    const node = new NodeX509(server.certificatePem);
    const hosts = [
      'kubernetes.default.svc.cluster.local',
      'KUBERNETES.default.svc.cluster.local',
      'kubernetes.default.svc',
      'web.apps.example.com',
      'apps.example.com',
      'a.web.apps.example.com',
      'kube-apiserver',
      'localhost',
    ];
    for (const host of hosts) {
      expect(certificateMatchesHost(server.certificate, host), host).toBe(
        node.checkHost(host) !== undefined,
      );
    }
    for (const ip of ['10.96.0.1', '10.96.0.2', '::1', '127.0.0.1']) {
      expect(certificateMatchesHost(server.certificate, ip), ip).toBe(
        node.checkIP(ip) !== undefined,
      );
    }
  });
});
