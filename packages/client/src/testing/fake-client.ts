/**
 * A {@link DynamicClient} over an {@link ObjectTracker}, with client-go testing's "reactors" to
 * script failures: every request is recorded as an {@link Action} and offered to the reactors
 * (most recently prepended first); the first one that answers decides the outcome, otherwise the
 * tracker serves it. Give each simulated process its own FakeDynamicClient over one shared
 * tracker to cut one process off while the others keep working.
 */
import type {
  CreateOptions,
  DeleteOptions,
  GetOptions,
  GroupVersionResource,
  KubeObject,
  ListOptions,
  PatchOptions,
  UpdateOptions,
} from '@kubets/apimachinery';
import { newConflict, newMethodNotSupported } from '@kubets/apimachinery';
import type { Verb } from '../rest/errors.js';
import type {
  DynamicClient,
  NamespaceableResourceClient,
  PatchType,
  RequestOptions,
  ResourceClient,
  SubresourceOptions,
  WatchStream,
} from '../rest/interfaces.js';
import { abortError } from '../util/clock.js';
import type { ObjectTracker } from './object-tracker.js';

export interface Action {
  verb: Verb;
  resource: GroupVersionResource;
  /** '' for cluster-scoped resources and all-namespace requests. */
  namespace: string;
  name?: string;
  subresource?: string;
  object?: KubeObject;
  patchType?: PatchType;
  patch?: unknown;
  options?: unknown;
  signal?: AbortSignal;
}

export type ReactorOutcome = { result: unknown } | { error: unknown };

/** Returns an outcome to handle the action, or undefined to pass it on. */
export type Reactor = (
  action: Action,
) => ReactorOutcome | undefined | Promise<ReactorOutcome | undefined>;

interface ReactorEntry {
  verb: Verb | '*';
  resource: string;
  reactor: Reactor;
}

/** A reactor answering every matching action with `error`. */
export function failWith(error: unknown): Reactor {
  return () => ({ error: typeof error === 'function' ? (error as () => unknown)() : error });
}

/** A reactor whose requests never answer until aborted (a black-holed network). */
export function hangUntilAborted(): Reactor {
  return (action) =>
    new Promise<ReactorOutcome>((resolve) => {
      const signal = action.signal;
      if (!signal) return; // hangs forever, as an unbounded request would
      if (signal.aborted) resolve({ error: abortError(signal) });
      signal.addEventListener('abort', () => resolve({ error: abortError(signal) }), {
        once: true,
      });
    });
}

export class FakeDynamicClient implements DynamicClient {
  private readonly reactors: ReactorEntry[] = [];
  private recorded: Action[] = [];

  constructor(readonly tracker: ObjectTracker) {}

  /**
   * Adds a reactor for `verb` ('*' = any) on `resource` (plural name, '*' = any), consulted
   * before those added earlier. Returns a function removing it.
   */
  prependReactor(verb: Verb | '*', resource: string, reactor: Reactor): () => void {
    const entry: ReactorEntry = { verb, resource, reactor };
    this.reactors.unshift(entry);
    return () => {
      const i = this.reactors.indexOf(entry);
      if (i >= 0) this.reactors.splice(i, 1);
    };
  }

  /** Every request made so far, in order. */
  actions(): readonly Action[] {
    return this.recorded;
  }

  clearActions(): void {
    this.recorded = [];
  }

  resource<T extends KubeObject = KubeObject>(
    gvr: GroupVersionResource,
  ): NamespaceableResourceClient<T> {
    return {
      ...this.scoped<T>(gvr, ''),
      namespace: (ns: string) => {
        if (!ns) throw new Error('namespace(ns) needs a namespace');
        return this.scoped<T>(gvr, ns);
      },
    };
  }

  private async invoke<R>(action: Action, serve: () => R): Promise<R> {
    this.recorded.push(action);
    if (action.signal?.aborted) throw abortError(action.signal);
    for (const r of [...this.reactors]) {
      if (r.verb !== '*' && r.verb !== action.verb) continue;
      if (r.resource !== '*' && r.resource !== action.resource.resource) continue;
      const outcome = await r.reactor(action);
      if (outcome === undefined) continue;
      if ('error' in outcome) throw outcome.error;
      return outcome.result as R;
    }
    return serve();
  }

