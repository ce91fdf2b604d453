import { Metadata, status as GrpcCode, type ServiceError } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import {
  isGone,
  isInternalError,
  isNotFound,
  isResourceExpired,
  isTooManyRequests,
  isUnauthorized,
  newNotFound,
  newServiceUnavailable,
  StatusError,
} from '@kubets/apimachinery';
import { ConnectionError, isRetriable, retryAfterMs } from '../rest/errors.js';
import { errorFromGrpc, STATUS_METADATA_KEY } from './errors.js';

function serviceError(code: GrpcCode, details: string, md = new Metadata()): ServiceError {
  const fields: Pick<ServiceError, 'code' | 'details' | 'metadata'> = {
    code,
    details,
    metadata: md,
  };
  return Object.assign(new Error(`${code} ${GrpcCode[code]}: ${details}`), fields);
}

function withStatus(err: StatusError): Metadata {
  const md = new Metadata();
  md.set(STATUS_METADATA_KEY, Buffer.from(JSON.stringify(err.status)));
  return md;
}

describe('errorFromGrpc', () => {
  it('rebuilds the Status from the trailer, whatever the code says', () => {
    const original = newNotFound({ group: 'apps', resource: 'deployments' }, 'web');
    const err = errorFromGrpc(serviceError(GrpcCode.NOT_FOUND, 'x', withStatus(original)), 'get');
    expect(err).toBeInstanceOf(StatusError);
    expect((err as StatusError).status).toEqual(original.status);
    expect(isNotFound(err)).toBe(true);
  });

  it('a 503 Status from the server is a StatusError (reads retry), not a connection failure', () => {
    const err = errorFromGrpc(
      serviceError(GrpcCode.UNAVAILABLE, 'x', withStatus(newServiceUnavailable('busy'))),
      'list pods',
    );
    expect(err).toBeInstanceOf(StatusError);
    expect(isRetriable(err, 'list')).toBe(true);
    expect(isRetriable(err, 'create')).toBe(false);
  });

  it('UNAVAILABLE before any connection: never sent, so even writes may retry', () => {
    const err = errorFromGrpc(
      serviceError(GrpcCode.UNAVAILABLE, 'No connection established. Last error: ECONNREFUSED'),
      'create pods default/x',
    );
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).requestSent).toBe(false);
    expect(err.message).toMatch(/^create pods default\/x: UNAVAILABLE/);
    expect(isRetriable(err, 'create')).toBe(true);
  });

  it('a connection lost mid-call may have applied the write: reads retry, writes do not', () => {
    for (const code of [GrpcCode.UNAVAILABLE, GrpcCode.CANCELLED, GrpcCode.INTERNAL]) {
      const err = errorFromGrpc(serviceError(code, 'Connection dropped'), 'update');
      expect(err).toBeInstanceOf(ConnectionError);
      expect((err as ConnectionError).requestSent).toBe(true);
      expect(isRetriable(err, 'get')).toBe(true);
      expect(isRetriable(err, 'update')).toBe(false);
    }
  });

  it('maps bare codes (no trailer) to Statuses, keeping retry-after', () => {
    const md = new Metadata();
    md.set('retry-after', '3');
    const throttled = errorFromGrpc(
      serviceError(GrpcCode.RESOURCE_EXHAUSTED, 'slow down', md),
      'x',
    );
    expect(isTooManyRequests(throttled)).toBe(true);
    expect(retryAfterMs(throttled)).toBe(3000);
    expect(isRetriable(throttled, 'create')).toBe(true);
    const expired = errorFromGrpc(serviceError(GrpcCode.OUT_OF_RANGE, 'too old'), 'watch');
    expect(isGone(expired) || isResourceExpired(expired)).toBe(true);
    expect(isUnauthorized(errorFromGrpc(serviceError(GrpcCode.UNAUTHENTICATED, 'who'), 'x'))).toBe(
      true,
    );
    expect(isInternalError(errorFromGrpc(serviceError(GrpcCode.UNKNOWN, 'boom'), 'x'))).toBe(true);
  });

  it('passes through what is not a gRPC error', () => {
    const e = new Error('plain');
    expect(errorFromGrpc(e, 'x')).toBe(e);
  });
});
