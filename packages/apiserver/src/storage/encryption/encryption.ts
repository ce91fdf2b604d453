/**
 * Encryption at rest for the API server: loads `--encryption-provider-config`, hands the storage
 * layer one transformer per resource, and with `--encryption-provider-config-automatic-reload`
 * re-reads the file (polled, as upstream, every minute by default) and swaps the configuration
 * when it changed and is valid; an invalid new file keeps the previous configuration.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { GroupResource } from '@kubets/apimachinery';
import type { ComponentMetrics } from '@kubets/component-base';
import { parseEncryptionConfiguration, ResourceTransformers } from './config.js';
import type { TransformationObserver, ValueTransformer } from './transformer.js';

export interface EncryptionAtRestOptions {
  observer?: TransformationObserver;
  /** Poll the file and apply changes (`--encryption-provider-config-automatic-reload`). */
  reload?: {
    intervalMs?: number;
    onReload?: () => void;
    onError?: (err: Error) => void;
  };
}

export class EncryptionAtRest {
  private current: ResourceTransformers;
  private hash: string;
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly path: string,
    text: string,
    private readonly options: EncryptionAtRestOptions,
  ) {
    this.current = new ResourceTransformers(parseEncryptionConfiguration(text), options.observer);
    this.hash = digest(text);
    if (options.reload) {
      this.timer = setInterval(() => this.reloadNow(), options.reload.intervalMs ?? 60_000);
      this.timer.unref();
    }
  }

  /** Reads and validates the file; throws with the flag name and the field errors. */
  static load(path: string, options: EncryptionAtRestOptions = {}): EncryptionAtRest {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new Error(
        `--encryption-provider-config: cannot read ${path}: ${(err as Error).message}`,
      );
    }
    try {
      return new EncryptionAtRest(path, text, options);
    } catch (err) {
      throw new Error(`--encryption-provider-config: ${path}: ${(err as Error).message}`);
    }
  }

  /**
   * The transformer of a resource's values, or undefined when they are stored as they are (and
   * no reload can change that).
   */
  forResource(gr: GroupResource): ValueTransformer | undefined {
    if (!this.options.reload) return this.current.forResource(gr);
    // Resolved per call so a reload applies to stores created before it.
    return {
      toStorage: (data, key) => {
        const t = this.current.forResource(gr);
        return t ? t.toStorage(data, key) : data;
      },
      fromStorage: (data, key) => {
        const t = this.current.forResource(gr);
        return t ? t.fromStorage(data, key) : { data, stale: false };
      },
    };
  }

  /** Re-reads the file now; true when a new configuration was applied. */
  reloadNow(): boolean {
    try {
      const text = readFileSync(this.path, 'utf8');
      const h = digest(text);
      if (h === this.hash) return false;
      this.current = new ResourceTransformers(
        parseEncryptionConfiguration(text),
        this.options.observer,
      );
      this.hash = h;
      this.options.reload?.onReload?.();
      return true;
    } catch (err) {
      this.options.reload?.onError?.(err as Error);
      return false;
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
  }
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Upstream's latency buckets: 5 µs doubling 25 times. */
const TRANSFORMATION_BUCKETS = Array.from({ length: 25 }, (_, i) => 5e-6 * 2 ** i);

/** apiserver_storage_transformation_operations_total and _duration_seconds, as upstream. */
export function transformationMetrics(metrics: ComponentMetrics): TransformationObserver {
  const operations = metrics.counter({
    name: 'apiserver_storage_transformation_operations_total',
    help: 'Total number of transformations.',
    labelNames: ['transformation_type', 'transformer_prefix', 'status'],
  });
  const duration = metrics.histogram({
    name: 'apiserver_storage_transformation_duration_seconds',
    help: 'Latencies in seconds of value transformation operations.',
    labelNames: ['transformation_type', 'transformer_prefix'],
    buckets: TRANSFORMATION_BUCKETS,
  });
  return {
    transformation(type, prefix, seconds, error) {
      operations.inc({
        transformation_type: type,
        transformer_prefix: prefix,
        status: error ? 'unknown-non-grpc' : 'OK',
      });
      if (!error)
        duration.observe({ transformation_type: type, transformer_prefix: prefix }, seconds);
    },
  };
}
