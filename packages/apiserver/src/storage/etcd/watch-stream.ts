/**
 * The etcd watch stream (`etcdserverpb.Watch/Watch`, one bidirectional gRPC call) straight over
 * node:http2, as unary.ts does for unary calls (ADR 0014, ADR 0021). grpc-js passed every
 * WatchResponse through its call layers (interceptors, a resolving call, a promise per
 * message): about as much CPU per response as decoding it, on the path every write of the
 * cluster takes into the watch cache.
 *
 * What the WatchMux needs, and gets here: `write(request)`, `data` events with decoded
 * responses (proto-loader's (de)serializers from the generated package definition, so the
 * shapes are grpc-js's), exactly one `error` or `end` when the call ends (a non-OK grpc-status
 * becomes a ServiceError as grpc-js shapes it), and `cancel()`, after which nothing is emitted.
 */
import { EventEmitter } from 'node:events';
import { constants, type ClientHttp2Stream } from 'node:http2';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { serviceError } from './unary.js';

/** A bidirectional gRPC stream as the WatchMux uses it (grpc-js's ClientDuplexStream fits). */
export interface BidiStream<Req, Res> {
  write(req: Req): boolean;
  cancel(): void;
  on(event: 'data', listener: (res: Res) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  on(event: 'end', listener: () => void): this;
  removeAllListeners(event: 'data'): this;
}

export interface StreamCodec<Req, Res> {
  requestSerialize(req: Req): Buffer;
  responseDeserialize(bytes: Buffer): Res;
}

/** Messages above this are refused (as grpc-js's max_receive_message_length would; -1 there). */
const MAX_MESSAGE = 256 * 1024 * 1024;

export class Http2BidiStream<Req, Res> extends EventEmitter implements BidiStream<Req, Res> {
  /** Received bytes not yet forming a whole message. */
  private parts: Buffer[] = [];
  private partsLength = 0;
  private done = false;
  private grpcStatus: string | undefined;
  private grpcMessage = '';
  private httpStatus = 0;

  constructor(
    private readonly stream: ClientHttp2Stream,
    private readonly codec: StreamCodec<Req, Res>,
  ) {
    super();
    // An open watch keeps the process alive, as an active grpc-js call does (the transport
    // unrefs idle connections).
    stream.session?.ref();
    stream.on('response', (headers) => {
      this.httpStatus = Number(headers[':status'] ?? 0);
      // A trailers-only answer (a refused call) carries the status in the headers.
      this.takeStatus(headers);
    });
    stream.on('trailers', (trailers: Record<string, unknown>) => this.takeStatus(trailers));
    stream.on('data', (chunk: Buffer) => this.onData(chunk));
    stream.on('end', () => this.onEnd());
    stream.on('error', (err: Error) =>
      this.fail(serviceError(GrpcStatus.UNAVAILABLE, `Connection dropped: ${err.message}`)),
    );
    stream.on('close', () =>
      this.fail(
        serviceError(
          GrpcStatus.UNAVAILABLE,
          `Received RST_STREAM with code ${stream.rstCode ?? 'unknown'}`,
        ),
      ),
    );
  }

  write(req: Req): boolean {
    if (this.done) return false;
    const msg = this.codec.requestSerialize(req);
    const framed = Buffer.allocUnsafe(5 + msg.length);
    framed[0] = 0; // not compressed
    framed.writeUInt32BE(msg.length, 1);
    msg.copy(framed, 5);
    return this.stream.write(framed);
  }

  cancel(): void {
    if (this.done) return;
    this.done = true;
    if (!this.stream.closed) this.stream.close(constants.NGHTTP2_CANCEL);
  }

  private takeStatus(headers: Record<string, unknown>): void {
    const s = headers['grpc-status'];
    if (typeof s === 'string') this.grpcStatus = s;
    const m = headers['grpc-message'];
    if (typeof m === 'string') {
      try {
        this.grpcMessage = decodeURIComponent(m);
      } catch {
        this.grpcMessage = m;
      }
    }
  }

  /** Splits the byte stream into length-prefixed messages; each one is decoded and emitted. */
  private onData(chunk: Buffer): void {
    if (this.done) return;
    let buf: Buffer;
    if (this.partsLength === 0) buf = chunk;
    else {
      this.parts.push(chunk);
      this.partsLength += chunk.length;
      // Wait for the whole message before copying the parts together.
      const head = this.parts[0]!;
      if (head.length >= 5 && this.partsLength < 5 + head.readUInt32BE(1)) return;
      buf = Buffer.concat(this.parts, this.partsLength);
      this.parts = [];
      this.partsLength = 0;
    }
    let at = 0;
    while (buf.length - at >= 5) {
      if (buf[at] !== 0) {
        this.fail(
          serviceError(GrpcStatus.INTERNAL, 'Compressed watch responses are not supported'),
        );
        return;
      }
      const size = buf.readUInt32BE(at + 1);
      if (size > MAX_MESSAGE) {
        this.fail(serviceError(GrpcStatus.RESOURCE_EXHAUSTED, `Message of ${size} bytes`));
        return;
      }
      if (buf.length - at - 5 < size) break;
      let res: Res;
      try {
        res = this.codec.responseDeserialize(buf.subarray(at + 5, at + 5 + size));
      } catch (err) {
        this.fail(
          serviceError(
            GrpcStatus.INTERNAL,
            `Response message parsing error: ${(err as Error).message}`,
          ),
        );
        return;
      }
      at += 5 + size;
      this.emit('data', res);
      if (this.done) return;
    }
    if (at < buf.length) {
      this.parts = [buf.subarray(at)];
      this.partsLength = buf.length - at;
    }
  }

  private onEnd(): void {
    if (this.done) return;
    const status = this.grpcStatus;
    if (status === undefined) {
      this.fail(
        serviceError(
          this.httpStatus === 0 || this.httpStatus === 200
            ? GrpcStatus.UNAVAILABLE
            : GrpcStatus.UNKNOWN,
          this.httpStatus === 0 || this.httpStatus === 200
            ? 'Watch stream ended without a grpc-status'
            : `Received HTTP status code ${this.httpStatus}`,
        ),
      );
      return;
    }
    if (Number(status) !== (GrpcStatus.OK as number)) {
      this.fail(serviceError(Number(status), this.grpcMessage));
      return;
    }
    this.done = true;
    this.emit('end');
  }

  private fail(err: Error): void {
    if (this.done) return;
    this.done = true;
    if (!this.stream.closed) this.stream.close(constants.NGHTTP2_CANCEL);
    this.emit('error', err);
  }
}

/** A stream that could not be opened (the connection was closing): it fails in the next turn. */
export class FailedBidiStream<Req, Res> extends EventEmitter implements BidiStream<Req, Res> {
  private cancelled = false;

  constructor(err: Error) {
    super();
    setImmediate(() => {
      if (!this.cancelled) this.emit('error', err);
    });
  }

  write(_req: Req): boolean {
    return false;
  }

  cancel(): void {
    this.cancelled = true;
  }
}
