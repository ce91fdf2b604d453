/**
 * Assembles the security chain from kube-apiserver's settings once the registries exist:
 * authenticators, the authorizers of `--authorization-mode` (RBAC over informers of the four
 * RBAC resources with its decision cache, Node over a pod graph), the bootstrap policy
 * reconciled at start, ClusterRole aggregation, escalation prevention, and the review and
 * TokenRequest endpoints.
 */
import type { KeyObject } from 'node:crypto';
import { isNotFound, isAlreadyExists, isConflict } from '@kubets/apimachinery';
import type { ClusterRole, Role, RoleBinding } from '@kubets/api';
import type { ComponentMetrics, Logger } from '@kubets/component-base';
import type { ActionSubresource } from '../http/handler.js';
import type { Catalog } from '../registry/catalog.js';
import type { ApiObject } from '../storage/codec.js';
import {
  ServiceAccountAuthenticator,
  TokenSigner,
  type ObjectLookup,
} from './authn/serviceaccount.js';
import { alwaysAllow, alwaysDeny, type Authorizer } from './authz/authorizer.js';
import { NodeAuthorizer, NodeGraph } from './authz/node.js';
import { RbacAuthorizer, type RbacSource } from './authz/rbac.js';
import { SecurityChain } from './chain.js';
import { SYSTEM_USER } from './context.js';
import type { EscalationDeps } from './escalation.js';
import { Informer } from './informer.js';
import { AuthMetrics } from './metrics.js';
import { aggregatedRules, rulesDiffer } from './policy/aggregation.js';
import {
  bootstrapClusterRoleBindings,
  bootstrapClusterRoles,
  bootstrapNamespaceRoleBindings,
  bootstrapNamespaceRoles,
} from './policy/bootstrap-policy.js';
import {
  reconcileClusterRole,
  reconcileClusterRoleBinding,
  type Reconciled,
} from './policy/reconcile.js';
import { reviewResources } from './rest/reviews.js';
import { tokenRequestAction } from './rest/token-request.js';
import type { UserInfo } from './types.js';

export const AUTHORIZATION_MODES = ['AlwaysAllow', 'AlwaysDeny', 'Node', 'RBAC'] as const;
export type AuthorizationMode = (typeof AUTHORIZATION_MODES)[number];

export interface SecurityOptions {
  /** `--client-ca-file` contents: the HTTPS server requests client certificates verified by it. */
  clientCA?: Buffer;
  /** `--token-auth-file`, parsed. */
  tokens?: Map<string, UserInfo>;
  serviceAccounts?: {
    /** `--service-account-key-file` (verification keys). */
    publicKeys: KeyObject[];
    /** `--service-account-signing-key-file` (PEM); enables TokenRequest. */
    signingKeyPem?: string;
    /** `--service-account-issuer` (the first one signs). */
    issuers: string[];
    /** `--api-audiences`; default: the issuers. */
    apiAudiences?: string[];
  };
  /** `--enable-bootstrap-token-auth`. */
  enableBootstrapTokenAuth?: boolean;
  /** `--anonymous-auth` (default true). */
  anonymousAuth?: boolean;
  /** `--authorization-mode` (default AlwaysAllow). */
  authorizationModes?: AuthorizationMode[];
  /** Successful token authentications are reused this long (upstream: 10 s). */
  tokenSuccessCacheTTLMs?: number;
}

export interface RunningSecurity {
  chain: SecurityChain;
  escalation: EscalationDeps | undefined;
  /** `group/version/resource` of the review APIs. */
  virtualResources: Map<string, ActionSubresource>;
  /** `group/resource/subresource` actions (serviceaccounts/token). */
  actions: Map<string, ActionSubresource>;
  stop(): void;
}

