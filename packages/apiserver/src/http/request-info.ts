/**
 * Classifies a request path and method the way upstream's RequestInfoFactory does:
 *
 *   /api/v1/namespaces/{ns}/{resource}/{name}/{subresource}
 *   /apis/{group}/{version}/{resource}            (cluster-scoped, or all namespaces)
 *   /api/v1/namespaces/{name}[/status|/finalize]  (the namespaces resource itself)
 *   /api/v1/watch/...                             (legacy watch paths)
 *
 * plus the verb: get, list, watch, create, update, patch, delete, deletecollection.
 */

export type Verb =
  | 'get'
  | 'list'
  | 'watch'
  | 'create'
  | 'update'
  | 'patch'
  | 'delete'
  | 'deletecollection'
  | 'proxy'
  | 'connect';

export interface ResourceRequestInfo {
  kind: 'resource';
  verb: Verb;
  group: string;
  version: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
  /** The path segments after the subresource (none expected). */
  extra: string[];
}

export interface NonResourceRequestInfo {
  kind: 'nonresource';
  path: string;
  verb: string;
}

export type RequestInfo = ResourceRequestInfo | NonResourceRequestInfo;

const METHOD_VERBS: Record<string, Verb> = {
  POST: 'create',
  GET: 'get',
  HEAD: 'get',
  PUT: 'update',
  PATCH: 'patch',
  DELETE: 'delete',
};

function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Parses a path (without query) and method; `watch` is the value of the `watch` query parameter. */
export function parseRequestInfo(
  method: string,
  path: string,
  watchParam: string | null,
): RequestInfo {
  const segments = path
    .split('/')
    .filter((s) => s !== '')
    .map(decodeSegment);
  const lower = method.toUpperCase();
  const nonResource: NonResourceRequestInfo = {
    kind: 'nonresource',
    path,
    verb: lower.toLowerCase(),
  };
  if (segments.length === 0) return nonResource;
  let rest: string[];
  let group = '';
  if (segments[0] === 'api') {
    if (segments.length < 3) return nonResource; // /api, /api/v1
    rest = segments.slice(1);
  } else if (segments[0] === 'apis') {
    if (segments.length < 4) return nonResource; // /apis, /apis/g, /apis/g/v
    group = segments[1]!;
    rest = segments.slice(2);
  } else {
    return nonResource;
  }
  const version = rest[0]!;
  let parts = rest.slice(1);
  let verb: Verb = METHOD_VERBS[lower] ?? 'get';
  let legacyWatch = false;
  if (parts[0] === 'watch') {
    legacyWatch = true;
    parts = parts.slice(1);
  }
  let namespace = '';
  if (parts[0] === 'namespaces' && parts.length > 1) {
    namespace = parts[1]!;
    // /namespaces/{ns}/{resource}...: unless {resource} is a namespace subresource
    // (status, finalize), in which case the path addresses the namespace object itself.
    if (parts.length > 2 && parts[2] !== 'status' && parts[2] !== 'finalize')
      parts = parts.slice(2);
  }
  const [resource = '', name = '', subresource = '', ...extra] = parts;
  if (resource === 'namespaces') namespace = '';
  if (legacyWatch || (verb === 'get' && isTrue(watchParam))) {
    verb = 'watch';
  } else if (verb === 'get' && name === '') {
    verb = 'list';
  } else if (verb === 'delete' && name === '') {
    verb = 'deletecollection';
  }
  const info: ResourceRequestInfo = {
    kind: 'resource',
    verb,
    group,
    version,
    resource,
    subresource,
    namespace,
    name,
    extra,
  };
  return info;
}

/** `watch=true` / `watch=1` / `watch=` present-but-empty counts as false, as upstream. */
export function isTrue(v: string | null): boolean {
  return v === 'true' || v === '1' || v === 'True' || v === 'TRUE' || v === 't' || v === 'T';
}
