/**
 * The review APIs, served as create-only virtual resources (nothing is stored):
 * authentication.k8s.io/v1 TokenReview and SelfSubjectReview (`kubectl auth whoami`), and
 * authorization.k8s.io/v1 SubjectAccessReview, LocalSubjectAccessReview,
 * SelfSubjectAccessReview (`kubectl auth can-i`) and SelfSubjectRulesReview (`can-i --list`).
 */
import {
  invalid,
  isJsonObject,
  newInternalError,
  newInvalid,
  Path,
  required,
} from '@kubets/apimachinery';
import type { PolicyRule } from '@kubets/api';
import type { ActionSubresource } from '../../http/handler.js';
import type { WriteOptions } from '../../registry/resource-registry.js';
import type { SecurityChain } from '../chain.js';
import type { RequestAttributes, UserInfo } from '../types.js';

type Obj = Record<string, unknown>;

function obj(v: unknown): Obj {
  return isJsonObject(v) ? v : {};
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function requester(opts: WriteOptions): UserInfo {
  if (!opts.user) throw newInternalError('no user in the request');
  return opts.user;
}

function userInfoJson(u: UserInfo): Obj {
  return {
    username: u.username,
    ...(u.uid ? { uid: u.uid } : {}),
    groups: u.groups,
    ...(u.extra ? { extra: u.extra } : {}),
  };
}

function answer(
  body: Obj,
  apiVersion: string,
  kind: string,
  status: Obj,
  namespace?: string,
): { code: number; body: unknown } {
  const metadata = {
    ...obj(body.metadata),
    ...(namespace ? { namespace } : {}),
    creationTimestamp: null,
  };
  return { code: 201, body: { kind, apiVersion, metadata, spec: obj(body.spec), status } };
}

function attributesFromSpec(
  spec: Obj,
  gk: { group: string; kind: string },
  allowNonResource = true,
): RequestAttributes {
  const ra = spec.resourceAttributes;
  const nra = spec.nonResourceAttributes;
  if ((ra === undefined) === (nra === undefined) || (!allowNonResource && nra !== undefined)) {
    const field = Path.new('spec', 'resourceAttributes');
    throw newInvalid(gk, '', [
      !allowNonResource && nra !== undefined
        ? invalid(
            Path.new('spec', 'nonResourceAttributes'),
            nra,
            'disallowed on this kind of request',
          )
        : invalid(
            field,
            ra ?? null,
            'exactly one of nonResourceAttributes or resourceAttributes must be specified',
          ),
    ]);
  }
  if (nra !== undefined) {
    const n = obj(nra);
    return { kind: 'nonresource', verb: str(n.verb), path: str(n.path) };
  }
  const r = obj(ra);
  return {
    kind: 'resource',
    verb: str(r.verb),
    group: str(r.group),
    version: str(r.version),
    resource: str(r.resource),
    subresource: str(r.subresource),
    namespace: str(r.namespace),
    name: str(r.name),
  };
}

function accessStatus(chain: SecurityChain, user: UserInfo, attrs: RequestAttributes): Obj {
  const d = chain.decide(user, attrs);
  return {
    allowed: d.decision === 'allow',
    ...(d.decision === 'deny' ? { denied: true } : {}),
    ...(d.reason ? { reason: d.reason } : {}),
  };
}

const AUTHZ = 'authorization.k8s.io';
const AUTHN = 'authentication.k8s.io';

function ruleJson(r: PolicyRule): Obj {
  if ((r.nonResourceURLs ?? []).length > 0)
    return { verbs: r.verbs, nonResourceURLs: r.nonResourceURLs };
  return {
    verbs: r.verbs,
    apiGroups: r.apiGroups ?? [],
    resources: r.resources ?? [],
    ...(r.resourceNames?.length ? { resourceNames: r.resourceNames } : {}),
  };
}

/** `group/version/resource` -> handler, for the API handler's virtual resources. */
export function reviewResources(chain: SecurityChain): Map<string, ActionSubresource> {
  const m = new Map<string, ActionSubresource>();
  m.set(`${AUTHZ}/v1/selfsubjectaccessreviews`, {
    create: (_ns, _name, body, opts) => {
      const b = obj(body);
      const attrs = attributesFromSpec(obj(b.spec), {
        group: AUTHZ,
        kind: 'SelfSubjectAccessReview',
      });
      return Promise.resolve(
        answer(
          b,
          `${AUTHZ}/v1`,
          'SelfSubjectAccessReview',
          accessStatus(chain, requester(opts), attrs),
        ),
      );
    },
  });
  const sar = (kind: string, local: boolean): ActionSubresource => ({
    create: (ns, _name, body) => {
      const b = obj(body);
      const spec = obj(b.spec);
      const gk = { group: AUTHZ, kind };
      const attrs = attributesFromSpec(spec, gk, !local);
      if (local && attrs.kind === 'resource') {
        if (attrs.namespace !== ns) {
          throw newInvalid(gk, '', [
            invalid(
              Path.new('spec', 'resourceAttributes', 'namespace'),
              attrs.namespace,
              'must match metadata.namespace',
            ),
          ]);
        }
      }
      const username = str(spec.user);
      const groups = strings(spec.groups);
      if (username === '' && groups.length === 0) {
        throw newInvalid(gk, '', [
          invalid(Path.new('spec', 'user'), '', 'at least one of user or group must be specified'),
        ]);
      }
      const extra = obj(spec.extra) as Record<string, string[]>;
      const subject: UserInfo = {
        username,
        ...(str(spec.uid) ? { uid: str(spec.uid) } : {}),
        groups,
        ...(Object.keys(extra).length > 0 ? { extra } : {}),
      };
      return Promise.resolve(
        answer(b, `${AUTHZ}/v1`, kind, accessStatus(chain, subject, attrs), local ? ns : undefined),
      );
    },
  });
  m.set(`${AUTHZ}/v1/subjectaccessreviews`, sar('SubjectAccessReview', false));
  m.set(`${AUTHZ}/v1/localsubjectaccessreviews`, sar('LocalSubjectAccessReview', true));
  m.set(`${AUTHZ}/v1/selfsubjectrulesreviews`, {
    create: (_ns, _name, body, opts) => {
      const b = obj(body);
      const namespace = str(obj(b.spec).namespace);
      const rules = chain.rulesFor(requester(opts), namespace);
      return Promise.resolve(
        answer(b, `${AUTHZ}/v1`, 'SelfSubjectRulesReview', {
          resourceRules: rules.resourceRules.map(ruleJson),
          nonResourceRules: rules.nonResourceRules.map(ruleJson),
          incomplete: rules.incomplete,
        }),
      );
    },
  });
  m.set(`${AUTHN}/v1/tokenreviews`, {
    create: async (_ns, _name, body) => {
      const b = obj(body);
      const spec = obj(b.spec);
      const token = str(spec.token);
      if (token === '') {
        throw newInvalid({ group: AUTHN, kind: 'TokenReview' }, '', [
          required(Path.new('spec', 'token')),
        ]);
      }
      const audiences = strings(spec.audiences);
      const r = await chain.authenticateToken(token, audiences.length > 0 ? audiences : undefined);
      const status: Obj = r
        ? { authenticated: true, user: userInfoJson(r.user), audiences: r.audiences }
        : { user: {}, error: '[invalid bearer token, token lookup failed]' };
      return answer(b, `${AUTHN}/v1`, 'TokenReview', status);
    },
  });
  m.set(`${AUTHN}/v1/selfsubjectreviews`, {
    create: (_ns, _name, body, opts) =>
      Promise.resolve({
        code: 201,
        body: {
          kind: 'SelfSubjectReview',
          apiVersion: `${AUTHN}/v1`,
          metadata: { ...obj(obj(body).metadata), creationTimestamp: null },
          status: { userInfo: userInfoJson(requester(opts)) },
        },
      }),
  });
  return m;
}
