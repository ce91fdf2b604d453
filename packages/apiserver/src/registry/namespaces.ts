/**
 * Namespace storage, as kube-apiserver's namespace registry does it: deleting a namespace marks
 * it (deletionTimestamp, `status.phase: Terminating`) and keeps it while `spec.finalizers` is
 * not empty; the namespace controller empties it and calls `/finalize`, and the next delete
 * removes it. What may be created in, or deleted of, namespaces is the NamespaceLifecycle
 * admission plugin's job (src/admission/plugins/namespace-lifecycle.ts).
 */
import type { ResourceHooks } from './resource-registry.js';

export {
  IMMORTAL_NAMESPACES,
  NamespaceLifecycle,
} from '../admission/plugins/namespace-lifecycle.js';

/** Created at start, as kube-apiserver's system namespaces controller does. */
export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export const namespaceHooks: ResourceHooks = {
  markTerminating(obj) {
    obj.status = { ...(obj.status ?? {}), phase: 'Terminating' };
  },
  blocksDeletion(obj) {
    return ((obj.spec as { finalizers?: string[] } | undefined)?.finalizers ?? []).length > 0;
  },
};
