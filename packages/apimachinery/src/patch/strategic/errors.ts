/**
 * Strategic merge patch errors with upstream's messages (k8s.io/apimachinery/pkg/util/mergepatch)
 * and the HTTP mapping of the API server's interpretStrategicMergePatchError.
 */
import {
  newBadRequest,
  newGenericServerResponse,
  normalizeStatus,
  StatusError,
} from '../../errors/status-error.js';
import { goSprintV, goTypeName } from '../../util/go-format.js';

/**
 * - `bad-request`: a malformed patch (400);
 * - `unprocessable`: lists of lists (422, upstream's generic message);
 * - `other`: anything else, which upstream reports as a 500 carrying the message.
 */
export type StrategicMergePatchErrorKind = 'bad-request' | 'unprocessable' | 'other';

export class StrategicMergePatchError extends Error {
  constructor(
    readonly kind: StrategicMergePatchErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'StrategicMergePatchError';
  }

  toStatusError(): StatusError {
    switch (this.kind) {
      case 'bad-request':
        return newBadRequest(this.message);
      case 'unprocessable':
        return newGenericServerResponse(
          422,
          '',
          { group: '', resource: '' },
          '',
          this.message,
          0,
          false,
        );
      case 'other':
        return new StatusError(
          normalizeStatus({ status: 'Failure', code: 500, message: this.message }),
        );
    }
  }
}

export const badJSONDoc = (): StrategicMergePatchError =>
  new StrategicMergePatchError('bad-request', 'invalid JSON document');
export const noListOfLists = (): StrategicMergePatchError =>
  new StrategicMergePatchError('unprocessable', 'lists of lists are not supported');
export const badPatchFormatForPrimitiveList = (): StrategicMergePatchError =>
  new StrategicMergePatchError('bad-request', 'invalid patch format of primitive list');
export const badPatchFormatForRetainKeys = (): StrategicMergePatchError =>
  new StrategicMergePatchError('bad-request', 'invalid patch format of retainKeys');
export const badPatchFormatForSetElementOrderList = (): StrategicMergePatchError =>
  new StrategicMergePatchError('bad-request', 'invalid patch format of setElementOrder list');

/** mergepatch.ErrNoMergeKey */
export function noMergeKey(m: unknown, key: string): StrategicMergePatchError {
  return new StrategicMergePatchError(
    'other',
    `map: ${goSprintV(m)} does not contain declared merge key: ${key}`,
  );
}

/** mergepatch.ErrBadArgType: `expected a map[string]interface {}, but received a string`. */
export function badArgType(expected: 'map' | 'slice', actual: unknown): StrategicMergePatchError {
  const exp = expected === 'map' ? 'map[string]interface {}' : '[]interface {}';
  const act = actual === null || actual === undefined ? '%!s(<nil>)' : goTypeName(actual);
  return new StrategicMergePatchError('other', `expected a ${exp}, but received a ${act}`);
}

/** mergepatch.ErrBadPatchType */
export function badPatchType(t: unknown, m: unknown): StrategicMergePatchError {
  return new StrategicMergePatchError(
    'other',
    `unknown patch type: ${goSprintV(t)} in map: ${goSprintV(m)}`,
  );
}

/** JSON.parse turns a "__proto__" key into an own member; merging it could rewrite prototypes. */
export const protoKeyNotAllowed = (): StrategicMergePatchError =>
  new StrategicMergePatchError(
    'bad-request',
    'invalid JSON document: the key "__proto__" is not allowed',
  );

export function otherError(message: string): StrategicMergePatchError {
  return new StrategicMergePatchError('other', message);
}
