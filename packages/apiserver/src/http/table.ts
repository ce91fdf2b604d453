/**
 * Server-side printing: `meta.k8s.io/v1` Tables from the registry's printer columns, as kubectl
 * asks for them (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`). Rows carry the object
 * according to `includeObject`: `Metadata` (default) a PartialObjectMetadata, `Object` the full
 * object (`--sort-by`), `None` nothing. Also the PartialObjectMetadata(List) forms.
 */
import { newBadRequest, type Table, type TableRow } from '@kubets/apimachinery';
import type { ApiObject } from '../storage/codec.js';
import type { TableDefinition } from '../registry/definition.js';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export function parseIncludeObject(value: string | null): IncludeObject {
  if (value === null || value === '') return 'Metadata';
  if (value === 'None' || value === 'Metadata' || value === 'Object') return value;
  throw newBadRequest(
    `includeObject: Unsupported value: "${value}": supported values: "Metadata", "None", "Object"`,
  );
}

export function partialObjectMetadata(obj: ApiObject, version: 'v1' | 'v1beta1' = 'v1'): ApiObject {
  return {
    kind: 'PartialObjectMetadata',
    apiVersion: `meta.k8s.io/${version}`,
    metadata: obj.metadata ?? {},
  };
}

function rowOf(
  obj: ApiObject,
  def: TableDefinition,
  include: IncludeObject,
  now: number,
): TableRow {
  const row: TableRow = { cells: def.row(obj, now) };
  const conditions = def.conditions?.(obj);
  if (conditions && conditions.length > 0) row.conditions = conditions;
  if (include === 'Object') row.object = obj;
  else if (include === 'Metadata') row.object = partialObjectMetadata(obj);
  return row;
}

/** A Table for a list (its metadata: resourceVersion, continue, remainingItemCount). */
export function listToTable(
  list: ApiObject,
  def: TableDefinition,
  include: IncludeObject,
  now: number,
  version: 'v1' | 'v1beta1' = 'v1',
): Table {
  const items = (list.items ?? []) as ApiObject[];
  return {
    kind: 'Table',
    apiVersion: `meta.k8s.io/${version}` as 'meta.k8s.io/v1',
    metadata: { ...((list.metadata ?? {}) as Table['metadata']) },
    columnDefinitions: def.columns,
    rows: items.map((o) => rowOf(o, def, include, now)),
  };
}

/** A one-row Table for a single object (GET of a name, watch events). */
export function objectToTable(
  obj: ApiObject,
  def: TableDefinition,
  include: IncludeObject,
  now: number,
  version: 'v1' | 'v1beta1' = 'v1',
  withColumns = true,
): Table {
  return {
    kind: 'Table',
    apiVersion: `meta.k8s.io/${version}` as 'meta.k8s.io/v1',
    metadata: { resourceVersion: obj.metadata?.resourceVersion ?? '' },
    columnDefinitions: withColumns ? def.columns : [],
    rows: [rowOf(obj, def, include, now)],
  };
}

/** PartialObjectMetadataList for `as=PartialObjectMetadataList`. */
export function listToPartial(list: ApiObject, version: 'v1' | 'v1beta1'): ApiObject {
  return {
    kind: 'PartialObjectMetadataList',
    apiVersion: `meta.k8s.io/${version}`,
    metadata: list.metadata ?? {},
    items: ((list.items ?? []) as ApiObject[]).map((o) => partialObjectMetadata(o, version)),
  };
}
