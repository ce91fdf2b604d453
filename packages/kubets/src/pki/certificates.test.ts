/**
 * Certificates issued by this library, parsed back with @peculiar/x509 and cross-checked with
 * Node's OpenSSL-backed X509Certificate: every extension exactly as specified.
 */
import { X509Certificate as NodeX509 } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIXED_NOW, seededRandomBytes } from '../../test/random.js';
import {
  CLOCK_SKEW_BACKDATE_MS,
  DEFAULT_CA_VALIDITY_MS,
  DEFAULT_CERT_VALIDITY_MS,
  createCertificateAuthority,
  issueCertificate,
  loadCertificateAuthority,
  validityWindow,
} from './certificates.js';
import type { CertificateAuthority } from './certificates.js';
import { extendedKeyUsagesOf, keyUsagesOf, subjectAltNamesOf } from './inspect.js';
import { generateKeyPair, importPrivateKeyPem, privateKeyToPem } from './keys.js';
import type { CryptoKeyPair } from './keys.js';
import { parseCertificate } from './pem.js';
import { x509 } from './x509.js';

const context = { now: FIXED_NOW, randomBytes: seededRandomBytes(11) };
let caKeys: CryptoKeyPair;
let leafKeys: CryptoKeyPair;
let otherKeys: CryptoKeyPair;
let ca: CertificateAuthority;

beforeAll(async () => {
  [caKeys, leafKeys, otherKeys] = await Promise.all([
    generateKeyPair('ECDSA-P256'),
    generateKeyPair('ECDSA-P256'),
    generateKeyPair('ECDSA-P256'),
  ]);
  ca = await createCertificateAuthority({ commonName: 'kubernetes' }, caKeys, context);
});

const der = (name: x509.Name) => Buffer.from(name.toArrayBuffer());

describe('createCertificateAuthority', () => {
  it('is self-signed with CN=kubernetes', async () => {
    const cert = parseCertificate(ca.certificatePem);
    expect(cert.subject).toBe('CN=kubernetes');
    expect(cert.issuer).toBe('CN=kubernetes');
    expect(await cert.isSelfSigned()).toBe(true);
    expect(cert.signatureAlgorithm).toMatchObject({ name: 'ECDSA', hash: { name: 'SHA-256' } });
  });

  it('has basicConstraints critical CA:TRUE and keyUsage critical keyCertSign + cRLSign only', () => {
    const cert = parseCertificate(ca.certificatePem);
    const constraints = cert.getExtension(x509.BasicConstraintsExtension);
    expect(constraints?.ca).toBe(true);
    expect(constraints?.critical).toBe(true);
    expect(constraints?.pathLength).toBeUndefined();
    expect(keyUsagesOf(cert)).toEqual(['keyCertSign', 'cRLSign']);
    expect(cert.getExtension(x509.KeyUsagesExtension)?.critical).toBe(true);
    expect(cert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId).toMatch(/^[0-9a-f]{40}$/);
    expect(extendedKeyUsagesOf(cert)).toBeUndefined();
  });

  it('is valid for ten years from five minutes ago', () => {
    const cert = parseCertificate(ca.certificatePem);
    expect(cert.notBefore.getTime()).toBe(FIXED_NOW.getTime() - CLOCK_SKEW_BACKDATE_MS);
    expect(cert.notAfter.getTime()).toBe(FIXED_NOW.getTime() + DEFAULT_CA_VALIDITY_MS);
  });

  it('has a positive serial number of up to 128 bits', () => {
    const node = new NodeX509(ca.certificatePem);
    // Node prints the serial without the DER sign byte; at most 16 bytes of value.
    expect(node.serialNumber.length).toBeLessThanOrEqual(32);
    expect(node.ca).toBe(true);
  });
});

