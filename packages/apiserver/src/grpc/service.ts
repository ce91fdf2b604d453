/**
 * The gRPC front door's handlers (kubets.api.v1.Resources): each RPC is decoded into the same
 * ResourceTarget, options and body REST produces, authenticated and authorized by the same
 * RequestGuard, counted against the same max-inflight limits and metrics, and run through the
 * same operations (src/request/operations.ts). Objects are the REST API's JSON.
 */
import {
  Metadata,
  status as GrpcStatus,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceError,
} from '@grpc/grpc-js';
import {
  grpcCodeForStatus,
  PATCH_MEDIA_TYPES,
  RESOURCES_SERVICE,
  statusMetadata,
  type APIResource,
  type CreateRequest__Output,
  type DeleteCollectionRequest__Output,
  type DeleteRequest__Output,
  type DiscoveryRequest__Output,
  type DiscoveryResponse,
  type GetRequest__Output,
  type GrpcDeleteOptions__Output,
  type GrpcListOptions__Output,
  type GrpcWatchEvent,
  type GrpcWriteOptions__Output,
  type ListRequest__Output,
  type ListResponse,
  type ObjectResponse,
  type PatchRequest__Output,
  type ResourceRef__Output,
  type ResourcesHandlers,
  type UpdateRequest__Output,
  type WatchRequest__Output,
} from '@kubets/api/grpc';
import {
  newBadRequest,
  newTooManyRequests,
  type JsonValue,
  type Status,
} from '@kubets/apimachinery';
import type { Logger } from '@kubets/component-base';
import type { RequestAttributes, RequestGuard, UserInfo } from '../auth/types.js';
import { allowAllGuard } from '../auth/types.js';
import { decodeObjectBody, decodePatchBody, MAX_REQUEST_BODY_BYTES } from '../http/body.js';
import { statusFor } from '../http/responses.js';
import type { ApiServerMetrics, RequestLabels } from '../metrics.js';
import type { Catalog } from '../registry/catalog.js';
import { patchTypeFor } from '../registry/patch.js';
import { memoized } from '../storage/shared.js';
import type { ListParams } from '../registry/resource-registry.js';
import type { ApiObject } from '../storage/codec.js';
import type { StorageWatch } from '../storage/watcher.js';
import type { AuditContext, Auditor } from '../audit/auditor.js';
import type { InflightLimiter, RequestKind } from '../request/inflight.js';
import type { RequestTracing } from '../request/tracing.js';
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
  type ResolvedTarget,
  type ResourceTarget,
  type ResourceVerb,
} from '../request/operations.js';
import {
  checkMin,
  deleteOptionsFrom,
  watchTimeoutMs,
  writeOptionsFrom,
  type WriteParams,
} from '../request/options.js';
import { credentialsFromMetadata } from './credentials.js';
import { encodeWatchEvent } from './watch-encoding.js';
import type { GrpcServerMetrics, GrpcType } from './metrics.js';
import { encodedJson } from '../storage/encoded.js';

/** Output that may wait in memory for a slow watcher before its stream is ended (as REST). */
export const MAX_GRPC_WATCH_BUFFER_BYTES = 16 * 1024 * 1024;

export interface ResourcesServiceOptions {
  catalog: Catalog;
  actions?: ActionMap;
  guard?: RequestGuard;
  /** Audit logging, shared with the REST door (gRPC calls are recorded at Metadata detail). */
  audit?: Auditor;
  inflight: InflightLimiter;
  metrics?: { api: ApiServerMetrics; grpc: GrpcServerMetrics };
  logger?: Logger;
  /** Watches without timeoutSeconds last between this and twice this (upstream: 1800 s). */
  minRequestTimeoutSeconds?: number;
  now?: () => number;
  random?: () => number;
  maxWatchBufferBytes?: number;
  /** A server span per unary call (tracing on). */
  tracing?: RequestTracing;
}

type RpcVerb = ResourceVerb | 'discovery';

/** The REST method each verb corresponds to (metrics' verb label, 405 messages). */
const METHOD_OF: Record<RpcVerb, string> = {
  get: 'GET',
  list: 'LIST',
  watch: 'WATCH',
  create: 'POST',
  update: 'PUT',
  patch: 'PATCH',
  delete: 'DELETE',
  deletecollection: 'DELETE',
  discovery: 'GET',
};

