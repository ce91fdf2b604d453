/**
 * ObjectMeta validation (k8s.io/apimachinery/pkg/api/validation and pkg/apis/meta/v1/validation):
 * the checks every resource's metadata gets on create and update, with upstream's messages.
 */
import type {
  LabelSelector,
  LabelSelectorRequirement,
  ManagedFieldsEntry,
  ObjectMeta,
  OwnerReference,
} from '../meta/types.js';
import { FINALIZER_DELETE_DEPENDENTS, FINALIZER_ORPHAN_DEPENDENTS } from '../meta/types.js';
import { parseTime } from '../meta/time.js';
import { fromAPIVersionAndKind, gvkString } from '../schema/group-version.js';
import { jsonEqual } from '../util/json.js';
import { goQuote } from '../util/go-format.js';
import { Path } from './field-path.js';
import { forbidden, invalid, required, tooLong, type FieldError } from './field-errors.js';
import {
  byteLength,
  isQualifiedName,
  isValidLabelValue,
  validateNamespaceName,
  type ValidateNameFunc,
} from './names.js';

export const FIELD_IMMUTABLE_ERROR_MSG = 'field is immutable';
export const IS_NEGATIVE_ERROR_MSG = 'must be greater than or equal to 0';
/** The total size of all annotation keys and values: 256 KiB. */
export const TOTAL_ANNOTATION_SIZE_LIMIT_BYTES = 256 * 1024;
export const FIELD_MANAGER_MAX_LENGTH = 128;
export const MAX_SUBRESOURCE_NAME_LENGTH = 256;

/** Kinds that may not own other objects (Events). */
const BANNED_OWNERS = new Set(['/v1, Kind=Event']);

function sortedEntries(m: Record<string, string> | undefined): [string, string][] {
  return Object.entries(m ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** A non-negative integer field (generation, counts). */
export function validateNonnegativeField(value: number, path: Path): FieldError[] {
  return value < 0 ? [invalid(path, value, IS_NEGATIVE_ERROR_MSG)] : [];
}

/** A label key: a qualified name. */
export function validateLabelName(name: string, path: Path): FieldError[] {
  return isQualifiedName(name).map((msg) => invalid(path, name, msg));
}

/** metadata.labels: qualified-name keys and valid label values. Keys are checked in sorted order. */
export function validateLabels(
  labels: Record<string, string> | undefined,
  path: Path,
): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of sortedEntries(labels)) {
    errs.push(...validateLabelName(k, path));
    for (const msg of isValidLabelValue(v)) errs.push(invalid(path, v, msg));
  }
  return errs;
}

/** Total byte size of annotation keys and values. */
export function annotationsSize(annotations: Record<string, string> | undefined): number {
  let total = 0;
  for (const [k, v] of Object.entries(annotations ?? {})) total += byteLength(k) + byteLength(v);
  return total;
}

/**
 * metadata.annotations: keys are qualified names compared case-insensitively, and all keys plus
 * values together may not exceed 256 KiB.
 */
export function validateAnnotations(
  annotations: Record<string, string> | undefined,
  path: Path,
): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k] of sortedEntries(annotations)) {
    for (const msg of isQualifiedName(k.toLowerCase())) errs.push(invalid(path, k, msg));
  }
  if (annotationsSize(annotations) > TOTAL_ANNOTATION_SIZE_LIMIT_BYTES) {
    errs.push(tooLong(path, '', TOTAL_ANNOTATION_SIZE_LIMIT_BYTES));
  }
  return errs;
}

function validateOwnerReference(ref: OwnerReference, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  const gvk = fromAPIVersionAndKind(ref.apiVersion ?? '', ref.kind ?? '');
  if (gvk.version.length === 0) {
    errs.push(invalid(path.child('apiVersion'), ref.apiVersion ?? '', 'version must not be empty'));
  }
  if (gvk.kind.length === 0)
    errs.push(invalid(path.child('kind'), ref.kind ?? '', 'kind must not be empty'));
  if (!ref.name) errs.push(invalid(path.child('name'), ref.name ?? '', 'name must not be empty'));
  if (!ref.uid) errs.push(invalid(path.child('uid'), ref.uid ?? '', 'uid must not be empty'));
  if (BANNED_OWNERS.has(gvkString(gvk))) {
    errs.push(invalid(path, ref, `${gvkString(gvk)} is disallowed from being an owner`));
  }
  return errs;
}

