/**
 * OpenTelemetry spans for client requests (etcd's `--experimental-enable-distributed-tracing`):
 * a server span per unary gRPC call, named and attributed as etcd's otelgrpc interceptor names
 * them, continuing a W3C `traceparent` from the call's metadata; and child spans for the steps a
 * request waits on: the Raft proposal until its entry commits, the apply, and the ReadIndex
 * round of a linearizable read.
 *
 * Only built when tracing is on: with it off the server holds `undefined` and the request path
 * creates nothing. Unsampled requests run without a span in scope, so they make no children.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  TRACEPARENT,
  parseTraceparent,
  trace,
  type Attributes,
  type Span,
  type Tracer,
} from '@kubets/component-base';

/** What the spans read of a call's metadata (the gRPC server's Metadata has it). */
export interface CallMetadata {
  get(key: string): ReadonlyArray<string | Buffer>;
}

/** The instrumentation scope of the store's spans. */
export const TRACER_NAME = '@kubets/store';

interface Proposal {
  span: Span;
  parent: Span;
}

export class StoreTracing {
  /** The server span of the request being served (absent when it is not sampled). */
  private readonly scope = new AsyncLocalStorage<Span>();
  /** Proposals of traced requests by request ID, until their entry is applied. */
  private readonly proposals = new Map<string, Proposal>();

  /** `sampleRoots`: false when the sampler never samples a call without a caller's context. */
  constructor(
    private readonly tracer: Tracer,
    private readonly sampleRoots = true,
  ) {}

  /**
   * Wraps a unary handler: the call runs inside a server span (`etcdserverpb.KV/Put`) whose
   * parent is the `traceparent` in the call's metadata, if any; `codeOf` maps a failure to its
   * gRPC status code.
   */
  unary<Req, Res>(
    service: string,
    method: string,
    fn: (req: Req) => Promise<Res>,
    codeOf: (err: unknown) => number,
  ): (req: Req, metadata: CallMetadata) => Promise<Res> {
    const name = `${service}/${method}`;
    const attributes: Attributes = {
      'rpc.system': 'grpc',
      'rpc.service': service,
      'rpc.method': method,
    };
    return (req, metadata) => {
      const remote = parseTraceparent(metadata.get(TRACEPARENT)[0]);
      if (remote === undefined && !this.sampleRoots) return fn(req);
      const parent =
        remote === undefined ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, remote);
      const span = this.tracer.startSpan(name, { kind: SpanKind.SERVER, attributes }, parent);
      if (!span.isRecording()) {
        span.end();
        return fn(req);
      }
      return this.scope
        .run(span, () => fn(req))
        .then(
          (res) => {
            span.setAttribute('rpc.grpc.status_code', 0);
            span.end();
            return res;
          },
          (err: unknown) => {
            span.setAttribute('rpc.grpc.status_code', codeOf(err));
            span.setStatus({
              code: SpanStatusCode.ERROR,
              message: err instanceof Error ? err.message : String(err),
            });
            span.end();
            throw err;
          },
        );
    };
  }

  /** A child of the current request's span, or undefined outside a sampled request. */
  startChild(name: string, attributes?: Attributes): Span | undefined {
    const parent = this.scope.getStore();
    if (parent === undefined) return undefined;
    return this.tracer.startSpan(
      name,
      attributes ? { attributes } : {},
      trace.setSpan(ROOT_CONTEXT, parent),
    );
  }

  /** A proposal of the current request was handed to Raft (`raft.propose`, until it commits). */
  proposed(id: string, bytes: number): void {
    const parent = this.scope.getStore();
    if (parent === undefined) return;
    const span = this.tracer.startSpan(
      'raft.propose',
      { attributes: { 'raft.request_id': id, 'raft.request_bytes': bytes } },
      trace.setSpan(ROOT_CONTEXT, parent),
    );
    this.proposals.set(id, { span, parent });
  }

  /**
   * The entry of a traced proposal committed and is about to be applied: ends `raft.propose`
   * and returns the `raft.apply` span the caller ends after the apply.
   */
  committed(id: string, index: number, term: number): Span | undefined {
    if (this.proposals.size === 0) return undefined;
    const p = this.proposals.get(id);
    if (p === undefined) return undefined;
    this.proposals.delete(id);
    p.span.setAttributes({ 'raft.index': index, 'raft.term': term });
    p.span.end();
    return this.tracer.startSpan(
      'raft.apply',
      { attributes: { 'raft.index': index } },
      trace.setSpan(ROOT_CONTEXT, p.parent),
    );
  }

  /** The proposal ended without being applied here (timeout, no leader): ends its span. */
  abandoned(id: string, err: unknown): void {
    const p = this.proposals.get(id);
    if (p === undefined) return;
    this.proposals.delete(id);
    p.span.setStatus({
      code: SpanStatusCode.ERROR,
      message: err instanceof Error ? err.message : String(err),
    });
    p.span.end();
  }
}
