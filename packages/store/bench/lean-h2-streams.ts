/**
 * A minimal HTTP/2 client connection (RFC 9113, cleartext) for the lean watch load generator:
 * it opens long-lived gRPC streams, sends their request messages once, and hands every answer
 * message to the stream's handler. component-base's H2ClientConnection carries unary calls only
 * (one answer message per stream), and node:http2 costs a stream object, events and a
 * Readable push per DATA frame on the client side; here one socket chunk holding hundreds of
 * WatchResponses costs a loop over frame headers and one callback per message (decision 0044).
 *
 * What it does of HTTP/2: preface and SETTINGS (no push, 16 MiB windows), SETTINGS and PING
 * acknowledgements, WINDOW_UPDATE for the connection and each stream as half of their window
 * is used, DATA (padding removed) into gRPC messages. It never decodes a header block (HPACK):
 * the answer's headers are skipped, and a header block ending the stream (trailers or
 * Trailers-Only, i.e. the server ended the watch), RST_STREAM, GOAWAY or the socket closing
 * are failures reported to the owner. Request bodies must fit the server's initial windows
 * (64 KiB; a few thousand watch creations), which is checked.
 */
import { connect, type Socket } from 'node:net';
import { MessageDecoder } from '@kubets/component-base/grpc-server';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const DATA = 0x0;
const HEADERS = 0x1;
const RST_STREAM = 0x3;
const SETTINGS = 0x4;
const PING = 0x6;
const GOAWAY = 0x7;
const WINDOW_UPDATE = 0x8;
const END_STREAM = 0x1;
const ACK = 0x1;
const END_HEADERS = 0x4;
const PADDED = 0x8;
const FRAME_HEADER = 9;
/** The peer's frames and our DATA stay within the default SETTINGS_MAX_FRAME_SIZE. */
const MAX_FRAME = 16_384;
const DEFAULT_WINDOW = 65_535;
/** Our receive window (connection and each stream). */
const WINDOW = 16 * 1024 * 1024;
const MAX_MESSAGE = 64 * 1024 * 1024;

function frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER + payload.length);
  out.writeUIntBE(payload.length, 0, 3);
  out[3] = type;
  out[4] = flags;
  out.writeUInt32BE(stream, 5);
  payload.copy(out, FRAME_HEADER);
  return out;
}

/** The payload length in the frame header at `pos`. */
function frameLength(buf: Buffer, pos = 0): number {
  return (buf[pos]! << 16) | (buf[pos + 1]! << 8) | buf[pos + 2]!;
}

function windowUpdate(stream: number, increment: number): Buffer {
  const p = Buffer.allocUnsafe(4);
  p.writeUInt32BE(increment, 0);
  return frame(WINDOW_UPDATE, 0, stream, p);
}

/** A header field as an HPACK literal without indexing, new name, no Huffman (RFC 7541 6.2.2). */
function literal(name: string, value: string): Buffer {
  if (name.length > 126 || value.length > 126) throw new Error('header field too long');
  return Buffer.concat([
    Buffer.from([0, name.length]),
    Buffer.from(name, 'latin1'),
    Buffer.from([value.length]),
    Buffer.from(value, 'latin1'),
  ]);
}

/** Where one stream's answer goes: each gRPC message (a view of the socket chunk if whole). */
export interface StreamHandler {
  onMessage(msg: Buffer): void;
}

interface OpenStream {
  sink: StreamHandler;
  decoder: MessageDecoder;
  unacked: number;
}

export class LeanH2Streams {
  private readonly socket: Socket;
  private readonly streams = new Map<number, OpenStream>();
  private readonly authority: string;
  private nextId = 1;
  private unacked = 0;
  private buffered: Buffer | undefined;
  private failed = false;
  private closing = false;

