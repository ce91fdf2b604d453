/**
 * Request bodies: read with upstream's 3 MiB limit (413 beyond it), decoded by Content-Type —
 * JSON, YAML (`application/yaml`, and server-side apply's `application/apply-patch+yaml`, which
 * kubectl sends as JSON), and the Kubernetes protobuf envelope for the kinds kubectl sends that
 * way. Malformed input is a 400 naming the problem.
 */
import type { IncomingMessage } from 'node:http';
import {
  newBadRequest,
  newRequestEntityTooLarge,
  newUnsupportedMediaType,
  type JsonValue,
} from '@kubets/apimachinery';
import { parseAllDocuments } from 'yaml';
import { decodeProtobufObject, PROTOBUF_MEDIA_TYPE } from './protobuf.js';

/** kube-apiserver's MaxRequestBodyBytes (3 MiB). */
export const MAX_REQUEST_BODY_BYTES = 3 * 1024 * 1024;

/** The body each request was read with, for the audit log (requestObject). */
const bodiesRead = new WeakMap<IncomingMessage, Buffer>();

/** The bytes `readBody` read for this request, if it did. */
export function bodyRead(req: IncomingMessage): Buffer | undefined {
  return bodiesRead.get(req);
}

/**
 * Reads the whole body (at most `limit` bytes). Plain 'data'/'end' events rather than an async
 * iterator: this runs for every write, and the iterator's machinery cost more than the read.
 */
export function readBody(req: IncomingMessage, limit = MAX_REQUEST_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > limit) {
    req.resume();
    return Promise.reject(newRequestEntityTooLarge(`limit is ${limit}`));
  }
  // Already read to its end (or gone): nothing more will be emitted.
  if (req.readableEnded) return Promise.resolve(bodiesRead.get(req) ?? Buffer.alloc(0));
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        req.resume(); // drain the rest; the 413 can still be answered
        reject(newRequestEntityTooLarge(`limit is ${limit}`));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      bodiesRead.set(req, body);
      resolve(body);
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    // Closed before its end (the client went away): as the stream iterator reports it.
    const onClose = (): void => {
      cleanup();
      const err = new Error('Premature close') as Error & { code: string };
      err.code = 'ERR_STREAM_PREMATURE_CLOSE';
      reject(err);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

export function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

function parseJson(text: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch (err) {
    throw newBadRequest(`couldn't get version/kind; json parse error: ${(err as Error).message}`);
  }
}

function parseYaml(text: string): JsonValue {
  const docs = parseAllDocuments(text, { uniqueKeys: true }).filter((d) => d.contents !== null);
  if (docs.length === 0) return null;
  if (docs.length > 1)
    throw newBadRequest('error converting YAML to JSON: expected a single YAML document');
  const doc = docs[0]!;
  if (doc.errors.length > 0) {
    throw newBadRequest(`error converting YAML to JSON: yaml: ${doc.errors[0]!.message}`);
  }
  return doc.toJSON() as JsonValue;
}

/** Media types accepted for create/update bodies. */
export const OBJECT_MEDIA_TYPES = ['application/json', 'application/yaml', PROTOBUF_MEDIA_TYPE];

/** Decodes a create/update body (JSON, YAML or protobuf). */
export function decodeObjectBody(body: Buffer, contentType: string | undefined): JsonValue {
  const media = mediaTypeOf(contentType);
  if (media === PROTOBUF_MEDIA_TYPE) return decodeProtobufObject(body);
  const text = body.toString('utf8');
  if (text.trim() === '') throw newBadRequest('the body of the request was empty');
  if (media === '' || media === 'application/json' || media === '*/*') return parseJson(text);
  if (media === 'application/yaml' || media === 'application/x-yaml' || media === 'text/yaml')
    return parseYaml(text);
  throw newUnsupportedMediaType(OBJECT_MEDIA_TYPES);
}

/** Decodes a PATCH body: YAML (or JSON) for apply, JSON for the others. */
export function decodePatchBody(body: Buffer, media: string): JsonValue {
  const text = body.toString('utf8');
  if (text.trim() === '') throw newBadRequest('the body of the request was empty');
  if (media === 'application/apply-patch+yaml') return parseYaml(text);
  return parseJson(text);
}

/** Decodes a DELETE body (DeleteOptions); empty is fine. */
export function decodeOptionalBody(
  body: Buffer,
  contentType: string | undefined,
): JsonValue | undefined {
  if (body.length === 0 || body.toString('utf8').trim() === '') return undefined;
  return decodeObjectBody(body, contentType);
}
