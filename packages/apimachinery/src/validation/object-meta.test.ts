import { describe, expect, it } from 'vitest';
import type { ObjectMeta } from '../meta/types.js';
import { Path } from './field-path.js';
import { nameIsDNSLabel, nameIsDNSSubdomain } from './names.js';
import {
  validateAnnotations,
  validateFieldManager,
  validateFinalizers,
  validateLabelSelector,
  validateLabels,
  validateManagedFields,
  validateNoNewFinalizers,
  validateObjectMeta,
  validateObjectMetaUpdate,
  validateOwnerReferences,
} from './object-meta.js';

const namespaced = { requiresNamespace: true, nameFn: nameIsDNSSubdomain };
const clusterScoped = { requiresNamespace: false, nameFn: nameIsDNSLabel };
const msgs = (errs: { message: string }[]): string[] => errs.map((e) => e.message);

describe('validateObjectMeta', () => {
  it('accepts a complete namespaced object', () => {
    expect(
      validateObjectMeta({ name: 'web', namespace: 'default', labels: { app: 'web' } }, namespaced),
    ).toEqual([]);
  });

  it('requires a name or generateName', () => {
    expect(msgs(validateObjectMeta({ namespace: 'default' }, namespaced))).toEqual([
      'metadata.name: Required value: name or generateName is required',
    ]);
  });

  it('validates generateName as a prefix', () => {
    expect(
      validateObjectMeta({ generateName: 'web-', name: 'web-abcde', namespace: 'ns' }, namespaced),
    ).toEqual([]);
    expect(
      msgs(
        validateObjectMeta({ generateName: 'Web-', name: 'web-x', namespace: 'ns' }, namespaced),
      )[0],
    ).toMatch(/^metadata\.generateName: Invalid value: "Web-": a lowercase RFC 1123 subdomain/);
  });

  it('reports the name with the resource name function', () => {
    expect(msgs(validateObjectMeta({ name: 'Bad_Name', namespace: 'ns' }, namespaced))[0]).toMatch(
      /^metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/,
    );
  });

  it('applies namespace rules by scope', () => {
    expect(msgs(validateObjectMeta({ name: 'x' }, namespaced))).toEqual([
      'metadata.namespace: Required value',
    ]);
    expect(msgs(validateObjectMeta({ name: 'x', namespace: 'foo.bar' }, namespaced))).toEqual([
      'metadata.namespace: Invalid value: "foo.bar": must not contain dots',
    ]);
    expect(msgs(validateObjectMeta({ name: 'x', namespace: 'ns' }, clusterScoped))).toEqual([
      'metadata.namespace: Forbidden: not allowed on this type',
    ]);
  });

  it('rejects a negative generation', () => {
    expect(
      msgs(validateObjectMeta({ name: 'x', namespace: 'ns', generation: -1 }, namespaced)),
    ).toEqual(['metadata.generation: Invalid value: -1: must be greater than or equal to 0']);
  });

  it('collects label, annotation, owner, finalizer and managed field errors', () => {
    const meta: ObjectMeta = {
      name: 'x',
      namespace: 'ns',
      labels: { 'bad key!': 'v' },
      annotations: { '-bad': 'v' },
      ownerReferences: [{ apiVersion: '', kind: '', name: '', uid: '' }],
      finalizers: ['orphan', 'foregroundDeletion'],
      managedFields: [{ manager: 'm', operation: 'Bogus' as 'Apply' }],
    };
    const fields = validateObjectMeta(meta, namespaced).map((e) => e.field);
    expect(fields).toEqual([
      'metadata.labels',
      'metadata.annotations',
      'metadata.ownerReferences.apiVersion',
      'metadata.ownerReferences.kind',
      'metadata.ownerReferences.name',
      'metadata.ownerReferences.uid',
      'metadata.finalizers',
      'metadata.managedFields[0].operation',
    ]);
  });
});

describe('labels and annotations', () => {
  it('reports invalid keys and values', () => {
    expect(msgs(validateLabels({ app: 'a b' }, Path.new('metadata', 'labels')))[0]).toBe(
      "metadata.labels: Invalid value: \"a b\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
    );
  });

  it('lets annotation keys use upper case in the prefix', () => {
    expect(
      validateAnnotations({ 'Example.COM/Key': 'v' }, Path.new('metadata', 'annotations')),
    ).toEqual([]);
  });

  it('limits annotations to 256 KiB in total', () => {
    const p = Path.new('metadata', 'annotations');
    expect(validateAnnotations({ a: 'x'.repeat(256 * 1024 - 1) }, p)).toEqual([]);
    expect(msgs(validateAnnotations({ a: 'x'.repeat(256 * 1024) }, p))).toEqual([
      'metadata.annotations: Too long: must have at most 262144 bytes',
    ]);
  });
});

describe('owner references', () => {
  const p = Path.new('metadata', 'ownerReferences');
  const ref = (name: string, controller: boolean) => ({
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    name,
    uid: name,
    controller,
  });

  it('allows one controller', () => {
    expect(validateOwnerReferences([ref('a', true), ref('b', false)], p)).toEqual([]);
  });

  it('rejects two controllers', () => {
    expect(msgs(validateOwnerReferences([ref('a', true), ref('b', true)], p))[0]).toMatch(
      /Only one reference can have Controller set to true. Found "true" in references for ReplicaSet\/a and ReplicaSet\/b$/,
    );
  });

  it('bans Events as owners', () => {
    expect(
      msgs(
        validateOwnerReferences([{ apiVersion: 'v1', kind: 'Event', name: 'e', uid: 'u' }], p),
      )[0],
    ).toMatch(/\/v1, Kind=Event is disallowed from being an owner$/);
  });
});

