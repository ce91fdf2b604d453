/**
 * The REST front door: routes every request to discovery, OpenAPI, health, version, metrics, or
 * a resource verb on the catalog's registries, and answers errors as Kubernetes Status objects.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  isJsonObject,
  newBadRequest,
  newMethodNotSupported,
  newNotAcceptable,
  newTooManyRequests,
  type DeleteOptions,
  type JsonValue,
} from '@kubets/apimachinery';
import type {
  ComponentMetrics,
  HealthChecks,
  HealthEndpoint,
  Logger,
} from '@kubets/component-base';
import { HEALTH_ENDPOINTS } from '@kubets/component-base';
import type { Catalog, ServedResource } from '../registry/catalog.js';
import type {
  FieldValidation,
  ListParams,
  PatchRequestOptions,
  WriteOptions,
} from '../registry/resource-registry.js';
import { applyPatch, patchTypeFor } from '../registry/patch.js';
import type { ApiObject } from '../storage/codec.js';
import type { ApiServerMetrics, RequestLabels } from '../metrics.js';
import {
  decodeObjectBody,
  decodeOptionalBody,
  decodePatchBody,
  mediaTypeOf,
  readBody,
} from './body.js';
import {
  type DiscoverySource,
  aggregatedDiscovery,
  apiGroupDocument,
  apiGroupList,
  apiResourceList,
  apiVersions,
} from './discovery.js';
import {
  discoveryContentType,
  negotiateDiscovery,
  negotiateResource,
  type ResponseForm,
} from './negotiation.js';
import type { OpenAPIService } from './openapi.js';
import { parseRequestInfo, isTrue, type ResourceRequestInfo } from './request-info.js';
import { notFoundStatus, setWarnings, statusFor, writeJSON, writeStatus } from './responses.js';
import {
  listToPartial,
  listToTable,
  objectToTable,
  parseIncludeObject,
  partialObjectMetadata,
} from './table.js';
import { serveWatch } from './watch-stream.js';
import { allowAllGuard, type RequestGuard, type UserInfo } from '../auth/types.js';
import { runAsUser } from '../auth/context.js';
import { attributesOf, credentialsOf } from './auth-filter.js';

export interface VersionInfo {
  major: string;
  minor: string;
  gitVersion: string;
  gitCommit: string;
  gitTreeState: string;
  buildDate: string;
  goVersion: string;
  compiler: string;
  platform: string;
}

/** A POST-only subresource with its own semantics (pods/binding, pods/eviction). */
export interface ActionSubresource {
  create(
    namespace: string,
    name: string,
    body: JsonValue,
    opts: WriteOptions,
  ): Promise<{ code: number; body: unknown; warnings?: string[] }>;
}

