/**
 * The security chain: kube-apiserver's authentication (x509 client certificates, static tokens,
 * service-account JWTs, bootstrap tokens, anonymous), impersonation, and the union of
 * authorizers in `--authorization-mode` order. Implements RequestGuard for both front doors and
 * answers the review APIs (TokenReview, SubjectAccessReview, SelfSubjectRulesReview).
 */
import { createHash } from 'node:crypto';
import { newForbidden, newUnauthorized } from '@kubets/apimachinery';
import type { Logger } from '@kubets/component-base';
import type {
  AuthorizationResult,
  Credentials,
  RequestAttributes,
  RequestGuard,
  UserInfo,
} from './types.js';
import { authenticateBootstrapToken } from './authn/bootstrap-token.js';
import { impersonate } from './authn/impersonation.js';
import type { ServiceAccountAuthenticator } from './authn/serviceaccount.js';
import { userFromCertificate } from './authn/x509.js';
import {
  forbiddenMessage,
  privilegedGroups,
  unionDecision,
  unionRules,
  type Authorizer,
  type Decision,
  type RuleSet,
} from './authz/authorizer.js';
import type { ApiObject } from '../storage/codec.js';
import type { AuthMetrics } from './metrics.js';

export const ANONYMOUS_USER = 'system:anonymous';
export const UNAUTHENTICATED_GROUP = 'system:unauthenticated';
export const AUTHENTICATED_GROUP = 'system:authenticated';

export interface SecurityChainOptions {
  /** Static tokens (`--token-auth-file`). */
  tokens?: Map<string, UserInfo>;
  serviceAccounts?: ServiceAccountAuthenticator;
  /** `--enable-bootstrap-token-auth`: reads kube-system secrets. */
  bootstrapTokens?: (secretName: string) => Promise<ApiObject | undefined>;
  /** `--anonymous-auth`. */
  anonymous: boolean;
  /** In `--authorization-mode` order (the privileged-groups authorizer is put first). */
  authorizers: Authorizer[];
  metrics?: AuthMetrics;
  logger?: Logger;
  now?: () => Date;
  /**
   * How long a successful bearer-token authentication is reused (upstream's token success cache,
   * 10 s; failures are never cached). A revoked token keeps working at most this long.
   */
  tokenSuccessCacheTTLMs?: number;
}

const TOKEN_CACHE_LIMIT = 10_000;

export interface TokenAuthResult {
  user: UserInfo;
  audiences: string[];
}

function withAuthenticatedGroup(user: UserInfo): UserInfo {
  if (user.groups.includes(AUTHENTICATED_GROUP)) return user;
  return { ...user, groups: [...user.groups, AUTHENTICATED_GROUP] };
}

function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^\s*bearer\s+(.*)$/i.exec(header);
  if (!m) return undefined;
  const token = m[1]!.trim();
  return token === '' ? undefined : token;
}

export class SecurityChain implements RequestGuard {
  readonly authorizers: Authorizer[];
  private readonly now: () => Date;
  private readonly tokenCache = new Map<string, { result: TokenAuthResult; expires: number }>();

  constructor(private readonly o: SecurityChainOptions) {
    const alwaysAllowOnly =
      o.authorizers.length > 0 && o.authorizers.every((a) => a.type === 'AlwaysAllow');
    this.authorizers = alwaysAllowOnly ? o.authorizers : [privilegedGroups, ...o.authorizers];
    this.now = o.now ?? (() => new Date());
  }

  /** Bearer-token authentication alone (also TokenReview's). Undefined: no authenticator knows it. */
  async authenticateToken(
    token: string,
    audiences?: string[],
  ): Promise<TokenAuthResult | undefined> {
    const ttl = this.o.tokenSuccessCacheTTLMs ?? 10_000;
    if (ttl <= 0) return this.authenticateTokenUncached(token, audiences);
    const key = createHash('sha256')
      .update(JSON.stringify([token, audiences ?? []]))
      .digest('base64');
    const now = this.now().getTime();
    const hit = this.tokenCache.get(key);
    if (hit && hit.expires > now) return hit.result;
    const result = await this.authenticateTokenUncached(token, audiences);
    if (result) {
      if (this.tokenCache.size >= TOKEN_CACHE_LIMIT) this.tokenCache.clear();
      this.tokenCache.set(key, { result, expires: now + ttl });
    }
    return result;
  }

