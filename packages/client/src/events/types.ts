/** events.k8s.io/v1 Event and the references it carries. */
import type { GroupVersionResource, KubeObject, ObjectMeta } from '@kubets/apimachinery';

export const EVENTS: GroupVersionResource = {
  group: 'events.k8s.io',
  version: 'v1',
  resource: 'events',
};

export type EventType = 'Normal' | 'Warning';

/** core/v1 ObjectReference. */
export type ObjectReference = {
  kind?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  apiVersion?: string;
  resourceVersion?: string;
  fieldPath?: string;
};

export type EventSeries = {
  /** Occurrences so far, >= 2 (a series starts at the second occurrence). */
  count: number;
  /** MicroTime of the last occurrence. */
  lastObservedTime: string;
};

export interface Event extends KubeObject {
  apiVersion?: 'events.k8s.io/v1';
  kind?: 'Event';
  metadata?: ObjectMeta;
  /** MicroTime of the first occurrence. */
  eventTime: string;
  series?: EventSeries;
  reportingController: string;
  reportingInstance: string;
  action: string;
  reason: string;
  regarding?: ObjectReference;
  related?: ObjectReference;
  note?: string;
  type: EventType;
}

/** A reference to `obj` (ref.GetReference). */
export function objectReference(obj: KubeObject | ObjectReference): ObjectReference {
  if (!('metadata' in obj)) return { ...(obj as ObjectReference) };
  const o = obj;
  const ref: ObjectReference = {};
  if (o.kind) ref.kind = o.kind;
  if (o.metadata?.namespace) ref.namespace = o.metadata.namespace;
  if (o.metadata?.name) ref.name = o.metadata.name;
  if (o.metadata?.uid) ref.uid = o.metadata.uid;
  if (o.apiVersion) ref.apiVersion = o.apiVersion;
  if (o.metadata?.resourceVersion) ref.resourceVersion = o.metadata.resourceVersion;
  return ref;
}
