/**
 * Namespace lifecycle, as kube-apiserver's NamespaceLifecycle admission plugin and namespace
 * storage do it:
 *
 * - nothing may be created in a namespace that does not exist (404 `namespaces "x" not found`)
 *   or is terminating (403 `unable to create new content in namespace x because it is being
 *   terminated`);
 * - `default`, `kube-system` and `kube-public` may not be deleted;
 * - deleting a namespace marks it (deletionTimestamp, `status.phase: Terminating`) and keeps it
 *   while `spec.finalizers` is not empty; the namespace controller empties it and calls
 *   `/finalize`, and the next delete removes it.
 */
import { newForbidden, newNotFound, StatusError, type GroupResource } from '@kubets/apimachinery';
import type { ApiObject } from '../storage/codec.js';
import type { ResourceStore } from '../storage/store.js';
import type { CreateAdmission, ResourceHooks } from './resource-registry.js';

export const IMMORTAL_NAMESPACES = ['default', 'kube-system', 'kube-public'];
/** Created at start, as kube-apiserver's system namespaces controller does. */
export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

function terminating(ns: ApiObject): boolean {
  return (
    !!ns.metadata?.deletionTimestamp ||
    (ns.status as { phase?: string } | undefined)?.phase === 'Terminating'
  );
}

export class NamespaceLifecycle implements CreateAdmission {
  constructor(
    private readonly namespaces: ResourceStore,
    /**
     * The namespaces' watch cache, as upstream's plugin reads its informer: an active namespace
     * found there admits without a store read; anything else is looked up live.
     */
    private readonly cache?: {
      getFromCache(
        ns: string | undefined,
        name: string,
      ): { object: ApiObject | undefined } | undefined;
    },
  ) {}

  async admitCreate(
    namespace: string | undefined,
    resource: GroupResource,
    name: string,
  ): Promise<void> {
    if (!namespace || (resource.group === '' && resource.resource === 'namespaces')) return;
    const cached = this.cache?.getFromCache(undefined, namespace)?.object;
    if (cached && !terminating(cached)) return;
    const ns = await this.namespaces.tryGet(undefined, namespace);
    if (!ns) throw newNotFound({ group: '', resource: 'namespaces' }, namespace);
    if (terminating(ns)) {
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

export const namespaceHooks: ResourceHooks = {
  validateDelete(obj) {
    const name = obj.metadata?.name ?? '';
    if (IMMORTAL_NAMESPACES.includes(name)) {
      throw newForbidden(
        { group: '', resource: 'namespaces' },
        name,
        'this namespace may not be deleted',
      );
    }
  },
  markTerminating(obj) {
    obj.status = { ...(obj.status ?? {}), phase: 'Terminating' };
  },
  blocksDeletion(obj) {
    return ((obj.spec as { finalizers?: string[] } | undefined)?.finalizers ?? []).length > 0;
  },
};