/** metadata.ownerReferences: complete references and at most one controller. */
export function validateOwnerReferences(
  refs: OwnerReference[] | undefined,
  path: Path,
): FieldError[] {
  const errs: FieldError[] = [];
  let firstController = '';
  for (const ref of refs ?? []) {
    errs.push(...validateOwnerReference(ref, path));
    if (ref.controller === true) {
      const current = `${ref.kind}/${ref.name}`;
      if (firstController !== '') {
        errs.push(
          invalid(
            path,
            refs,
            `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${current}`,
          ),
        );
      } else {
        firstController = current;
      }
    }
  }
  return errs;
}

/** A finalizer name is a qualified name. */
export function validateFinalizerName(name: string, path: Path): FieldError[] {
  return isQualifiedName(name).map((msg) => invalid(path, name, msg));
}

/** metadata.finalizers: qualified names; `orphan` and `foregroundDeletion` exclude each other. */
export function validateFinalizers(finalizers: string[] | undefined, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  let orphan = false;
  let foreground = false;
  for (const f of finalizers ?? []) {
    errs.push(...validateFinalizerName(f, path));
    if (f === FINALIZER_ORPHAN_DEPENDENTS) orphan = true;
    if (f === FINALIZER_DELETE_DEPENDENTS) foreground = true;
  }
  if (orphan && foreground) {
    errs.push(
      invalid(
        path,
        finalizers,
        `finalizer ${FINALIZER_ORPHAN_DEPENDENTS} and ${FINALIZER_DELETE_DEPENDENTS} cannot be both set`,
      ),
    );
  }
  return errs;
}

/** Once deletion started, finalizers may only be removed. */
export function validateNoNewFinalizers(
  newFinalizers: string[] | undefined,
  oldFinalizers: string[] | undefined,
  path: Path,
): FieldError[] {
  const old = new Set(oldFinalizers ?? []);
  const extra = [...new Set((newFinalizers ?? []).filter((f) => !old.has(f)))].sort();
  if (extra.length === 0) return [];
  return [
    forbidden(
      path,
      `no new finalizers can be added if the object is being deleted, found new finalizers []string{${extra.map(goQuote).join(', ')}}`,
    ),
  ];
}

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]*$/u;

/** A fieldManager name: at most 128 printable characters. */
export function validateFieldManager(manager: string | undefined, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  const m = manager ?? '';
  if (byteLength(m) > FIELD_MANAGER_MAX_LENGTH)
    errs.push(tooLong(path, m, FIELD_MANAGER_MAX_LENGTH));
  // One test of the whole name first (every entry is checked on every write); the
  // per-character walk only runs to report the offending characters.
  if (PRINTABLE.test(m)) return errs;
  let bytePos = 0;
  for (const ch of m) {
    if (/[^\p{L}\p{M}\p{N}\p{P}\p{S} ]/u.test(ch)) {
      const cp = ch.codePointAt(0)!;
      const u = 'U+' + cp.toString(16).toUpperCase().padStart(4, '0');
      errs.push(invalid(path, m, `invalid character ${u} (at position ${bytePos})`));
    }
    bytePos += byteLength(ch);
  }
  return errs;
}

/** metadata.managedFields entries. */
export function validateManagedFields(
  entries: ManagedFieldsEntry[] | undefined,
  path: Path,
): FieldError[] {
  const errs: FieldError[] = [];
  (entries ?? []).forEach((e, i) => {
    const p = path.at(i);
    if (e.operation !== 'Apply' && e.operation !== 'Update') {
      errs.push(invalid(p.child('operation'), e.operation ?? '', 'must be `Apply` or `Update`'));
    }
    if (e.fieldsType && e.fieldsType !== 'FieldsV1') {
      errs.push(invalid(p.child('fieldsType'), e.fieldsType, 'must be `FieldsV1`'));
    }
    errs.push(...validateFieldManager(e.manager, p.child('manager')));
    if (byteLength(e.subresource ?? '') > MAX_SUBRESOURCE_NAME_LENGTH) {
      errs.push(tooLong(p.child('subresource'), e.subresource, MAX_SUBRESOURCE_NAME_LENGTH));
    }
  });
  return errs;
}

