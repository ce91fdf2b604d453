/**
 * Frame rules shared by both ends of an HTTP/2 connection (RFC 9113): the checks a client and a
 * server make alike on padding, SETTINGS and WINDOW_UPDATE payloads, and the error that closes
 * the connection when one fails.
 */
import { DEFAULT_MAX_FRAME, ErrorCode, Flag, MAX_WINDOW, Setting } from './frames.js';

/** A connection error (5.4.1): the connection ends with GOAWAY carrying `code`. */
export class ConnectionError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The payload of `buf[start, end)` without its padding (6.1, 6.2) and without `skip` more
 * leading bytes (HEADERS' priority fields). The whole buffer is returned as is when nothing is
 * cut, so a server's DATA path makes no view per frame.
 */
export function unpad(flags: number, buf: Buffer, start: number, end: number, skip = 0): Buffer {
  if ((flags & Flag.PADDED) === 0) {
    if (start + skip > end)
      throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'frame too short');
    return start + skip === 0 && end === buf.length ? buf : buf.subarray(start + skip, end);
  }
  if (end - start < 1) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'bad padding');
  const pad = buf[start]!;
  if (start + 1 + skip + pad > end) {
    throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'padding exceeds the frame');
  }
  return buf.subarray(start + 1 + skip, end - pad);
}

/**
 * Calls `each` for every setting of a SETTINGS payload (6.5) after checking the payload's size
 * and the ranges both ends enforce: INITIAL_WINDOW_SIZE at most 2^31-1 (FLOW_CONTROL_ERROR) and
 * MAX_FRAME_SIZE within 2^14..2^24-1 (PROTOCOL_ERROR). What a setting means to each end is the
 * caller's.
 */
export function forEachSetting(payload: Buffer, each: (key: number, value: number) => void): void {
  if (payload.length % 6 !== 0) {
    throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'bad SETTINGS');
  }
  for (let i = 0; i < payload.length; i += 6) {
    const key = payload.readUInt16BE(i);
    const value = payload.readUInt32BE(i + 2);
    if (key === Setting.INITIAL_WINDOW_SIZE && value > MAX_WINDOW) {
      throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, 'initial window too large');
    }
    if (key === Setting.MAX_FRAME_SIZE && (value < DEFAULT_MAX_FRAME || value > 16_777_215)) {
      throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'bad max frame size');
    }
    each(key, value);
  }
}

/**
 * A new SETTINGS_INITIAL_WINDOW_SIZE applies its difference to every open stream's send window
 * (6.9.2); a window pushed past 2^31-1 is a connection error.
 */
export function shiftSendWindows(streams: Iterable<{ sendWindow: number }>, delta: number): void {
  for (const s of streams) {
    s.sendWindow += delta;
    if (s.sendWindow > MAX_WINDOW) {
      throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, 'stream window overflow');
    }
  }
}

/** The increment of a WINDOW_UPDATE payload `buf[start, end)` (6.9), its size checked. */
export function windowIncrement(buf: Buffer, start: number, end: number): number {
  if (end - start !== 4) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'bad WINDOW_UPDATE');
  return buf.readUInt32BE(start) & 0x7fffffff;
}

/** The connection's send window after a WINDOW_UPDATE on stream 0 (zero and overflow refused). */
export function growConnectionWindow(window: number, increment: number): number {
  if (increment === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'zero window increment');
  const grown = window + increment;
  if (grown > MAX_WINDOW)
    throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, 'window overflow');
  return grown;
}
