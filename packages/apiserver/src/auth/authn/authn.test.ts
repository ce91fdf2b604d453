import { describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { SignJWT } from 'jose';
import { authenticateBootstrapToken } from './bootstrap-token.js';
import { impersonate } from './impersonation.js';
import { ServiceAccountAuthenticator, TokenSigner, publicKeysFromPem } from './serviceaccount.js';
import { parseCsvLine, parseTokenFile } from './token-file.js';
import type { ApiObject } from '../../storage/codec.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('static token file', () => {
  it('parses token,user,uid,"groups" with quoting and skips blank lines', () => {
    expect(parseCsvLine('t,u,1,"a,b"')).toEqual(['t', 'u', '1', 'a,b']);
    const f = parseTokenFile('t1,alice,u1,"dev,qa"\n\nt2,bob,u2\n,nobody,u3\n');
    expect(f.users.get('t1')).toEqual({ username: 'alice', uid: 'u1', groups: ['dev', 'qa'] });
    expect(f.users.get('t2')).toEqual({ username: 'bob', uid: 'u2', groups: [] });
    expect(f.warnings).toHaveLength(1);
    expect(() => parseTokenFile('t,u\n', 'f.csv')).toThrow(
      "token file 'f.csv' must have at least 3 columns (token, user name, user uid), found 2",
    );
  });
});

describe('bootstrap tokens', () => {
  const secret = (
    data: Record<string, string>,
    type = 'bootstrap.kubernetes.io/token',
  ): ApiObject => ({
    metadata: { name: 'bootstrap-token-abcdef', namespace: 'kube-system' },
    type,
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
  });
  const base = {
    'token-id': 'abcdef',
    'token-secret': '0123456789abcdef',
    'usage-bootstrap-authentication': 'true',
  };
  const now = new Date('2026-01-01T00:00:00Z');
  const auth = (s: ApiObject | undefined, token = 'abcdef.0123456789abcdef') =>
    authenticateBootstrapToken(token, () => Promise.resolve(s), now);

  it('authenticates a valid token with its extra groups', async () => {
    await expect(
      auth(
        secret({ ...base, 'auth-extra-groups': 'system:bootstrappers:kubeadm:default-node-token' }),
      ),
    ).resolves.toEqual({
      username: 'system:bootstrap:abcdef',
      groups: ['system:bootstrappers', 'system:bootstrappers:kubeadm:default-node-token'],
    });
    await expect(auth(secret(base), 'not-a-bootstrap-token')).resolves.toBeUndefined();
  });

  it('refuses wrong secrets, types, usages, expired tokens and bad extra groups', async () => {
    await expect(auth(secret(base), 'abcdef.0123456789abcdee')).rejects.toThrow();
    await expect(auth(secret(base, 'Opaque'))).rejects.toThrow();
    await expect(
      auth(secret({ ...base, 'usage-bootstrap-authentication': 'false' })),
    ).rejects.toThrow();
    await expect(auth(secret({ ...base, expiration: '2025-12-31T23:59:59Z' }))).rejects.toThrow(
      'expired',
    );
    await expect(
      auth(secret({ ...base, 'auth-extra-groups': 'system:masters' })),
    ).rejects.toThrow();
    await expect(auth(undefined)).rejects.toThrow();
  });
});

describe('service-account tokens', () => {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const issuer = 'https://issuer.test';
  const objects = new Map<string, ApiObject>([
    ['serviceaccounts/ns/sa', { metadata: { name: 'sa', uid: 'sa-uid' } }],
    ['pods/ns/p', { metadata: { name: 'p', uid: 'pod-uid' } }],
  ]);
  let now = new Date();
  const authn = new ServiceAccountAuthenticator({
    keys: publicKeysFromPem(pem),
    issuers: [issuer],
    audiences: [issuer],
    lookup: (r, ns, name) => Promise.resolve(objects.get(`${r}/${ns}/${name}`)),
    now: () => now,
  });
  const signer = TokenSigner.fromPem(pem, issuer);
  const issue = (audiences = [issuer], seconds = 600) =>
    signer.issue(
      {
        namespace: 'ns',
        serviceAccount: { name: 'sa', uid: 'sa-uid' },
        audiences,
        expirationSeconds: seconds,
        bound: { kind: 'Pod', name: 'p', uid: 'pod-uid' },
      },
      now,
    );

  it("accepts a bound token while its pod and account exist, with upstream's user and extras", async () => {
    const { token } = await issue();
    const r = await authn.authenticate(token);
    expect(r?.user).toMatchObject({
      username: 'system:serviceaccount:ns:sa',
      uid: 'sa-uid',
      groups: ['system:serviceaccounts', 'system:serviceaccounts:ns'],
      extra: {
        'authentication.kubernetes.io/pod-name': ['p'],
        'authentication.kubernetes.io/pod-uid': ['pod-uid'],
      },
    });
    objects.set('pods/ns/p', { metadata: { name: 'p', uid: 'other-uid' } });
    await expect(authn.authenticate(token)).rejects.toThrow('does not match');
    objects.delete('pods/ns/p');
    await expect(authn.authenticate(token)).rejects.toThrow('deleted');
    objects.set('pods/ns/p', { metadata: { name: 'p', uid: 'pod-uid' } });
  });

  it("refuses other audiences and expired tokens, and ignores other issuers' tokens", async () => {
    const { token: wrongAud } = await issue(['somebody-else']);
    await expect(authn.authenticate(wrongAud)).rejects.toThrow();
    await expect(authn.authenticate(wrongAud, ['somebody-else'])).resolves.toMatchObject({
      audiences: ['somebody-else'],
    });
    const { token } = await issue([issuer], 600);
    now = new Date(now.getTime() + 700_000);
    await expect(authn.authenticate(token)).rejects.toThrow();
    now = new Date();
    const other = await TokenSigner.fromPem(pem, 'https://elsewhere').issue(
      {
        namespace: 'ns',
        serviceAccount: { name: 'sa', uid: 'sa-uid' },
        audiences: [issuer],
        expirationSeconds: 600,
      },
      now,
    );
    await expect(authn.authenticate(other.token)).resolves.toBeUndefined();
    await expect(authn.authenticate('static-token')).resolves.toBeUndefined();
  });
});

