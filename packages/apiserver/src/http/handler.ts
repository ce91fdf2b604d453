/**
 * The REST front door: routes every request to discovery, OpenAPI, health, version, metrics, or
 * a resource verb on the catalog's registries, and answers errors as Kubernetes Status objects.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  newMethodNotSupported,
  newNotAcceptable,
  newTooManyRequests,
  StatusError,
} from '@kubets/apimachinery';
import type {
  ComponentMetrics,
  HealthChecks,
  HealthEndpoint,
  Logger,
} from '@kubets/component-base';
import { HEALTH_ENDPOINTS } from '@kubets/component-base';
import type { AuditContext, Auditor } from '../audit/auditor.js';
import { auditHttpRequest } from '../audit/http.js';
import type { Catalog, ServedResource } from '../registry/catalog.js';
import type {
  ListParams,
  PatchRequestOptions,
  WriteOptions,
} from '../registry/resource-registry.js';
import { patchTypeFor } from '../registry/patch.js';
import {
  createObject,
  deleteCollection,
  deleteObject,
  getObject,
  listObjects,
  patchObject,
  resolveTarget,
  updateObject,
  type ActionMap,
  type ActionSubresource,
  type Reply,
  type ResourceVerb,
} from '../request/operations.js';
import { InflightLimiter } from '../request/inflight.js';
import {
  deleteOptionsFrom,
  parseIntParam,
  watchTimeoutMs,
  writeOptionsFrom,
} from '../request/options.js';
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
import {
  OPENAPI_V2_PROTOBUF,
  OPENAPI_V2_PROTOBUF_CONTENT_TYPE,
  type OpenAPIV2Service,
} from './openapi-v2.js';
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
import type { OffloadWritev } from './offload-writer.js';
import { writeProtobuf } from './protobuf-responses.js';
import { PROTOBUF_MEDIA_TYPE, servesProtobuf } from './protobuf.js';
import { ANONYMOUS_USER, UNAUTHENTICATED_GROUP } from '../auth/chain.js';
import { allowAllGuard, type RequestGuard, type UserInfo } from '../auth/types.js';
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

export type { ActionSubresource };

export interface ApiHandlerOptions {
  catalog: Catalog;
  openapi: OpenAPIService;
  /** `/openapi/v2` (kubectl 1.27/1.28 explain and apply need it). */
  openapiV2?: OpenAPIV2Service;
  version: VersionInfo;
  health: HealthChecks;
  metrics?: { component: ComponentMetrics; api: ApiServerMetrics };
  /** host:port advertised in `/api` (serverAddressByClientCIDRs). */
  serverAddress: () => string;
  /** `group/resource/subresource` (or `group/resource` for a collection's create) -> handler. */
  actions?: ActionMap;
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
  /** Shares the limits with the gRPC door (default: a limiter of its own from maxInflight). */
  inflightLimiter?: InflightLimiter;
  /** Authenticates and authorizes every request (default: allowAllGuard). */
  guard?: RequestGuard;
  /**
   * Create-only resources that are not stored (the review APIs), by `group/version/resource`;
   * served before the catalog is consulted.
   */
  virtualResources?: Map<string, ActionSubresource>;
  /** Audit logging (`--audit-policy-file`); every response then carries an Audit-Id header. */
  audit?: Auditor;
  /** What discovery documents list (default: the catalog); lets virtual resources show. */
  discovery?: DiscoverySource;
  /**
   * Watch responses on plain TCP write their bytes with this, off the event loop
   * (watch-stream.ts, offload-writer.ts). Default: on the loop.
   */
  watchWritev?: OffloadWritev;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

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

/** Who a request is audited as when authentication refused it. */
const UNAUTHENTICATED_USER: UserInfo = {
  username: ANONYMOUS_USER,
  groups: [UNAUTHENTICATED_GROUP],
};