describe('finalizers', () => {
  const p = Path.new('metadata', 'finalizers');
  it('needs qualified names and not both GC finalizers', () => {
    expect(validateFinalizers(['kubernetes.io/pv-protection', 'foregroundDeletion'], p)).toEqual(
      [],
    );
    expect(msgs(validateFinalizers(['orphan', 'foregroundDeletion'], p))).toEqual([
      'metadata.finalizers: Invalid value: []string{"orphan", "foregroundDeletion"}: finalizer orphan and foregroundDeletion cannot be both set',
    ]);
    expect(validateFinalizers(['a/b/c'], p)).toHaveLength(1);
  });

  it('forbids new finalizers during deletion', () => {
    expect(msgs(validateNoNewFinalizers(['a', 'c', 'b'], ['a'], p))).toEqual([
      'metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"b", "c"}',
    ]);
  });
});

describe('managed fields', () => {
  const p = Path.new('metadata', 'managedFields');
  it('checks operation, fieldsType, manager and subresource', () => {
    expect(
      validateManagedFields(
        [{ manager: 'kubectl', operation: 'Apply', fieldsType: 'FieldsV1' }],
        p,
      ),
    ).toEqual([]);
    expect(
      msgs(
        validateManagedFields(
          [{ manager: 'kubectl', operation: 'Update', fieldsType: 'FieldsV2' }],
          p,
        ),
      ),
    ).toEqual([
      'metadata.managedFields[0].fieldsType: Invalid value: "FieldsV2": must be `FieldsV1`',
    ]);
    expect(msgs(validateFieldManager('a\tb', Path.new('fieldManager')))).toEqual([
      'fieldManager: Invalid value: "a\\tb": invalid character U+0009 (at position 1)',
    ]);
    expect(msgs(validateFieldManager('m'.repeat(129), Path.new('fieldManager')))).toEqual([
      'fieldManager: Too long: must have at most 128 bytes',
    ]);
  });
});

describe('validateObjectMetaUpdate', () => {
  const old: ObjectMeta = {
    name: 'web',
    namespace: 'default',
    uid: 'u1',
    resourceVersion: '5',
    generation: 2,
    creationTimestamp: '2024-01-01T00:00:00Z',
  };

  it('accepts an unchanged update', () => {
    expect(validateObjectMetaUpdate({ ...old }, old)).toEqual([]);
  });

  it('treats equal instants as unchanged', () => {
    expect(
      validateObjectMetaUpdate({ ...old, creationTimestamp: '2024-01-01T01:00:00+01:00' }, old),
    ).toEqual([]);
  });

  it('reports immutable fields, resourceVersion and generation', () => {
    const errs = msgs(
      validateObjectMetaUpdate(
        {
          ...old,
          name: 'other',
          uid: 'u2',
          resourceVersion: '',
          generation: 1,
          creationTimestamp: '2024-02-02T00:00:00Z',
        },
        old,
      ),
    );
    expect(errs).toEqual([
      'metadata.resourceVersion: Invalid value: "": must be specified for an update',
      'metadata.generation: Invalid value: 1: must not be decremented',
      'metadata.name: Invalid value: "other": field is immutable',
      'metadata.uid: Invalid value: "u2": field is immutable',
      'metadata.creationTimestamp: Invalid value: 2024-02-02 00:00:00 +0000 UTC: field is immutable',
    ]);
  });

  it('guards deletion fields and finalizers while deleting', () => {
    const deleting = {
      ...old,
      deletionTimestamp: '2024-03-01T00:00:00Z',
      deletionGracePeriodSeconds: 30,
      finalizers: ['a'],
    };
    expect(
      msgs(
        validateObjectMetaUpdate(
          {
            ...deleting,
            deletionTimestamp: null,
            deletionGracePeriodSeconds: undefined,
            finalizers: ['a', 'b'],
          },
          deleting,
        ),
      ),
    ).toEqual([
      'metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"b"}',
      'metadata.deletionTimestamp: Invalid value: null: field is immutable',
      'metadata.deletionGracePeriodSeconds: Invalid value: null: field is immutable',
    ]);
    expect(validateObjectMetaUpdate({ ...deleting, finalizers: [] }, deleting)).toEqual([]);
  });
});

describe('validateLabelSelector', () => {
  const p = Path.new('spec', 'selector');
  it('accepts valid selectors and null', () => {
    expect(validateLabelSelector(null, {}, p)).toEqual([]);
    expect(
      validateLabelSelector(
        {
          matchLabels: { app: 'web' },
          matchExpressions: [{ key: 'tier', operator: 'In', values: ['a'] }],
        },
        {},
        p,
      ),
    ).toEqual([]);
  });

  it('reports bad expressions with upstream messages', () => {
    const errs = msgs(
      validateLabelSelector(
        {
          matchExpressions: [
            { key: 'a', operator: 'In' },
            { key: 'b', operator: 'Exists', values: ['x'] },
            { key: 'c', operator: 'Like' as 'In', values: ['x'] },
            { key: 'd', operator: 'NotIn', values: ['a b'] },
          ],
        },
        {},
        p,
      ),
    );
    expect(errs.slice(0, 3)).toEqual([
      "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
      "spec.selector.matchExpressions[1].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
      'spec.selector.matchExpressions[2].operator: Invalid value: "Like": not a valid selector operator',
    ]);
    expect(errs[3]).toMatch(
      /^spec\.selector\.matchExpressions\[3\]\.values\[0\]: Invalid value: "a b": a valid label/,
    );
    expect(
      validateLabelSelector(
        { matchExpressions: [{ key: 'd', operator: 'In', values: ['a b'] }] },
        { allowInvalidLabelValueInSelector: true },
        p,
      ),
    ).toEqual([]);
  });
});
