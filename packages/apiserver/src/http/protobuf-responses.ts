/** Writing answers in the Kubernetes protobuf form (`application/vnd.kubernetes.protobuf`). */
import type { ServerResponse } from 'node:http';
import type { JsonObject } from '@kubets/apimachinery';
import { encodeProtobufObject, protobufMessageFor, PROTOBUF_MEDIA_TYPE } from './protobuf.js';
import { writeJSON } from './responses.js';

/**
 * Writes `body` in protobuf. A body of another kind (a write answered with an object of a kind
 * without tables) or one the tables cannot write goes out as JSON, which every client asking for
 * protobuf also accepts (client-go decodes by the answer's Content-Type).
 */
export function writeProtobuf(
  res: ServerResponse,
  code: number,
  body: unknown,
  headOnly: boolean,
): void {
  const obj = body as JsonObject;
  if (
    typeof obj !== 'object' ||
    obj === null ||
    typeof obj.apiVersion !== 'string' ||
    typeof obj.kind !== 'string' ||
    !protobufMessageFor(obj.apiVersion, obj.kind)
  ) {
    return writeJSON(res, code, body, 'application/json', headOnly);
  }
  let bytes: Buffer;
  try {
    bytes = encodeProtobufObject(obj);
  } catch {
    // A value the tables cannot write: the JSON form loses nothing, and the client reads it.
    return writeJSON(res, code, body, 'application/json', headOnly);
  }
  res.statusCode = code;
  res.setHeader('Content-Type', PROTOBUF_MEDIA_TYPE);
  res.setHeader('Cache-Control', 'no-cache, private');
  res.setHeader('Content-Length', bytes.length);
  res.end(headOnly ? undefined : bytes);
}
