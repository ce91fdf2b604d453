/**
 * A kubets.api.v1.Resources server backed by the fake client's object tracker, for testing the
 * gRPC transport without an API server: it speaks the wire contract of decision 0005 (JSON
 * objects, Status in the `kubets-status-bin` trailer, watch errors ending the stream) on
 * 127.0.0.1.
 */
import {
  Metadata,
  Server,
  ServerCredentials,
  status as GrpcCode,
  type ServerWritableStream,
  type ServiceError,
} from '@grpc/grpc-js';
import { errorToStatus, type KubeObject, type Status } from '@kubets/apimachinery';
import type { PatchType } from '../../src/rest/interfaces.js';
import type { FakeDynamicClient } from '../../src/testing/fake-client.js';
import { loadGrpcObject } from '@kubets/api/grpc';
import type {
  ResourcesHandlers,
  GrpcListOptions__Output as ListOptions__Output,
  ResourceRef__Output,
  GrpcWatchEvent as WatchEvent,
} from '@kubets/api/grpc';

const CODES: Record<number, GrpcCode> = {
  400: GrpcCode.INVALID_ARGUMENT,
  401: GrpcCode.UNAUTHENTICATED,
  403: GrpcCode.PERMISSION_DENIED,
  404: GrpcCode.NOT_FOUND,
  405: GrpcCode.UNIMPLEMENTED,
  409: GrpcCode.ABORTED,
  410: GrpcCode.OUT_OF_RANGE,
  415: GrpcCode.INVALID_ARGUMENT,
  422: GrpcCode.INVALID_ARGUMENT,
  429: GrpcCode.RESOURCE_EXHAUSTED,
  500: GrpcCode.INTERNAL,
  503: GrpcCode.UNAVAILABLE,
};

function toServiceError(err: unknown): Partial<ServiceError> {
  const s: Status = errorToStatus(err);
  const md = new Metadata();
  md.set('kubets-status-bin', Buffer.from(JSON.stringify(s)));
  if (s.reason === 'AlreadyExists')
    return { code: GrpcCode.ALREADY_EXISTS, details: s.message ?? '', metadata: md };
  return {
    code: CODES[s.code ?? 500] ?? GrpcCode.INTERNAL,
    details: s.message ?? '',
    metadata: md,
  };
}

function listOptions(o: ListOptions__Output | null) {
  return {
    labelSelector: o?.label_selector || undefined,
    fieldSelector: o?.field_selector || undefined,
    resourceVersion: o?.resource_version || undefined,
    resourceVersionMatch: o?.resource_version_match || undefined,
    limit: o?.limit || undefined,
    continue: o?.continue || undefined,
    allowWatchBookmarks: o?.allow_watch_bookmarks || undefined,
    timeoutSeconds: o?.timeout_seconds || undefined,
  };
}

const PATCH: Record<string, PatchType> = {
  PATCH_TYPE_JSON: 'application/json-patch+json',
  PATCH_TYPE_MERGE: 'application/merge-patch+json',
  PATCH_TYPE_STRATEGIC_MERGE: 'application/strategic-merge-patch+json',
  PATCH_TYPE_APPLY: 'application/apply-patch+yaml',
};

export interface TestResourcesServer {
  address: string;
  /** The metadata (and TLS client certificate subject, if any) of every call, in order. */
  calls: { method: string; metadata: Metadata; peer?: string }[];
  /** Ends every open watch stream abruptly (as a server crash would for the client). */
  killWatches(): void;
  stop(): Promise<void>;
}