/**
 * A metav1.Time as Go prints it in an error (`2024-05-01 12:00:00 +0000 UTC`); an absent time is
 * Go's zero time, an absent pointer prints as null.
 */
class GoTimeValue {
  constructor(private readonly iso: string | null | undefined) {}
  toString(): string {
    let ms: number;
    if (!this.iso) {
      return '0001-01-01 00:00:00 +0000 UTC';
    }
    try {
      ms = parseTime(this.iso);
    } catch {
      return this.iso;
    }
    const d = new Date(ms);
    const p = (n: number, w = 2): string => String(n).padStart(w, '0');
    return (
      `${p(d.getUTCFullYear(), 4)}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ` +
      `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000 UTC`
    );
  }
}

function sameInstant(a: string | null | undefined, b: string | null | undefined): boolean {
  // The same text is the same instant (parsed or not): every update of every object has
  // creationTimestamp unchanged, and parsing it twice was most of validateObjectMetaUpdate.
  if (a === b) return true;
  if (!a || !b) return !a === !b;
  try {
    return Math.floor(parseTime(a) / 1000) === Math.floor(parseTime(b) / 1000);
  } catch {
    return a === b;
  }
}

/** An immutable field: any change is `field is immutable`. */
export function validateImmutableField(newVal: unknown, oldVal: unknown, path: Path): FieldError[] {
  return jsonEqual(newVal ?? null, oldVal ?? null)
    ? []
    : [invalid(path, newVal ?? '', FIELD_IMMUTABLE_ERROR_MSG)];
}

function validateImmutableTime(
  newVal: string | null | undefined,
  oldVal: string | null | undefined,
  path: Path,
  pointer: boolean,
): FieldError[] {
  if (sameInstant(newVal, oldVal)) return [];
  const shown = pointer && !newVal ? null : new GoTimeValue(newVal);
  return [invalid(path, shown, FIELD_IMMUTABLE_ERROR_MSG)];
}

export interface ValidateObjectMetaOptions {
  /** True for namespaced resources: a namespace is required; false forbids one. */
  requiresNamespace: boolean;
  /** Validates the name and generateName; DNS-1123 subdomain for most resources. */
  nameFn: ValidateNameFunc;
}

/**
 * ValidateObjectMeta: metadata of a new object, after generateName has been turned into a name.
 * `path` is normally `metadata`.
 */
export function validateObjectMeta(
  meta: ObjectMeta,
  options: ValidateObjectMetaOptions,
  path: Path = Path.new('metadata'),
): FieldError[] {
  const errs: FieldError[] = [];
  const generateName = meta.generateName ?? '';
  if (generateName.length > 0) {
    for (const msg of options.nameFn(generateName, true)) {
      errs.push(invalid(path.child('generateName'), generateName, msg));
    }
  }
  const name = meta.name ?? '';
  if (name.length === 0) {
    errs.push(required(path.child('name'), 'name or generateName is required'));
  } else {
    for (const msg of options.nameFn(name, false))
      errs.push(invalid(path.child('name'), name, msg));
  }
  const namespace = meta.namespace ?? '';
  if (options.requiresNamespace) {
    if (namespace.length === 0) {
      errs.push(required(path.child('namespace'), ''));
    } else {
      for (const msg of validateNamespaceName(namespace, false)) {
        errs.push(invalid(path.child('namespace'), namespace, msg));
      }
    }
  } else if (namespace.length !== 0) {
    errs.push(forbidden(path.child('namespace'), 'not allowed on this type'));
  }
  errs.push(...validateNonnegativeField(meta.generation ?? 0, path.child('generation')));
  errs.push(...validateLabels(meta.labels, path.child('labels')));
  errs.push(...validateAnnotations(meta.annotations, path.child('annotations')));
  errs.push(...validateOwnerReferences(meta.ownerReferences, path.child('ownerReferences')));
  errs.push(...validateFinalizers(meta.finalizers, path.child('finalizers')));
  errs.push(...validateManagedFields(meta.managedFields, path.child('managedFields')));
  return errs;
}

/**
 * ValidateObjectMetaUpdate: what may change between the stored and the new metadata. name,
 * namespace, uid, creationTimestamp, deletionTimestamp and deletionGracePeriodSeconds are
 * immutable; the resourceVersion must be given; generation may not go down; no finalizer may be
 * added once deletion started.
 */
