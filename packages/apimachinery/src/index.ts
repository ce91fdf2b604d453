/**
 * @kubets/apimachinery: the pure machinery the API server, clients and controllers share
 * (k8s.io/apimachinery in TypeScript). No I/O and no clock: anything that needs the time or
 * randomness takes it as a parameter.
 */

// JSON model and Go-compatible formatting
export type { JsonPrimitive, JsonValue, JsonObject } from './util/json.js';
export { isJsonObject, deepCopyJson, jsonEqual, hasProtoKey } from './util/json.js';
export { goQuote, goSprintV, goTypeName } from './util/go-format.js';

// meta/v1 types and time
export type * from './meta/types.js';
export { FINALIZER_ORPHAN_DEPENDENTS, FINALIZER_DELETE_DEPENDENTS } from './meta/types.js';
export {
  formatTime,
  formatMicroTime,
  parseTime,
  parseMicroTime,
  normalizeTime,
} from './meta/time.js';

// Group / version / kind / resource
export type {
  GroupVersion,
  GroupKind,
  GroupResource,
  GroupVersionKind,
  GroupVersionResource,
} from './schema/group-version.js';
export {
  parseGroupVersion,
  groupVersionString,
  toAPIVersion,
  fromAPIVersionAndKind,
  toAPIVersionAndKind,
  gvkString,
  gvrString,
  groupResourceString,
  groupKindString,
  isEmptyGroupResource,
  parseGroupResource,
  parseGroupKind,
  parseResourceArg,
  unsafeGuessKindToResource,
} from './schema/group-version.js';

// Validation
export { Path, pathString } from './validation/field-path.js';
export type { FieldErrorType } from './validation/field-errors.js';
export {
  FieldError,
  AggregateFieldError,
  OMIT_VALUE,
  formatBadValue,
  notFound,
  required,
  duplicate,
  invalid,
  notSupported,
  forbidden,
  tooLong,
  tooMany,
  internalError,
  typeInvalid,
  aggregateMessage,
  toAggregate,
} from './validation/field-errors.js';
export type { ValidateNameFunc } from './validation/names.js';
export {
  isQualifiedName,
  isValidLabelValue,
  isDNS1123Label,
  isDNS1123Subdomain,
  isDNS1035Label,
  regexError,
  maxLenError,
  emptyError,
  byteLength,
  maskTrailingDash,
  nameIsDNSSubdomain,
  nameIsDNSLabel,
  nameIsDNS1035Label,
  validateNamespaceName,
  validatePathSegmentName,
  QUALIFIED_NAME_FMT,
  LABEL_VALUE_FMT,
  DNS1123_LABEL_FMT,
  DNS1123_SUBDOMAIN_FMT,
  DNS1035_LABEL_FMT,
  DNS1123_LABEL_MAX_LENGTH,
  DNS1123_SUBDOMAIN_MAX_LENGTH,
  DNS1035_LABEL_MAX_LENGTH,
  QUALIFIED_NAME_MAX_LENGTH,
  LABEL_VALUE_MAX_LENGTH,
} from './validation/names.js';
export type {
  ValidateObjectMetaOptions,
  LabelSelectorValidationOptions,
} from './validation/object-meta.js';
export {
  validateObjectMeta,
  validateObjectMetaUpdate,
  validateLabels,
  validateLabelName,
  validateAnnotations,
  annotationsSize,
  validateOwnerReferences,
  validateFinalizers,
  validateFinalizerName,
  validateNoNewFinalizers,
  validateImmutableField,
  validateNonnegativeField,
  validateManagedFields,
  validateFieldManager,
  validateLabelSelector,
  validateLabelSelectorRequirement,
  FIELD_IMMUTABLE_ERROR_MSG,
  IS_NEGATIVE_ERROR_MSG,
  TOTAL_ANNOTATION_SIZE_LIMIT_BYTES,
  FIELD_MANAGER_MAX_LENGTH,
} from './validation/object-meta.js';

// Label selectors
export type {
  Operator,
  Labels,
  Selector,
  RequirementOptions,
  ParseOptions,
} from './labels/selector.js';
export {
  Requirement,
  LabelSelectorError,
  everything,
  nothing,
  matchesNothing,
  selectorFromRequirements,
  selectorFromSet,
  validatedSelectorFromSet,
  parseSelector,
  parseToRequirements,
  labelsToString,
  formatLabels,
  labelsConflict,
  mergeLabels,
  labelsEqual,
  Lexer as LabelSelectorLexer,
  Token as LabelSelectorToken,
} from './labels/selector.js';
export {
  labelSelectorAsSelector,
  labelSelectorAsMap,
  parseToLabelSelector,
  setAsLabelSelector,
  formatLabelSelector,
} from './labels/label-selector.js';

// Field selectors
export type { Fields, FieldRequirement, FieldTransform, FieldSelector } from './fields/selector.js';
export {
  FieldSelectorError,
  parseFieldSelector,
  escapeFieldValue,
  unescapeFieldValue,
  everythingFields,
  oneTermEqualSelector,
  oneTermNotEqualSelector,
  andFieldSelectors,
  fieldSelectorFromSet,
  fieldLabelNotSupportedError,
  supportedFieldsTransform,
  defaultMetaFieldTransform,
  validateFieldSelector,
  objectMetaFieldsSet,
  fieldsToString,
} from './fields/selector.js';

