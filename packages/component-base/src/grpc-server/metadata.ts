import type { IncomingHttpHeaders } from 'node:http2';

export type MetadataValue = string | Buffer;

/**
 * Headers that are transport, not metadata (grpc-js removes the same ones before handing a call
 * its metadata).
 */
const TRANSPORT_HEADERS = new Set([
  'content-type',
  'te',
  'grpc-timeout',
  'grpc-encoding',
  'grpc-accept-encoding',
  'accept-encoding',
]);

/**
 * A call's custom metadata, with grpc-js's Metadata methods (`get`, `set`, `add`, `remove`,
 * `getMap`, `toHttp2Headers`): keys are lowercase, `-bin` keys hold Buffers (base64 on the wire).
 */
export class Metadata {
  private readonly map = new Map<string, MetadataValue[]>();

  /** The metadata of a request's headers (pseudo-headers and transport headers left out). */
  static fromHeaders(headers: IncomingHttpHeaders): Metadata {
    const md = new Metadata();
    for (const key of Object.keys(headers)) {
      if (key.charCodeAt(0) === 58 /* ':' */ || TRANSPORT_HEADERS.has(key)) continue;
      const value = headers[key];
      if (value === undefined) continue;
      const values = Array.isArray(value) ? value : [value];
      if (key.endsWith('-bin')) {
        for (const v of values) {
          for (const part of v.split(',')) md.add(key, Buffer.from(part.trim(), 'base64'));
        }
      } else {
        for (const v of values) md.add(key, v);
      }
    }
    return md;
  }

  get(key: string): MetadataValue[] {
    return this.map.get(key.toLowerCase()) ?? [];
  }

  set(key: string, value: MetadataValue): void {
    this.map.set(key.toLowerCase(), [value]);
  }

  add(key: string, value: MetadataValue): void {
    const k = key.toLowerCase();
    const list = this.map.get(k);
    if (list) list.push(value);
    else this.map.set(k, [value]);
  }

  remove(key: string): void {
    this.map.delete(key.toLowerCase());
  }

  /** First value of every key. */
  getMap(): Record<string, MetadataValue> {
    const out: Record<string, MetadataValue> = {};
    for (const [k, v] of this.map) if (v[0] !== undefined) out[k] = v[0];
    return out;
  }

  clone(): Metadata {
    const md = new Metadata();
    for (const [k, v] of this.map) md.map.set(k, [...v]);
    return md;
  }

  toHttp2Headers(): Record<string, string | string[]> {
    const out: Record<string, string | string[]> = {};
    for (const [k, values] of this.map) {
      const wire = values.map((v) =>
        k.endsWith('-bin') ? Buffer.from(v).toString('base64') : v.toString(),
      );
      out[k] = wire.length === 1 ? wire[0]! : wire;
    }
    return out;
  }
}