export function createApiHandler(o: ApiHandlerOptions): Handler {
  const now = o.now ?? (() => Date.now());
  const random = o.random ?? Math.random;
  const minTimeout = o.minRequestTimeoutSeconds ?? 1800;
  const inflight = o.inflightLimiter ?? new InflightLimiter(o.maxInflight);

  return (req, res) => {
    const started = process.hrtime.bigint();
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = (req.method ?? 'GET').toUpperCase();
    const info = parseRequestInfo(method, url.pathname, url.searchParams.get('watch'));
    const mutating = method !== 'GET' && method !== 'HEAD';
    const kind = mutating ? 'mutating' : 'readOnly';
    const labels = requestLabels(info, method, url.searchParams, req.headers['content-type']);
    const longRunning = info.kind === 'resource' && info.verb === 'watch';
    // Audited as upstream: from authentication on (a failed one as an unauthenticated caller).
    let audit: AuditContext | undefined;
    // Admission plugins and webhooks add theirs while the request runs.
    const auditAnnotations: Record<string, string> = {};
    const beginAudit = (user: UserInfo): void => {
      if (o.audit && !audit) {
        audit = auditHttpRequest(o.audit, req, res, info, user);
        audit.annotateFrom(auditAnnotations);
      }
    };
    // Health and metrics stay reachable under load, as upstream exempts them.
    const exempt =
      longRunning ||
      (info.kind === 'nonresource' && /^\/(healthz|livez|readyz|metrics)(\/|$)/.test(url.pathname));
    if (!exempt && !inflight.tryAcquire(kind)) {
      req.resume();
      o.metrics?.api.observeRequest(labels, 429, 0);
      writeStatus(res, newTooManyRequests('Too many requests, please try again later.', 1).status);
      return;
    }
    if (!longRunning) o.metrics?.api.inflightDelta(kind, 1);
    let accounted = false;
    const account = (): void => {
      if (accounted) return;
      accounted = true;
      if (!exempt) inflight.release(kind);
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
      // An unexpected exception (not a Status) is what upstream records as the Panic stage.
      if (
        audit &&
        !(err instanceof StatusError) &&
        !(err instanceof Error && 'toStatusError' in err)
      )
        audit.panic(err instanceof Error ? err.message : String(err));
      writeStatus(res, status);
    };
    // Every request is authenticated, then authorized, then routed as its user. One async
    // function rather than a chain of then/catch: each link was a promise and a microtask more
    // on every request.
    const guard = o.guard ?? allowAllGuard;
    const serve = async (): Promise<void> => {
      let user: UserInfo;
      try {
        user = await guard.authenticate(credentialsOf(req));
        beginAudit(user);
        try {
          const allowed = await guard.authorize(user, attributesOf(info, method, url.searchParams));
          audit?.annotate('authorization.k8s.io/decision', 'allow');
          if (allowed?.reason) audit?.annotate('authorization.k8s.io/reason', allowed.reason);
        } catch (err) {
          audit?.annotate('authorization.k8s.io/decision', 'forbid');
          throw err;
        }
      } catch (err) {
        beginAudit(UNAUTHENTICATED_USER);
        req.resume();
        throw err;
      }
      // The user travels in WriteOptions.user down to admission and the registry's hooks.
      if (info.kind === 'resource') {
        await handleResource(o, req, res, info, url.searchParams, {
          now,
          random,
          minTimeout,
          labels,
          user,
          auditAnnotations,
        });
      } else {
        await handleNonResource(o, req, res, url, method);
      }
    };
    serve().catch(done);
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
  if (path === '/openapi/v2' && o.openapiV2) return serveOpenAPIV2(o.openapiV2, req, res, head);
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
      ...(o.openapiV2 ? ['/openapi/v2'] : []),
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

/** Swagger 2.0 as JSON, or as gnostic protobuf when asked for it (kubectl <= 1.28). */
function serveOpenAPIV2(
  service: OpenAPIV2Service,
  req: IncomingMessage,
  res: ServerResponse,
  head: boolean,
): void {
  const doc = service.document();
  const accept = req.headers.accept ?? '';
  const proto =
    accept.includes(OPENAPI_V2_PROTOBUF) || accept.includes(OPENAPI_V2_PROTOBUF_CONTENT_TYPE);
  const etag = `"${doc.etag}"`;
  res.setHeader('Etag', etag);
  res.setHeader('Vary', 'Accept');
  res.setHeader('Cache-Control', 'no-cache, private');
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304);
    res.end();
    return;
  }
  const body = proto ? doc.proto : Buffer.from(doc.json);
  res.writeHead(200, {
    'Content-Type': proto ? OPENAPI_V2_PROTOBUF_CONTENT_TYPE : 'application/json',
    'Content-Length': body.length,
  });
  res.end(head ? undefined : body);
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
  /** Filled by admission during the request; the audit event reads it at the end. */
  auditAnnotations: Record<string, string>;
}