  private async authenticateTokenUncached(
    token: string,
    audiences?: string[],
  ): Promise<TokenAuthResult | undefined> {
    const errors: string[] = [];
    const fromFile = this.o.tokens?.get(token);
    if (fromFile) return { user: withAuthenticatedGroup(fromFile), audiences: audiences ?? [] };
    if (this.o.serviceAccounts) {
      try {
        const r = await this.o.serviceAccounts.authenticate(token, audiences);
        if (r) return { user: withAuthenticatedGroup(r.user), audiences: r.audiences };
      } catch (err) {
        errors.push((err as Error).message);
      }
    }
    if (this.o.bootstrapTokens) {
      try {
        const user = await authenticateBootstrapToken(token, this.o.bootstrapTokens, this.now());
        if (user) return { user: withAuthenticatedGroup(user), audiences: audiences ?? [] };
      } catch (err) {
        errors.push((err as Error).message);
      }
    }
    if (errors.length > 0)
      this.o.logger?.v(2).info('Unable to authenticate the request', { errors });
    return undefined;
  }

  async authenticate(credentials: Credentials): Promise<UserInfo> {
    const started = process.hrtime.bigint();
    const seconds = (): number => Number(process.hrtime.bigint() - started) / 1e9;
    let user: UserInfo | undefined;
    let failed = false;
    try {
      user = await this.authenticateCredentials(credentials);
    } catch (err) {
      failed = true;
      this.o.logger?.v(2).info('Unable to authenticate the request due to an error', {
        err: (err as Error).message,
      });
    }
    if (!user) {
      if (failed || !this.o.anonymous || hasCredentials(credentials)) {
        this.o.metrics?.authentication('failure', seconds());
        throw newUnauthorized('Unauthorized');
      }
      user = { username: ANONYMOUS_USER, groups: [UNAUTHENTICATED_GROUP] };
    }
    this.o.metrics?.authentication('success', seconds());
    if (credentials.impersonate && hasImpersonation(credentials.impersonate)) {
      return impersonate(user, credentials.impersonate, async (u, a) => {
        await this.authorize(u, a);
      });
    }
    return user;
  }

  private async authenticateCredentials(c: Credentials): Promise<UserInfo | undefined> {
    const leaf = c.peerCertificates?.[0];
    let certError: Error | undefined;
    if (leaf) {
      try {
        return withAuthenticatedGroup(userFromCertificate(leaf));
      } catch (err) {
        certError = err as Error;
      }
    } else if (c.peerCertificateError) {
      certError = new Error(`x509: ${c.peerCertificateError}`);
    }
    const token = bearerToken(c.authorization);
    if (token !== undefined) {
      const r = await this.authenticateToken(token);
      if (r) return r.user;
      throw new Error('invalid bearer token');
    }
    if (certError) throw certError;
    return undefined;
  }

  /** The union's decision (SubjectAccessReview). */
  decide(user: UserInfo, attrs: RequestAttributes): Decision {
    const d = unionDecision(this.authorizers, user, attrs);
    return d;
  }

  authorize(user: UserInfo, attrs: RequestAttributes): Promise<AuthorizationResult> {
    const d = unionDecision(this.authorizers, user, attrs, (type, decision) =>
      this.o.metrics?.decision(type, decision === 'allow' ? 'allowed' : 'denied'),
    );
    if (d.decision === 'allow') return Promise.resolve(d.reason ? { reason: d.reason } : {});
    if (d.decision === 'noopinion') this.o.metrics?.decision('none', 'denied');
    return Promise.reject(forbidden(user, attrs, d.reason));
  }

  rulesFor(user: UserInfo, namespace: string): RuleSet {
    return unionRules(this.authorizers, user, namespace);
  }
}

export function forbidden(user: UserInfo, attrs: RequestAttributes, reason: string): Error {
  const msg = forbiddenMessage(user, attrs);
  const why = reason ? `${msg}: ${reason}` : msg;
  if (attrs.kind === 'nonresource') return newForbidden({ group: '', resource: '' }, '', why);
  return newForbidden({ group: attrs.group, resource: attrs.resource }, attrs.name, why);
}

function hasImpersonation(i: NonNullable<Credentials['impersonate']>): boolean {
  return (
    !!i.user || (i.groups?.length ?? 0) > 0 || !!i.uid || Object.keys(i.extra ?? {}).length > 0
  );
}

function hasCredentials(c: Credentials): boolean {
  return (
    bearerToken(c.authorization) !== undefined ||
    (c.peerCertificates?.length ?? 0) > 0 ||
    !!c.peerCertificateError
  );
}