describe('legacy service-account tokens', () => {
  it('authenticate while their secret holds them and the account exists', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const token = await new SignJWT({
      'kubernetes.io/serviceaccount/namespace': 'ns',
      'kubernetes.io/serviceaccount/secret.name': 'sa-token',
      'kubernetes.io/serviceaccount/service-account.name': 'sa',
      'kubernetes.io/serviceaccount/service-account.uid': 'sa-uid',
    })
      .setProtectedHeader({ alg: 'RS256' })
      .setIssuer('kubernetes/serviceaccount')
      .setSubject('system:serviceaccount:ns:sa')
      .sign(privateKey);
    const objects = new Map<string, ApiObject>([
      ['serviceaccounts/ns/sa', { metadata: { name: 'sa', uid: 'sa-uid' } }],
      ['secrets/ns/sa-token', { metadata: { name: 'sa-token' }, data: { token: b64(token) } }],
    ]);
    const authn = new ServiceAccountAuthenticator({
      keys: publicKeysFromPem(pem),
      issuers: ['https://issuer.test'],
      audiences: ['https://issuer.test'],
      lookup: (r, ns, name) => Promise.resolve(objects.get(`${r}/${ns}/${name}`)),
      now: () => new Date(),
    });
    await expect(authn.authenticate(token)).resolves.toMatchObject({
      user: { username: 'system:serviceaccount:ns:sa', uid: 'sa-uid' },
    });
    objects.set('secrets/ns/sa-token', {
      metadata: { name: 'sa-token' },
      data: { token: b64('other') },
    });
    await expect(authn.authenticate(token)).rejects.toThrow('does not match');
    objects.delete('secrets/ns/sa-token');
    await expect(authn.authenticate(token)).rejects.toThrow('deleted');
  });
});

describe('impersonation', () => {
  const requester = { username: 'admin', groups: ['system:authenticated'] };
  it('authorizes each attribute with the impersonate verb and builds the impersonated user', async () => {
    const asked: string[] = [];
    const allow = (
      _u: unknown,
      a: {
        kind: string;
        resource?: string;
        name?: string;
        namespace?: string;
        subresource?: string;
      },
    ) => {
      asked.push(`${a.resource}/${a.subresource ?? ''}/${a.namespace ?? ''}/${a.name}`);
      return Promise.resolve();
    };
    await expect(
      impersonate(requester, { user: 'bob', groups: ['g'], extra: { scopes: ['s'] } }, allow),
    ).resolves.toEqual({
      username: 'bob',
      groups: ['g', 'system:authenticated'],
      extra: { scopes: ['s'] },
    });
    expect(asked).toEqual(['users///bob', 'groups///g', 'userextras/scopes//s']);
    await expect(
      impersonate(requester, { user: 'system:serviceaccount:ns:sa' }, allow),
    ).resolves.toEqual({
      username: 'system:serviceaccount:ns:sa',
      groups: ['system:serviceaccounts', 'system:serviceaccounts:ns', 'system:authenticated'],
    });
    await expect(impersonate(requester, { groups: ['g'] }, allow)).rejects.toThrow(
      'without impersonating a user',
    );
    await expect(
      impersonate(requester, { user: 'x' }, () => Promise.reject(new Error('no'))),
    ).rejects.toThrow('no');
  });
});
