/** meta/v1 and shared scalar definitions (ObjectMeta, LabelSelector, Time, Quantity...). */
import {
  META,
  bool,
  int32,
  int64,
  list,
  mergeList,
  ref,
  setList,
  str,
  strMap,
  struct,
  time,
  type OpenAPISchema,
} from './dsl.js';

export function metaDefinitions(): Record<string, OpenAPISchema> {
  return {
    'io.k8s.apimachinery.pkg.api.resource.Quantity': {
      type: 'string',
      description:
        'Quantity is a fixed-point representation of a number: a decimal or binary SI suffixed number such as `100m`, `1Gi` or `2`.',
      'x-kubernetes-int-or-string': true,
      anyOf: [{ type: 'integer' }, { type: 'string' }],
    },
    'io.k8s.apimachinery.pkg.util.intstr.IntOrString': {
      type: 'string',
      format: 'int-or-string',
      description: 'IntOrString is a type that can hold an int32 or a string.',
      'x-kubernetes-int-or-string': true,
      anyOf: [{ type: 'integer' }, { type: 'string' }],
    },
    [META + 'Time']: {
      type: 'string',
      format: 'date-time',
      description:
        'Time is a wrapper around time.Time, serialized as RFC 3339 with second precision.',
    },
    [META + 'MicroTime']: {
      type: 'string',
      format: 'date-time',
      description: 'MicroTime is version of Time with microsecond level precision.',
    },
    [META + 'FieldsV1']: {
      type: 'object',
      description:
        'FieldsV1 stores a set of fields in a data structure like a Trie, in JSON format.',
      'x-kubernetes-preserve-unknown-fields': true,
    },
    [META + 'OwnerReference']: struct(
      {
        apiVersion: str('API version of the referent.'),
        blockOwnerDeletion: bool(),
        controller: bool('If true, this reference points to the managing controller.'),
        kind: str('Kind of the referent.'),
        name: str('Name of the referent.'),
        uid: str('UID of the referent.'),
      },
      {
        required: ['apiVersion', 'kind', 'name', 'uid'],
        description:
          'OwnerReference contains enough information to let you identify an owning object.',
      },
    ),
    [META + 'ManagedFieldsEntry']: struct({
      apiVersion: str(),
      fieldsType: str(),
      fieldsV1: ref(META + 'FieldsV1'),
      manager: str(),
      operation: str(),
      subresource: str(),
      time: time(),
    }),
    [META + 'ObjectMeta']: struct(
      {
        annotations: strMap(
          'Annotations is an unstructured key value map stored with a resource that may be set by external tools to store and retrieve arbitrary metadata.',
        ),
        creationTimestamp: ref(
          META + 'Time',
          'CreationTimestamp is a timestamp representing the server time when this object was created.',
        ),
        deletionGracePeriodSeconds: int64(),
        deletionTimestamp: time(),
        finalizers: setList(),
        generateName: str(
          'GenerateName is an optional prefix, used by the server, to generate a unique name ONLY IF the Name field has not been provided.',
        ),
        generation: int64(
          'A sequence number representing a specific generation of the desired state.',
        ),
        labels: strMap(
          'Map of string keys and values that can be used to organize and categorize (scope and select) objects.',
        ),
        managedFields: list(ref(META + 'ManagedFieldsEntry')),
        name: str('Name must be unique within a namespace.'),
        namespace: str('Namespace defines the space within which each name must be unique.'),
        ownerReferences: mergeList(ref(META + 'OwnerReference'), 'uid'),
        resourceVersion: str(
          'An opaque value that represents the internal version of this object.',
        ),
        selfLink: str(),
        uid: str('UID is the unique in time and space value for this object.'),
      },
      {
        description:
          'ObjectMeta is metadata that all persisted resources must have, which includes all objects users must create.',
      },
    ),
    [META + 'ListMeta']: struct({
      continue: str(),
      remainingItemCount: int64(),
      resourceVersion: str(),
      selfLink: str(),
    }),
    [META + 'LabelSelectorRequirement']: struct(
      { key: str(), operator: str(), values: list(str()) },
      { required: ['key', 'operator'] },
    ),
    [META + 'LabelSelector']: {
      ...struct(
        {
          matchExpressions: list(ref(META + 'LabelSelectorRequirement')),
          matchLabels: strMap(),
        },
        {
          description:
            'A label selector is a label query over a set of resources. The result of matchLabels and matchExpressions are ANDed. An empty label selector matches all objects. A null label selector matches no objects.',
        },
      ),
      'x-kubernetes-map-type': 'atomic',
    },
    [META + 'Condition']: struct(
      {
        lastTransitionTime: time(),
        message: str(),
        observedGeneration: int64(),
        reason: str(),
        status: str(),
        type: str(),
      },
      { required: ['type', 'status', 'lastTransitionTime', 'reason', 'message'] },
    ),
    [META + 'Preconditions']: struct({ resourceVersion: str(), uid: str() }),
    [META + 'DeleteOptions']: struct({
      apiVersion: str(),
      dryRun: list(str()),
      gracePeriodSeconds: int64(),
      ignoreStoreReadErrorWithClusterBreakingPotential: bool(),
      kind: str(),
      orphanDependents: bool(),
      preconditions: ref(META + 'Preconditions'),
      propagationPolicy: str(),
    }),
    [META + 'Status']: struct({
      apiVersion: str(),
      code: int32(),
      details: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      kind: str(),
      message: str(),
      metadata: ref(META + 'ListMeta'),
      reason: str(),
      status: str(),
    }),
  };
}
