/**
 * The contract between the API server's front doors (REST and gRPC) and its security chain.
 *
 * A front door knows the transport (headers or gRPC metadata, the TLS peer certificate); the
 * chain knows users, roles and policy. Both doors hand the chain the same `Credentials` and
 * `RequestAttributes`, so a request is authenticated and authorized the same way whichever door
 * it came through. Admission sees the user through `WriteOptions.user`.
 */
import type { StatusError } from '@kubets/apimachinery';

/** An authenticated caller, as upstream's user.Info. */
export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

/** What the transport knows about the caller. */
export interface Credentials {
  /** The `Authorization` header (REST) or `authorization` metadata (gRPC), as sent. */
  authorization?: string;
  /**
   * The verified TLS client certificate chain, leaf first (DER). Only present when the TLS
   * layer validated it against the client CA.
   */
  peerCertificates?: Buffer[];
  /**
   * Why a client certificate that was presented did not verify against the client CA (as the TLS
   * layer reports it). A presented but unverified certificate fails authentication (401) unless
   * a bearer token authenticates the request, as upstream's union authenticator.
   */
  peerCertificateError?: string;
  /** `Impersonate-User`, `Impersonate-Group` (repeated), `Impersonate-Uid`, `Impersonate-Extra-*`. */
  impersonate?: {
    user?: string;
    groups?: string[];
    uid?: string;
    extra?: Record<string, string[]>;
  };
}

/** Upstream's authorizer.Attributes for a resource or non-resource request. */
export type RequestAttributes =
  | {
      kind: 'resource';
      verb: string;
      group: string;
      version: string;
      resource: string;
      subresource: string;
      namespace: string;
      name: string;
    }
  | { kind: 'nonresource'; verb: string; path: string };

/** Why a request was allowed (RBAC: the binding and role that allowed it). */
export interface AuthorizationResult {
  reason?: string;
}

/** The security chain as the front doors use it. */
export interface RequestGuard {
  /**
   * Authenticates (and applies impersonation, which is itself authorized). Rejects with a
   * StatusError: 401 Unauthorized when no authenticator accepts the credentials and anonymous
   * requests are off; 403 when impersonation is not allowed.
   */
  authenticate(credentials: Credentials): Promise<UserInfo>;
  /**
   * Resolves when allowed (with the authorizer's reason when it gives one, for the audit log's
   * `authorization.k8s.io/reason`); rejects with upstream's 403 Forbidden StatusError otherwise.
   */
  authorize(user: UserInfo, attributes: RequestAttributes): Promise<AuthorizationResult | void>;
}

/** Thrown type for documentation: guards reject with apimachinery's StatusError. */
export type GuardError = StatusError;

/**
 * The identity of every request when no security chain is configured (tests, and the dev-only
 * `--authorization-mode=AlwaysAllow` without authenticators): a cluster administrator.
 */
export const UNSECURED_USER: UserInfo = Object.freeze({
  username: 'system:unsecured',
  groups: ['system:masters', 'system:authenticated'],
});

/** Lets everything in as UNSECURED_USER. */
export const allowAllGuard: RequestGuard = {
  authenticate: () => Promise.resolve(UNSECURED_USER),
  authorize: () => Promise.resolve(),
};
