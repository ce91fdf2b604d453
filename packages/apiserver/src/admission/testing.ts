/**
 * Admission attributes for unit tests.
 */
import type { UserInfo } from '../auth/types.js';
import type { ApiObject } from '../storage/codec.js';
import type { AdmissionAttributes, Operation } from './types.js';

export function attrsFor(
  resource: string,
  operation: Operation,
  object: ApiObject | undefined,
  o: {
    group?: string;
    version?: string;
    kind?: string;
    subresource?: string;
    namespace?: string;
    name?: string;
    oldObject?: ApiObject;
    user?: UserInfo;
    dryRun?: boolean;
  } = {},
): AdmissionAttributes {
  const group = o.group ?? '';
  const version = o.version ?? 'v1';
  return {
    operation,
    resource: { group, version, resource },
    subresource: o.subresource ?? '',
    kind: { group, version, kind: o.kind ?? 'Pod' },
    namespace: o.namespace ?? 'default',
    name: o.name ?? object?.metadata?.name ?? o.oldObject?.metadata?.name ?? '',
    object,
    oldObject: o.oldObject,
    dryRun: o.dryRun ?? false,
    userInfo: o.user ?? { username: 'admin', groups: ['system:masters'] },
    warnings: [],
    annotations: {},
  };
}
