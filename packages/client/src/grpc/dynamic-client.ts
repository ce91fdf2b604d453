/**
 * The dynamic client over the API server's gRPC resource API (`kubets.api.v1.Resources`): the
 * {@link DynamicClient} / {@link ResourceClient} contract, so informers, leader election and the
 * event recorder run on it unchanged. Objects travel as the REST API's JSON; each list item is
 * decoded on its own. Failed calls become the StatusError REST would have produced (from the
 * `kubets-status-bin` trailer) or a ConnectionError.
 *
 * Watches: where a REST watch delivers an ERROR event, the gRPC stream ends with a status; the
 * stream here turns that status back into an ERROR event, so a reflector sees a compacted
 * resourceVersion (410) exactly as over REST. A stream that breaks without a Status throws a
 * ConnectionError from its iteration ("resume from the last resourceVersion").
 */
import type {
  CallOptions,
  ClientReadableStream,
  ClientUnaryCall,
  Metadata,
  ServiceError,
  StatusObject,
} from '@grpc/grpc-js';
import { status as GrpcCode } from '@grpc/grpc-js';
import {
  StatusError,
  gvrString,
  type CreateOptions,
  type DeleteOptions,
  type GetOptions,
  type GroupVersionResource,
  type KubeObject,
  type ListOptions,
  type PatchOptions,
  type UpdateOptions,
} from '@kubets/apimachinery';
import type {
  DynamicClient,
  ListResult,
  NamespaceableResourceClient,
  PatchType,
  RequestOptions,
  ResourceClient,
  SubresourceOptions,
  WatchStream,
} from '../rest/interfaces.js';
import { WatchChannel } from '../rest/watch-channel.js';
import { abortError } from '../util/clock.js';
import { ResourcesChannel, type ChannelSettings } from './channel.js';
import { errorFromGrpc } from './errors.js';
import type { ClientConfig } from '../config/client-config.js';
import type {
  APIResource__Output,
  GrpcDeleteOptions as WireDeleteOptions,
  GrpcListOptions as WireListOptions,
  ListResponse__Output,
  ObjectResponse__Output,
  PatchType as WirePatchType,
  ResourceRef,
  GrpcWatchEvent__Output as WatchEvent__Output,
  GrpcWriteOptions as WriteOptions,
} from '@kubets/api/grpc';

/** A served resource, from the API server's discovery. */
export type DiscoveredResource = APIResource__Output;

const WIRE_PATCH_TYPES: Record<PatchType, WirePatchType> = {
  'application/json-patch+json': 'PATCH_TYPE_JSON',
  'application/merge-patch+json': 'PATCH_TYPE_MERGE',
  'application/strategic-merge-patch+json': 'PATCH_TYPE_STRATEGIC_MERGE',
  'application/apply-patch+yaml': 'PATCH_TYPE_APPLY',
};

function decode<T>(buf: Buffer): T {
  return JSON.parse(buf.toString('utf8')) as T;
}

function encode(obj: unknown): Buffer {
  return Buffer.from(JSON.stringify(obj), 'utf8');
}

function wireListOptions(o: ListOptions | undefined): WireListOptions {
  if (o?.sendInitialEvents) {
    throw new StatusError({
      status: 'Failure',
      code: 400,
      reason: 'BadRequest',
      message: 'sendInitialEvents is not served by the kubets gRPC API',
    });
  }
  return {
    label_selector: o?.labelSelector ?? '',
    field_selector: o?.fieldSelector ?? '',
    resource_version: o?.resourceVersion ?? '',
    resource_version_match: o?.resourceVersionMatch ?? '',
    limit: o?.limit ?? 0,
    continue: o?.continue ?? '',
    allow_watch_bookmarks: o?.allowWatchBookmarks ?? false,
    timeout_seconds: o?.timeoutSeconds ?? 0,
  };
}

