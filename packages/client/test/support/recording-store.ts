/** A ReflectorStore that keeps the latest state and logs every call, for reflector tests. */
import type { KubeObject } from '@kubets/apimachinery';
import { DeletedFinalStateUnknown, metaNamespaceKeyFunc } from '../../src/cache/keys.js';
import type { ReflectorStore } from '../../src/cache/store.js';

export type StoreOp =
  | { op: 'add' | 'update' | 'delete'; key: string; rv: string }
  | { op: 'replace'; count: number; rv: string }
  | { op: 'resync' };

export class RecordingStore implements ReflectorStore<KubeObject> {
  readonly ops: StoreOp[] = [];
  readonly state = new Map<string, KubeObject>();

  add(obj: KubeObject): void {
    this.ops.push({
      op: 'add',
      key: metaNamespaceKeyFunc(obj),
      rv: obj.metadata?.resourceVersion ?? '',
    });
    this.state.set(metaNamespaceKeyFunc(obj), obj);
  }
  update(obj: KubeObject): void {
    this.ops.push({
      op: 'update',
      key: metaNamespaceKeyFunc(obj),
      rv: obj.metadata?.resourceVersion ?? '',
    });
    this.state.set(metaNamespaceKeyFunc(obj), obj);
  }
  delete(obj: KubeObject | DeletedFinalStateUnknown<KubeObject>): void {
    const key = obj instanceof DeletedFinalStateUnknown ? obj.key : metaNamespaceKeyFunc(obj);
    const rv = obj instanceof DeletedFinalStateUnknown ? '' : (obj.metadata?.resourceVersion ?? '');
    this.ops.push({ op: 'delete', key, rv });
    this.state.delete(key);
  }
  replace(list: KubeObject[], rv: string): void {
    this.ops.push({ op: 'replace', count: list.length, rv });
    this.state.clear();
    for (const o of list) this.state.set(metaNamespaceKeyFunc(o), o);
  }
  resync(): void {
    this.ops.push({ op: 'resync' });
  }

  /** key -> resourceVersion. */
  versions(): Map<string, string> {
    return new Map([...this.state].map(([k, o]) => [k, o.metadata?.resourceVersion ?? '']));
  }

  count(op: StoreOp['op']): number {
    return this.ops.filter((o) => o.op === op).length;
  }
}
