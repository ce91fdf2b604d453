/**
 * Label and field selectors of list/watch/deletecollection requests, turned into a predicate over
 * stored objects. Bad selectors are 400s with upstream's messages.
 */
import {
  FieldSelectorError,
  LabelSelectorError,
  newBadRequest,
  parseFieldSelector,
  parseSelector,
  type FieldSelector,
  type Selector,
} from '@kubets/apimachinery';
import type { ApiObject } from '../storage/codec.js';
import type { FieldSelectorSupport } from './definition.js';

export interface Selection {
  labels: Selector | undefined;
  fields: FieldSelector | undefined;
  /** undefined when everything is selected (lets storage report remainingItemCount). */
  predicate: ((obj: ApiObject) => boolean) | undefined;
}

/** Parses and validates selectors for a resource; throws 400 StatusErrors. */
export function parseSelection(
  labelSelector: string | undefined,
  fieldSelector: string | undefined,
  support: FieldSelectorSupport,
  namespaced: boolean,
): Selection {
  let labels: Selector | undefined;
  let fields: FieldSelector | undefined;
  if (labelSelector) {
    try {
      labels = parseSelector(labelSelector);
    } catch (err) {
      if (err instanceof LabelSelectorError) throw newBadRequest(err.message);
      throw err;
    }
    if (labels.empty()) labels = undefined;
  }
  if (fieldSelector) {
    try {
      fields = parseFieldSelector(fieldSelector);
    } catch (err) {
      if (err instanceof FieldSelectorError) throw newBadRequest(err.message);
      throw err;
    }
    const supported = new Set([
      'metadata.name',
      ...(namespaced ? ['metadata.namespace'] : []),
      ...support.fields,
    ]);
    for (const r of fields.requirements()) {
      if (!supported.has(r.field)) {
        if (support.customConversion) throw newBadRequest(`field label not supported: ${r.field}`);
        const known = [...supported].map((f) => JSON.stringify(f)).join(', ');
        throw newBadRequest(`"${r.field}" is not a known field selector: only ${known}`);
      }
    }
    if (fields.empty()) fields = undefined;
  }
  const l = labels;
  const f = fields;
  const predicate =
    l || f
      ? (obj: ApiObject): boolean => {
          if (l && !l.matches(obj.metadata?.labels ?? {})) return false;
          if (f && !f.matches(support.fieldsOf(obj))) return false;
          return true;
        }
      : undefined;
  return { labels, fields, predicate };
}
