/**
 * OpenTelemetry spans from request to storage (kube-apiserver's `--tracing-config-file`): a
 * server span per REST request and per gRPC resource API call, children for the handler steps
 * (authentication, authorization, admission, validation) and a client span per etcd call, whose
 * context travels to the store in the call's `traceparent` metadata.
 *
 * Built only when tracing is on; the server then wraps its front doors, guard, admission chain,
 * definitions and etcd client with it. With tracing off none of that happens and the request
 * path creates nothing.
 *
 * Like upstream's WithTracing, an incoming `traceparent` is the parent only for callers in
 * system:masters or system:monitoring; anyone else's starts a new trace that links to it (a
 * public endpoint must not let clients pick what gets sampled). That needs the user, so for a
 * request carrying a `traceparent` the server span is opened when authorization starts, with
 * the request's arrival as its start time, and authentication is recorded as its child
 * afterwards from the measured times. A request without one is a root whoever sends it: its
 * span starts at arrival, and when the sampler declines it the request runs untraced (no
 * context scope, no `traceparent` to etcd), so unsampled traffic costs one span decision.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Metadata } from '@grpc/grpc-js';
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  TRACEPARENT,
  formatTraceparent,
  parseTraceparent,
  trace,
  type Attributes,
  type Link,
  type Span,
  type SpanContext,
  type Tracer,
} from '@kubets/component-base';
import type { ResourceDefinition } from '../registry/definition.js';
import type { AdmissionAttributes, AdmissionController } from '../admission/types.js';
import type { Credentials, RequestGuard, UserInfo } from '../auth/types.js';
import { parseRequestInfo } from '../http/request-info.js';

/** The instrumentation scope of the API server's spans. */
export const TRACER_NAME = '@kubets/apiserver';

/** Callers whose trace context is honoured (upstream's notSystemPrivilegedGroup). */
const PRIVILEGED_GROUPS: ReadonlySet<string> = new Set(['system:masters', 'system:monitoring']);

/** One request being served. */
interface RequestState {
  /** Arrival, in ms since the epoch (with sub-ms precision). */
  arrived: number;
  /** The caller's span context, from its `traceparent`. */
  remote: SpanContext | undefined;
  name: string;
  attributes: Attributes;
  server: Span | undefined;
  authentication?: { start: number; end: number; error?: unknown };
  /** Whether the authentication child was written. */
  authenticationRecorded?: boolean;
}

/** Where in a request the code runs: the request, and the span new children belong to. */
interface Frame {
  request: RequestState;
  current: Span | undefined;
}

function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

function fail(span: Span, err: unknown): void {
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: err instanceof Error ? err.message : String(err),
  });
}

/** upstream's span name for a REST request: `POST /api/v1/namespaces/{:namespace}/pods`. */
export function httpSpanName(method: string, path: string): string {
  const info = parseRequestInfo(method, path, null);
  if (info.kind !== 'resource') return method;
  let name = info.group === '' ? '/api' : `/apis/${info.group}`;
  name += `/${info.version}`;
  if (info.namespace !== '') name += '/namespaces/{:namespace}';
  name += `/${info.resource}`;
  if (info.name !== '') name += '/{:name}';
  if (info.subresource !== '') name += `/${info.subresource}`;
  return `${method} ${name}`;
}

/** etcd client operations as gRPC service and method (otelgrpc's span names). */
const ETCD_RPC: Record<string, [string, string]> = {
  range: ['etcdserverpb.KV', 'Range'],
  put: ['etcdserverpb.KV', 'Put'],
  deleteRange: ['etcdserverpb.KV', 'DeleteRange'],
  txn: ['etcdserverpb.KV', 'Txn'],
  compact: ['etcdserverpb.KV', 'Compact'],
  leaseGrant: ['etcdserverpb.Lease', 'LeaseGrant'],
  leaseRevoke: ['etcdserverpb.Lease', 'LeaseRevoke'],
  status: ['etcdserverpb.Maintenance', 'Status'],
};

/** The key an etcd request is about: its key, or a transaction's first compare or operation. */
function keyOf(req: unknown): string | undefined {
  const r = req as {
    key?: Uint8Array | string;
    compare?: { key?: Uint8Array | string }[];
    success?: {
      request_put?: { key?: Uint8Array | string };
      request_range?: { key?: Uint8Array | string };
    }[];
  };
  const key =
    r.key ??
    r.compare?.[0]?.key ??
    r.success?.[0]?.request_put?.key ??
    r.success?.[0]?.request_range?.key;
  if (key === undefined) return undefined;
  return typeof key === 'string' ? key : Buffer.from(key).toString('utf8');
}

export class RequestTracing {
  private readonly scope = new AsyncLocalStorage<Frame>();

  /** `sampleRoots`: false when the sampler never samples a request without a caller's context. */
  constructor(
    private readonly tracer: Tracer,
    private readonly sampleRoots = true,
  ) {}

  // ------------------------------------------------------------------------------ front doors