// Quantities
export type { QuantityFormat } from './resource/quantity.js';
export {
  Quantity,
  QuantityError,
  mustParseQuantity,
  fitsInt64,
  QUANTITY_FORMAT_ERROR,
  QUANTITY_NUMERIC_ERROR,
  QUANTITY_SUFFIX_ERROR,
} from './resource/quantity.js';

// resourceVersion, list semantics, continue tokens
export type {
  ListSemantics,
  WatchSemantics,
  ValidateListOptionsConfig,
} from './resourceversion/resource-version.js';
export {
  InvalidResourceVersionError,
  parseResourceVersion,
  formatResourceVersion,
  compareResourceVersions,
  resolveListSemantics,
  resolveWatchSemantics,
  validateListOptions,
  listOptionsError,
} from './resourceversion/resource-version.js';
export {
  encodeContinue,
  decodeContinue,
  InvalidContinueTokenError,
  newExpiredContinue,
  INCONSISTENT_CONTINUE_MESSAGE,
} from './resourceversion/continue-token.js';

// Status errors
export {
  StatusError,
  normalizeStatus,
  errorToStatus,
  newNotFound,
  newAlreadyExists,
  newGenerateNameConflict,
  newConflict,
  newApplyConflict,
  newUnauthorized,
  newForbidden,
  newInvalid,
  newBadRequest,
  newTooManyRequests,
  newTooManyRequestsError,
  newServiceUnavailable,
  newMethodNotSupported,
  newServerTimeout,
  newInternalError,
  newTimeoutError,
  newGone,
  newResourceExpired,
  newTooOldResourceVersion,
  newTooLargeResourceVersion,
  newRequestEntityTooLarge,
  newUnsupportedMediaType,
  newNotAcceptable,
  newGenericServerResponse,
  OPTIMISTIC_LOCK_ERROR_MSG,
  reasonForError,
  isNotFound,
  isAlreadyExists,
  isConflict,
  isInvalid,
  isGone,
  isResourceExpired,
  isNotAcceptable,
  isUnsupportedMediaType,
  isMethodNotSupported,
  isServiceUnavailable,
  isBadRequest,
  isUnauthorized,
  isForbidden,
  isTimeout,
  isServerTimeout,
  isInternalError,
  isRequestEntityTooLarge,
  isTooManyRequests,
  suggestsClientDelay,
} from './errors/status-error.js';

// Patches
export type {
  JsonPatchOperation,
  JsonPatchErrorKind,
  ApplyJsonPatchOptions,
} from './patch/json-patch.js';
export {
  applyJsonPatch,
  parseJsonPatch,
  JsonPatchError,
  MAX_JSON_PATCH_OPERATIONS,
} from './patch/json-patch.js';
export { applyMergePatch, createMergePatch, MergePatchError } from './patch/merge-patch.js';
export type {
  PatchMeta,
  PatchSchema,
  SchemaNode,
  StructNode,
  MapNode,
  ListNode,
  ScalarNode,
  LazyNode,
  FieldNode,
  OpenAPISchemaObject,
} from './patch/strategic/schema.js';
export {
  patchSchema,
  struct,
  mapOf,
  listOf,
  lazy,
  field,
  mergeList,
  mergeSet,
  scalar,
  kindNode,
  objectMetaNode,
  ownerReferenceNode,
  nodeFromOpenAPI,
  UNSTRUCTURED,
} from './patch/strategic/schema.js';
export type { MergeOptions } from './patch/strategic/apply.js';
export { strategicMergePatch, SERVER_MERGE_OPTIONS } from './patch/strategic/apply.js';
export type { ThreeWayOptions } from './patch/strategic/create.js';
export {
  createTwoWayMergePatch,
  createThreeWayMergePatch,
  mergingMapsHaveConflicts,
  MergePatchConflictError,
} from './patch/strategic/create.js';
export type { StrategicMergePatchErrorKind } from './patch/strategic/errors.js';
export { StrategicMergePatchError } from './patch/strategic/errors.js';

// Object helpers
export type { RandomIntn } from './object/generate-name.js';
export {
  generateName,
  randomSuffix,
  NAME_SUFFIX_ALPHABET,
  MAX_GENERATED_NAME_PREFIX_LENGTH,
} from './object/generate-name.js';
export type { CreateSystemFields } from './object/meta-accessor.js';
export {
  getMeta,
  ensureMeta,
  getName,
  getNamespace,
  getUID,
  getResourceVersion,
  getGeneration,
  getLabels,
  getAnnotations,
  setResourceVersion,
  namespacedKey,
  splitNamespacedKey,
  isBeingDeleted,
  fillObjectMetaSystemFields,
} from './object/meta-accessor.js';
export {
  getControllerOf,
  isControlledBy,
  newControllerRef,
  setOwnerReference,
  removeOwnerReference,
} from './object/owner-references.js';
export { hasFinalizer, addFinalizer, removeFinalizer } from './object/finalizers.js';
