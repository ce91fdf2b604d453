/**
 * The lean load generator's puts and gets: unary KV calls over component-base's JavaScript
 * HTTP/2 client (`H2ClientConnection`, the one the API server uses for etcd, ADR 0040) with
 * hand-encoded requests (etcd-wire.ts). Per call: one request frame, one stream, one callback;
 * the answer must carry grpc-status 0 and a response with a header (and, for a put, a revision),
 * or the call rejects and the benchmark fails.
 *
 * Like the npm etcd3 client it replaces (decision 0044), every client is given every member's
 * endpoint and each call goes to a member picked at random; and like grpc-js's global
 * subchannel pool, which let the benchmark's 100 etcd3 clients share one HTTP/2 connection per
 * member, one LeanKv holds one connection per member for all of a workload's clients. No retries,
 * no reconnection: a benchmark that loses a connection fails loudly instead.
 */
import { H2ClientConnection, type UnaryOutcome } from '@kubets/component-base/grpc-client';
import {
  putRequestFrame,
  putResponseRevision,
  rangeRequestFrame,
  rangeResponseSummary,
  type RangeSummary,
} from './etcd-wire.js';

const PUT = '/etcdserverpb.KV/Put';
const RANGE = '/etcdserverpb.KV/Range';

/** The answer's message, or an Error saying why the call failed. */
function message(path: string, o: UnaryOutcome): Buffer | Error {
  if (o.kind === 'lost') return new Error(`${path}: connection lost (${o.cause})`);
  if (o.kind === 'reset') return new Error(`${path}: stream reset (code ${o.code})`);
  if (o.grpcStatus !== 0)
    return new Error(
      `${path}: grpc-status ${o.grpcStatus ?? 'missing'} ${decodeURIComponent(o.grpcMessage)} (HTTP ${o.httpStatus})`,
    );
  if (o.message === undefined) return new Error(`${path}: no message (${o.malformed ?? ''})`);
  return o.message;
}

export class LeanKv {
  private readonly conns: H2ClientConnection[];

  constructor(endpoints: readonly string[]) {
    this.conns = endpoints.map((e) => {
      const colon = e.lastIndexOf(':');
      return new H2ClientConnection({
        host: e.slice(0, colon),
        port: Number(e.slice(colon + 1)),
        // grpc-js's and etcd's client window (16 MiB), so neither side waits for window.
        windowBytes: 16 * 1024 * 1024,
      });
    });
  }

  /** A member's connection, picked at random per call (as etcd3's shuffled hosts). */
  private conn(): H2ClientConnection {
    const c = this.conns[Math.floor(Math.random() * this.conns.length)]!;
    if (!c.usable) throw new Error('lean KV client: a member connection closed');
    return c;
  }

  private call<T>(path: string, body: Buffer, decode: (msg: Buffer) => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.conn().unary({ path, timeout: undefined, headers: undefined, body }, (o) => {
        const m = message(path, o);
        if (m instanceof Error) return reject(m);
        try {
          resolve(decode(m));
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      });
    });
  }

  /** Puts `value` at `key`; resolves with the revision it made. */
  put(key: Buffer, value: Buffer): Promise<number> {
    return this.call(PUT, putRequestFrame(key, value), (m) => {
      const revision = putResponseRevision(m);
      if (revision <= 0) throw new Error(`${PUT}: response without a revision`);
      return revision;
    });
  }

  /** Reads one key (linearizable, or `serializable` from the member asked). */
  get(key: Buffer, serializable: boolean): Promise<RangeSummary> {
    return this.call(RANGE, rangeRequestFrame(key, serializable), (m) => {
      const s = rangeResponseSummary(m);
      if (s.revision <= 0) throw new Error(`${RANGE}: response without a header revision`);
      return s;
    });
  }

  close(): void {
    for (const c of this.conns) c.destroy('benchmark done');
  }
}