describe('issueCertificate', () => {
  it('issues a serving certificate with exactly the requested SANs and serverAuth', async () => {
    const issued = await issueCertificate(
      ca,
      {
        kind: 'server',
        commonName: 'kube-apiserver',
        subjectAltNames: [
          { type: 'dns', value: 'kubernetes.default.svc' },
          { type: 'ip', value: '10.96.0.1' },
          { type: 'ip', value: 'FD00:0::1' },
          { type: 'dns', value: 'kubernetes.default.svc' },
        ],
      },
      leafKeys.publicKey,
      context,
    );
    const cert = parseCertificate(issued.certificatePem);
    expect(cert.subject).toBe('CN=kube-apiserver');
    expect(subjectAltNamesOf(cert)).toEqual([
      { type: 'dns', value: 'kubernetes.default.svc' },
      { type: 'ip', value: '10.96.0.1' },
      { type: 'ip', value: 'fd00::1' },
    ]);
    expect(extendedKeyUsagesOf(cert)).toEqual(['serverAuth']);
    expect(keyUsagesOf(cert)).toEqual(['digitalSignature']);
    expect(cert.getExtension(x509.KeyUsagesExtension)?.critical).toBe(true);
    const constraints = cert.getExtension(x509.BasicConstraintsExtension);
    expect(constraints?.ca).toBe(false);
    expect(constraints?.critical).toBe(true);
    // Issuer bytes equal the CA's subject bytes: Go builds chains on raw names.
    expect(der(cert.issuerName).equals(der(ca.certificate.subjectName))).toBe(true);
    expect(cert.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId).toBe(
      ca.certificate.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId,
    );
    expect(await cert.verify({ publicKey: ca.certificate.publicKey, signatureOnly: true })).toBe(
      true,
    );

    // OpenSSL (through Node) agrees on signature, issuer and hostnames.
    const node = new NodeX509(issued.certificatePem);
    expect(node.verify(new NodeX509(ca.certificatePem).publicKey)).toBe(true);
    expect(node.checkIssued(new NodeX509(ca.certificatePem))).toBe(true);
    expect(node.checkHost('kubernetes.default.svc')).toBe('kubernetes.default.svc');
    expect(node.checkIP('10.96.0.1')).toBe('10.96.0.1');
    expect(node.checkIP('fd00::1')).toBe('fd00::1');
    expect(node.ca).toBe(false);
  });

  it('issues client certificates with O values before CN and clientAuth only', async () => {
    const issued = await issueCertificate(
      ca,
      { kind: 'client', commonName: 'jane', organizations: ['dev', 'system:masters'] },
      leafKeys.publicKey,
      context,
    );
    const cert = parseCertificate(issued.certificatePem);
    expect(cert.subject).toBe('O=dev, O=system:masters, CN=jane');
    expect(cert.subjectName.getField('O')).toEqual(['dev', 'system:masters']);
    expect(extendedKeyUsagesOf(cert)).toEqual(['clientAuth']);
    expect(cert.getExtension(x509.SubjectAlternativeNameExtension)).toBeNull();
    expect(new NodeX509(issued.certificatePem).subject).toBe('O=dev\nO=system:masters\nCN=jane');
  });

  it('gives peer certificates both serverAuth and clientAuth', async () => {
    const issued = await issueCertificate(
      ca,
      { kind: 'peer', commonName: 'm1', subjectAltNames: [{ type: 'dns', value: 'm1' }] },
      leafKeys.publicKey,
      context,
    );
    expect(extendedKeyUsagesOf(parseCertificate(issued.certificatePem))).toEqual([
      'serverAuth',
      'clientAuth',
    ]);
  });

  it('backdates five minutes, lasts a year by default, and never outlives the CA', async () => {
    const issued = await issueCertificate(
      ca,
      { kind: 'client', commonName: 'u' },
      leafKeys.publicKey,
      context,
    );
    expect(issued.certificate.notBefore.getTime()).toBe(FIXED_NOW.getTime() - 5 * 60_000);
    expect(issued.certificate.notAfter.getTime()).toBe(
      FIXED_NOW.getTime() + DEFAULT_CERT_VALIDITY_MS,
    );

    const long = await issueCertificate(
      ca,
      { kind: 'client', commonName: 'u', validityMs: 2 * DEFAULT_CA_VALIDITY_MS },
      leafKeys.publicKey,
      context,
    );
    expect(long.certificate.notAfter.getTime()).toBe(ca.certificate.notAfter.getTime());
  });

  it('gives every certificate a different serial', async () => {
    const serials = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const issued = await issueCertificate(
        ca,
        { kind: 'client', commonName: 'u' },
        leafKeys.publicKey,
        context,
      );
      serials.add(issued.certificate.serialNumber);
    }
    expect(serials.size).toBe(5);
  });

  it('refuses requests that would make unusable certificates', async () => {
    await expect(
      issueCertificate(ca, { kind: 'server', commonName: 'x' }, leafKeys.publicKey, context),
    ).rejects.toThrow('a server certificate needs at least one subject alternative name');
    await expect(
      issueCertificate(ca, { kind: 'client', commonName: ' ' }, leafKeys.publicKey, context),
    ).rejects.toThrow('common name must not be empty');
    await expect(
      issueCertificate(ca, { kind: 'client', commonName: 'a\nb' }, leafKeys.publicKey, context),
    ).rejects.toThrow('contains control characters');
    await expect(
      issueCertificate(
        ca,
        { kind: 'server', commonName: 'x', subjectAltNames: [{ type: 'dns', value: '10.0.0.1' }] },
        leafKeys.publicKey,
        context,
      ),
    ).rejects.toThrow('is not of type dns');
  });

  it('signs with an RSA CA (a kubeadm CA) and marks RSA leaf keys for keyEncipherment', async () => {
    const rsaKeys = await generateKeyPair('RSA-2048');
    // Round-trip the key through PEM as a kubeadm ca.key would arrive.
    const loaded = await importPrivateKeyPem(await privateKeyToPem(rsaKeys.privateKey), 'ca.key');
    const rsaCa = await createCertificateAuthority({ commonName: 'kubernetes' }, loaded, context);
    expect(rsaCa.certificate.signatureAlgorithm).toMatchObject({ name: 'RSASSA-PKCS1-v1_5' });
    const ecdsaLeaf = await issueCertificate(
      rsaCa,
      { kind: 'client', commonName: 'u' },
      leafKeys.publicKey,
      context,
    );
    expect(
      await ecdsaLeaf.certificate.verify({
        publicKey: rsaCa.certificate.publicKey,
        signatureOnly: true,
      }),
    ).toBe(true);
    const rsaLeaf = await issueCertificate(
      ca,
      { kind: 'client', commonName: 'u' },
      rsaKeys.publicKey,
      context,
    );
    expect(keyUsagesOf(rsaLeaf.certificate)).toEqual(['digitalSignature', 'keyEncipherment']);
  });
});

describe('loadCertificateAuthority', () => {
  it('accepts the CA with its own key', async () => {
    const loaded = await loadCertificateAuthority(ca.certificatePem, caKeys, 'ca');
    expect(loaded.certificate.subject).toBe('CN=kubernetes');
  });

  it('refuses a key that is not the CA key', async () => {
    await expect(loadCertificateAuthority(ca.certificatePem, otherKeys, '/pki/ca')).rejects.toThrow(
      '/pki/ca key does not belong to the /pki/ca certificate (CN=kubernetes)',
    );
  });

  it('refuses a leaf certificate as CA', async () => {
    const leaf = await issueCertificate(
      ca,
      { kind: 'client', commonName: 'u' },
      leafKeys.publicKey,
      context,
    );
    await expect(loadCertificateAuthority(leaf.certificatePem, leafKeys, 'x')).rejects.toThrow(
      'is not a CA',
    );
  });
});

describe('validityWindow', () => {
  it('refuses non-positive durations', () => {
    expect(() => validityWindow(FIXED_NOW, 0)).toThrow('validity must be a positive duration');
  });
});