export async function startTestResourcesServer(
  fake: FakeDynamicClient,
  options: {
    port?: number;
    tls?: { ca: Buffer; cert: Buffer; key: Buffer; requireClientCert?: boolean };
  } = {},
): Promise<TestResourcesServer> {
  const calls: TestResourcesServer['calls'] = [];
  const watches = new Set<ServerWritableStream<unknown, WatchEvent>>();
  const client = (ref: ResourceRef__Output | null) => {
    const r = fake.resource<KubeObject>({
      group: ref?.group ?? '',
      version: ref?.version ?? '',
      resource: ref?.resource ?? '',
    });
    return ref?.namespace ? r.namespace(ref.namespace) : r;
  };
  const json = (o: unknown): Buffer => Buffer.from(JSON.stringify(o));
  const parse = (b: Buffer): KubeObject => JSON.parse(b.toString('utf8')) as KubeObject;
  const unary =
    <Req>(method: string, fn: (req: Req) => Promise<unknown>) =>
    (
      call: {
        request: Req;
        metadata: Metadata;
        getAuthContext(): { sslPeerCertificate?: { subject?: { CN?: string | string[] } } };
      },
      cb: (err: Partial<ServiceError> | null, res?: never) => void,
    ) => {
      const cn = call.getAuthContext().sslPeerCertificate?.subject?.CN;
      const peer = Array.isArray(cn) ? cn.join(',') : cn;
      calls.push({ method, metadata: call.metadata, ...(peer ? { peer } : {}) });
      fn(call.request).then(
        (res) => cb(null, res as never),
        (err: unknown) => cb(toServiceError(err)),
      );
    };
  const handlers: ResourcesHandlers = {
    Get: unary('Get', async (req) => {
      const obj = await client(req.ref).get(req.ref?.name ?? '', {
        resourceVersion: req.resource_version || undefined,
        subresource: req.ref?.subresource || undefined,
      });
      return { object: json(obj) };
    }),
    List: unary('List', async (req) => {
      const l = await client(req.ref).list(listOptions(req.options));
      return {
        api_version: 'v1',
        kind: 'List',
        resource_version: l.resourceVersion,
        continue: l.continue ?? '',
        items: l.items.map(json),
      };
    }),
    Create: unary('Create', async (req) => ({
      object: json(
        await client(req.ref).create(parse(req.object), {
          dryRun: req.options?.dry_run.length ? req.options.dry_run : undefined,
        }),
      ),
      created: true,
    })),
    Update: unary('Update', async (req) => ({
      object: json(
        await client(req.ref).update(parse(req.object), {
          subresource: req.ref?.subresource || undefined,
        }),
      ),
    })),
    Patch: unary('Patch', async (req) => ({
      object: json(
        await client(req.ref).patch(
          req.ref?.name ?? '',
          PATCH[req.type]!,
          JSON.parse(req.patch.toString('utf8')),
          { subresource: req.ref?.subresource || undefined },
        ),
      ),
    })),
    Delete: unary('Delete', async (req) => {
      await client(req.ref).delete(req.ref?.name ?? '', {
        preconditions: req.options?.preconditions
          ? {
              uid: req.options.preconditions.uid,
              resourceVersion: req.options.preconditions.resource_version,
            }
          : undefined,
      });
      return { object: json({ kind: 'Status', apiVersion: 'v1', status: 'Success' }) };
    }),
    DeleteCollection: unary('DeleteCollection', async (req) => {
      await client(req.ref).deleteCollection({}, listOptions(req.list_options));
      return { items: [] };
    }),
    Discovery: unary('Discovery', () => Promise.resolve({ resources: [] })),
    Watch: (call) => {
      calls.push({ method: 'Watch', metadata: call.metadata });
      const req = call.request;
      let stream: Awaited<ReturnType<ReturnType<typeof client>['watch']>>;
      void (async () => {
        try {
          stream = await client(req.ref).watch(listOptions(req.options));
        } catch (err) {
          call.emit('error', toServiceError(err));
          return;
        }
        call.sendMetadata(new Metadata());
        watches.add(call);
        call.on('cancelled', () => stream.close());
        try {
          for await (const ev of stream) {
            if (ev.type === 'ERROR') {
              const s = ev.object;
              const md = new Metadata();
              md.set('kubets-status-bin', Buffer.from(JSON.stringify(s)));
              call.emit('error', {
                code: CODES[s.code ?? 500] ?? GrpcCode.INTERNAL,
                details: s.message ?? '',
                metadata: md,
              });
              return;
            }
            call.write({ type: ev.type, object: json(ev.object) });
          }
          call.end();
        } catch (err) {
          call.emit('error', toServiceError(err));
        } finally {
          watches.delete(call);
        }
      })();
    },
  };
  const server = new Server();
  server.addService(loadGrpcObject().kubets.api.v1.Resources.service, handlers);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      `127.0.0.1:${options.port ?? 0}`,
      options.tls
        ? ServerCredentials.createSsl(
            options.tls.ca,
            [{ cert_chain: options.tls.cert, private_key: options.tls.key }],
            options.tls.requireClientCert ?? false,
          )
        : ServerCredentials.createInsecure(),
      (err, p) => (err ? reject(err) : resolve(p)),
    ),
  );
  return {
    address: `127.0.0.1:${port}`,
    calls,
    killWatches: () => {
      for (const w of watches) {
        w.emit('error', {
          code: GrpcCode.UNAVAILABLE,
          details: 'killed',
          metadata: new Metadata(),
        });
      }
      watches.clear();
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.forceShutdown();
        resolve();
      }),
  };
}
