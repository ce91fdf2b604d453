/**
 * JSON patch (RFC 6902, `application/json-patch+json`) on top of fast-json-patch: structural
 * validation of the operation list with precise messages, application without touching the
 * input, and the mapping of failures to the Statuses the API server answers with.
 */
import jsonpatch from 'fast-json-patch';
import {
  newBadRequest,
  newGenericServerResponse,
  newRequestEntityTooLarge,
  type StatusError,
} from '../errors/status-error.js';
import { deepCopyJson, isJsonObject, type JsonValue } from '../util/json.js';

export type JsonPatchOperation =
  | { op: 'add'; path: string; value: JsonValue }
  | { op: 'remove'; path: string }
  | { op: 'replace'; path: string; value: JsonValue }
  | { op: 'move'; from: string; path: string }
  | { op: 'copy'; from: string; path: string }
  | { op: 'test'; path: string; value: JsonValue };

/** The most operations the API server accepts in one JSON patch. */
export const MAX_JSON_PATCH_OPERATIONS = 10000;

export type JsonPatchErrorKind =
  /** The patch document is malformed: 400. */
  | 'decode'
  /** More than the allowed number of operations: 413. */
  | 'too-large'
  /** An operation does not apply to the document (missing path, failed test): 422. */
  | 'apply';

export class JsonPatchError extends Error {
  constructor(
    readonly kind: JsonPatchErrorKind,
    message: string,
    /** Index of the offending operation, when known. */
    readonly operationIndex?: number,
  ) {
    super(message);
    this.name = 'JsonPatchError';
  }

  /**
   * The Status the API server answers with. Decoding errors are a 400 with this message; a
   * failed operation is upstream's generic 422 ("the server rejected our request due to an error
   * in our request"), with this error's message kept as the cause.
   */
  toStatusError(): StatusError {
    switch (this.kind) {
      case 'decode':
        return newBadRequest(this.message);
      case 'too-large':
        return newRequestEntityTooLarge(this.message);
      case 'apply': {
        const err = newGenericServerResponse(
          422,
          '',
          { group: '', resource: '' },
          '',
          this.message,
          0,
          false,
        );
        err.status.details = { causes: [{ message: this.message }] };
        return err;
      }
    }
  }
}

const OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);

function isPointer(p: unknown): p is string {
  return typeof p === 'string' && (p === '' || p.startsWith('/')) && !/~[^01]|~$/.test(p);
}

/**
 * Checks that `patch` is a list of well-formed operations and returns it typed. Unknown members
 * are ignored, as upstream does.
 */
export function parseJsonPatch(patch: unknown): JsonPatchOperation[] {
  if (!Array.isArray(patch)) {
    throw new JsonPatchError('decode', 'json patch must be a JSON array of operations');
  }
  return patch.map((raw: unknown, i): JsonPatchOperation => {
    const where = `json patch operation ${i}`;
    if (!isJsonObject(raw)) throw new JsonPatchError('decode', `${where} is not an object`, i);
    const op = raw.op;
    if (typeof op !== 'string' || !OPS.has(op)) {
      throw new JsonPatchError(
        'decode',
        `${where}: unsupported op ${JSON.stringify(op ?? null)} (expected add, remove, replace, move, copy or test)`,
        i,
      );
    }
    if (!isPointer(raw.path)) {
      throw new JsonPatchError(
        'decode',
        `${where} (${op}): "path" must be a JSON pointer ("" or starting with "/")`,
        i,
      );
    }
    const path = raw.path;
    switch (op) {
      case 'add':
      case 'replace':
      case 'test':
        if (!Object.prototype.hasOwnProperty.call(raw, 'value')) {
          throw new JsonPatchError('decode', `${where} (${op} ${path}): missing "value"`, i);
        }
        return { op, path, value: raw.value! };
      case 'remove':
        return { op, path };
      default: {
        if (!isPointer(raw.from)) {
          throw new JsonPatchError(
            'decode',
            `${where} (${op} ${path}): "from" must be a JSON pointer`,
            i,
          );
        }
        return { op: op as 'move' | 'copy', from: raw.from, path };
      }
    }
  });
}

function describeFailure(name: string, op: JsonPatchOperation): string {
  switch (name) {
    case 'TEST_OPERATION_FAILED':
      return `testing value ${op.path} failed: test failed`;
    case 'OPERATION_FROM_UNRESOLVABLE':
      return `${op.op} operation does not apply: doc is missing from path: ${JSON.stringify('from' in op ? op.from : '')}`;
    case 'OPERATION_PATH_ILLEGAL_ARRAY_INDEX':
      return `${op.op} operation does not apply: invalid array index in path: ${JSON.stringify(op.path)}`;
    case 'OPERATION_VALUE_OUT_OF_BOUNDS':
      return `${op.op} operation does not apply: array index out of bounds in path: ${JSON.stringify(op.path)}`;
    case 'OPERATION_PATH_CANNOT_ADD':
    case 'OPERATION_PATH_UNRESOLVABLE':
    default:
      return `${op.op} operation does not apply: doc is missing path: ${JSON.stringify(op.path)}`;
  }
}

export interface ApplyJsonPatchOptions {
  /** Defaults to {@link MAX_JSON_PATCH_OPERATIONS}. */
  maxOperations?: number;
}

/**
 * Applies a JSON patch (raw, as decoded from the request body) to a document and returns the new
 * document; the input is not modified. Throws JsonPatchError.
 */
export function applyJsonPatch(
  document: JsonValue,
  patch: unknown,
  options: ApplyJsonPatchOptions = {},
): JsonValue {
  const ops = parseJsonPatch(patch);
  const max = options.maxOperations ?? MAX_JSON_PATCH_OPERATIONS;
  if (ops.length > max) {
    throw new JsonPatchError(
      'too-large',
      `The allowed maximum operations in a JSON patch is ${max}, got ${ops.length}`,
    );
  }
  let doc = deepCopyJson(document);
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    try {
      doc = jsonpatch.applyOperation(doc, deepCopyJson(op), true, true, true, i).newDocument;
    } catch (e) {
      const name = (e as { name?: string }).name ?? '';
      if (e instanceof jsonpatch.JsonPatchError || /^[A-Z_]+$/.test(name)) {
        throw new JsonPatchError('apply', describeFailure(name, op), i);
      }
      if (e instanceof TypeError && e.message.startsWith('JSON-Patch')) {
        // fast-json-patch refuses __proto__/constructor paths; so do we.
        throw new JsonPatchError(
          'apply',
          `${op.op} operation does not apply: path ${JSON.stringify(op.path)} is not allowed`,
          i,
        );
      }
      throw e;
    }
  }
  return doc;
}