export interface ApiHandlerOptions {
  catalog: Catalog;
  openapi: OpenAPIService;
  version: VersionInfo;
  health: HealthChecks;
  metrics?: { component: ComponentMetrics; api: ApiServerMetrics };
  /** host:port advertised in `/api` (serverAddressByClientCIDRs). */
  serverAddress: () => string;
  /** `group/resource/subresource` (or `group/resource` for a collection's create) -> handler. */
  actions?: Map<string, ActionSubresource>;
  now?: () => number;
  /** Watches without timeoutSeconds last between this and twice this (upstream: 1800 s). */
  minRequestTimeoutSeconds?: number;
  logger?: Logger;
  /** Randomness for the default watch timeout. */
  random?: () => number;
  /**
   * `--max-requests-inflight` / `--max-mutating-requests-inflight`: beyond these, requests get
   * 429 with Retry-After (watches are not counted). 0 means unlimited.
   */
  maxInflight?: { readOnly: number; mutating: number };
  /** Authenticates and authorizes every request (default: allowAllGuard). */
  guard?: RequestGuard;
  /**
   * Create-only resources that are not stored (the review APIs), by `group/version/resource`;
   * served before the catalog is consulted.
   */
  virtualResources?: Map<string, ActionSubresource>;
  /** What discovery documents list (default: the catalog); lets virtual resources show. */
  discovery?: DiscoverySource;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

function parseDryRun(values: string[]): boolean {
  for (const v of values) {
    if (v !== 'All')
      throw newBadRequest(`dryRun: Unsupported value: "${v}": supported values: "All"`);
  }
  return values.length > 0;
}

function parseFieldValidation(value: string | null): FieldValidation | undefined {
  if (value === null || value === '') return undefined;
  if (value === 'Strict' || value === 'Warn' || value === 'Ignore') return value;
  // kubectl also sends the lower-case forms in some versions.
  const lower = value.toLowerCase();
  if (lower === 'strict') return 'Strict';
  if (lower === 'warn') return 'Warn';
  if (lower === 'ignore') return 'Ignore';
  throw newBadRequest(
    `fieldValidation: Unsupported value: "${value}": supported values: "Ignore", "Strict", "Warn"`,
  );
}

function parseIntParam(name: string, value: string | null, min = 0): number | undefined {
  if (value === null || value === '') return undefined;
  if (!/^-?\d+$/.test(value))
    throw newBadRequest(`${name}: Invalid value: "${value}": must be an integer`);
  const n = Number(value);
  if (n < min)
    throw newBadRequest(`${name}: Invalid value: ${n}: must be greater than or equal to ${min}`);
  return n;
}

function listParams(q: URLSearchParams, version: string): ListParams {
  return {
    version,
    ...(q.get('labelSelector') ? { labelSelector: q.get('labelSelector')! } : {}),
    ...(q.get('fieldSelector') ? { fieldSelector: q.get('fieldSelector')! } : {}),
    ...(q.has('resourceVersion') ? { resourceVersion: q.get('resourceVersion')! } : {}),
    ...(q.get('resourceVersionMatch')
      ? { resourceVersionMatch: q.get('resourceVersionMatch')! }
      : {}),
    ...(q.get('continue') ? { continue: q.get('continue')! } : {}),
    ...(q.get('limit') ? { limit: parseIntParam('limit', q.get('limit')) } : {}),
    ...(isTrue(q.get('allowWatchBookmarks')) ? { allowWatchBookmarks: true } : {}),
  };
}

export function createApiHandler(o: ApiHandlerOptions): Handler {
  const now = o.now ?? (() => Date.now());
  const random = o.random ?? Math.random;
  const minTimeout = o.minRequestTimeoutSeconds ?? 1800;
  const inflight = { readOnly: 0, mutating: 0 };

  return (req, res) => {
    const started = process.hrtime.bigint();
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = (req.method ?? 'GET').toUpperCase();
    const info = parseRequestInfo(method, url.pathname, url.searchParams.get('watch'));
    const mutating = method !== 'GET' && method !== 'HEAD';
    const kind = mutating ? 'mutating' : 'readOnly';
    const labels = requestLabels(info, method, url.searchParams, req.headers['content-type']);
    const longRunning = info.kind === 'resource' && info.verb === 'watch';
    // Health and metrics stay reachable under load, as upstream exempts them.
    const exempt =
      longRunning ||
      (info.kind === 'nonresource' && /^\/(healthz|livez|readyz|metrics)(\/|$)/.test(url.pathname));
    const limit = o.maxInflight?.[kind] ?? 0;
    if (!exempt && limit > 0 && inflight[kind] >= limit) {
      req.resume();
      o.metrics?.api.observeRequest(labels, 429, 0);
      writeStatus(res, newTooManyRequests('Too many requests, please try again later.', 1).status);
      return;
    }
    if (!exempt) inflight[kind]++;
    if (!longRunning) o.metrics?.api.inflightDelta(kind, 1);
    let accounted = false;
    const account = (): void => {
      if (accounted) return;
      accounted = true;
      if (!exempt) inflight[kind]--;
      if (!longRunning) o.metrics?.api.inflightDelta(kind, -1);
      o.metrics?.api.observeRequest(
        labels,
        res.statusCode,
        Number(process.hrtime.bigint() - started) / 1e9,
      );
    };
    res.on('finish', account);
    res.on('close', account);
    const done = (err: unknown): void => {
      const status = statusFor(err);
      if ((status.code ?? 500) >= 500)
        o.logger?.error(err, 'Request failed', { method, path: url.pathname });
      writeStatus(res, status);
    };
    // Every request is authenticated, then authorized, then routed as its user.
    const guard = o.guard ?? allowAllGuard;
    const route = guard
      .authenticate(credentialsOf(req))
      .then(async (user) => {
        await guard.authorize(user, attributesOf(info, method, url.searchParams));
        return user;
      })
      .catch((err: unknown) => {
        req.resume();
        throw err;
      })
      .then((user) =>
        runAsUser(user, () =>
          info.kind === 'resource'
            ? handleResource(o, req, res, info, url.searchParams, {
                now,
                random,
                minTimeout,
                labels,
                user,
              })
            : handleNonResource(o, req, res, url, method),
        ),
      );
    route.catch(done);
  };
}

function requestLabels(
  info: ReturnType<typeof parseRequestInfo>,
  method: string,
  q: URLSearchParams,
  contentType: string | undefined,
): RequestLabels {
  let verb = method;
  if (info.kind === 'resource') {
    if (info.verb === 'list') verb = 'LIST';
    else if (info.verb === 'watch') verb = 'WATCH';
    else if (method === 'PATCH' && mediaTypeOf(contentType) === 'application/apply-patch+yaml')
      verb = 'APPLY';
  }
  const resource = info.kind === 'resource';
  return {
    verb,
    dry_run: q.getAll('dryRun').join(','),
    group: resource ? info.group : '',
    version: resource ? info.version : '',
    resource: resource ? info.resource : '',
    subresource: resource ? info.subresource : '',
    scope: !resource
      ? ''
      : info.namespace !== ''
        ? 'namespace'
        : info.name !== ''
          ? 'resource'
          : 'cluster',
    component: 'apiserver',
  };
}

async function handleNonResource(
  o: ApiHandlerOptions,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  method: string,
): Promise<void> {
  const path = url.pathname.replace(/\/+$/, '') || '/';
  const head = method === 'HEAD';
  if (method !== 'GET' && !head) {
    writeStatus(res, notFoundStatus());
    return;
  }
  const accept = req.headers.accept;
  const segments = path.split('/').filter((s) => s !== '');
  if (path === '/version') return writeJSON(res, 200, o.version, 'application/json', head);
  if (path === '/metrics' && o.metrics) {
    const body = await o.metrics.component.scrape();
    res.writeHead(200, { 'Content-Type': o.metrics.component.contentType });
    res.end(head ? undefined : body);
    return;
  }
  const endpoint = HEALTH_ENDPOINTS.find((e) => e === segments[0]);
  if (endpoint) return serveHealth(o.health, endpoint, segments.slice(1), url, res);
  if (path === '/api' || path === '/apis') {
    const form = negotiateDiscovery(accept);
    if (!form) throw newNotAcceptable(['application/json', discoveryContentType('v2')]);
    const legacy = path === '/api';
    if (form.kind === 'discovery') {
      return writeJSON(
        res,
        200,
        aggregatedDiscovery(o.discovery ?? o.catalog, legacy, form.version),
        discoveryContentType(form.version),
        head,
      );
    }
    return writeJSON(
      res,
      200,
      legacy ? apiVersions(o.serverAddress()) : apiGroupList(o.discovery ?? o.catalog),
      'application/json',
      head,
    );
  }
  if (segments[0] === 'api' && segments.length === 2) {
    const doc = apiResourceList(o.discovery ?? o.catalog, '', segments[1]!);
    if (!doc) return writeStatus(res, notFoundStatus());
    return writeJSON(res, 200, doc, 'application/json', head);
  }
  if (segments[0] === 'apis' && segments.length === 2) {
    const doc = apiGroupDocument(o.discovery ?? o.catalog, segments[1]!);
    if (!doc) return writeStatus(res, notFoundStatus());
    return writeJSON(res, 200, doc, 'application/json', head);
  }
  if (segments[0] === 'apis' && segments.length === 3) {
    const doc = apiResourceList(o.discovery ?? o.catalog, segments[1]!, segments[2]!);
    if (!doc) return writeStatus(res, notFoundStatus());
    return writeJSON(res, 200, doc, 'application/json', head);
  }
  if (path === '/openapi/v3')
    return writeJSON(res, 200, o.openapi.index(), 'application/json', head);
  if (segments[0] === 'openapi' && segments[1] === 'v3' && segments.length > 2) {
    const doc = o.openapi.document(segments.slice(2).join('/'));
    if (!doc) return writeStatus(res, notFoundStatus());
    const hash = url.searchParams.get('hash');
    res.setHeader('Etag', `"${doc.hash}"`);
    if (hash === doc.hash) res.setHeader('Cache-Control', 'public, immutable');
    else res.setHeader('Cache-Control', 'no-cache, private');
    if (req.headers['if-none-match'] === `"${doc.hash}"`) {
      res.writeHead(304);
      res.end();
      return;
    }
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(doc.json),
    });
    res.end(head ? undefined : doc.json);
    return;
  }
  if (path === '/') {
    const paths = [
      '/api',
      '/api/v1',
      '/apis',
      '/healthz',
      '/livez',
      '/metrics',
      '/openapi/v3',
      '/readyz',
      '/version',
    ];
    for (const g of (o.discovery ?? o.catalog).groups()) {
      if (g.name === '') continue;
      paths.push(`/apis/${g.name}`, ...g.versions.map((v) => `/apis/${g.name}/${v}`));
    }
    return writeJSON(res, 200, { paths: paths.sort() }, 'application/json', head);
  }
  writeStatus(res, notFoundStatus());
}

