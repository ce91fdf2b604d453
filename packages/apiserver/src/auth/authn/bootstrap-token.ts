/**
 * Bootstrap token authentication (`--enable-bootstrap-token-auth`, upstream's
 * plugin/pkg/auth/authenticator/token/bootstrap): `<id>.<secret>` tokens backed by
 * `kube-system/bootstrap-token-<id>` Secrets of type `bootstrap.kubernetes.io/token`. The user is
 * `system:bootstrap:<id>` in `system:bootstrappers` plus the secret's `auth-extra-groups`.
 */
import { timingSafeEqual } from 'node:crypto';
import type { ApiObject } from '../../storage/codec.js';
import type { UserInfo } from '../types.js';

export const BOOTSTRAP_TOKEN_PATTERN = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;
export const BOOTSTRAP_SECRET_TYPE = 'bootstrap.kubernetes.io/token';
const EXTRA_GROUP = /^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$/;

function field(secret: ApiObject, key: string): string {
  const data = secret.data as Record<string, string> | undefined;
  const v = data?.[key];
  return v === undefined ? '' : Buffer.from(v, 'base64').toString('utf8');
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The user of a bootstrap token; undefined when the token does not have the bootstrap form
 * (another authenticator's); throws when it has the form but is not valid.
 */
export async function authenticateBootstrapToken(
  token: string,
  getSecret: (name: string) => Promise<ApiObject | undefined>,
  now: Date,
): Promise<UserInfo | undefined> {
  const m = BOOTSTRAP_TOKEN_PATTERN.exec(token);
  if (!m) return undefined;
  const [, id = '', secretPart = ''] = m;
  const secret = await getSecret(`bootstrap-token-${id}`);
  const invalid = new Error('invalid bootstrap token');
  if (!secret || secret.metadata?.deletionTimestamp) throw invalid;
  if ((secret.type as string | undefined) !== BOOTSTRAP_SECRET_TYPE) throw invalid;
  if (!same(field(secret, 'token-id'), id) || !same(field(secret, 'token-secret'), secretPart))
    throw invalid;
  if (field(secret, 'usage-bootstrap-authentication') !== 'true') throw invalid;
  const expiration = field(secret, 'expiration');
  if (expiration) {
    const t = Date.parse(expiration);
    if (Number.isNaN(t) || t <= now.getTime()) throw new Error('bootstrap token has expired');
  }
  const extra = field(secret, 'auth-extra-groups')
    .split(',')
    .map((g) => g.trim())
    .filter((g) => g !== '');
  for (const g of extra) if (!EXTRA_GROUP.test(g)) throw invalid;
  return { username: `system:bootstrap:${id}`, groups: ['system:bootstrappers', ...extra] };
}
