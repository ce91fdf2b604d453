/**
 * Value transformers: what the storage layer applies to every value on its way to and from etcd,
 * after k8s.io/apiserver/pkg/storage/value. A transformer sits below the watch cache and every
 * reader: everything above the store sees plaintext.
 *
 * Transformers are synchronous (node:crypto and tweetnacl are), so the codec stays synchronous.
 */
import { performance } from 'node:perf_hooks';

export interface FromStorageResult {
  data: Buffer;
  /**
   * The value was read with a transformer other than the one that writes (an older key or
   * provider): a write must happen even when the object is unchanged, so a rewrite re-encrypts.
   */
  stale: boolean;
}

/** A reversible transformation of stored bytes; `key` (the etcd key) is the authenticated data. */
export interface ValueTransformer {
  toStorage(data: Buffer, key: string): Buffer;
  fromStorage(data: Buffer, key: string): FromStorageResult;
}

/** Observes each transformation (apiserver_storage_transformation_* metrics). */
export interface TransformationObserver {
  transformation(
    type: 'from_storage' | 'to_storage',
    prefix: string,
    seconds: number,
    error: boolean,
  ): void;
}

export interface PrefixTransformer {
  /** e.g. `k8s:enc:aesgcm:v1:key1:`; empty for identity. */
  prefix: string;
  transformer: ValueTransformer;
}

/** A stored value no configured transformer can read. */
export class TransformationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TransformationError';
  }
}

/**
 * Tries the transformers in order on read (the first whose prefix matches and that succeeds
 * wins; an empty-prefix identity failing on encrypted data falls through) and writes with the
 * first, as upstream's prefixTransformers. A read by any but the first is stale.
 */
export class PrefixTransformers implements ValueTransformer {
  private readonly prefixes: { bytes: Buffer; label: string; t: ValueTransformer }[];

  constructor(
    transformers: readonly PrefixTransformer[],
    private readonly observer?: TransformationObserver,
  ) {
    if (transformers.length === 0) throw new Error('at least one transformer is required');
    this.prefixes = transformers.map((p) => ({
      bytes: Buffer.from(p.prefix),
      label: p.prefix === '' ? 'identity' : p.prefix,
      t: p.transformer,
    }));
  }

  toStorage(data: Buffer, key: string): Buffer {
    const first = this.prefixes[0]!;
    const start = performance.now();
    let error = true;
    try {
      const out = first.t.toStorage(data, key);
      error = false;
      return first.bytes.length === 0 ? out : Buffer.concat([first.bytes, out]);
    } finally {
      this.observer?.transformation(
        'to_storage',
        first.label,
        (performance.now() - start) / 1000,
        error,
      );
    }
  }

  fromStorage(data: Buffer, key: string): FromStorageResult {
    const start = performance.now();
    const errors: string[] = [];
    for (let i = 0; i < this.prefixes.length; i++) {
      const p = this.prefixes[i]!;
      if (!startsWith(data, p.bytes)) continue;
      let result: FromStorageResult;
      try {
        result = p.t.fromStorage(data.subarray(p.bytes.length), key);
      } catch (err) {
        // Identity refuses encrypted data; a later provider may read it. A failing prefix match
        // (the same provider listed twice with different keys) does not stop the search either.
        if (p.bytes.length > 0) {
          errors.push((err as Error).message);
          this.observe(p.label, start, true);
        }
        continue;
      }
      this.observe(p.label, start, false);
      return { data: result.data, stale: result.stale || i !== 0 };
    }
    if (errors.length > 0) throw new TransformationError(errors.join(', '));
    this.observe('unknown', start, true);
    throw new TransformationError('no matching prefix found');
  }

  private observe(label: string, start: number, error: boolean): void {
    this.observer?.transformation('from_storage', label, (performance.now() - start) / 1000, error);
  }
}

function startsWith(data: Buffer, prefix: Buffer): boolean {
  return data.length >= prefix.length && data.subarray(0, prefix.length).equals(prefix);
}