  /** `onFailure`: the connection or one of its streams failed (called once). */
  constructor(
    endpoint: string,
    private readonly onFailure: (err: Error) => void,
  ) {
    const colon = endpoint.lastIndexOf(':');
    this.authority = endpoint;
    this.socket = connect({
      host: endpoint.slice(0, colon),
      port: Number(endpoint.slice(colon + 1)),
    });
    this.socket.setNoDelay(true);
    const settings = Buffer.alloc(12);
    settings.writeUInt16BE(0x2, 0); // ENABLE_PUSH
    settings.writeUInt32BE(0, 2);
    settings.writeUInt16BE(0x4, 6); // INITIAL_WINDOW_SIZE
    settings.writeUInt32BE(WINDOW, 8);
    this.socket.write(
      Buffer.concat([
        PREFACE,
        frame(SETTINGS, 0, 0, settings),
        windowUpdate(0, WINDOW - DEFAULT_WINDOW),
      ]),
    );
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (err) => this.fail(`socket error: ${err.message}`));
    this.socket.on('close', () => this.fail('connection closed'));
  }

  /**
   * Opens a stream on `path` and sends `body` (whole gRPC frames) without ending it: the
   * stream stays open for the server's answers. Returns its id.
   */
  open(path: string, body: Buffer, handler: StreamHandler): number {
    if (body.length > DEFAULT_WINDOW)
      throw new Error('request body larger than the initial window');
    const id = this.nextId;
    this.nextId += 2;
    const block = Buffer.concat([
      literal(':method', 'POST'),
      literal(':scheme', 'http'),
      literal(':path', path),
      literal(':authority', this.authority),
      literal('content-type', 'application/grpc'),
      literal('te', 'trailers'),
    ]);
    const out = [frame(HEADERS, END_HEADERS, id, block)];
    for (let off = 0; off < body.length; off += MAX_FRAME) {
      out.push(frame(DATA, 0, id, body.subarray(off, off + MAX_FRAME)));
    }
    this.streams.set(id, {
      sink: handler,
      decoder: new MessageDecoder(MAX_MESSAGE, undefined),
      unacked: 0,
    });
    this.socket.write(Buffer.concat(out));
    return id;
  }

  /** Closes the connection (its streams end without a failure report). */
  close(): void {
    this.closing = true;
    this.socket.destroy();
  }

  private fail(why: string): void {
    if (this.failed || this.closing) return;
    this.failed = true;
    this.socket.destroy();
    this.onFailure(new Error(`watch connection to ${this.authority}: ${why}`));
  }

  private onData(chunk: Buffer): void {
    const out: Buffer[] = [];
    let pos = 0;
    try {
      // A frame cut by the previous chunk: completed with just the bytes it lacks (joining
      // it to the whole 64 KiB chunk copied every byte the watches received).
      while (this.buffered !== undefined && pos < chunk.length) {
        const b = this.buffered;
        const need =
          b.length < FRAME_HEADER
            ? FRAME_HEADER - b.length
            : FRAME_HEADER + frameLength(b) - b.length;
        const take = Math.min(need, chunk.length - pos);
        const joined = Buffer.concat([b, chunk.subarray(pos, pos + take)]);
        pos += take;
        const whole =
          joined.length >= FRAME_HEADER && joined.length === FRAME_HEADER + frameLength(joined);
        this.buffered = whole ? undefined : joined;
        if (whole) this.frames(joined, 0, out);
      }
      if (this.buffered === undefined) pos = this.frames(chunk, pos, out);
    } catch (err) {
      this.fail((err as Error).message);
      return;
    }
    // A copy of the rest: a view would keep the whole chunk alive until the frame completes.
    if (pos < chunk.length) this.buffered = Buffer.from(chunk.subarray(pos));
    if (out.length > 0) this.socket.write(out.length === 1 ? out[0]! : Buffer.concat(out));
  }

  /** Handles the whole frames in `buf` from `pos`; returns where the first partial one starts. */
  private frames(buf: Buffer, pos: number, out: Buffer[]): number {
    while (buf.length - pos >= FRAME_HEADER) {
      const len = frameLength(buf, pos);
      if (len > MAX_FRAME) throw new Error('frame larger than SETTINGS_MAX_FRAME_SIZE');
      const end = pos + FRAME_HEADER + len;
      if (end > buf.length) break;
      const type = buf[pos + 3]!;
      const flags = buf[pos + 4]!;
      const id = buf.readUInt32BE(pos + 5) & 0x7fffffff;
      this.onFrame(type, flags, id, buf, pos + FRAME_HEADER, end, out);
      pos = end;
    }
    return pos;
  }

  private onFrame(
    type: number,
    flags: number,
    id: number,
    buf: Buffer,
    start: number,
    end: number,
    out: Buffer[],
  ): void {
    switch (type) {
      case DATA: {
        // Flow control counts the whole payload, padding included.
        this.unacked += end - start;
        if (this.unacked >= WINDOW / 2) {
          out.push(windowUpdate(0, this.unacked));
          this.unacked = 0;
        }
        const s = this.streams.get(id);
        if (s === undefined) throw new Error(`DATA on unknown stream ${id}`);
        s.unacked += end - start;
        if (s.unacked >= WINDOW / 2) {
          out.push(windowUpdate(id, s.unacked));
          s.unacked = 0;
        }
        const data =
          flags & PADDED ? buf.subarray(start + 1, end - buf[start]!) : buf.subarray(start, end);
        const bad = s.decoder.push(data, s.sink);
        if (bad !== undefined) throw new Error(`stream ${id}: ${bad.details}`);
        if (flags & END_STREAM) throw new Error(`stream ${id} ended by the server`);
        return;
      }
      case HEADERS:
        // The answer's headers are not read (no HPACK decoder); a block that ends the stream
        // is the server ending the watch, which a benchmark never expects.
        if (flags & END_STREAM) throw new Error(`stream ${id} ended by the server (trailers)`);
        if ((flags & END_HEADERS) === 0) throw new Error('header block in CONTINUATION frames');
        return;
      case RST_STREAM:
        throw new Error(`stream ${id} reset by the server (code ${buf.readUInt32BE(start)})`);
      case SETTINGS:
        if ((flags & ACK) === 0) out.push(frame(SETTINGS, ACK, 0, Buffer.alloc(0)));
        return;
      case PING:
        if ((flags & ACK) === 0) out.push(frame(PING, ACK, 0, buf.subarray(start, end)));
        return;
      case GOAWAY:
        throw new Error(`GOAWAY (code ${buf.readUInt32BE(start + 4)})`);
      default:
        // WINDOW_UPDATE (our bodies fit the initial windows), PRIORITY, unknown types.
        return;
    }
  }
}