function objectLookup(catalog: Catalog): ObjectLookup {
  return async (resource, namespace, name) => {
    const reg = catalog.get('', resource);
    if (!reg) return undefined;
    try {
      return await reg.get(reg.def.namespaced ? namespace : undefined, name);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  };
}

class InformerRbacSource implements RbacSource {
  constructor(
    private readonly roles: Informer,
    private readonly clusterRoles: Informer,
    private readonly roleBindingsInf: Informer,
    private readonly clusterRoleBindingsInf: Informer,
  ) {}
  clusterRole(name: string): ClusterRole | undefined {
    return this.clusterRoles.get(name);
  }
  role(namespace: string, name: string): Role | undefined {
    return this.roles.get(`${namespace}/${name}`);
  }
  clusterRoleBindings(): Iterable<RoleBinding> {
    return this.clusterRoleBindingsInf.list() as unknown as Iterable<RoleBinding>;
  }
  *roleBindings(namespace: string): Iterable<RoleBinding> {
    for (const rb of this.roleBindingsInf.list()) {
      if (rb.metadata?.namespace === namespace) yield rb as unknown as RoleBinding;
    }
  }
}

async function waitFor(cond: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

export async function startSecurity(
  catalog: Catalog,
  o: SecurityOptions,
  deps: { metrics?: ComponentMetrics; logger?: Logger; now: () => Date },
): Promise<RunningSecurity> {
  const logger = deps.logger;
  const modes = o.authorizationModes ?? ['AlwaysAllow'];
  const informers: Informer[] = [];
  const stops: (() => void)[] = [];
  const lookup = objectLookup(catalog);
  const authorizers: Authorizer[] = [];
  let rbac: RbacAuthorizer | undefined;

  for (const mode of modes) {
    if (mode === 'AlwaysAllow') authorizers.push(alwaysAllow);
    else if (mode === 'AlwaysDeny') authorizers.push(alwaysDeny);
    else if (mode === 'Node') {
      const graph = new NodeGraph();
      const podsReg = catalog.get('', 'pods');
      if (podsReg) {
        const pods = new Informer(podsReg, logger);
        pods.onChange((type, obj) => {
          if (type === 'DELETED')
            graph.deletePod(obj.metadata?.namespace ?? '', obj.metadata?.name ?? '');
          else graph.setPod(obj);
        });
        informers.push(pods);
      }
      const claimsReg = catalog.get('', 'persistentvolumeclaims');
      if (claimsReg) {
        const claims = new Informer(claimsReg, logger);
        claims.onChange((type, obj) => {
          const ns = obj.metadata?.namespace ?? '';
          const name = obj.metadata?.name ?? '';
          if (type === 'DELETED') graph.deleteClaim(ns, name);
          else
            graph.setClaim(ns, name, (obj.spec as { volumeName?: string } | undefined)?.volumeName);
        });
        informers.push(claims);
      }
      const volumesReg = catalog.get('', 'persistentvolumes');
      if (volumesReg) {
        const volumes = new Informer(volumesReg, logger);
        volumes.onChange((type, obj) => {
          const name = obj.metadata?.name ?? '';
          if (type === 'DELETED') graph.deleteVolume(name);
          else graph.setVolume(name, obj.spec);
        });
        informers.push(volumes);
      }
      authorizers.push(new NodeAuthorizer(graph));
    } else {
      const inf = (plural: string): Informer => {
        const reg = catalog.get('rbac.authorization.k8s.io', plural);
        if (!reg) throw new Error(`RBAC authorization needs the ${plural} resource`);
        const i = new Informer(reg, logger);
        informers.push(i);
        return i;
      };
      const roles = inf('roles');
      const clusterRoles = inf('clusterroles');
      const roleBindings = inf('rolebindings');
      const clusterRoleBindings = inf('clusterrolebindings');
      const authorizer = new RbacAuthorizer(
        new InformerRbacSource(roles, clusterRoles, roleBindings, clusterRoleBindings),
      );
      for (const i of [roles, clusterRoles, roleBindings, clusterRoleBindings]) {
        i.onChange(() => authorizer.invalidate());
        i.onResync(() => authorizer.invalidate());
      }
      rbac = authorizer;
      authorizers.push(authorizer);
    }
  }

  let serviceAccounts: ServiceAccountAuthenticator | undefined;
  let signer: TokenSigner | undefined;
  const sa = o.serviceAccounts;
  const apiAudiences = sa ? (sa.apiAudiences?.length ? sa.apiAudiences : sa.issuers) : [];
  if (sa) {
    serviceAccounts = new ServiceAccountAuthenticator({
      keys: sa.publicKeys,
      issuers: sa.issuers,
      audiences: apiAudiences,
      lookup,
      now: deps.now,
    });
    if (sa.signingKeyPem) signer = TokenSigner.fromPem(sa.signingKeyPem, sa.issuers[0]!);
  }

  const chain = new SecurityChain({
    ...(o.tokens ? { tokens: o.tokens } : {}),
    ...(serviceAccounts ? { serviceAccounts } : {}),
    ...(o.enableBootstrapTokenAuth
      ? { bootstrapTokens: (name: string) => lookup('secrets', 'kube-system', name) }
      : {}),
    anonymous: o.anonymousAuth ?? true,
    ...(o.tokenSuccessCacheTTLMs !== undefined
      ? { tokenSuccessCacheTTLMs: o.tokenSuccessCacheTTLMs }
      : {}),
    authorizers,
    ...(deps.metrics ? { metrics: new AuthMetrics(deps.metrics) } : {}),
    ...(logger ? { logger } : {}),
    now: deps.now,
  });

  for (const i of informers) await i.start();
  for (const i of informers) stops.push(() => i.stop());

  if (rbac) {
    const clusterRoles = informers.find((i) => i.registry.def.plural === 'clusterroles')!;
    await reconcilePolicy(catalog, logger);
    // Serve only once the informers have seen the policy (the admin's binding above all).
    const names = bootstrapClusterRoles().map((r) => r.metadata!.name!);
    const crbs = informers.find((i) => i.registry.def.plural === 'clusterrolebindings')!;
    await waitFor(
      () =>
        names.every((n) => clusterRoles.get(n)) &&
        bootstrapClusterRoleBindings().every((b) => crbs.get(b.metadata!.name!)),
      10_000,
    );
    stops.push(startAggregation(clusterRoles, logger));
    await waitFor(
      () =>
        ['admin', 'edit', 'view'].every(
          (n) =>
            ((clusterRoles.get(n) as { rules?: unknown[] } | undefined)?.rules?.length ?? 0) > 0,
        ),
      10_000,
    );
  }

  const actions = new Map<string, ActionSubresource>();
  if (signer)
    actions.set(
      '/serviceaccounts/token',
      tokenRequestAction(catalog, signer, apiAudiences, deps.now),
    );
  const escalation: EscalationDeps | undefined = rbac
    ? { rbac, decide: (user, attrs) => chain.decide(user, attrs) }
    : undefined;
  return {
    chain,
    escalation,
    virtualResources: reviewResources(chain),
    actions,
    stop: () => {
      for (const s of stops) s();
    },
  };
}

/**
 * Creates or completes the bootstrap roles and bindings, cluster-wide and in kube-system /
 * kube-public (as SYSTEM_USER).
 */
async function reconcilePolicy(catalog: Catalog, logger: Logger | undefined): Promise<void> {
  const reg = (plural: string) => catalog.get('rbac.authorization.k8s.io', plural)!;
  // The API server's own identity: RBAC escalation checks pass it (system:masters).
  const opts = { fieldManager: 'kube-apiserver', user: SYSTEM_USER };
  const one = async <T extends { metadata?: { name?: string; namespace?: string } }>(
    plural: string,
    desired: T,
    decide: (existing: T | undefined, desired: T) => Reconciled<T>,
  ): Promise<void> => {
    const registry = reg(plural);
    const name = desired.metadata!.name!;
    const ns = desired.metadata!.namespace;
    for (let attempt = 0; attempt < 3; attempt++) {
      let existing: T | undefined;
      try {
        existing = (await registry.get(ns, name)) as unknown as T;
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      const r = decide(existing, desired);
      try {
        if (r.action === 'create') await registry.create(ns, r.object, opts);
        else if (r.action === 'update') await registry.update(ns, name, r.object, opts);
        if (r.action !== 'none')
          logger
            ?.v(2)
            .info('Reconciled RBAC object', { plural, namespace: ns, name, action: r.action });
        return;
      } catch (err) {
        if (!isConflict(err) && !isAlreadyExists(err)) throw err;
      }
    }
  };
  for (const d of bootstrapClusterRoles()) await one('clusterroles', d, reconcileClusterRole);
  for (const d of bootstrapClusterRoleBindings())
    await one('clusterrolebindings', d, reconcileClusterRoleBinding);
  for (const d of bootstrapNamespaceRoles()) await one('roles', d, reconcileClusterRole);
  for (const d of bootstrapNamespaceRoleBindings())
    await one('rolebindings', d, reconcileClusterRoleBinding);
}

/** Keeps aggregated ClusterRoles' rules equal to the union of the roles they select. */
function startAggregation(clusterRoles: Informer, logger: Logger | undefined): () => void {
  let scheduled: NodeJS.Timeout | undefined;
  let running = false;
  let again = false;
  let stopped = false;
  const sync = async (): Promise<void> => {
    const all = [...clusterRoles.list()] as unknown as ClusterRole[];
    for (const role of all) {
      const want = aggregatedRules(role, all);
      if (!want || !rulesDiffer(role.rules, want)) continue;
      const next = { ...(role as unknown as ApiObject), rules: want } as ApiObject;
      try {
        await clusterRoles.registry.update(undefined, role.metadata!.name!, next, {
          fieldManager: 'clusterrole-aggregation-controller',
          user: SYSTEM_USER,
        });
      } catch (err) {
        // A conflict means a newer version is on its way through the informer: the next pass fixes it.
        if (!isConflict(err) && !isNotFound(err))
          logger?.error(err, 'ClusterRole aggregation failed', { name: role.metadata?.name });
      }
    }
  };
  const schedule = (): void => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    if (scheduled) return;
    scheduled = setTimeout(() => {
      scheduled = undefined;
      running = true;
      void sync().finally(() => {
        running = false;
        if (again) {
          again = false;
          schedule();
        }
      });
    }, 10);
  };
  clusterRoles.onChange(schedule);
  clusterRoles.onResync(schedule);
  schedule();
  return () => {
    stopped = true;
    if (scheduled) clearTimeout(scheduled);
  };
}