  /** The REST door: every request runs inside its span's scope; the span ends with the response. */
  http(
    handler: (req: IncomingMessage, res: ServerResponse) => void,
  ): (req: IncomingMessage, res: ServerResponse) => void {
    return (req, res) => {
      const header = req.headers[TRACEPARENT];
      // Nothing to sample: no caller context, and roots never are.
      if (header === undefined && !this.sampleRoots) return handler(req, res);
      const method = (req.method ?? 'GET').toUpperCase();
      const target = req.url ?? '/';
      const path = target.split('?', 1)[0] ?? '/';
      const name = httpSpanName(method, path);
      const userAgent = req.headers['user-agent'];
      const request: RequestState = {
        arrived: nowMs(),
        remote: parseTraceparent(header),
        name,
        attributes: {
          'http.request.method': method,
          'http.route': name === method ? path : name.slice(method.length + 1),
          'http.target': target,
          'url.path': path,
          'url.scheme': 'encrypted' in req.socket ? 'https' : 'http',
          'network.protocol.version': req.httpVersion,
          ...(userAgent ? { 'user_agent.original': userAgent } : {}),
          ...(req.socket.remoteAddress ? { 'client.address': req.socket.remoteAddress } : {}),
        },
        server: undefined,
      };
      const frame = this.begin(request);
      if (frame === undefined) return handler(req, res);
      let ended = false;
      const end = (): void => {
        if (ended) return;
        ended = true;
        const span = this.open(request, undefined);
        this.recordAuthentication(request);
        span.setAttribute('http.response.status_code', res.statusCode);
        if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      };
      res.once('finish', end);
      res.once('close', end);
      this.scope.run(frame, () => handler(req, res));
    };
  }

  /** The gRPC door: a unary handler run inside its call's span, ended with the answer. */
  grpcUnary<Call extends { metadata: Metadata }, Callback extends (...args: never[]) => void>(
    service: string,
    method: string,
    handler: (call: Call, callback: Callback) => void,
  ): (call: Call, callback: Callback) => void {
    const name = `${service}/${method}`;
    return (call, callback) => {
      const header = call.metadata.get(TRACEPARENT)[0];
      if (header === undefined && !this.sampleRoots) return handler(call, callback);
      const userAgent = call.metadata.get('user-agent')[0];
      const request: RequestState = {
        arrived: nowMs(),
        remote: parseTraceparent(header),
        name,
        attributes: {
          'rpc.system': 'grpc',
          'rpc.service': service,
          'rpc.method': method,
          ...(typeof userAgent === 'string' ? { 'user_agent.original': userAgent } : {}),
        },
        server: undefined,
      };
      const frame = this.begin(request);
      if (frame === undefined) return handler(call, callback);
      const answer = ((...args: Parameters<Callback>) => {
        const span = this.open(request, undefined);
        this.recordAuthentication(request);
        const err = args[0] as { code?: number; details?: string } | null | undefined;
        span.setAttribute('rpc.grpc.status_code', err?.code ?? 0);
        if (err) span.setStatus({ code: SpanStatusCode.ERROR, message: err.details ?? '' });
        span.end();
        callback(...args);
      }) as Callback;
      this.scope.run(frame, () => handler(call, answer));
    };
  }

  /**
   * The scope a request runs in, or undefined when it runs untraced. Without a caller context
   * the span's parent does not depend on the user, so it is opened (and sampled) now.
   */
  private begin(request: RequestState): Frame | undefined {
    if (request.remote !== undefined) return { request, current: undefined };
    if (!this.sampleRoots) return undefined;
    const span = this.open(request, undefined);
    if (!span.isRecording()) return undefined;
    return { request, current: span };
  }

  /**
   * Opens the request's server span once; with a caller context, the user decides whether it is
   * the parent or only a link.
   */
  private open(request: RequestState, user: UserInfo | undefined): Span {
    if (request.server !== undefined) return request.server;
    const remote = request.remote;
    const privileged = user?.groups.some((g) => PRIVILEGED_GROUPS.has(g)) ?? false;
    const links: Link[] = remote !== undefined && !privileged ? [{ context: remote }] : [];
    const parent =
      remote !== undefined && privileged
        ? trace.setSpanContext(ROOT_CONTEXT, remote)
        : ROOT_CONTEXT;
    const span = this.tracer.startSpan(
      request.name,
      { kind: SpanKind.SERVER, attributes: request.attributes, startTime: request.arrived, links },
      parent,
    );
    request.server = span;
    return span;
  }

  /** Writes the measured authentication as a child of the server span, once. */
  private recordAuthentication(request: RequestState): void {
    const authn = request.authentication;
    const server = request.server;
    if (authn === undefined || server === undefined || request.authenticationRecorded) return;
    request.authenticationRecorded = true;
    if (!server.isRecording()) return;
    const child = this.tracer.startSpan(
      'authentication',
      { startTime: authn.start },
      trace.setSpan(ROOT_CONTEXT, server),
    );
    if (authn.error !== undefined) fail(child, authn.error);
    child.end(authn.end);
  }

