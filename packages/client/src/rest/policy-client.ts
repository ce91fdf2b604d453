/**
 * Decorators that put any {@link DynamicClient} or resource client under one request policy
 * (rate limiter + retries). A transport implements the bare operations; wrapping its client here
 * gives every resource of a clientset one shared token bucket, as one rest.Config does upstream.
 * Watches are rate limited and retried only while being established: an open watch that breaks
 * is the reflector's to resume, from the last resourceVersion it saw.
 */
import type { GroupVersionResource, KubeObject } from '@kubets/apimachinery';
import { gvrString } from '@kubets/apimachinery';
import type { Verb } from './errors.js';
import type {
  DynamicClient,
  NamespaceableResourceClient,
  RequestOptions,
  ResourceClient,
} from './interfaces.js';
import { runRequest, type RequestContext } from './retry.js';

function wrapResource<T extends KubeObject>(
  inner: ResourceClient<T>,
  what: string,
  ctx: RequestContext,
): ResourceClient<T> {
  const run = <R>(verb: Verb, signal: AbortSignal | undefined, fn: () => Promise<R>): Promise<R> =>
    runRequest(verb, what, fn, ctx, signal);
  const sig = (o: RequestOptions | undefined): AbortSignal | undefined => o?.signal;
  return {
    get: (name, o) => run('get', sig(o), () => inner.get(name, o)),
    list: (o) => run('list', sig(o), () => inner.list(o)),
    watch: (o) => run('watch', sig(o), () => inner.watch(o)),
    create: (obj, o) => run('create', sig(o), () => inner.create(obj, o)),
    update: (obj, o) => run('update', sig(o), () => inner.update(obj, o)),
    updateStatus: (obj, o) => run('update', sig(o), () => inner.updateStatus(obj, o)),
    patch: (name, type, p, o) => run('patch', sig(o), () => inner.patch(name, type, p, o)),
    delete: (name, o) => run('delete', sig(o), () => inner.delete(name, o)),
    deleteCollection: (o, l) => run('deletecollection', sig(o), () => inner.deleteCollection(o, l)),
  };
}

/** One resource client under a request policy. */
export function withRequestPolicy<T extends KubeObject>(
  inner: NamespaceableResourceClient<T>,
  what: string,
  ctx: RequestContext,
): NamespaceableResourceClient<T> {
  return {
    ...wrapResource(inner, what, ctx),
    namespace: (ns: string) => wrapResource(inner.namespace(ns), `${what} in ${ns}`, ctx),
  };
}

/** Every resource of a dynamic client under one request policy (one shared rate limiter). */
export function withDynamicRequestPolicy(inner: DynamicClient, ctx: RequestContext): DynamicClient {
  return {
    resource: <T extends KubeObject>(gvr: GroupVersionResource) =>
      withRequestPolicy(inner.resource<T>(gvr), gvrString(gvr), ctx),
  };
}
