import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseFlags } from '@kubets/component-base';
import { apiServerFlags } from './flags.js';
import { securityFromFlags } from './security-flags.js';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const files: Record<string, string> = {
  'ca.crt': 'CA',
  'tokens.csv': 't1,alice,1,"a,b"\n',
  'sa.key': privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  'sa.pub': publicKey.export({ type: 'spki', format: 'pem' }).toString(),
};
const read = (_flag: string, path: string): Buffer => {
  const f = files[path];
  if (f === undefined) throw new Error(`cannot read ${path}`);
  return Buffer.from(f);
};

function fromArgs(args: string[]) {
  const parsed = parseFlags(apiServerFlags, ['--etcd-servers=http://x:2379', ...args]);
  if (parsed.kind !== 'ok') throw new Error(`flags did not parse: ${parsed.kind}`);
  return securityFromFlags(parsed.values, read);
}

describe('authentication and authorization flags', () => {
  it('mean no security chain at all with upstream defaults (AlwaysAllow, anonymous)', () => {
    expect(fromArgs([])).toBeUndefined();
  });

  it('build the chain options kube-apiserver would', () => {
    const s = fromArgs([
      '--client-ca-file=ca.crt',
      '--token-auth-file=tokens.csv',
      '--service-account-key-file=sa.pub',
      '--service-account-signing-key-file=sa.key',
      '--service-account-issuer=https://a',
      '--service-account-issuer=https://b',
      '--api-audiences=api',
      '--enable-bootstrap-token-auth',
      '--anonymous-auth=false',
      '--authorization-mode=Node,RBAC',
    ])!;
    expect(s.options.clientCA?.toString()).toBe('CA');
    expect(s.options.tokens?.get('t1')).toEqual({
      username: 'alice',
      uid: '1',
      groups: ['a', 'b'],
    });
    expect(s.options.serviceAccounts).toMatchObject({
      issuers: ['https://a', 'https://b'],
      apiAudiences: ['api'],
    });
    expect(s.options.serviceAccounts?.publicKeys).toHaveLength(1);
    expect(s.options).toMatchObject({
      enableBootstrapTokenAuth: true,
      anonymousAuth: false,
      authorizationModes: ['Node', 'RBAC'],
    });
  });

  it('verify with the signing key when no key file is given, and refuse bad settings', () => {
    expect(
      fromArgs(['--service-account-signing-key-file=sa.key', '--service-account-issuer=https://a'])!
        .options.serviceAccounts?.publicKeys,
    ).toHaveLength(1);
    expect(() => fromArgs(['--service-account-signing-key-file=sa.key'])).toThrow(
      '--service-account-issuer is a required flag',
    );
    expect(() => fromArgs(['--authorization-mode=ABAC'])).toThrow(
      '--authorization-mode: unsupported value "ABAC"',
    );
    expect(() => fromArgs(['--authorization-mode=RBAC,RBAC'])).toThrow('may not be repeated');
    expect(() => fromArgs(['--token-auth-file=missing.csv'])).toThrow('cannot read missing.csv');
    expect(fromArgs(['--authorization-mode=RBAC'])?.options.authorizationModes).toEqual(['RBAC']);
  });
});