function wireWriteOptions(o: CreateOptions | undefined): WriteOptions {
  return {
    dry_run: o?.dryRun ?? [],
    field_manager: o?.fieldManager ?? '',
    field_validation: o?.fieldValidation ?? '',
  };
}

function wireDeleteOptions(o: DeleteOptions | undefined): WireDeleteOptions {
  const out: WireDeleteOptions = {
    propagation_policy: o?.propagationPolicy ?? '',
    dry_run: o?.dryRun ?? [],
  };
  if (o?.gracePeriodSeconds !== undefined) out.grace_period_seconds = o.gracePeriodSeconds;
  if (o?.orphanDependents !== undefined) out.orphan_dependents = o.orphanDependents;
  if (o?.preconditions) {
    out.preconditions = {};
    if (o.preconditions.uid !== undefined) out.preconditions.uid = o.preconditions.uid;
    if (o.preconditions.resourceVersion !== undefined) {
      out.preconditions.resource_version = o.preconditions.resourceVersion;
    }
  }
  return out;
}

function nameOf(obj: KubeObject): string {
  const name = obj.metadata?.name;
  if (!name) throw new Error('resource name may not be empty');
  return name;
}

type UnaryStart<Res> = (
  md: Metadata,
  opts: CallOptions,
  cb: (err: ServiceError | null, res?: Res) => void,
) => ClientUnaryCall;

/** The resource operations of one GVR in one namespace ('' = all namespaces / cluster scope). */
class GrpcResourceClient<T extends KubeObject> implements ResourceClient<T> {
  constructor(
    private readonly channel: ResourcesChannel,
    private readonly gvr: GroupVersionResource,
    private readonly ns: string,
  ) {}

  private ref(name = '', subresource = '', ns = this.ns): ResourceRef {
    return { ...this.gvr, subresource, namespace: ns, name };
  }

  private describe(verb: string, name?: string): string {
    const where = [this.ns, name].filter(Boolean).join('/');
    return `${verb} ${gvrString(this.gvr)}${where ? ` ${where}` : ''}`;
  }

