/**
 * Content negotiation for the Accept header, as far as kubectl and client libraries use it:
 * protobuf (`application/vnd.kubernetes.protobuf`) for the kinds that have wire tables, JSON
 * otherwise (upstream answers custom resources in JSON too; clients list JSON after protobuf),
 * server-side
 * Tables (`application/json;as=Table;v=v1;g=meta.k8s.io`, v1beta1 too), metadata-only objects
 * (`as=PartialObjectMetadata[List]`), and aggregated discovery
 * (`application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList`, v2beta1 too).
 */

export interface MediaRange {
  type: string;
  params: Record<string, string>;
  q: number;
}

/** Parses an Accept header into media ranges, in preference order (q, then position). */
export function parseAccept(header: string | undefined): MediaRange[] {
  if (!header) return [{ type: '*/*', params: {}, q: 1 }];
  const out: (MediaRange & { i: number })[] = [];
  header.split(',').forEach((part, i) => {
    const [typeRaw, ...paramParts] = part.split(';');
    const type = (typeRaw ?? '').trim().toLowerCase();
    if (type === '') return;
    const params: Record<string, string> = {};
    let q = 1;
    for (const p of paramParts) {
      const eq = p.indexOf('=');
      if (eq < 0) continue;
      const k = p.slice(0, eq).trim().toLowerCase();
      const v = p
        .slice(eq + 1)
        .trim()
        .replace(/^"|"$/g, '');
      if (k === 'q') q = Number.isFinite(Number(v)) ? Number(v) : 1;
      else params[k] = v;
    }
    out.push({ type, params, q, i });
  });
  out.sort((a, b) => b.q - a.q || a.i - b.i);
  return out.map(({ i: _i, ...r }) => r);
}

export type ResponseForm =
  | { kind: 'object' }
  | { kind: 'protobuf' }
  | { kind: 'table'; version: 'v1' | 'v1beta1' }
  | { kind: 'partial'; version: 'v1' | 'v1beta1' }
  | { kind: 'discovery'; version: 'v2' | 'v2beta1' };

/** Discovery documents are JSON whatever is preferred (clients accept JSON answers). */
const JSONISH = new Set([
  'application/json',
  'application/*',
  '*/*',
  'application/vnd.kubernetes.protobuf',
  'application/yaml',
]);

/** What a resource answer may be: JSON in every form, protobuf only for the kinds with tables. */
const JSON_RESOURCE = new Set(['application/json', 'application/*', '*/*', 'application/yaml']);

/**
 * The form to answer a resource request in; undefined when nothing acceptable is offered (406).
 * `allowTable` is false for requests that cannot be tables (writes answer with objects);
 * `protobuf` says whether the resource's kind can be answered in protobuf (a protobuf range for
 * another kind is skipped, so a later JSON range answers, as upstream does for custom resources).
 */
export function negotiateResource(
  accept: string | undefined,
  allowTable: boolean,
  protobuf = false,
): ResponseForm | undefined {
  for (const r of parseAccept(accept)) {
    const as = r.params.as;
    if (
      as === 'Table' &&
      r.params.g === 'meta.k8s.io' &&
      (r.params.v === 'v1' || r.params.v === 'v1beta1')
    ) {
      if (allowTable) return { kind: 'table', version: r.params.v };
      continue;
    }
    if (
      (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') &&
      r.params.g === 'meta.k8s.io' &&
      (r.params.v === 'v1' || r.params.v === 'v1beta1')
    ) {
      return { kind: 'partial', version: r.params.v };
    }
    if (as !== undefined) continue;
    if (r.type === 'application/vnd.kubernetes.protobuf') {
      if (protobuf) return { kind: 'protobuf' };
      continue;
    }
    if (JSON_RESOURCE.has(r.type)) return { kind: 'object' };
  }
  return undefined;
}

/** For `/api` and `/apis`: aggregated discovery when asked for, else the legacy documents. */
export function negotiateDiscovery(accept: string | undefined): ResponseForm | undefined {
  for (const r of parseAccept(accept)) {
    if (r.params.as === 'APIGroupDiscoveryList' && r.params.g === 'apidiscovery.k8s.io') {
      if (r.params.v === 'v2' || r.params.v === 'v2beta1')
        return { kind: 'discovery', version: r.params.v };
      continue;
    }
    if (r.params.as !== undefined) continue;
    if (JSONISH.has(r.type)) return { kind: 'object' };
  }
  return undefined;
}

/** The Content-Type of an aggregated discovery answer (kubectl checks it exactly). */
export function discoveryContentType(version: 'v2' | 'v2beta1'): string {
  return `application/json;g=apidiscovery.k8s.io;v=${version};as=APIGroupDiscoveryList`;
}
