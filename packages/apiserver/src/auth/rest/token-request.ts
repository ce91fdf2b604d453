/**
 * `POST /api/v1/namespaces/{ns}/serviceaccounts/{name}/token` (TokenRequest,
 * authentication.k8s.io/v1): a service-account JWT for the requested audiences and lifetime,
 * optionally bound to a Pod, Secret or Node, so it stops authenticating once that object (or the
 * service account) is deleted.
 */
import {
  invalid,
  isJsonObject,
  newBadRequest,
  newConflict,
  newInvalid,
  Path,
  type JsonValue,
} from '@kubets/apimachinery';
import type { ActionSubresource } from '../../http/handler.js';
import type { Catalog } from '../../registry/catalog.js';
import type { ApiObject } from '../../storage/codec.js';
import type { BoundObject, TokenSigner } from '../authn/serviceaccount.js';

const MIN_SECONDS = 600;
const DEFAULT_SECONDS = 3600;
const MAX_SECONDS = 2 ** 32;

const BOUND_KINDS: Record<string, { resource: string; namespaced: boolean }> = {
  Pod: { resource: 'pods', namespaced: true },
  Secret: { resource: 'secrets', namespaced: true },
  Node: { resource: 'nodes', namespaced: false },
};

export function tokenRequestAction(
  catalog: Catalog,
  signer: TokenSigner,
  apiAudiences: string[],
  now: () => Date,
): ActionSubresource {
  return {
    async create(namespace, name, body, opts) {
      const b = (isJsonObject(body) ? body : {}) as Record<string, JsonValue>;
      const spec = (isJsonObject(b.spec ?? null) ? b.spec : {}) as Record<string, JsonValue>;
      const gk = { group: 'authentication.k8s.io', kind: 'TokenRequest' };
      const sa = await catalog.get('', 'serviceaccounts')!.get(namespace, name);
      const audiences = Array.isArray(spec.audiences)
        ? spec.audiences.filter((a): a is string => typeof a === 'string')
        : [];
      const effective = audiences.length > 0 ? audiences : apiAudiences;
      const seconds =
        typeof spec.expirationSeconds === 'number' ? spec.expirationSeconds : DEFAULT_SECONDS;
      const path = Path.new('spec', 'expirationSeconds');
      if (seconds < MIN_SECONDS)
        throw newInvalid(gk, name, [
          invalid(path, seconds, 'may not specify a duration less than 10 minutes'),
        ]);
      if (seconds > MAX_SECONDS)
        throw newInvalid(gk, name, [
          invalid(path, seconds, 'may not specify a duration larger than 2^32 seconds'),
        ]);
      let bound: BoundObject | undefined;
      let node: { name: string; uid: string } | undefined;
      const ref = isJsonObject(spec.boundObjectRef ?? null)
        ? (spec.boundObjectRef as Record<string, JsonValue>)
        : undefined;
      if (ref) {
        const kind = typeof ref.kind === 'string' ? ref.kind : '';
        const target = BOUND_KINDS[kind];
        if (!target) {
          throw newInvalid(gk, name, [
            invalid(
              Path.new('spec', 'boundObjectRef', 'kind'),
              kind,
              'supported values: "Pod", "Secret", "Node"',
            ),
          ]);
        }
        const refName = typeof ref.name === 'string' ? ref.name : '';
        const obj: ApiObject = await catalog
          .get('', target.resource)!
          .get(target.namespaced ? namespace : undefined, refName);
        const uid = obj.metadata?.uid ?? '';
        if (typeof ref.uid === 'string' && ref.uid !== '' && ref.uid !== uid) {
          throw newConflict(
            { group: '', resource: kind },
            refName,
            `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`,
          );
        }
        if (kind === 'Pod') {
          const podSA =
            (obj.spec as { serviceAccountName?: string } | undefined)?.serviceAccountName ||
            'default';
          if (podSA !== name) {
            throw newBadRequest(
              `cannot bind token for serviceaccount ${JSON.stringify(name)} to pod running with different serviceaccount name.`,
            );
          }
          const nodeName = (obj.spec as { nodeName?: string } | undefined)?.nodeName;
          if (nodeName) {
            try {
              const n = await catalog.get('', 'nodes')?.get(undefined, nodeName);
              if (n?.metadata?.uid) node = { name: nodeName, uid: n.metadata.uid };
            } catch {
              // The node is informational only.
            }
          }
        }
        bound = { kind: kind as BoundObject['kind'], name: refName, uid };
      }
      const out: Record<string, unknown> = {
        kind: 'TokenRequest',
        apiVersion: 'authentication.k8s.io/v1',
        metadata: {
          name,
          namespace,
          creationTimestamp: now()
            .toISOString()
            .replace(/\.\d+Z$/, 'Z'),
        },
        spec: {
          audiences: effective,
          expirationSeconds: seconds,
          ...(ref ? { boundObjectRef: ref } : {}),
        },
        status: { token: '', expirationTimestamp: null },
      };
      if (opts.dryRun) return { code: 201, body: out };
      const issued = await signer.issue(
        {
          namespace,
          serviceAccount: { name, uid: sa.metadata?.uid ?? '' },
          audiences: effective,
          expirationSeconds: seconds,
          ...(bound ? { bound } : {}),
          ...(node ? { node } : {}),
        },
        now(),
      );
      out.status = {
        token: issued.token,
        expirationTimestamp: issued.expires.toISOString().replace(/\.\d+Z$/, 'Z'),
      };
      return { code: 201, body: out };
    },
  };
}