  // ------------------------------------------------------------------------------ handler steps

  /** Runs `fn` as a child span of the current one (nothing extra outside a sampled request). */
  private step<T>(name: string, attributes: Attributes, fn: () => Promise<T>): Promise<T> {
    const frame = this.scope.getStore();
    const parent = frame?.current;
    if (frame === undefined || parent === undefined || !parent.isRecording()) return fn();
    const span = this.tracer.startSpan(name, { attributes }, trace.setSpan(ROOT_CONTEXT, parent));
    return this.scope.run({ request: frame.request, current: span }, fn).then(
      (value) => {
        span.end();
        return value;
      },
      (err: unknown) => {
        fail(span, err);
        span.end();
        throw err;
      },
    );
  }

  private stepSync<T>(name: string, fn: () => T): T {
    const parent = this.scope.getStore()?.current;
    if (parent === undefined || !parent.isRecording()) return fn();
    const span = this.tracer.startSpan(name, {}, trace.setSpan(ROOT_CONTEXT, parent));
    try {
      return fn();
    } catch (err) {
      fail(span, err);
      throw err;
    } finally {
      span.end();
    }
  }

  /** The guard, with authentication measured and authorization a child span. */
  guard(inner: RequestGuard): RequestGuard {
    return {
      authenticate: async (credentials: Credentials) => {
        const request = this.scope.getStore()?.request;
        if (request === undefined || request.authentication !== undefined) {
          return inner.authenticate(credentials);
        }
        const start = nowMs();
        try {
          const user = await inner.authenticate(credentials);
          request.authentication = { start, end: nowMs() };
          return user;
        } catch (err) {
          request.authentication = { start, end: nowMs(), error: err };
          throw err;
        }
      },
      authorize: (user, attributes) => {
        const frame = this.scope.getStore();
        if (frame === undefined) return inner.authorize(user, attributes);
        if (frame.current === undefined) {
          // The top frame object is shared by the rest of the request: later steps see the span.
          frame.current = this.open(frame.request, user);
        }
        this.recordAuthentication(frame.request);
        return this.step('authorization', {}, () => inner.authorize(user, attributes));
      },
    };
  }

  /** The admission chain, each phase a child span. */
  admission(inner: AdmissionController): AdmissionController {
    const attrs = (a: AdmissionAttributes): Attributes => ({
      'admission.operation': a.operation,
    });
    return {
      admit: (a) => this.step('admission.mutating', attrs(a), () => inner.admit(a)),
      validate: (a) => this.step('admission.validating', attrs(a), () => inner.validate(a)),
    };
  }

  /**
   * A definition whose strategy's validation is a child span. Copies, with the same property
   * order, so property accesses on them stay as fast as on the originals (a derived object per
   * definition would make every access site see as many shapes as there are resources).
   * Definitions and strategies are plain objects with their methods as own properties.
   */
  definition(def: ResourceDefinition): ResourceDefinition {
    const strategy = def.strategy;
    return {
      ...def,
      strategy: {
        ...strategy,
        validate: (obj, ctx) => this.stepSync('validation', () => strategy.validate(obj, ctx)),
        validateUpdate: (obj, old, ctx) =>
          this.stepSync('validation', () => strategy.validateUpdate(obj, old, ctx)),
      },
    };
  }

  // ------------------------------------------------------------------------------ storage

  /** One etcd client call (all its attempts) as a client span, when inside a sampled request. */
  etcdCall<T>(operation: string, req: unknown, fn: () => Promise<T>): Promise<T> {
    const frame = this.scope.getStore();
    const parent = frame?.current;
    if (frame === undefined || parent === undefined || !parent.isRecording()) return fn();
    const [service, method] = ETCD_RPC[operation] ?? ['etcdserverpb.KV', operation];
    const key = keyOf(req);
    const span = this.tracer.startSpan(
      `${service}/${method}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'rpc.system': 'grpc',
          'rpc.service': service,
          'rpc.method': method,
          'db.system': 'etcd',
          'db.operation': operation,
          ...(key !== undefined ? { 'etcd.key': key } : {}),
        },
      },
      trace.setSpan(ROOT_CONTEXT, parent),
    );
    return this.scope.run({ request: frame.request, current: span }, fn).then(
      (value) => {
        span.setAttribute('rpc.grpc.status_code', 0);
        span.end();
        return value;
      },
      (err: unknown) => {
        const code = (err as { code?: unknown }).code;
        if (typeof code === 'number') span.setAttribute('rpc.grpc.status_code', code);
        fail(span, err);
        span.end();
        throw err;
      },
    );
  }

  /** Adds the current span's `traceparent` to an outgoing call's metadata. */
  inject(metadata: Metadata): Metadata {
    const span = this.scope.getStore()?.current;
    if (span !== undefined) metadata.set(TRACEPARENT, formatTraceparent(span.spanContext()));
    return metadata;
  }
}
