/**
 * A real grpc-js client of the gRPC resource API for tests and benchmarks: promise wrappers for
 * the unary RPCs, a watch collector, and the Status a failed call carries in its trailers.
 */
import {
  credentials as grpcCredentials,
  Metadata,
  type ChannelCredentials,
  type ChannelOptions,
  type ServiceError,
} from '@grpc/grpc-js';
import {
  loadGrpcObject,
  statusFromMetadata,
  type GrpcWatchEvent__Output,
  type ResourcesClient,
  type WatchRequest,
} from '@kubets/api/grpc';
import type { Status } from '@kubets/apimachinery';

export function resourcesClient(
  address: string,
  creds: ChannelCredentials = grpcCredentials.createInsecure(),
  options: ChannelOptions = {},
): ResourcesClient {
  const Resources = loadGrpcObject().kubets.api.v1.Resources;
  return new Resources(address, creds, options);
}

type UnaryMethod =
  'Get' | 'List' | 'Create' | 'Update' | 'Patch' | 'Delete' | 'DeleteCollection' | 'Discovery';

/** Calls a unary RPC; rejects with the ServiceError (code, details, metadata). */
export function call<T = any>(
  client: ResourcesClient,
  method: UnaryMethod,
  request: unknown,
  metadata: Metadata = new Metadata(),
): Promise<T> {
  return new Promise((resolve, reject) => {
    (client[method] as any)(request, metadata, (err: ServiceError | null, res: T) =>
      err ? reject(err) : resolve(res),
    );
  });
}

/** The error of a call expected to fail, with the Kubernetes Status from its trailers. */
export async function failure(
  p: Promise<unknown>,
): Promise<{ code: number; details: string; status: Status | undefined }> {
  try {
    await p;
  } catch (err) {
    const e = err as ServiceError;
    return { code: e.code, details: e.details, status: statusFromMetadata(e.metadata) };
  }
  throw new Error('expected the call to fail');
}

export const json = (o: unknown): Buffer => Buffer.from(JSON.stringify(o));
export const parse = (b: Buffer): any => JSON.parse(b.toString('utf8'));

export interface WatchHandle {
  events: { type: string; object: any }[];
  /** Resolves when the stream ends: OK (code 0) or the error's code and Status. */
  ended: Promise<{ code: number; status: Status | undefined }>;
  /** Resolves when the server sent the stream's headers (the watch is established). */
  established: Promise<void>;
  waitFor(pred: (events: { type: string; object: any }[]) => boolean, ms?: number): Promise<void>;
  cancel(): void;
}

export function watch(
  client: ResourcesClient,
  request: WatchRequest,
  metadata: Metadata = new Metadata(),
): WatchHandle {
  const stream = client.Watch(request, metadata);
  const events: { type: string; object: any }[] = [];
  const waiters = new Set<() => void>();
  stream.on('data', (e: GrpcWatchEvent__Output) => {
    events.push({ type: e.type, object: parse(e.object) });
    for (const w of waiters) w();
  });
  const ended = new Promise<{ code: number; status: Status | undefined }>((resolve) => {
    stream.on('error', (err: ServiceError) =>
      resolve({ code: err.code, status: statusFromMetadata(err.metadata) }),
    );
    stream.on('status', (s: { code: number }) => {
      if (s.code === 0) resolve({ code: 0, status: undefined });
    });
  });
  const established = new Promise<void>((resolve) => stream.once('metadata', () => resolve()));
  return {
    events,
    ended,
    established,
    cancel: () => stream.cancel(),
    waitFor: (pred, ms = 10_000) =>
      new Promise<void>((resolve, reject) => {
        if (pred(events)) return resolve();
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `watch condition not met in ${ms} ms; events: ${JSON.stringify(events.map((e) => e.type))}`,
            ),
          );
        }, ms);
        const check = (): void => {
          if (!pred(events)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
      }),
  };
}
