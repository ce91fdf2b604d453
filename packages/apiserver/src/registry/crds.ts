/**
 * Serving custom resources: the apiextensions-apiserver's naming, establishing and finalizing
 * controllers, driven by a storage watch on CustomResourceDefinitions (so every API server of
 * a cluster converges on the same set):
 *
 * - a CRD whose names do not clash is served at once: its ResourceDefinition (from @kubets/api)
 *   joins the catalog — the same generic registry built-ins use — and the CRD gets
 *   `acceptedNames`, `NamesAccepted` and `Established`, plus the cleanup finalizer;
 * - a clash with a built-in resource sets `NamesAccepted=False` and nothing is served;
 * - a deleted CRD stops being served, its custom resources are removed from storage, and the
 *   finalizer is dropped so the CRD itself goes away.
 */
import { deepCopyJson, formatTime, isNotFound } from '@kubets/apimachinery';
import type { Logger } from '@kubets/component-base';
import type { ApiObject } from '../storage/codec.js';
import type { StorageWatch } from '../storage/watcher.js';
import type { Catalog } from './catalog.js';
import type { ResourceDefinition } from './definition.js';
import type { ResourceRegistry } from './resource-registry.js';

export const CRD_CLEANUP_FINALIZER = 'customresourcecleanup.apiextensions.k8s.io';

interface CRDLike extends ApiObject {
  spec?: { group?: string; names?: { plural?: string; kind?: string } };
  status?: {
    conditions?: { type: string; status: string }[];
    acceptedNames?: unknown;
    storedVersions?: string[];
  };
}

export interface CustomResourceOptions {
  catalog: Catalog;
  /** The customresourcedefinitions registry. */
  crds: ResourceRegistry;
  /** @kubets/api's resourceFromCRD. */
  toDefinition: (crd: ApiObject) => ResourceDefinition;
  /** The status of an accepted CRD (@kubets/api's establishedCRDStatus). */
  establishedStatus: (crd: ApiObject, now: string) => unknown;
  /** Builds the registry serving a custom resource (storage, hooks). */
  registryFor: (def: ResourceDefinition) => ResourceRegistry;
  now: () => Date;
  logger?: Pick<Logger, 'info' | 'error'>;
}

type LoggerLike = Pick<Logger, 'info' | 'error'>;

