/**
 * W3C Trace Context (`traceparent`) in and out of request headers and gRPC metadata, and the
 * OpenTelemetry API pieces components instrument with. Pure: the header value is a parameter.
 * Components use these instead of the global propagator so that propagation works whether or
 * not a tracer provider was registered globally (tests run several components in one process).
 *
 * https://www.w3.org/TR/trace-context/#traceparent-header
 */
import { TraceFlags, isSpanContextValid } from '@opentelemetry/api';
import type { SpanContext } from '@opentelemetry/api';

export {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  isSpanContextValid,
  trace,
} from '@opentelemetry/api';
export type {
  Attributes,
  AttributeValue,
  Context,
  Link,
  Span,
  SpanContext,
  SpanOptions,
  Tracer,
} from '@opentelemetry/api';

/** The header / metadata key, lower case as both HTTP/2 and grpc-js want it. */
export const TRACEPARENT = 'traceparent';

const TRACEPARENT_RE = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/**
 * The remote span context a `traceparent` names, or undefined when it is absent or malformed
 * (the spec says to ignore a bad header and start a new trace, never to fail the request).
 */
export function parseTraceparent(value: unknown): SpanContext | undefined {
  const header = Array.isArray(value) ? (value[0] as unknown) : value;
  if (typeof header !== 'string') return undefined;
  const m = TRACEPARENT_RE.exec(header.trim());
  if (m === null) return undefined;
  const [, version, traceId, spanId, flags, rest] = m;
  // Version ff is invalid; version 00 has exactly four fields.
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  const context: SpanContext = {
    traceId: traceId!,
    spanId: spanId!,
    traceFlags: parseInt(flags!, 16) & TraceFlags.SAMPLED,
    isRemote: true,
  };
  return isSpanContextValid(context) ? context : undefined;
}

/** The `traceparent` value that continues a span context. */
export function formatTraceparent(context: SpanContext): string {
  const flags = (context.traceFlags & TraceFlags.SAMPLED).toString(16).padStart(2, '0');
  return `00-${context.traceId}-${context.spanId}-${flags}`;
}
