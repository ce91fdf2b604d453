/**
 * Watch events on the gRPC door, serialized once per event instead of once per watcher: the
 * bytes of `WatchEvent{type, object}` depend only on the (shared, read-only) object and the type,
 * so they are memoized on the object, and the Watch method's serializer passes such
 * pre-serialized messages through untouched.
 */
import type { ServiceDefinition } from '@grpc/grpc-js';
import { loadGrpcObject, type GrpcWatchEvent } from '@kubets/api/grpc';
import { memoized } from '../storage/shared.js';
import type { ApiObject } from '../storage/codec.js';
import type { StorageEventType } from '../storage/watcher.js';

let serializeEvent: ((e: GrpcWatchEvent) => Buffer) | undefined;

function serializer(): (e: GrpcWatchEvent) => Buffer {
  serializeEvent ??= loadGrpcObject().kubets.api.v1.Resources.service.Watch.responseSerialize;
  return serializeEvent;
}

const KEYS: Record<string, string> = {
  ADDED: 'grpc:ADDED',
  MODIFIED: 'grpc:MODIFIED',
  DELETED: 'grpc:DELETED',
};

/** The serialized WatchEvent of a storage event other than ERROR (memoized for object events). */
export function encodeWatchEvent(
  type: Exclude<StorageEventType, 'ERROR'>,
  object: ApiObject,
): Buffer {
  const encode = (): Buffer => serializer()({ type, object: Buffer.from(JSON.stringify(object)) });
  const key = KEYS[type];
  return key === undefined ? encode() : memoized(object, key, encode);
}

/** `service` with a Watch method whose serializer accepts pre-serialized messages. */
export function withPreserializedWatch(service: ServiceDefinition): ServiceDefinition {
  const watch = service.Watch;
  if (!watch) return service;
  const serialize = watch.responseSerialize;
  return {
    ...service,
    Watch: {
      ...watch,
      responseSerialize: (value: unknown) => (Buffer.isBuffer(value) ? value : serialize(value)),
    },
  };
}