  /**
   * The action subresources controllers use: pods/binding sets `spec.nodeName` (409 when the
   * pod is already bound, as upstream), pods/eviction deletes the pod (the fake has no
   * PodDisruptionBudgets). Others answer 405.
   */
  private createSubresource(
    gvr: GroupVersionResource,
    ns: string,
    obj: KubeObject,
    subresource: string,
  ): KubeObject {
    const t = this.tracker;
    const name = obj.metadata?.name ?? '';
    const namespace = ns || obj.metadata?.namespace || '';
    if (gvr.group === '' && gvr.resource === 'pods' && subresource === 'binding') {
      const pod = t.get<KubeObject & { spec?: { nodeName?: string } }>(gvr, namespace, name);
      const target = (obj as { target?: { name?: string } }).target?.name ?? '';
      if (pod.spec?.nodeName) {
        throw newConflict(
          { group: '', resource: 'pods/binding' },
          name,
          new Error(`pod ${name} is already assigned to node "${pod.spec.nodeName}"`),
        );
      }
      t.update(gvr, namespace, { ...pod, spec: { ...pod.spec, nodeName: target } });
      return { kind: 'Status', apiVersion: 'v1', status: 'Success', code: 201 } as KubeObject;
    }
    if (gvr.group === '' && gvr.resource === 'pods' && subresource === 'eviction') {
      t.delete(gvr, namespace, name, {});
      return { kind: 'Status', apiVersion: 'v1', status: 'Success', code: 201 } as KubeObject;
    }
    throw newMethodNotSupported(
      { group: gvr.group, resource: gvr.resource },
      `create of subresource ${subresource}`,
    );
  }

  private scoped<T extends KubeObject>(gvr: GroupVersionResource, ns: string): ResourceClient<T> {
    const t = this.tracker;
    const base = (verb: Verb, extra: Partial<Action>, signal?: AbortSignal): Action => ({
      verb,
      resource: gvr,
      namespace: ns,
      ...extra,
      signal,
    });
    return {
      get: (name: string, o?: GetOptions & RequestOptions & SubresourceOptions) =>
        this.invoke(
          base('get', { name, options: o, subresource: o?.subresource }, o?.signal),
          () => {
            // The tracker keeps whole objects: reading `status` is reading the object; other
            // subresources (scale) are not simulated.
            if (o?.subresource && o.subresource !== 'status') {
              throw newMethodNotSupported(
                { group: gvr.group, resource: gvr.resource },
                `get of subresource ${o.subresource}`,
              );
            }
            return t.get<T>(gvr, ns, name);
          },
        ),
      list: (o?: ListOptions & RequestOptions) =>
        this.invoke(base('list', { options: o }, o?.signal), () =>
          t.list<T>(gvr, ns, stripSignal(o)),
        ),
      watch: (o?: ListOptions & RequestOptions) =>
        this.invoke(
          base('watch', { options: o }, o?.signal),
          () => t.watch(gvr, ns, stripSignal(o)) as unknown as WatchStream<T>,
        ),
      create: (obj: T, o?: CreateOptions & RequestOptions & SubresourceOptions) =>
        this.invoke(
          base('create', { object: obj, options: o, subresource: o?.subresource }, o?.signal),
          (): T => {
            if (o?.subresource) return this.createSubresource(gvr, ns, obj, o.subresource) as T;
            return t.create(gvr, ns, obj, { dryRun: o?.dryRun });
          },
        ),
      update: (obj: T, o?: UpdateOptions & RequestOptions & SubresourceOptions) =>
        this.invoke(
          base(
            'update',
            { name: obj.metadata?.name, object: obj, options: o, subresource: o?.subresource },
            o?.signal,
          ),
          (): T => t.update(gvr, ns, obj, { dryRun: o?.dryRun, subresource: o?.subresource }),
        ),
      updateStatus: (obj: T, o?: UpdateOptions & RequestOptions) =>
        this.invoke(
          base(
            'update',
            { name: obj.metadata?.name, object: obj, options: o, subresource: 'status' },
            o?.signal,
          ),
          (): T => t.update(gvr, ns, obj, { dryRun: o?.dryRun, subresource: 'status' }),
        ),
      patch: (
        name: string,
        patchType: PatchType,
        patch: unknown,
        o?: PatchOptions & RequestOptions & SubresourceOptions,
      ) =>
        this.invoke(
          base(
            'patch',
            { name, patchType, patch, options: o, subresource: o?.subresource },
            o?.signal,
          ),
          () =>
            t.patch<T>(gvr, ns, name, patchType, patch, {
              dryRun: o?.dryRun,
              subresource: o?.subresource,
            }),
        ),
      delete: (name: string, o?: DeleteOptions & RequestOptions) =>
        this.invoke(base('delete', { name, options: o }, o?.signal), () => {
          t.delete(gvr, ns, name, stripSignal(o));
        }),
      deleteCollection: (o?: DeleteOptions & RequestOptions, listOptions?: ListOptions) =>
        this.invoke(base('deletecollection', { options: { ...o, listOptions } }, o?.signal), () => {
          t.deleteCollection(gvr, ns, stripSignal(o), listOptions);
        }),
    };
  }
}

function stripSignal<O extends RequestOptions>(o: O | undefined): Omit<O, 'signal'> {
  if (!o) return {} as Omit<O, 'signal'>;
  const { signal: _s, ...rest } = o;
  return rest;
}