export function validateObjectMetaUpdate(
  newMeta: ObjectMeta,
  oldMeta: ObjectMeta,
  path: Path = Path.new('metadata'),
): FieldError[] {
  const errs: FieldError[] = [];
  if (oldMeta.deletionTimestamp) {
    errs.push(
      ...validateNoNewFinalizers(newMeta.finalizers, oldMeta.finalizers, path.child('finalizers')),
    );
  }
  if (!newMeta.resourceVersion) {
    errs.push(
      invalid(
        path.child('resourceVersion'),
        newMeta.resourceVersion ?? '',
        'must be specified for an update',
      ),
    );
  }
  if ((newMeta.generation ?? 0) < (oldMeta.generation ?? 0)) {
    errs.push(
      invalid(path.child('generation'), newMeta.generation ?? 0, 'must not be decremented'),
    );
  }
  errs.push(...validateImmutableField(newMeta.name ?? '', oldMeta.name ?? '', path.child('name')));
  errs.push(
    ...validateImmutableField(
      newMeta.namespace ?? '',
      oldMeta.namespace ?? '',
      path.child('namespace'),
    ),
  );
  errs.push(...validateImmutableField(newMeta.uid ?? '', oldMeta.uid ?? '', path.child('uid')));
  errs.push(
    ...validateImmutableTime(
      newMeta.creationTimestamp,
      oldMeta.creationTimestamp,
      path.child('creationTimestamp'),
      false,
    ),
  );
  errs.push(
    ...validateImmutableTime(
      newMeta.deletionTimestamp,
      oldMeta.deletionTimestamp,
      path.child('deletionTimestamp'),
      true,
    ),
  );
  if (
    (newMeta.deletionGracePeriodSeconds ?? null) !== (oldMeta.deletionGracePeriodSeconds ?? null)
  ) {
    errs.push(
      invalid(
        path.child('deletionGracePeriodSeconds'),
        newMeta.deletionGracePeriodSeconds ?? null,
        FIELD_IMMUTABLE_ERROR_MSG,
      ),
    );
  }
  errs.push(...validateLabels(newMeta.labels, path.child('labels')));
  errs.push(...validateAnnotations(newMeta.annotations, path.child('annotations')));
  errs.push(...validateOwnerReferences(newMeta.ownerReferences, path.child('ownerReferences')));
  errs.push(...validateManagedFields(newMeta.managedFields, path.child('managedFields')));
  return errs;
}

export interface LabelSelectorValidationOptions {
  /** Accept values that are not valid label values (for selectors stored before validation). */
  allowInvalidLabelValueInSelector?: boolean;
}

/** One matchExpressions entry. */
export function validateLabelSelectorRequirement(
  req: LabelSelectorRequirement,
  options: LabelSelectorValidationOptions,
  path: Path,
): FieldError[] {
  const errs: FieldError[] = [];
  const values = req.values ?? [];
  switch (req.operator) {
    case 'In':
    case 'NotIn':
      if (values.length === 0) {
        errs.push(
          required(path.child('values'), "must be specified when `operator` is 'In' or 'NotIn'"),
        );
      }
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (values.length > 0) {
        errs.push(
          forbidden(
            path.child('values'),
            "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
          ),
        );
      }
      break;
    default:
      errs.push(
        invalid(path.child('operator'), req.operator ?? '', 'not a valid selector operator'),
      );
  }
  errs.push(...validateLabelName(req.key ?? '', path.child('key')));
  if (!options.allowInvalidLabelValueInSelector) {
    values.forEach((v, i) => {
      for (const msg of isValidLabelValue(v))
        errs.push(invalid(path.child('values').at(i), v, msg));
    });
  }
  return errs;
}

/** metav1validation.ValidateLabelSelector; a null/undefined selector is valid. */
export function validateLabelSelector(
  selector: LabelSelector | null | undefined,
  options: LabelSelectorValidationOptions,
  path: Path,
): FieldError[] {
  if (!selector) return [];
  const errs = validateLabels(selector.matchLabels, path.child('matchLabels'));
  (selector.matchExpressions ?? []).forEach((expr, i) => {
    errs.push(
      ...validateLabelSelectorRequirement(expr, options, path.child('matchExpressions').at(i)),
    );
  });
  return errs;
}
