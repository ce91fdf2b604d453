/**
 * NamespaceLifecycle: nothing may be created in a namespace that does not exist (404
 * `namespaces "x" not found`) or is terminating (403 `unable to create new content in namespace
 * x because it is being terminated`); `default`, `kube-system` and `kube-public` may not be
 * deleted (403 `this namespace may not be deleted`).
 *
 * The namespace is read from the watch cache when it is there and active. For a while after a
 * namespace's DELETE is admitted, creates in it read the store instead (upstream's
 * forceLiveLookupCache): the cache may not have seen the namespace turn Terminating yet, and a
 * create it admits would land in a namespace being emptied.
 */
import { newForbidden, newNotFound, StatusError } from '@kubets/apimachinery';
import type { ApiObject } from '../../storage/codec.js';
import {
  requestMemo,
  type AdmissionAttributes,
  type Operation,
  type ValidatingPlugin,
} from '../types.js';

export const IMMORTAL_NAMESPACES = ['default', 'kube-system', 'kube-public'];

/**
 * Reads a namespace (undefined when it does not exist); `live`: from the store, never from a
 * cache.
 */
export type NamespaceGetter = (
  name: string,
  o?: { live?: boolean },
) => Promise<ApiObject | undefined>;

/** How long after a namespace's DELETE creates in it read the store (upstream: 30 s). */
export const FORCE_LIVE_LOOKUP_MS = 30_000;

/** Resources that may be created in a terminating namespace (upstream's accessReviewResources). */
const EXEMPT = new Set(['authorization.k8s.io/localsubjectaccessreviews']);

export function isTerminating(ns: ApiObject): boolean {
  return (
    !!ns.metadata?.deletionTimestamp ||
    (ns.status as { phase?: string } | undefined)?.phase === 'Terminating'
  );
}

export class NamespaceLifecycle implements ValidatingPlugin {
  readonly name = 'NamespaceLifecycle';

  /** Namespace name -> until when (clock ms) its creates read the store. */
  private readonly forceLive = new Map<string, number>();

  /** `now`: milliseconds clock (Date.now), for the force-live-lookup window. */
  constructor(
    private readonly getNamespace: NamespaceGetter,
    private readonly now: () => number = Date.now,
  ) {}

  handles(op: Operation): boolean {
    return op === 'CREATE' || op === 'DELETE';
  }

  async validate(a: AdmissionAttributes): Promise<void> {
    const isNamespace = a.resource.group === '' && a.resource.resource === 'namespaces';
    if (a.operation === 'DELETE') {
      if (isNamespace && a.subresource === '') {
        if (IMMORTAL_NAMESPACES.includes(a.name)) {
          throw newForbidden(
            { group: '', resource: 'namespaces' },
            a.name,
            'this namespace may not be deleted',
          );
        }
        this.forceLiveLookup(a.name);
      }
      return;
    }
    if (!a.namespace || isNamespace) return;
    if (EXEMPT.has(`${a.resource.group}/${a.resource.resource}`)) return;
    await this.admitCreate(
      a.namespace,
      { group: a.resource.group, resource: a.resource.resource },
      a.name,
      (n) => {
        const live = this.mustLookUpLive(n);
        return requestMemo(a, `namespace/${n}${live ? '/live' : ''}`, () =>
          this.getNamespace(n, { live }),
        );
      },
    );
  }

  private forceLiveLookup(namespace: string): void {
    const now = this.now();
    // Drop expired entries so the map stays as small as the namespaces deleted recently.
    for (const [n, until] of this.forceLive) if (until <= now) this.forceLive.delete(n);
    this.forceLive.set(namespace, now + FORCE_LIVE_LOOKUP_MS);
  }

  private mustLookUpLive(namespace: string): boolean {
    const until = this.forceLive.get(namespace);
    return until !== undefined && until > this.now();
  }

  /** The create check alone (kept for the registry's older CreateAdmission hook). */
  async admitCreate(
    namespace: string | undefined,
    resource: { group: string; resource: string },
    name: string,
    get: NamespaceGetter = this.getNamespace,
  ): Promise<void> {
    if (!namespace || (resource.group === '' && resource.resource === 'namespaces')) return;
    const ns = await get(namespace);
    if (!ns) throw newNotFound({ group: '', resource: 'namespaces' }, namespace);
    if (isTerminating(ns)) {
      const err = newForbidden(
        resource,
        name,
        `unable to create new content in namespace ${namespace} because it is being terminated`,
      );
      throw new StatusError({
        ...err.status,
        details: {
          ...err.status.details,
          causes: [
            {
              reason: 'NamespaceTerminating',
              message: `namespace ${namespace} is being terminated`,
              field: 'metadata.namespace',
            },
          ],
        },
      });
    }
  }
}