async function serveHealth(
  health: HealthChecks,
  endpoint: HealthEndpoint,
  rest: string[],
  url: URL,
  res: ServerResponse,
): Promise<void> {
  const result =
    rest.length === 0
      ? await health.evaluate(endpoint, {
          verbose: url.searchParams.has('verbose'),
          exclude: url.searchParams.getAll('exclude'),
        })
      : await health.evaluateOne(endpoint, rest.join('/'));
  res.writeHead(result.status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'X-Content-Type-Options': 'nosniff',
    'Content-Length': Buffer.byteLength(result.body),
  });
  res.end(result.body);
}

interface ResourceContext {
  now: () => number;
  random: () => number;
  minTimeout: number;
  labels: RequestLabels;
  user: UserInfo;
}

const STANDARD_SUBRESOURCES = new Set(['status', 'scale', 'finalize']);

async function handleResource(
  o: ApiHandlerOptions,
  req: IncomingMessage,
  res: ServerResponse,
  info: ResourceRequestInfo,
  q: URLSearchParams,
  ctx: ResourceContext,
): Promise<void> {
  const virtual = o.virtualResources?.get(`${info.group}/${info.version}/${info.resource}`);
  if (virtual) {
    if (info.verb !== 'create' || info.name !== '') {
      req.resume();
      throw newMethodNotSupported(
        { group: info.group, resource: info.resource },
        methodVerb(req.method),
      );
    }
    const body = decodeObjectBody(await readBody(req), req.headers['content-type']);
    const result = await virtual.create(info.namespace, '', body, writeOptions(q, req, ctx.user));
    return writeJSON(res, result.code, result.body);
  }
  const served = o.catalog.lookup(info.group, info.version, info.resource);
  if (!served || info.extra.length > 0) {
    req.resume();
    return writeStatus(res, notFoundStatus());
  }
  const { registry, def } = served;
  // Namespaced resources are addressed per namespace except for lists and watches across all.
  if (def.namespaced && info.namespace === '' && info.verb !== 'list' && info.verb !== 'watch') {
    req.resume();
    return writeStatus(res, notFoundStatus());
  }
  if (!def.namespaced && info.namespace !== '') {
    req.resume();
    return writeStatus(res, notFoundStatus());
  }
  const ns = def.namespaced ? info.namespace : undefined;
  const version = served.version.name;
  const sub = info.subresource;
  if (
    sub !== '' &&
    !served.version.subresources.some((s) => s.name === sub) &&
    !o.actions?.has(`${def.group}/${def.plural}/${sub}`)
  ) {
    req.resume();
    return writeStatus(res, notFoundStatus());
  }
  const head = req.method === 'HEAD';

  if (sub !== '' && !STANDARD_SUBRESOURCES.has(sub)) {
    const action = o.actions?.get(`${def.group}/${def.plural}/${sub}`);
    if (!action || info.verb !== 'create') {
      req.resume();
      throw newMethodNotSupported(
        { group: def.group, resource: `${def.plural}/${sub}` },
        methodVerb(req.method),
      );
    }
    const body = decodeObjectBody(await readBody(req), req.headers['content-type']);
    const result = await action.create(
      info.namespace,
      info.name,
      body,
      writeOptions(q, req, ctx.user),
    );
    setWarnings(res, result.warnings ?? []);
    return writeJSON(res, result.code, result.body);
  }

  const allowTable = info.verb === 'get' || info.verb === 'list';
  const form = negotiateResource(req.headers.accept, allowTable || info.verb === 'watch');
  if (!form) {
    req.resume();
    throw newNotAcceptable(['application/json', 'application/json;as=Table;v=v1;g=meta.k8s.io']);
  }
  const table = served.version.table;
  const includeObject = parseIncludeObject(q.get('includeObject'));

  switch (info.verb) {
    case 'get': {
      let obj: ApiObject;
      if (sub === 'scale') obj = await registry.getScale(ns, info.name);
      else obj = await registry.get(ns, info.name, q.get('resourceVersion') ?? undefined, version);
      if (form.kind === 'table' && sub !== 'scale') {
        return writeJSON(
          res,
          200,
          objectToTable(obj, table, includeObject, ctx.now(), form.version),
          'application/json',
          head,
        );
      }
      if (form.kind === 'partial')
        return writeJSON(
          res,
          200,
          partialObjectMetadata(obj, form.version),
          'application/json',
          head,
        );
      return writeJSON(res, 200, obj, 'application/json', head);
    }
    case 'list': {
      const list = await registry.list(ns, listParams(q, version));
      return writeList(res, list, form, table, includeObject, ctx.now(), head);
    }
    case 'watch': {
      const params = listParams(q, version);
      const timeoutSeconds = parseIntParam('timeoutSeconds', q.get('timeoutSeconds'));
      const timeoutMs =
        timeoutSeconds !== undefined && timeoutSeconds > 0
          ? timeoutSeconds * 1000
          : Math.floor(ctx.minTimeout * 1000 * (1 + ctx.random()));
      const deadline = ctx.now() + timeoutMs;
      const lr = { ...ctx.labels };
      delete (lr as Partial<RequestLabels>).dry_run;
      o.metrics?.api.longRunningDelta(lr, 1);
      serveWatch({
        res,
        form,
        table,
        includeObject,
        timeoutMs,
        now: ctx.now,
        start: (sink) =>
          registry.watch(
            ns,
            { ...params, ...(info.name ? { name: info.name } : {}), deadline },
            sink,
          ),
        onEventSent: () => o.metrics?.api.watchEvent(def.group, version, def.plural),
        onFinished: () => o.metrics?.api.longRunningDelta(lr, -1),
      });
      return;
    }
    case 'create': {
      const body = decodeObjectBody(await readBody(req), req.headers['content-type']);
      if (!isJsonObject(body)) throw newBadRequest('the body of the request must be an object');
      // Collections whose create is an action on another object (core/v1 bindings).
      const collectionAction = o.actions?.get(`${def.group}/${def.plural}`);
      if (collectionAction) {
        const target = (body.metadata as { name?: string } | undefined)?.name ?? '';
        const result = await collectionAction.create(
          info.namespace,
          target,
          body,
          writeOptions(q, req, ctx.user),
        );
        setWarnings(res, result.warnings ?? []);
        return writeJSON(res, result.code, result.body);
      }
      const result = await registry.create(ns, body, writeOptions(q, req, ctx.user), version);
      setWarnings(res, result.warnings);
      return writeJSON(res, 201, result.object);
    }
    case 'update': {
      const body = decodeObjectBody(await readBody(req), req.headers['content-type']);
      if (!isJsonObject(body)) throw newBadRequest('the body of the request must be an object');
      const opts = writeOptions(q, req, ctx.user);
      if (sub === 'scale') {
        const r = await registry.updateScale(ns, info.name, () => body, opts);
        setWarnings(res, r.warnings);
        return writeJSON(res, 200, r.object);
      }
      const result = await registry.update(ns, info.name, body, opts, version, sub);
      setWarnings(res, result.warnings);
      return writeJSON(res, result.created ? 201 : 200, result.object);
    }
    case 'patch': {
      const media = mediaTypeOf(req.headers['content-type']);
      const type = patchTypeFor(media, !!def.patchSchema);
      const patch = decodePatchBody(await readBody(req), media);
      const opts: PatchRequestOptions = {
        ...writeOptions(q, req, ctx.user),
        force: isTrue(q.get('force')),
      };
      if (q.has('force') && type !== 'apply') {
        throw newBadRequest('force: Forbidden: may not be specified for non-apply patch');
      }
      if (sub === 'scale') {
        if (type === 'apply')
          throw newBadRequest('apply patches are not supported on the scale subresource');
        const r = await registry.updateScale(
          ns,
          info.name,
          (current) => patchScale(type, current, patch),
          opts,
        );
        setWarnings(res, r.warnings);
        return writeJSON(res, 200, r.object);
      }
      const result = await registry.patch(ns, info.name, type, patch, opts, version, sub);
      setWarnings(res, result.warnings);
      return writeJSON(res, result.created ? 201 : 200, result.object);
    }
    case 'delete': {
      if (sub !== '')
        throw newMethodNotSupported(
          { group: def.group, resource: `${def.plural}/${sub}` },
          'delete',
        );
      const options = deleteOptions(
        decodeOptionalBody(await readBody(req), req.headers['content-type']),
        q,
      );
      const dryRun = parseDryRun([...q.getAll('dryRun'), ...(options.dryRun ?? [])]);
      const result = await registry.delete(ns, info.name, options, dryRun, version);
      return writeJSON(res, 200, result.body);
    }
    case 'deletecollection': {
      const options = deleteOptions(
        decodeOptionalBody(await readBody(req), req.headers['content-type']),
        q,
      );
      const dryRun = parseDryRun([...q.getAll('dryRun'), ...(options.dryRun ?? [])]);
      const list = await registry.deleteCollection(ns, listParams(q, version), options, dryRun);
      return writeJSON(res, 200, list);
    }
    default:
      req.resume();
      throw newMethodNotSupported({ group: def.group, resource: def.plural }, info.verb);
  }
}

