import { describe, expect, it } from 'vitest';
import { Path } from '../validation/field-path.js';
import { invalid, required } from '../validation/field-errors.js';
import {
  errorToStatus,
  isAlreadyExists,
  isConflict,
  isForbidden,
  isGone,
  isInvalid,
  isNotFound,
  isResourceExpired,
  isServerTimeout,
  isTimeout,
  isTooManyRequests,
  isUnauthorized,
  newAlreadyExists,
  newBadRequest,
  newConflict,
  newForbidden,
  newGenerateNameConflict,
  newGenericServerResponse,
  newGone,
  newInternalError,
  newInvalid,
  newMethodNotSupported,
  newNotAcceptable,
  newNotFound,
  newRequestEntityTooLarge,
  newResourceExpired,
  newServerTimeout,
  newServiceUnavailable,
  newTimeoutError,
  newTooLargeResourceVersion,
  newTooManyRequests,
  newTooManyRequestsError,
  newTooOldResourceVersion,
  newUnauthorized,
  newUnsupportedMediaType,
  reasonForError,
  StatusError,
  suggestsClientDelay,
} from './status-error.js';

const pods = { group: '', resource: 'pods' };
const deployments = { group: 'apps', resource: 'deployments' };

describe('constructors serialize like upstream', () => {
  it('NotFound', () => {
    expect(JSON.stringify(newNotFound(pods, 'nosuch'))).toBe(
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \\"nosuch\\" not found","reason":"NotFound","details":{"name":"nosuch","kind":"pods"},"code":404}',
    );
    expect(newNotFound(deployments, 'web').message).toBe('deployments.apps "web" not found');
    expect(newNotFound(deployments, 'web').status.details).toEqual({
      name: 'web',
      group: 'apps',
      kind: 'deployments',
    });
  });

  it('AlreadyExists and Conflict', () => {
    expect(newAlreadyExists(pods, 'p2').message).toBe('pods "p2" already exists');
    expect(newAlreadyExists(pods, 'p2').code).toBe(409);
    expect(newConflict(deployments, 'web').message).toBe(
      'Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again',
    );
    expect(newGenerateNameConflict(pods, 'web-abcde', 1).status.details?.retryAfterSeconds).toBe(1);
    expect(newGenerateNameConflict(pods, 'web-abcde', 1).message).toBe(
      'pods "web-abcde" already exists, the server was not able to generate a unique name for the object',
    );
  });

  it('Invalid with causes, one error bare, several bracketed', () => {
    const one = newInvalid({ group: 'apps', kind: 'Deployment' }, 'web', [
      invalid(Path.new('spec', 'replicas'), -1, 'must be greater than or equal to 0'),
    ]);
    expect(one.message).toBe(
      'Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0',
    );
    expect(one.code).toBe(422);
    expect(one.status.details).toEqual({
      name: 'web',
      group: 'apps',
      kind: 'Deployment',
      causes: [
        {
          reason: 'FieldValueInvalid',
          message: 'Invalid value: -1: must be greater than or equal to 0',
          field: 'spec.replicas',
        },
      ],
    });
    const two = newInvalid({ group: '', kind: 'Pod' }, 'x', [
      required(Path.new('a')),
      required(Path.new('b'), 'why'),
    ]);
    expect(two.message).toBe('Pod "x" is invalid: [a: Required value, b: Required value: why]');
    expect(newInvalid({ group: '', kind: 'Pod' }, 'x', []).message).toBe('Pod "x" is invalid');
  });

  it('Forbidden in its three forms', () => {
    expect(newForbidden(pods, 'x', 'User "bob" cannot get resource').message).toBe(
      'pods "x" is forbidden: User "bob" cannot get resource',
    );
    expect(newForbidden(pods, '', new Error('no')).message).toBe('pods is forbidden: no');
    expect(newForbidden({ group: '', resource: '' }, '', 'no').message).toBe('forbidden: no');
  });

  it('the rest', () => {
    expect(newUnauthorized().message).toBe('not authorized');
    expect(newUnauthorized().code).toBe(401);
    expect(newBadRequest('bad').status).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'bad',
      reason: 'BadRequest',
      code: 400,
    });
    expect(newMethodNotSupported(pods, 'deletecollection').message).toBe(
      'deletecollection is not supported on resources of kind "pods"',
    );
    expect(newMethodNotSupported(pods, 'x').code).toBe(405);
    expect(newServerTimeout(pods, 'list', 2).message).toBe(
      'The list operation against pods could not be completed at this time, please try again.',
    );
    expect(newInternalError(new Error('boom')).status.details?.causes).toEqual([
      { message: 'boom' },
    ]);
    expect(newInternalError('boom').message).toBe('Internal error occurred: boom');
    expect(newTimeoutError('slow', 3).message).toBe('Timeout: slow');
    expect(newTimeoutError('slow', 3).code).toBe(504);
    expect(newTooManyRequestsError('x').message).toBe('Too many requests: x');
    expect(newTooManyRequests('wait', 1).status.details?.retryAfterSeconds).toBe(1);
    expect(newServiceUnavailable('down').code).toBe(503);
    expect(newRequestEntityTooLarge('limit is 3145728').message).toBe(
      'Request entity too large: limit is 3145728',
    );
    expect(newRequestEntityTooLarge('x').code).toBe(413);
    expect(newUnsupportedMediaType(['application/json', 'application/yaml']).message).toBe(
      'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml',
    );
    expect(newUnsupportedMediaType([]).code).toBe(415);
    expect(newNotAcceptable(['application/json']).message).toBe(
      'only the following media types are accepted: application/json',
    );
    expect(newNotAcceptable([]).code).toBe(406);
    expect(newGone('gone').code).toBe(410);
  });

  it('watch and resourceVersion errors', () => {
    const old = newTooOldResourceVersion(5, 10);
    expect(old.message).toBe('too old resource version: 5 (10)');
    expect(old.code).toBe(410);
    expect(old.reason).toBe('Expired');
    const large = newTooLargeResourceVersion(10n, 5n, 1);
    expect(large.message).toBe('Timeout: Too large resource version: 10, current: 5');
    expect(large.status.details).toEqual({
      retryAfterSeconds: 1,
      causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
    });
  });

  it('generic server responses', () => {
    const e = newGenericServerResponse(
      422,
      '',
      { group: '', resource: '' },
      '',
      'detail',
      0,
      false,
    );
    expect(e.message).toBe('the server rejected our request due to an error in our request');
    expect(e.reason).toBe('Invalid');
    expect(JSON.stringify(e.status)).toContain('"details":{}');
    expect(newGenericServerResponse(409, 'POST', pods, 'x', '', 0, false).reason).toBe(
      'AlreadyExists',
    );
    expect(newGenericServerResponse(409, 'PUT', pods, 'x', '', 0, false).message).toBe(
      'the server reported a conflict (put pods x)',
    );
    expect(newGenericServerResponse(500, 'GET', pods, '', 'oops', 0, true).message).toBe(
      'an error on the server ("oops") has prevented the request from succeeding (get pods)',
    );
    expect(newGenericServerResponse(418, 'GET', pods, '', '', 0, false).message).toBe(
      'the server responded with the status code 418 but did not return more information (get pods)',
    );
  });
});