const RPC_NAME: Record<RpcVerb, string> = {
  get: 'Get',
  list: 'List',
  watch: 'Watch',
  create: 'Create',
  update: 'Update',
  patch: 'Patch',
  delete: 'Delete',
  deletecollection: 'DeleteCollection',
  discovery: 'Discovery',
};

/** The per-call state the wrappers keep for metrics and error answers. */
interface CallInfo {
  verb: RpcVerb;
  target: ResourceTarget | undefined;
  /** Metrics' verb (APPLY for apply patches). */
  metricVerb: string;
  dryRun: readonly string[];
  /** The `user-agent` metadata: names the field manager when none is given, as on REST. */
  userAgent?: string;
}

function targetOf(ref: ResourceRef__Output | null): ResourceTarget {
  if (!ref) throw newBadRequest('ref: Required value: the target resource must be given');
  if (!ref.version || !ref.resource)
    throw newBadRequest('ref: Invalid value: version and resource are required');
  return {
    group: ref.group,
    version: ref.version,
    resource: ref.resource,
    subresource: ref.subresource,
    namespace: ref.namespace,
    name: ref.name,
  };
}

function requireName(t: ResourceTarget): void {
  if (t.name === '') throw newBadRequest('resource name may not be empty');
}

/** A write's target (named: it must name its object) and dry-run, for authorization and audit. */
function writeTarget(
  info: CallInfo,
  ref: ResourceRef__Output | null,
  options: { dry_run?: string[] } | null,
  named: boolean,
): void {
  info.target = targetOf(ref);
  if (named) requireName(info.target);
  info.dryRun = options?.dry_run ?? [];
}

function listParamsFrom(o: GrpcListOptions__Output | null): ListParams {
  if (!o) return {};
  return {
    ...(o.label_selector ? { labelSelector: o.label_selector } : {}),
    ...(o.field_selector ? { fieldSelector: o.field_selector } : {}),
    ...(o.resource_version ? { resourceVersion: o.resource_version } : {}),
    ...(o.resource_version_match ? { resourceVersionMatch: o.resource_version_match } : {}),
    ...(o.continue ? { continue: o.continue } : {}),
    ...(o.limit ? { limit: checkMin('limit', Number(o.limit)) } : {}),
    ...(o.allow_watch_bookmarks ? { allowWatchBookmarks: true } : {}),
  };
}

function writeParamsFrom(o: GrpcWriteOptions__Output | null, info: CallInfo): WriteParams {
  return {
    dryRun: o?.dry_run ?? [],
    fieldManager: o?.field_manager,
    fieldValidation: o?.field_validation,
    userAgent: info.userAgent,
  };
}

function deleteParamsFrom(
  o: GrpcDeleteOptions__Output | null,
): Parameters<typeof deleteOptionsFrom>[1] {
  if (!o) return {};
  const pre = o.preconditions;
  return {
    ...(o.grace_period_seconds !== undefined && o.grace_period_seconds !== null
      ? { gracePeriodSeconds: Number(o.grace_period_seconds) }
      : {}),
    ...(o.propagation_policy ? { propagationPolicy: o.propagation_policy } : {}),
    ...(o.orphan_dependents !== undefined && o.orphan_dependents !== null
      ? { orphanDependents: o.orphan_dependents }
      : {}),
    ...(pre && (pre.uid !== undefined || pre.resource_version !== undefined)
      ? {
          preconditions: {
            ...(pre.uid !== undefined ? { uid: pre.uid } : {}),
            ...(pre.resource_version !== undefined
              ? { resourceVersion: pre.resource_version }
              : {}),
          },
        }
      : {}),
    dryRun: o.dry_run,
  };
}

function decodeObject(bytes: Buffer): JsonValue {
  if (bytes.length > MAX_REQUEST_BODY_BYTES) {
    throw newBadRequest(`the object is larger than the limit of ${MAX_REQUEST_BODY_BYTES} bytes`);
  }
  return decodeObjectBody(bytes, 'application/json');
}

function json(value: unknown): Buffer {
  // An object just written is answered with the text its write already produced.
  return Buffer.from(encodedJson(value) ?? JSON.stringify(value));
}

