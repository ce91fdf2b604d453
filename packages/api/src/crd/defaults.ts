/** CustomResourceDefinition defaulting and the status the API server gives an accepted CRD. */
import type {
  CustomResourceDefinition,
  CustomResourceDefinitionStatus,
} from '../types/apiextensions-v1.js';

/** SetDefaults_CustomResourceDefinition(Spec). */
export function defaultCustomResourceDefinition(crd: CustomResourceDefinition): void {
  const spec = crd.spec;
  if (!spec) return;
  const names = spec.names;
  if (names) {
    if (!names.singular && names.kind) names.singular = names.kind.toLowerCase();
    if (!names.listKind && names.kind) names.listKind = `${names.kind}List`;
  }
  spec.conversion ??= { strategy: 'None' };
  const svc = spec.conversion.webhook?.clientConfig?.service;
  if (svc) svc.port ??= 443;
  crd.status ??= {};
  if (!crd.status.storedVersions || crd.status.storedVersions.length === 0) {
    const storage = (spec.versions ?? []).find((v) => v.storage);
    if (storage) crd.status.storedVersions = [storage.name];
  }
}

/**
 * The status the naming and establishing controllers give a CRD whose names do not conflict:
 * acceptedNames = spec.names, NamesAccepted and Established true, storage version recorded.
 */
export function establishedCRDStatus(
  crd: CustomResourceDefinition,
  nowRFC3339: string,
): CustomResourceDefinitionStatus {
  const storage = crd.spec.versions.find((v) => v.storage)?.name;
  const stored = new Set(crd.status?.storedVersions ?? []);
  if (storage) stored.add(storage);
  return {
    acceptedNames: { ...crd.spec.names },
    conditions: [
      {
        type: 'NamesAccepted',
        status: 'True',
        lastTransitionTime: nowRFC3339,
        reason: 'NoConflicts',
        message: 'no conflicts found',
      },
      {
        type: 'Established',
        status: 'True',
        lastTransitionTime: nowRFC3339,
        reason: 'InitialNamesAccepted',
        message: 'the initial names have been accepted',
      },
    ],
    storedVersions: [...stored],
  };
}
