/**
 * A minimal informer over one registry: list, then watch from the list's resourceVersion, keep
 * every object in memory, call back on each change, and re-list when the watch ends (compaction,
 * etcd restart). The RBAC authorizer, the Node authorizer's graph and ClusterRole aggregation
 * read from these instead of etcd.
 */
import type { Logger } from '@kubets/component-base';
import type { ResourceRegistry } from '../registry/resource-registry.js';
import type { ApiObject } from '../storage/codec.js';
import type { StorageWatch } from '../storage/watcher.js';

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

export function objectKey(obj: ApiObject): string {
  const ns = obj.metadata?.namespace;
  return ns ? `${ns}/${obj.metadata?.name ?? ''}` : (obj.metadata?.name ?? '');
}

export class Informer {
  private readonly items = new Map<string, ApiObject>();
  private watch: StorageWatch | undefined;
  private stopped = false;
  private retry: NodeJS.Timeout | undefined;
  private readonly listeners: ((type: ChangeType, obj: ApiObject, old?: ApiObject) => void)[] = [];
  /** Called once after each (re)list has replaced the contents. */
  private readonly resyncListeners: (() => void)[] = [];

  constructor(
    readonly registry: ResourceRegistry,
    private readonly logger?: Logger,
  ) {}

  onChange(fn: (type: ChangeType, obj: ApiObject, old?: ApiObject) => void): void {
    this.listeners.push(fn);
  }

  onResync(fn: () => void): void {
    this.resyncListeners.push(fn);
  }

  get(key: string): ApiObject | undefined {
    return this.items.get(key);
  }

  list(): IterableIterator<ApiObject> {
    return this.items.values();
  }

  /** Resolves after the first list. */
  async start(): Promise<void> {
    await this.relist();
  }

  stop(): void {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    this.watch?.stop();
  }

  private async relist(): Promise<void> {
    const list = await this.registry.list(undefined, {});
    const fresh = new Map<string, ApiObject>();
    for (const item of (list.items ?? []) as ApiObject[]) fresh.set(objectKey(item), item);
    const old = new Map(this.items);
    this.items.clear();
    for (const [k, v] of fresh) this.items.set(k, v);
    for (const [k, v] of fresh) {
      const before = old.get(k);
      if (!before) this.emit('ADDED', v);
      else if (before.metadata?.resourceVersion !== v.metadata?.resourceVersion)
        this.emit('MODIFIED', v, before);
    }
    for (const [k, v] of old) if (!fresh.has(k)) this.emit('DELETED', v);
    for (const fn of this.resyncListeners) fn();
    const rv = String(list.metadata?.resourceVersion ?? '');
    this.startWatch(rv);
  }

  private startWatch(rv: string): void {
    if (this.stopped) return;
    this.watch = this.registry.watch(
      undefined,
      { resourceVersion: rv },
      {
        onEvent: (e) => {
          if (e.type === 'ADDED' || e.type === 'MODIFIED') {
            const key = objectKey(e.object);
            const before = this.items.get(key);
            this.items.set(key, e.object);
            this.emit(before ? 'MODIFIED' : 'ADDED', e.object, before);
          } else if (e.type === 'DELETED') {
            const key = objectKey(e.object);
            this.items.delete(key);
            this.emit('DELETED', e.object);
          }
        },
        onClose: () => this.scheduleRelist(),
      },
    );
  }

  private scheduleRelist(): void {
    if (this.stopped) return;
    this.retry = setTimeout(() => {
      this.relist().catch((err: unknown) => {
        this.logger?.error(err, 'Informer re-list failed', { resource: this.registry.def.plural });
        this.scheduleRelist();
      });
    }, 500);
    this.retry.unref();
  }

  private emit(type: ChangeType, obj: ApiObject, old?: ApiObject): void {
    for (const fn of this.listeners) {
      try {
        fn(type, obj, old);
      } catch (err) {
        this.logger?.error(err, 'Informer listener failed');
      }
    }
  }
}
