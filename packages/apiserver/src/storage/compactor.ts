/**
 * Periodic etcd compaction, as kube-apiserver's storage/etcd3/compact.go does it
 * (`--etcd-compaction-interval`, default 5m): every interval, compact to the revision seen one
 * interval earlier, so at least one interval of history stays available to watchers and paged
 * lists. Several API servers coordinate through the version of the key `compact_rev_key`: only
 * the one whose transaction bumps it compacts, the others adopt the new time and skip.
 */
import type { EtcdClient } from './etcd/etcd-client.js';

export const COMPACT_REV_KEY = 'compact_rev_key';

export interface CompactResult {
  /** The version of compact_rev_key after this attempt ("logical time"). */
  time: bigint;
  /** The store revision observed; the next attempt compacts to it. */
  revision: bigint;
  /** True when this call compacted. */
  compacted: boolean;
}

/**
 * One compaction step. `time` is the version of compact_rev_key this server last saw, `revision`
 * the revision to compact to (0 on the first step: only observe).
 */
export async function compactOnce(
  client: EtcdClient,
  time: bigint,
  revision: bigint,
): Promise<CompactResult> {
  const key = Buffer.from(COMPACT_REV_KEY);
  const resp = await client.txn({
    compare: [{ key, target: 'VERSION', result: 'EQUAL', version: time.toString() }],
    success: [{ request_put: { key, value: Buffer.from(revision.toString()) } }],
    failure: [{ request_range: { key } }],
  });
  const current = BigInt(resp.header?.revision ?? '0');
  if (!resp.succeeded) {
    // Another server compacted (or we restarted): adopt its logical time.
    const version = resp.responses[0]?.response_range?.kvs[0]?.version ?? '0';
    return { time: BigInt(version), revision: current, compacted: false };
  }
  if (revision === 0n) return { time: time + 1n, revision: current, compacted: false };
  await client.compact(revision);
  return { time: time + 1n, revision: current, compacted: true };
}

export interface CompactorOptions {
  client: EtcdClient;
  intervalMs: number;
  onCompacted?: (revision: bigint) => void;
  onError?: (err: unknown) => void;
}

/** Runs compactOnce every interval until stop(); an interval of 0 disables compaction. */
export class Compactor {
  private timer: NodeJS.Timeout | undefined;
  private time = 0n;
  private revision = 0n;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: CompactorOptions) {}

  start(): void {
    if (this.options.intervalMs <= 0 || this.timer || this.stopped) return;
    // The first step only records the revision (nothing is compacted at bootstrap).
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.running = this.step().finally(() => {
        this.running = undefined;
        if (!this.stopped) this.schedule(this.options.intervalMs);
      });
    }, delayMs);
    this.timer.unref();
  }

  private async step(): Promise<void> {
    try {
      const result = await compactOnce(this.options.client, this.time, this.revision);
      this.time = result.time;
      if (result.compacted) this.options.onCompacted?.(this.revision);
      this.revision = result.revision;
    } catch (err) {
      this.options.onError?.(err);
    }
  }
}