/**
 * A list item's JSON, encoded once per object: items served from the watch cache are shared and
 * read-only, so every list (every informer's relist, every page) after the first reuses the bytes;
 * they are collected with the object when the cache replaces it.
 */
function listItemBytes(item: unknown): Buffer {
  if (typeof item !== 'object' || item === null) return json(item);
  return memoized(item, 'grpc:json', () => json(item));
}

/** The ListResponse envelope of a list object: items stay one JSON document each. */
function listResponse(list: ApiObject, warnings: string[] = []): ListResponse {
  const meta = (list.metadata ?? {}) as {
    resourceVersion?: string;
    continue?: string;
    remainingItemCount?: number;
  };
  const items = (list.items ?? []) as unknown[];
  return {
    api_version: String(list.apiVersion ?? ''),
    kind: String(list.kind ?? ''),
    resource_version: meta.resourceVersion ?? '',
    continue: meta.continue ?? '',
    ...(meta.remainingItemCount !== undefined
      ? { remaining_item_count: meta.remainingItemCount }
      : {}),
    items: items.map(listItemBytes),
    warnings,
  };
}

function objectResponse(code: number, body: unknown, warnings: string[]): ObjectResponse {
  return { object: json(body), created: code === 201, warnings: [...new Set(warnings)] };
}

/** A one-object operation's reply as the unary call's answer and its code. */
function objectReply(reply: { code: number; body: unknown; warnings: string[] }): {
  res: ObjectResponse;
  code: number;
} {
  return { res: objectResponse(reply.code, reply.body, reply.warnings), code: reply.code };
}

/** The failed call's answer: mapped code, Status message, Status JSON in trailers. */
export function serviceErrorFor(s: Status): Partial<ServiceError> {
  return {
    code: grpcCodeForStatus(s),
    details: s.message ?? s.reason ?? 'error',
    metadata: statusMetadata(s),
  };
}

function labelsFor(info: CallInfo): RequestLabels {
  const t = info.target;
  return {
    verb: info.metricVerb,
    dry_run: info.dryRun.join(','),
    group: t?.group ?? '',
    version: t?.version ?? '',
    resource: t?.resource ?? '',
    subresource: t?.subresource ?? '',
    scope: !t ? '' : t.namespace !== '' ? 'namespace' : t.name !== '' ? 'resource' : 'cluster',
    component: 'apiserver',
  };
}

function attributesFor(info: CallInfo): RequestAttributes {
  const t = info.target;
  if (!t) return { kind: 'nonresource', verb: 'get', path: '/apis' };
  return {
    kind: 'resource',
    verb: info.verb,
    group: t.group,
    version: t.version,
    resource: t.resource,
    subresource: t.subresource,
    namespace: t.namespace,
    name: t.name,
  };
}

function peerCertificateOf(call: {
  getAuthContext(): { sslPeerCertificate?: { raw?: Buffer } };
}): Buffer | undefined {
  try {
    return call.getAuthContext().sslPeerCertificate?.raw;
  } catch {
    return undefined;
  }
}

