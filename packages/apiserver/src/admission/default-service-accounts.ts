/**
 * The `default` ServiceAccount of every namespace, which the ServiceAccount plugin gives pods.
 * Upstream, kube-controller-manager's serviceaccount controller creates it; kubets has no
 * controller-manager yet, so the API server creates it when a namespace is created and, at
 * start, for namespaces that lack it (see docs/decisions/0009-admission.md).
 */
import { isAlreadyExists, isNotFound } from '@kubets/apimachinery';
import type { ResourceRegistry, WriteTransaction } from '../registry/resource-registry.js';
import type { ApiObject } from '../storage/codec.js';

export async function ensureDefaultServiceAccount(
  serviceAccounts: ResourceRegistry,
  namespace: string,
): Promise<void> {
  try {
    await serviceAccounts.create(
      namespace,
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } },
      { fieldManager: 'kube-controller-manager', skipAdmission: true },
    );
  } catch (err) {
    // Already there, or the namespace went away meanwhile.
    if (!isAlreadyExists(err) && !isNotFound(err)) throw err;
  }
}

/** A namespace create's side effect: its default service account once the namespace exists. */
export function defaultServiceAccountOnCreate(
  serviceAccounts: () => ResourceRegistry | undefined,
): (obj: ApiObject, dryRun: boolean) => Promise<WriteTransaction | undefined> {
  return (obj, dryRun) => {
    const registry = serviceAccounts();
    const name = obj.metadata?.name;
    if (dryRun || !registry || !name) return Promise.resolve(undefined);
    return Promise.resolve({
      commit: () => ensureDefaultServiceAccount(registry, name),
      revert: () => undefined,
    });
  };
}