async function handleResource(
  o: ApiHandlerOptions,
  req: IncomingMessage,
  res: ServerResponse,
  info: ResourceRequestInfo,
  q: URLSearchParams,
  ctx: ResourceContext,
): Promise<void> {
  // Create-only resources that are not stored (the review APIs).
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
    const result = await virtual.create(info.namespace, '', body, writeOptions(q, req, ctx));
    return writeJSON(res, result.code, result.body);
  }
  let target;
  try {
    if (info.extra.length > 0) return writeStatus(res, notFoundStatus());
    target = resolveTarget(
      o.catalog,
      o.actions,
      info,
      info.verb as ResourceVerb,
      methodVerb(req.method),
    );
  } finally {
    if (!target) req.resume();
  }
  const { registry, def, served } = target;
  const version = target.version;
  const sub = target.subresource;
  const head = req.method === 'HEAD';

  if (target.action) {
    const body = decodeObjectBody(await readBody(req), req.headers['content-type']);
    return writeReply(res, await createObject(target, o.actions, body, writeOptions(q, req, ctx)));
  }

  const allowTable = info.verb === 'get' || info.verb === 'list';
  // Protobuf for the kinds with wire tables, on the object itself and its status (a scale
  // subresource answers autoscaling/v1 Scale, which has none).
  const protobuf =
    (sub === '' || sub === 'status') &&
    servesProtobuf(def.group ? `${def.group}/${version}` : version, def.kind);
  const form = negotiateResource(req.headers.accept, allowTable || info.verb === 'watch', protobuf);
  if (!form) {
    req.resume();
    throw newNotAcceptable([
      'application/json',
      'application/yaml',
      ...(protobuf ? [PROTOBUF_MEDIA_TYPE] : []),
      'application/json;as=Table;v=v1;g=meta.k8s.io',
    ]);
  }
  const table = served.version.table;
  const includeObject = parseIncludeObject(q.get('includeObject'));

  switch (info.verb) {
    case 'get': {
      const obj = await getObject(target, q.get('resourceVersion') ?? undefined);
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
      if (form.kind === 'protobuf') return writeProtobuf(res, 200, obj, head);
      return writeJSON(res, 200, obj, 'application/json', head);
    }
    case 'list': {
      const list = await listObjects(target, listParams(q, version));
      return writeList(res, list, form, table, includeObject, ctx.now(), head);
    }
    case 'watch': {
      const params = listParams(q, version);
      const timeoutMs = watchTimeoutMs(
        parseIntParam('timeoutSeconds', q.get('timeoutSeconds')),
        ctx.minTimeout,
        ctx.random,
      );
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
            target.ns,
            { ...params, ...(info.name ? { name: info.name } : {}), deadline },
            sink,
          ),
        ...(o.metrics
          ? { onEventsSent: o.metrics.api.watchEventsWriter(def.group, version, def.plural) }
          : {}),
        onFinished: () => o.metrics?.api.longRunningDelta(lr, -1),
        ...(o.watchWritev ? { offloadWritev: o.watchWritev } : {}),
      });
      return;
    }
    case 'create': {
      const body = decodeObjectBody(await readBody(req), req.headers['content-type']);
      return writeReply(
        res,
        await createObject(target, o.actions, body, writeOptions(q, req, ctx)),
        form,
      );
    }
    case 'update': {
      const body = decodeObjectBody(await readBody(req), req.headers['content-type']);
      return writeReply(res, await updateObject(target, body, writeOptions(q, req, ctx)), form);
    }
    case 'patch': {
      const media = mediaTypeOf(req.headers['content-type']);
      const type = patchTypeFor(media, !!def.patchSchema);
      const patch = decodePatchBody(await readBody(req), media);
      const opts: PatchRequestOptions = {
        ...writeOptions(q, req, ctx),
        force: isTrue(q.get('force')),
      };
      return writeReply(res, await patchObject(target, type, patch, opts, q.has('force')), form);
    }
    case 'delete': {
      const { options, dryRun } = deleteOptionsFrom(
        decodeOptionalBody(await readBody(req), req.headers['content-type']),
        deleteParams(q),
      );
      return writeReply(
        res,
        await deleteObject(target, options, dryRun, writeOptions(q, req, ctx)),
        form,
      );
    }
    case 'deletecollection': {
      const { options, dryRun } = deleteOptionsFrom(
        decodeOptionalBody(await readBody(req), req.headers['content-type']),
        deleteParams(q),
      );
      const list = await deleteCollection(
        target,
        listParams(q, version),
        options,
        dryRun,
        writeOptions(q, req, ctx),
      );
      if (form.kind === 'protobuf') return writeProtobuf(res, 200, list, false);
      return writeJSON(res, 200, list);
    }
    default:
      req.resume();
      throw newMethodNotSupported({ group: def.group, resource: def.plural }, info.verb);
  }
}

function writeReply(res: ServerResponse, reply: Reply, form?: ResponseForm): void {
  setWarnings(res, reply.warnings);
  if (form?.kind === 'protobuf') return writeProtobuf(res, reply.code, reply.body, false);
  writeJSON(res, reply.code, reply.body);
}

function methodVerb(method: string | undefined): string {
  return (method ?? 'GET').toLowerCase();
}

function writeOptions(
  q: URLSearchParams,
  req: IncomingMessage,
  ctx: Pick<ResourceContext, 'user' | 'auditAnnotations'>,
): WriteOptions {
  const options = writeOptionsFrom({
    dryRun: q.getAll('dryRun'),
    fieldManager: q.get('fieldManager') ?? undefined,
    fieldValidation: q.get('fieldValidation'),
    userAgent: req.headers['user-agent'],
  });
  return { ...options, user: ctx.user, auditAnnotations: ctx.auditAnnotations };
}

function deleteParams(q: URLSearchParams): Parameters<typeof deleteOptionsFrom>[1] {
  const policy = q.get('propagationPolicy');
  return {
    gracePeriodSeconds: parseIntParam(
      'gracePeriodSeconds',
      q.get('gracePeriodSeconds'),
      Number.MIN_SAFE_INTEGER,
    ),
    ...(policy ? { propagationPolicy: policy } : {}),
    ...(q.has('orphanDependents') ? { orphanDependents: isTrue(q.get('orphanDependents')) } : {}),
    dryRun: q.getAll('dryRun'),
  };
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
  if (form.kind === 'protobuf') return writeProtobuf(res, 200, list, head);
  writeJSON(res, 200, list, 'application/json', head);
}
