/**
 * Request attributes for unit tests of authorization and audit policy: a core/v1 resource
 * request in namespace `ns` with no subresource or name unless the overrides say otherwise.
 */
import type { RequestAttributes } from '../../src/auth/types.js';

export type ResourceAttributes = Extract<RequestAttributes, { kind: 'resource' }>;

export function resourceAttributes(
  verb: string,
  resource: string,
  overrides: Partial<ResourceAttributes> = {},
): ResourceAttributes {
  return {
    kind: 'resource',
    verb,
    group: '',
    version: 'v1',
    resource,
    subresource: '',
    namespace: 'ns',
    name: '',
    ...overrides,
  };
}