function methodVerb(method: string | undefined): string {
  return (method ?? 'GET').toLowerCase();
}

function writeOptions(q: URLSearchParams, req: IncomingMessage, user: UserInfo): WriteOptions {
  const fieldManager = q.get('fieldManager') ?? undefined;
  if (fieldManager !== undefined && fieldManager.length > 128) {
    throw newBadRequest('fieldManager: Too long: may not be longer than 128');
  }
  return {
    dryRun: parseDryRun(q.getAll('dryRun')),
    ...(fieldManager ? { fieldManager } : {}),
    ...(parseFieldValidation(q.get('fieldValidation'))
      ? { fieldValidation: parseFieldValidation(q.get('fieldValidation'))! }
      : {}),
    ...(req.headers['user-agent'] ? { userAgent: req.headers['user-agent'] } : {}),
    user,
  };
}

function deleteOptions(body: JsonValue | undefined, q: URLSearchParams): DeleteOptions {
  const options: DeleteOptions = {};
  if (body !== undefined) {
    if (!isJsonObject(body))
      throw newBadRequest('the body of a DELETE must be a DeleteOptions object');
    Object.assign(options, body);
  }
  const grace = parseIntParam(
    'gracePeriodSeconds',
    q.get('gracePeriodSeconds'),
    Number.MIN_SAFE_INTEGER,
  );
  if (grace !== undefined) options.gracePeriodSeconds = grace;
  const policy = q.get('propagationPolicy');
  if (policy) options.propagationPolicy = policy as DeleteOptions['propagationPolicy'];
  if (q.has('orphanDependents')) options.orphanDependents = isTrue(q.get('orphanDependents'));
  if (
    options.propagationPolicy &&
    !['Orphan', 'Background', 'Foreground'].includes(options.propagationPolicy)
  ) {
    throw newBadRequest(
      `propagationPolicy: Unsupported value: "${options.propagationPolicy}": supported values: "Foreground", "Background", "Orphan"`,
    );
  }
  if (options.orphanDependents !== undefined && options.propagationPolicy) {
    throw newBadRequest(
      'orphanDependents: Invalid value: true: OrphanDependents and DeletionPropagation cannot be both set',
    );
  }
  return options;
}

function patchScale(
  type: 'json' | 'merge' | 'strategic',
  current: ApiObject,
  patch: JsonValue,
): ApiObject {
  // A Scale has no merge keys: strategic merge behaves as a merge patch on it.
  return applyPatch(type === 'strategic' ? 'merge' : type, current, patch, undefined);
}

function writeList(
  res: ServerResponse,
  list: ApiObject,
  form: ResponseForm,
  table: ServedResource['version']['table'],
  includeObject: ReturnType<typeof parseIncludeObject>,
  now: number,
  head: boolean,
): void {
  if (form.kind === 'table')
    return writeJSON(
      res,
      200,
      listToTable(list, table, includeObject, now, form.version),
      'application/json',
      head,
    );
  if (form.kind === 'partial')
    return writeJSON(res, 200, listToPartial(list, form.version), 'application/json', head);
  writeJSON(res, 200, list, 'application/json', head);
}
