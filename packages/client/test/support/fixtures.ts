/** Shared test fixtures: seeded randomness, pods, and collecting event handlers. */
import type { KubeObject } from '@kubets/apimachinery';
import { Prng } from '@kubets/sim';
import { DeletedFinalStateUnknown } from '../../src/cache/keys.js';
import type { ResourceEventHandler } from '../../src/cache/processor.js';

export interface Pod extends KubeObject {
  spec?: { nodeName?: string; containers?: { name: string; image: string }[] };
  status?: { phase?: string };
}

export function pod(name: string, namespace = 'default', labels: Record<string, string> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels },
    spec: { containers: [{ name: 'c', image: 'busybox' }] },
  };
}

/** A `() => number` in [0, 1) from a seeded PRNG. */
export function seededRandom(seed: number): () => number {
  const p = new Prng(seed);
  return () => p.next();
}

export { Prng };

export type Seen =
  | { kind: 'add'; key: string; rv: string; initial: boolean }
  | { kind: 'update'; key: string; oldRv: string; rv: string }
  | { kind: 'delete'; key: string; rv: string; tombstone: boolean };

const keyOf = (o: KubeObject): string =>
  `${o.metadata?.namespace ? o.metadata.namespace + '/' : ''}${o.metadata?.name ?? ''}`;

/** A handler recording every notification. */
export function recordingHandler(): { handler: ResourceEventHandler<KubeObject>; seen: Seen[] } {
  const seen: Seen[] = [];
  return {
    seen,
    handler: {
      onAdd: (o, initial) =>
        seen.push({ kind: 'add', key: keyOf(o), rv: o.metadata?.resourceVersion ?? '', initial }),
      onUpdate: (a, b) =>
        seen.push({
          kind: 'update',
          key: keyOf(b),
          oldRv: a.metadata?.resourceVersion ?? '',
          rv: b.metadata?.resourceVersion ?? '',
        }),
      onDelete: (o) => {
        if (o instanceof DeletedFinalStateUnknown) {
          seen.push({
            kind: 'delete',
            key: o.key,
            rv: o.obj?.metadata?.resourceVersion ?? '',
            tombstone: true,
          });
        } else {
          seen.push({
            kind: 'delete',
            key: keyOf(o),
            rv: o.metadata?.resourceVersion ?? '',
            tombstone: false,
          });
        }
      },
    },
  };
}

/**
 * Replays notifications into a map and checks they form valid per-key lifecycles: an add only
 * for an absent key, update/delete only for a present one, the update's old version equal to the
 * last version delivered, and versions never going backwards (nothing applied twice or out of
 * order). Returns the resulting key -> resourceVersion map.
 */
export function replay(seen: readonly Seen[]): Map<string, string> {
  const state = new Map<string, string>();
  const lastRv = new Map<string, bigint>();
  const advance = (key: string, rv: string, allowEqual: boolean): void => {
    const v = BigInt(rv || '0');
    const prev = lastRv.get(key);
    if (prev !== undefined && (v < prev || (v === prev && !allowEqual))) {
      throw new Error(`${key}: resourceVersion went from ${prev} to ${v}`);
    }
    lastRv.set(key, v);
  };
  for (const s of seen) {
    switch (s.kind) {
      case 'add':
        if (state.has(s.key)) throw new Error(`add of present key ${s.key}`);
        advance(s.key, s.rv, false);
        state.set(s.key, s.rv);
        break;
      case 'update':
        if (state.get(s.key) !== s.oldRv) {
          throw new Error(
            `update of ${s.key} from ${s.oldRv}, but last delivered was ${state.get(s.key)}`,
          );
        }
        advance(s.key, s.rv, true);
        state.set(s.key, s.rv);
        break;
      case 'delete':
        if (!state.has(s.key)) throw new Error(`delete of absent key ${s.key}`);
        state.delete(s.key);
        break;
    }
  }
  return state;
}
