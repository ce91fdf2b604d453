import { status as GrpcStatus } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import {
  grpcCodeForStatus,
  loadGrpcObject,
  STATUS_METADATA_KEY,
  statusFromMetadata,
  statusMetadata,
  statusOfError,
} from './grpc.js';

describe('@kubets/api/grpc', () => {
  it('maps every Status reason the API returns to its documented gRPC code', () => {
    const cases: [string, number, GrpcStatus][] = [
      ['NotFound', 404, GrpcStatus.NOT_FOUND],
      ['AlreadyExists', 409, GrpcStatus.ALREADY_EXISTS],
      ['Conflict', 409, GrpcStatus.ABORTED],
      ['Invalid', 422, GrpcStatus.INVALID_ARGUMENT],
      ['BadRequest', 400, GrpcStatus.INVALID_ARGUMENT],
      ['Forbidden', 403, GrpcStatus.PERMISSION_DENIED],
      ['Unauthorized', 401, GrpcStatus.UNAUTHENTICATED],
      ['Expired', 410, GrpcStatus.OUT_OF_RANGE],
      ['Gone', 410, GrpcStatus.OUT_OF_RANGE],
      ['TooManyRequests', 429, GrpcStatus.RESOURCE_EXHAUSTED],
      ['Timeout', 504, GrpcStatus.DEADLINE_EXCEEDED],
      ['MethodNotAllowed', 405, GrpcStatus.UNIMPLEMENTED],
      ['InternalError', 500, GrpcStatus.INTERNAL],
    ];
    for (const [reason, code, want] of cases) {
      expect(grpcCodeForStatus({ reason: reason as never, code }), reason).toBe(want);
    }
    expect(grpcCodeForStatus({ code: 422 })).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(grpcCodeForStatus({})).toBe(GrpcStatus.INTERNAL);
  });

  it('round-trips the Status through trailing metadata', () => {
    const s = {
      kind: 'Status' as const,
      apiVersion: 'v1' as const,
      metadata: {},
      status: 'Failure' as const,
      message: 'Too many requests',
      reason: 'TooManyRequests' as const,
      details: { retryAfterSeconds: 1 },
      code: 429,
    };
    const md = statusMetadata(s);
    expect(md.get('retry-after')).toEqual(['1']);
    expect(statusFromMetadata(md)).toEqual(s);
    md.set(STATUS_METADATA_KEY, Buffer.from('not json'));
    expect(statusFromMetadata(md)).toBeUndefined();
  });

  it('builds a Status for transport failures that carry none', () => {
    expect(statusOfError({ code: GrpcStatus.UNAVAILABLE, details: 'connection refused' })).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'connection refused',
      reason: 'ServiceUnavailable',
      code: 503,
    });
    expect(statusOfError({ code: GrpcStatus.CANCELLED }).reason).toBe('InternalError');
    const s = {
      kind: 'Status' as const,
      apiVersion: 'v1' as const,
      metadata: {},
      reason: 'NotFound' as const,
      code: 404,
    };
    expect(statusOfError({ code: GrpcStatus.NOT_FOUND, metadata: statusMetadata(s) })).toEqual(s);
  });

  it('loads the Resources service with every verb', () => {
    const svc = loadGrpcObject().kubets.api.v1.Resources.service;
    expect(Object.keys(svc).sort()).toEqual([
      'Create',
      'Delete',
      'DeleteCollection',
      'Discovery',
      'Get',
      'List',
      'Patch',
      'Update',
      'Watch',
    ]);
    expect(svc.Watch.responseStream).toBe(true);
  });
});