  private unary<Res>(
    start: UnaryStart<Res>,
    describe: string,
    signal: AbortSignal | undefined,
  ): Promise<Res> {
    return new Promise<Res>((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortError(signal));
        return;
      }
      const onAbort = (): void => call.cancel();
      // rest.Config.Timeout: a deadline for every unary call (never for watches).
      const timeoutMs = this.channel.config.timeoutMs;
      const opts: CallOptions = timeoutMs ? { deadline: Date.now() + timeoutMs } : {};
      const call = start(this.channel.metadata(), opts, (err: ServiceError | null, res?: Res) => {
        signal?.removeEventListener('abort', onAbort);
        if (signal?.aborted) reject(abortError(signal));
        else if (err) reject(errorFromGrpc(err, describe));
        else resolve(res as Res);
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private object(res: ObjectResponse__Output): T {
    return decode<T>(res.object);
  }

  async get(name: string, o?: GetOptions & RequestOptions & SubresourceOptions): Promise<T> {
    const res = await this.unary<ObjectResponse__Output>(
      (md, opts, cb) =>
        this.channel.client.Get(
          { ref: this.ref(name, o?.subresource), resource_version: o?.resourceVersion ?? '' },
          md,
          opts,
          cb,
        ),
      this.describe('get', name),
      o?.signal,
    );
    return this.object(res);
  }

  async list(o?: ListOptions & RequestOptions): Promise<ListResult<T>> {
    const res = await this.unary<ListResponse__Output>(
      (md, opts, cb) =>
        this.channel.client.List({ ref: this.ref(), options: wireListOptions(o) }, md, opts, cb),
      this.describe('list'),
      o?.signal,
    );
    const items = new Array<T>(res.items.length);
    for (let i = 0; i < res.items.length; i++) items[i] = decode<T>(res.items[i]!);
    const out: ListResult<T> = { items, resourceVersion: res.resource_version };
    if (res.continue) out.continue = res.continue;
    if (res.remaining_item_count !== undefined && res.remaining_item_count !== null) {
      out.remainingItemCount = Number(res.remaining_item_count);
    }
    return out;
  }

  watch(o?: ListOptions & RequestOptions): Promise<WatchStream<T>> {
    return openWatch<T>(
      this.channel,
      { ref: this.ref(), options: wireListOptions(o) },
      this.describe('watch'),
      o?.signal,
    );
  }

  async create(obj: T, o?: CreateOptions & RequestOptions & SubresourceOptions): Promise<T> {
    // For an action subresource (binding, eviction) the object names its parent.
    const sub = o?.subresource ?? '';
    const name = sub ? nameOf(obj) : '';
    const res = await this.unary<ObjectResponse__Output>(
      (md, opts, cb) =>
        this.channel.client.Create(
          {
            ref: this.ref(name, sub, this.ns || obj.metadata?.namespace || ''),
            object: encode(obj),
            options: wireWriteOptions(o),
          },
          md,
          opts,
          cb,
        ),
      this.describe('create', obj.metadata?.name ?? obj.metadata?.generateName),
      o?.signal,
    );
    return this.object(res);
  }

  async update(obj: T, o?: UpdateOptions & RequestOptions & SubresourceOptions): Promise<T> {
    const name = nameOf(obj);
    const res = await this.unary<ObjectResponse__Output>(
      (md, opts, cb) =>
        this.channel.client.Update(
          {
            ref: this.ref(name, o?.subresource ?? '', this.ns || obj.metadata?.namespace || ''),
            object: encode(obj),
            options: wireWriteOptions(o),
          },
          md,
          opts,
          cb,
        ),
      this.describe('update', name),
      o?.signal,
    );
    return this.object(res);
  }

  updateStatus(obj: T, o?: UpdateOptions & RequestOptions): Promise<T> {
    return this.update(obj, { ...o, subresource: 'status' });
  }

  async patch(
    name: string,
    patchType: PatchType,
    patch: unknown,
    o?: PatchOptions & RequestOptions & SubresourceOptions,
  ): Promise<T> {
    const wireType = WIRE_PATCH_TYPES[patchType];
    if (!wireType) throw new Error(`unsupported patch type ${String(patchType)}`);
    // Apply patches may be YAML text; everything else is JSON.
    const body = typeof patch === 'string' ? Buffer.from(patch, 'utf8') : encode(patch);
    const res = await this.unary<ObjectResponse__Output>(
      (md, opts, cb) =>
        this.channel.client.Patch(
          {
            ref: this.ref(name, o?.subresource ?? ''),
            type: wireType,
            patch: body,
            options: wireWriteOptions(o),
            force: o?.force ?? false,
          },
          md,
          opts,
          cb,
        ),
      this.describe('patch', name),
      o?.signal,
    );
    return this.object(res);
  }

  async delete(name: string, o?: DeleteOptions & RequestOptions): Promise<void> {
    await this.unary<ObjectResponse__Output>(
      (md, opts, cb) =>
        this.channel.client.Delete(
          { ref: this.ref(name), options: wireDeleteOptions(o) },
          md,
          opts,
          cb,
        ),
      this.describe('delete', name),
      o?.signal,
    );
  }

  async deleteCollection(
    o?: DeleteOptions & RequestOptions,
    listOptions?: ListOptions,
  ): Promise<void> {
    await this.unary<ListResponse__Output>(
      (md, opts, cb) =>
        this.channel.client.DeleteCollection(
          {
            ref: this.ref(),
            list_options: wireListOptions(listOptions),
            delete_options: wireDeleteOptions(o),
          },
          md,
          opts,
          cb,
        ),
      this.describe('deletecollection'),
      o?.signal,
    );
  }
}

const EVENT_TYPES = new Set(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK']);

/**
 * Opens a watch. The returned promise settles once the server has accepted the call (response
 * headers or a first event) or rejected it, so an invalid or forbidden watch fails the `watch()`
 * call as over REST. Later failures end the stream: with a Status as an ERROR event, without one
 * as a ConnectionError thrown from the iteration.
 */
function openWatch<T>(
  channel: ResourcesChannel,
  request: unknown,
  describe: string,
  signal: AbortSignal | undefined,
): Promise<WatchStream<T>> {
  return new Promise<WatchStream<T>>((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortError(signal));
      return;
    }
    const out = new WatchChannel<T>();
    let accepted = false;
    let closedByUs = false;
    const call: ClientReadableStream<WatchEvent__Output> = channel.client.Watch(
      request as never,
      channel.metadata(),
    );
    const accept = (): void => {
      if (accepted) return;
      accepted = true;
      signal?.removeEventListener('abort', onAbort);
      resolve(out);
    };
    const onAbort = (): void => {
      closedByUs = true;
      call.cancel();
      if (!accepted) reject(abortError(signal));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    out.onClose(() => {
      if (!closedByUs) {
        closedByUs = true;
        call.cancel();
      }
    });
    call.on('metadata', accept);
    call.on('data', (ev: WatchEvent__Output) => {
      accept();
      if (!EVENT_TYPES.has(ev.type)) return;
      let object: T;
      try {
        object = decode<T>(ev.object);
      } catch (err) {
        out.end(new Error(`${describe}: undecodable watch event: ${(err as Error).message}`));
        closedByUs = true;
        call.cancel();
        return;
      }
      out.push({ type: ev.type as 'ADDED', object });
    });
    call.on('error', (err: ServiceError) => {
      if (closedByUs) {
        out.end();
        return;
      }
      if (!accepted) {
        signal?.removeEventListener('abort', onAbort);
        accepted = true;
        // A watch that is refused outright fails the call, as a REST watch request would.
        // Exception: 410 while opening is what REST reports as an ERROR event in a 200 stream.
        const mapped = errorFromGrpc(err, describe);
        if (mapped instanceof StatusError && mapped.code === 410) {
          out.push({ type: 'ERROR', object: mapped.status });
          out.end();
          resolve(out);
        } else reject(mapped);
        return;
      }
      const mapped = errorFromGrpc(err, describe);
      if (mapped instanceof StatusError) {
        out.push({ type: 'ERROR', object: mapped.status });
        out.end();
      } else out.end(mapped);
    });
    call.on('status', (s: StatusObject) => {
      if (s.code === GrpcCode.OK) {
        accept();
        out.end();
      }
    });
  });
}

/** The dynamic client of one API server connection. */
export class GrpcDynamicClient implements DynamicClient {
  readonly channel: ResourcesChannel;

  constructor(config: ClientConfig, settings: ChannelSettings = {}) {
    this.channel = new ResourcesChannel(config, settings);
  }

  resource<T extends KubeObject = KubeObject>(
    gvr: GroupVersionResource,
  ): NamespaceableResourceClient<T> {
    const all = new GrpcResourceClient<T>(this.channel, gvr, '');
    const channel = this.channel;
    return Object.assign(all, {
      namespace(ns: string): ResourceClient<T> {
        if (!ns) throw new Error('namespace(ns) needs a namespace');
        return new GrpcResourceClient<T>(channel, gvr, ns);
      },
    });
  }

  /** The resources the server serves (kinds, scope, verbs, subresources). */
  discovery(options: RequestOptions = {}): Promise<DiscoveredResource[]> {
    const { signal } = options;
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortError(signal));
        return;
      }
      const onAbort = (): void => call.cancel();
      const call = this.channel.client.Discovery({}, this.channel.metadata(), {}, (err, res) => {
        signal?.removeEventListener('abort', onAbort);
        if (signal?.aborted) reject(abortError(signal));
        else if (err) reject(errorFromGrpc(err, 'discovery'));
        else resolve(res?.resources ?? []);
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Closes the channel; calls in flight fail with CANCELLED. */
  close(): void {
    this.channel.close();
  }
}