export class CustomResourceController {
  private watch: StorageWatch | undefined;
  private stopped = false;
  /** CRD name -> served group/plural. */
  private readonly served = new Map<string, { group: string; plural: string }>();
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly o: CustomResourceOptions) {}

  private get log(): LoggerLike | undefined {
    return this.o.logger;
  }

  /** Serves the stored CRDs, then follows changes. Resolves once the initial set is served. */
  async start(): Promise<void> {
    const list = await this.o.crds.list(undefined, {});
    for (const crd of list.items as CRDLike[]) await this.reconcile(crd);
    this.watch = this.o.crds.watch(
      undefined,
      {
        resourceVersion: String(list.metadata?.resourceVersion ?? ''),
      },
      {
        onEvent: (e) => {
          if (e.type === 'BOOKMARK') return;
          if (e.type === 'ERROR') {
            this.restart();
            return;
          }
          const crd = e.object as CRDLike;
          this.enqueue(() => (e.type === 'DELETED' ? this.forget(crd) : this.reconcile(crd)));
        },
        onClose: () => this.restart(),
      },
    );
  }

  stop(): Promise<void> {
    this.stopped = true;
    this.watch?.stop();
    return this.queue;
  }

  /** Waits until queued reconciles are done (tests). */
  idle(): Promise<void> {
    return this.queue;
  }

  private restart(): void {
    if (this.stopped) return;
    this.watch?.stop();
    this.watch = undefined;
    setTimeout(() => {
      if (!this.stopped)
        void this.start().catch((err: unknown) =>
          this.log?.error(err, 'Cannot resume watching CRDs'),
        );
    }, 1000).unref();
  }

  private enqueue(task: () => Promise<void>): void {
    this.queue = this.queue
      .then(task)
      .catch((err: unknown) => this.log?.error(err, 'CRD reconcile failed'));
  }

  private async reconcile(crd: CRDLike): Promise<void> {
    const name = crd.metadata?.name ?? '';
    if (crd.metadata?.deletionTimestamp) {
      await this.finalize(crd);
      return;
    }
    let def: ResourceDefinition;
    try {
      def = this.o.toDefinition(crd);
    } catch (err) {
      this.log?.error(err, 'Cannot serve CRD', { crd: name });
      return;
    }
    const existing = this.o.catalog.get(def.group, def.plural);
    if (existing && existing.def.source === 'builtin') {
      await this.setStatus(crd, {
        ...(crd.status ?? {}),
        conditions: [
          {
            type: 'NamesAccepted',
            status: 'False',
            lastTransitionTime: formatTime(this.o.now()),
            reason: 'NameConflict',
            message: `${def.plural}.${def.group} is already in use`,
          },
          {
            type: 'Established',
            status: 'False',
            lastTransitionTime: formatTime(this.o.now()),
            reason: 'NotAccepted',
            message: 'not all names are accepted',
          },
        ],
      });
      return;
    }
    const previous = this.served.get(name);
    if (previous && (previous.group !== def.group || previous.plural !== def.plural)) {
      this.o.catalog.remove(previous.group, previous.plural);
    }
    this.o.catalog.add(this.o.registryFor(def));
    this.served.set(name, { group: def.group, plural: def.plural });
    const established = crd.status?.conditions?.some(
      (c) => c.type === 'Established' && c.status === 'True',
    );
    const hasFinalizer = (crd.metadata?.finalizers ?? []).includes(CRD_CLEANUP_FINALIZER);
    if (!established || !hasFinalizer) {
      await this.update(crd, (cur) => {
        const meta = (cur.metadata ??= {});
        if (!(meta.finalizers ?? []).includes(CRD_CLEANUP_FINALIZER))
          meta.finalizers = [...(meta.finalizers ?? []), CRD_CLEANUP_FINALIZER];
        cur.status = this.o.establishedStatus(cur, formatTime(this.o.now())) as never;
      });
      if (!established)
        this.log?.info('Serving custom resource', {
          crd: name,
          resource: `${def.plural}.${def.group}`,
        });
    }
  }

  /** A terminating CRD: stop serving, delete its objects, release the finalizer. */
  private async finalize(crd: CRDLike): Promise<void> {
    const name = crd.metadata?.name ?? '';
    const served = this.served.get(name) ?? {
      group: crd.spec?.group ?? '',
      plural: crd.spec?.names?.plural ?? '',
    };
    const registry = this.o.catalog.get(served.group, served.plural);
    if (registry && registry.def.source === 'crd') {
      this.o.catalog.remove(served.group, served.plural);
      const removed = await registry.store.deleteAll();
      this.log?.info('Deleted custom resources of a deleted CRD', { crd: name, count: removed });
    }
    this.served.delete(name);
    if ((crd.metadata?.finalizers ?? []).includes(CRD_CLEANUP_FINALIZER)) {
      await this.update(crd, (cur) => {
        const meta = (cur.metadata ??= {});
        meta.finalizers = (meta.finalizers ?? []).filter((f) => f !== CRD_CLEANUP_FINALIZER);
      });
      // The update removed the last finalizer of a terminating object: delete it for good.
      try {
        const cur = await this.o.crds.store.tryGet(undefined, name);
        if (cur?.metadata?.deletionTimestamp && (cur.metadata.finalizers ?? []).length === 0) {
          await this.o.crds.store.delete(undefined, name, {
            preconditions: { resourceVersion: cur.metadata.resourceVersion },
          });
        }
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }

  private forget(crd: CRDLike): Promise<void> {
    const name = crd.metadata?.name ?? '';
    const served = this.served.get(name);
    if (served) {
      const registry = this.o.catalog.get(served.group, served.plural);
      if (registry?.def.source === 'crd') this.o.catalog.remove(served.group, served.plural);
      this.served.delete(name);
    }
    return Promise.resolve();
  }

  private async setStatus(crd: CRDLike, status: unknown): Promise<void> {
    await this.update(crd, (cur) => {
      cur.status = status as never;
    });
  }

  private async update(crd: CRDLike, change: (cur: CRDLike) => void): Promise<void> {
    const name = crd.metadata?.name ?? '';
    try {
      await this.o.crds.store.guaranteedUpdate(undefined, name, (cur) => {
        const next = deepCopyJson(cur!) as CRDLike;
        change(next);
        return next;
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