describe('predicates', () => {
  it('judge by reason', () => {
    expect(isNotFound(newNotFound(pods, 'x'))).toBe(true);
    expect(isNotFound(newAlreadyExists(pods, 'x'))).toBe(false);
    expect(isAlreadyExists(newAlreadyExists(pods, 'x'))).toBe(true);
    expect(isConflict(newConflict(pods, 'x'))).toBe(true);
    expect(isInvalid(newInvalid({ group: '', kind: 'Pod' }, 'x', []))).toBe(true);
    expect(isGone(newGone('x'))).toBe(true);
    expect(isResourceExpired(newResourceExpired('x'))).toBe(true);
    expect(isGone(newResourceExpired('x'))).toBe(false);
    expect(isForbidden(newForbidden(pods, 'x', 'no'))).toBe(true);
    expect(isUnauthorized(newUnauthorized())).toBe(true);
    expect(isTimeout(newTimeoutError('x', 1))).toBe(true);
    expect(isServerTimeout(newServerTimeout(pods, 'get', 1))).toBe(true);
    expect(isTooManyRequests(newTooManyRequests('x', 1))).toBe(true);
  });

  it('fall back to the code for unknown reasons', () => {
    const unknown404 = new StatusError({ status: 'Failure', code: 404, reason: '' });
    expect(isNotFound(unknown404)).toBe(true);
    const known = new StatusError({ status: 'Failure', code: 404, reason: 'Conflict' });
    expect(isNotFound(known)).toBe(false);
    expect(isTooManyRequests(new StatusError({ code: 429, reason: 'Conflict' }))).toBe(true);
    expect(isNotFound({ kind: 'Status', code: 404 })).toBe(true);
    expect(isNotFound(new Error('x'))).toBe(false);
    expect(reasonForError(newNotFound(pods, 'x'))).toBe('NotFound');
    expect(reasonForError('x')).toBe('');
  });

  it('tell clients how long to wait', () => {
    expect(suggestsClientDelay(newServerTimeout(pods, 'get', 0))).toBe(0);
    expect(suggestsClientDelay(newTooManyRequests('x', 3))).toBe(3);
    expect(suggestsClientDelay(newNotFound(pods, 'x'))).toBeUndefined();
    expect(suggestsClientDelay(newBadRequest('x'))).toBeUndefined();
  });

  it('turn any error into a Status', () => {
    expect(errorToStatus(new Error('weird'))).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'weird',
      code: 500,
    });
    expect(errorToStatus(newNotFound(pods, 'x')).code).toBe(404);
  });
});
