/**
 * @kubets/api: the Kubernetes resource contracts (k8s.io/api plus the registry halves of
 * kube-apiserver and apiextensions-apiserver) in TypeScript. No I/O: everything the API server
 * needs to serve a resource without knowing it specifically.
 */

// Wire types
export type * from './types/core-v1.js';
export type * from './types/groups.js';
export type * from './types/apiextensions-v1.js';

// Defaulting
export {
  defaultPod,
  defaultPodSpec,
  defaultPodTemplateSpec,
  defaultContainer,
  defaultProbe,
  defaultVolume,
  defaultPullPolicy,
  imageTag,
  DEFAULT_SCHEDULER_NAME,
  DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS,
  TERMINATION_MESSAGE_PATH_DEFAULT,
} from './defaults/pod.js';
export * from './defaults/resources.js';

// Validation
export * from './validation/helpers.js';
export * from './validation/pod.js';
export * from './validation/service.js';
export * from './validation/workloads.js';
export * from './validation/resources.js';

// Schemas (OpenAPI v3) and patch metadata
export * from './schema/dsl.js';
export {
  builtinDefinitions,
  builtinPatchSchema,
  definitionNameFor,
  findUnknownFields,
  pruneBySchema,
  resolveSchema,
} from './schema/openapi.js';

// Printing
export { humanDuration, timeSince } from './printers/duration.js';
export {
  BUILTIN_PRINTERS,
  defaultPrinter,
  formatEndpoints,
  formatLabelSelector,
  layoutContainerCells,
  printPod,
  servicePorts,
  type Printer,
} from './printers/builtin.js';

// Registry
export type * from './registry/types.js';
export {
  ResourceRegistry,
  ResourceConflictError,
  applyScale,
  checkFieldSelector,
  compareKubeVersions,
  matchesFieldSelector,
  scaleOf,
  type ResolvedResource,
} from './registry/registry.js';
export { builtinResources, eventsV1ToCore } from './registry/builtin.js';
export {
  applySchedulingGatedCondition,
  computePodQOS,
  genericStatusStrategy,
  genericStrategy,
  preserveSystemMetaOnUpdate,
  resetObjectMetaForStatus,
} from './registry/strategies.js';

// CustomResourceDefinitions
export { defaultCustomResourceDefinition, establishedCRDStatus } from './crd/defaults.js';
export {
  validateCustomResourceDefinition,
  validateCustomResourceDefinitionUpdate,
  validateStructural,
} from './crd/validation.js';
export {
  JSONPathError,
  evaluateJSONPath,
  parseJSONPath,
  printJSONPathValue,
  simpleJSONPathErrors,
} from './crd/jsonpath.js';
export {
  applyDefaults,
  pruneUnknownFields,
  toAjvSchema,
  validateAgainstSchema,
} from './crd/schema.js';
export {
  convertCustomResource,
  customResourceDefinitionName,
  pruneCustomResource,
  resourceFromCRD,
} from './crd/resource.js';