export function createResourcesService(o: ResourcesServiceOptions): ResourcesHandlers {
  const guard = o.guard ?? allowAllGuard;
  const now = o.now ?? (() => Date.now());
  const random = o.random ?? Math.random;
  const minTimeout = o.minRequestTimeoutSeconds ?? 1800;
  const bufferLimit = o.maxWatchBufferBytes ?? MAX_GRPC_WATCH_BUFFER_BYTES;
  const { catalog, actions } = o;

  const observe = (
    info: CallInfo,
    type: GrpcType,
    grpcCode: GrpcStatus,
    httpCode: number,
    started: bigint,
  ): void => {
    if (!o.metrics) return;
    o.metrics.grpc.handle(type, RESOURCES_SERVICE, RPC_NAME[info.verb], GrpcStatus[grpcCode]);
    if (info.verb === 'watch') return;
    o.metrics.api.observeRequest(
      labelsFor(info),
      httpCode,
      Number(process.hrtime.bigint() - started) / 1e9,
    );
  };

  /** Authenticates and authorizes; resolves the user. */
  const admit = async (
    metadata: Metadata,
    peer: Buffer | undefined,
    info: CallInfo,
    onAuthenticated?: (user: UserInfo) => void,
  ): Promise<UserInfo> => {
    const user = await guard.authenticate(credentialsFromMetadata(metadata, peer));
    onAuthenticated?.(user);
    await guard.authorize(user, attributesFor(info));
    return user;
  };

  /** One audit event per call, as REST records one per request (at Metadata detail). */
  const beginAudit = (peer: string, user: UserInfo, info: CallInfo): AuditContext | undefined =>
    o.audit?.begin({
      requestURI: `/${RESOURCES_SERVICE}/${RPC_NAME[info.verb]}`,
      verb: info.verb,
      user,
      sourceIPs: [
        peer
          .replace(/^ipv[46]:/, '')
          .replace(/:\d+$/, '')
          .replace(/^\[|\]$/g, ''),
      ],
      ...(info.userAgent ? { userAgent: info.userAgent } : {}),
      attributes: attributesFor(info),
    });

  /**
   * A unary RPC: decode (`prepare` fills in target, verb label and dry run, and may throw a 400),
   * authenticate, take an inflight slot, authorize, run, answer; errors as mapped Statuses.
   */
  function unary<Req, Res>(
    verb: RpcVerb,
    kind: RequestKind,
    prepare: (req: Req, info: CallInfo) => void,
    run: (req: Req, user: UserInfo, info: CallInfo) => Promise<{ res: Res; code: number }>,
  ) {
    const handler = (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
      const started = process.hrtime.bigint();
      const info: CallInfo = { verb, target: undefined, metricVerb: METHOD_OF[verb], dryRun: [] };
      o.metrics?.grpc.start('unary', RESOURCES_SERVICE, RPC_NAME[verb]);
      let acquired = false;
      const answerError = (err: unknown): void => {
        const s = statusFor(err);
        if ((s.code ?? 500) >= 500)
          o.logger?.error(err, 'gRPC request failed', { method: RPC_NAME[verb] });
        const e = serviceErrorFor(s);
        observe(info, 'unary', e.code!, s.code ?? 500, started);
        callback(e);
      };
      let audit: AuditContext | undefined;
      const execute = async (): Promise<void> => {
        prepare(call.request, info);
        const ua = call.metadata.get('user-agent')[0];
        if (typeof ua === 'string') info.userAgent = ua;
        const user = await guard.authenticate(
          credentialsFromMetadata(call.metadata, peerCertificateOf(call)),
        );
        audit = beginAudit(call.getPeer(), user, info);
        if (!o.inflight.tryAcquire(kind)) {
          throw newTooManyRequests('Too many requests, please try again later.', 1);
        }
        acquired = true;
        o.metrics?.api.inflightDelta(kind, 1);
        await guard.authorize(user, attributesFor(info));
        const { res, code } = await run(call.request, user, info);
        observe(info, 'unary', GrpcStatus.OK, code, started);
        audit?.complete(code);
        callback(null, res);
      };
      execute()
        .catch((err: unknown) => {
          audit?.complete(statusFor(err).code ?? 500);
          answerError(err);
        })
        .finally(() => {
          if (!acquired) return;
          o.inflight.release(kind);
          o.metrics?.api.inflightDelta(kind, -1);
        });
    };
    return o.tracing ? o.tracing.grpcUnary(RESOURCES_SERVICE, RPC_NAME[verb], handler) : handler;
  }

  const resolve = (info: CallInfo, verb: ResourceVerb): ResolvedTarget =>
    resolveTarget(catalog, actions, info.target!, verb, METHOD_OF[verb].toLowerCase());

  const Get = unary<GetRequest__Output, ObjectResponse>(
    'get',
    'readOnly',
    (req, info) => {
      info.target = targetOf(req.ref);
      requireName(info.target);
    },
    async (req, _user, info) => {
      const t = resolve(info, 'get');
      const obj = await getObject(t, req.resource_version || undefined);
      return { res: objectResponse(200, obj, []), code: 200 };
    },
  );

  const List = unary<ListRequest__Output, ListResponse>(
    'list',
    'readOnly',
    (req, info) => {
      info.target = targetOf(req.ref);
    },
    async (req, _user, info) => {
      const t = resolve(info, 'list');
      const list = await listObjects(t, listParamsFrom(req.options));
      return { res: listResponse(list), code: 200 };
    },
  );

  const Create = unary<CreateRequest__Output, ObjectResponse>(
    'create',
    'mutating',
    (req, info) => {
      writeTarget(info, req.ref, req.options, false);
    },
    async (req, user, info) => {
      const t = resolve(info, 'create');
      const opts = writeOptionsFrom({ ...writeParamsFrom(req.options, info), user });
      const reply = await createObject(t, actions, decodeObject(req.object), opts);
      return objectReply(reply);
    },
  );

  const Update = unary<UpdateRequest__Output, ObjectResponse>(
    'update',
    'mutating',
    (req, info) => {
      writeTarget(info, req.ref, req.options, true);
    },
    async (req, user, info) => {
      const t = resolve(info, 'update');
      const opts = writeOptionsFrom({ ...writeParamsFrom(req.options, info), user });
      const reply = await updateObject(t, decodeObject(req.object), opts);
      return objectReply(reply);
    },
  );

  const Patch = unary<PatchRequest__Output, ObjectResponse>(
    'patch',
    'mutating',
    (req, info) => {
      writeTarget(info, req.ref, req.options, true);
      if (req.type === 'PATCH_TYPE_APPLY') info.metricVerb = 'APPLY';
    },
    async (req, user, info) => {
      const t = resolve(info, 'patch');
      if (req.type === 'PATCH_TYPE_UNSPECIFIED')
        throw newBadRequest('type: Required value: the patch type must be given');
      const media = PATCH_MEDIA_TYPES[req.type];
      const type = patchTypeFor(media, !!t.def.patchSchema);
      if (req.patch.length > MAX_REQUEST_BODY_BYTES)
        throw newBadRequest(
          `the patch is larger than the limit of ${MAX_REQUEST_BODY_BYTES} bytes`,
        );
      const patch = decodePatchBody(req.patch, media);
      const opts = {
        ...writeOptionsFrom({ ...writeParamsFrom(req.options, info), user }),
        force: req.force,
      };
      const reply = await patchObject(t, type, patch, opts, req.force);
      return objectReply(reply);
    },
  );

  const Delete = unary<DeleteRequest__Output, ObjectResponse>(
    'delete',
    'mutating',
    (req, info) => {
      writeTarget(info, req.ref, req.options, true);
    },
    async (req, user, info) => {
      const t = resolve(info, 'delete');
      const { options, dryRun } = deleteOptionsFrom(undefined, deleteParamsFrom(req.options));
      // As REST: admission of the delete sees the caller.
      const reply = await deleteObject(t, options, dryRun, { user });
      return objectReply(reply);
    },
  );

  const DeleteCollection = unary<DeleteCollectionRequest__Output, ListResponse>(
    'deletecollection',
    'mutating',
    (req, info) => {
      info.target = targetOf(req.ref);
      info.dryRun = req.delete_options?.dry_run ?? [];
    },
    async (req, user, info) => {
      const t = resolve(info, 'deletecollection');
      const { options, dryRun } = deleteOptionsFrom(
        undefined,
        deleteParamsFrom(req.delete_options),
      );
      const list = await deleteCollection(t, listParamsFrom(req.list_options), options, dryRun, {
        user,
      });
      return { res: listResponse(list), code: 200 };
    },
  );

  const Discovery = unary<DiscoveryRequest__Output, DiscoveryResponse>(
    'discovery',
    'readOnly',
    () => undefined,
    () => Promise.resolve({ res: discovery(catalog), code: 200 }),
  );

  const Watch = (call: ServerWritableStream<WatchRequest__Output, GrpcWatchEvent>): void => {
    const started = process.hrtime.bigint();
    const info: CallInfo = { verb: 'watch', target: undefined, metricVerb: 'WATCH', dryRun: [] };
    o.metrics?.grpc.start('server_stream', RESOURCES_SERVICE, 'Watch');
    let finished = false;
    let longRunning: Omit<RequestLabels, 'dry_run'> | undefined;
    const live: { watch?: StorageWatch; timer?: NodeJS.Timeout } = {};
    let watchAudit: AuditContext | undefined;

    /** Ends the stream: OK, or the Status's mapped code with the Status in trailers. */
    const finish = (s?: Status): void => {
      if (finished) return;
      finished = true;
      clearTimeout(live.timer);
      live.watch?.stop();
      if (longRunning) o.metrics?.api.longRunningDelta(longRunning, -1);
      watchAudit?.complete(s?.code ?? 200);
      const cancelled = call.cancelled;
      if (s) {
        const e = serviceErrorFor(s);
        observe(info, 'server_stream', e.code!, s.code ?? 500, started);
        if (!cancelled) call.emit('error', e);
      } else {
        observe(
          info,
          'server_stream',
          cancelled ? GrpcStatus.CANCELLED : GrpcStatus.OK,
          200,
          started,
        );
        if (!cancelled) call.end();
      }
    };

    const execute = async (): Promise<void> => {
      info.target = targetOf(call.request.ref);
      await admit(call.metadata, peerCertificateOf(call), info, (user) => {
        watchAudit = beginAudit(call.getPeer(), user, info);
      });
      const t = resolve(info, 'watch');
      const params = listParamsFrom(call.request.options);
      const timeoutSeconds = Number(call.request.options?.timeout_seconds ?? 0);
      const timeoutMs = watchTimeoutMs(
        checkMin('timeoutSeconds', timeoutSeconds),
        minTimeout,
        random,
      );
      const deadline = now() + timeoutMs;
      if (finished || call.cancelled) return finish();
      // Resolved once per watch: the batch path counts per watcher and batch.
      const eventsSent = o.metrics?.api.watchEventsCounter(t.def.group, t.version, t.def.plural);
      const messagesSent = o.metrics?.grpc.messageSender(
        'server_stream',
        RESOURCES_SERVICE,
        'Watch',
      );
      // Validation errors (bad selectors) throw here, before the stream starts.
      live.watch = t.registry.watch(
        t.ns,
        { ...params, version: t.version, ...(t.name ? { name: t.name } : {}), deadline },
        {
          onEvent: (e) => {
            if (finished) return;
            if (e.type === 'ERROR') return finish(e.object as unknown as Status);
            call.write(encodeWatchEvent(e.type, e.object) as unknown as GrpcWatchEvent);
            o.metrics?.api.watchEvent(t.def.group, t.version, t.def.plural);
            o.metrics?.grpc.messageSent('server_stream', RESOURCES_SERVICE, 'Watch');
            if (call.writableLength > bufferLimit) finish();
          },
          // A batch shared with other watchers: each event's bytes are serialized once for all.
          onEvents: (events) => {
            if (finished) return;
            for (const e of events) {
              if (e.type === 'ERROR') return finish(e.object as unknown as Status);
              call.write(encodeWatchEvent(e.type, e.object) as unknown as GrpcWatchEvent);
            }
            eventsSent?.(events.length);
            messagesSent?.(events.length);
            if (call.writableLength > bufferLimit) finish();
          },
          onClose: (err) => finish(err ? statusFor(err) : undefined),
        },
      );
      if (finished) return;
      const { dry_run: _ignored, ...lr } = labelsFor(info);
      longRunning = lr;
      o.metrics?.api.longRunningDelta(lr, 1);
      // Headers now: a client knows the watch is established before the first event.
      call.sendMetadata(new Metadata());
      watchAudit?.responseStarted(200);
      live.timer = setTimeout(() => finish(), timeoutMs);
    };
    call.on('cancelled', () => finish());
    call.on('error', () => finish());
    execute().catch((err: unknown) => {
      const s = statusFor(err);
      if ((s.code ?? 500) >= 500) o.logger?.error(err, 'gRPC watch failed');
      finish(s);
    });
  };

  return { Get, List, Watch, Create, Update, Patch, Delete, DeleteCollection, Discovery };
}

/** The served resources, as aggregated discovery lists them. */
export function discovery(catalog: Catalog): DiscoveryResponse {
  const resources: APIResource[] = [];
  for (const g of catalog.groups()) {
    for (const v of g.versions) {
      for (const s of catalog.inGroupVersion(g.name, v)) {
        const { def, version } = s;
        resources.push({
          group: g.name,
          version: v,
          resource: def.plural,
          singular_name: def.singular,
          kind: def.kind,
          namespaced: def.namespaced,
          verbs: def.verbs,
          short_names: def.shortNames,
          categories: def.categories,
          subresources: version.subresources.map((sub) => ({
            name: sub.name,
            group: sub.kind.group,
            version: sub.kind.version,
            kind: sub.kind.kind,
            verbs: sub.verbs,
          })),
          preferred_version: v === g.preferredVersion,
        });
      }
    }
  }
  return { resources };
}
