/**
 * Benchmarks: commit throughput of a 3-node in-memory cluster (no I/O: MemoryStorage,
 * messages handed over in memory) and codec throughput. Run with `npm run bench`.
 * Besides vitest's table, each benchmark prints a `FIGURE:` line with proposals/s or MB/s.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { bench, describe } from 'vitest';
import type { Message } from '../src/index.js';
import {
  decodeMessage,
  encodeMessage,
  EntryType,
  makeMessage,
  MemoryStorage,
  MessageType,
  RawNode,
  StateType,
} from '../src/index.js';

/** A minimal host loop for three nodes: persist to MemoryStorage, deliver, apply. */
class InMemoryCluster {
  readonly nodes = new Map<number, { node: RawNode; storage: MemoryStorage; applied: number }>();
  private queue: Message[] = [];

  constructor(ids: number[]) {
    for (const id of ids) {
      const storage = MemoryStorage.bootstrap(ids);
      const node = new RawNode({
        id,
        storage,
        electionTick: 10,
        heartbeatTick: 1,
        random: () => 0.5,
        maxInflightMsgs: 256,
        maxSizePerMsg: 1024 * 1024,
      });
      this.nodes.set(id, { node, storage, applied: 0 });
    }
    this.nodes.get(ids[0]!)!.node.campaign();
    this.settle();
    if (this.leader().status().raftState !== StateType.Leader) throw new Error('no leader');
  }

  leader(): RawNode {
    return this.nodes.values().next().value!.node;
  }

  /** One round: process every Ready, then deliver the resulting messages. */
  round(): void {
    for (const n of this.nodes.values()) {
      while (n.node.hasReady()) {
        const rd = n.node.ready();
        n.storage.append(rd.entries);
        if (rd.hardState !== null) n.storage.setHardState(rd.hardState);
        for (const m of rd.messages) this.queue.push(m);
        if (rd.committedEntries.length > 0) {
          n.applied = rd.committedEntries[rd.committedEntries.length - 1]!.index;
        }
        n.node.advance();
      }
    }
    const q = this.queue;
    this.queue = [];
    for (const m of q) this.nodes.get(m.to)!.node.step(m);
  }

  settle(): void {
    for (let i = 0; i < 1000; i++) {
      this.round();
      if (this.queue.length === 0 && ![...this.nodes.values()].some((n) => n.node.hasReady()))
        return;
    }
    throw new Error('cluster did not settle');
  }

  /** Compacts logs so memory stays flat across iterations. */
  compact(): void {
    for (const n of this.nodes.values()) {
      const keep = n.applied - 1000;
      if (keep > n.storage.firstIndex()) n.storage.compact(keep);
    }
  }
}

interface Figure {
  count: number;
  ms: number;
}
function measured(fig: Figure, count: number, fn: () => void): void {
  const t0 = performance.now();
  fn();
  fig.ms += performance.now() - t0;
  fig.count += count;
}
function report(label: string, fig: Figure, unit: string, scale = 1): () => void {
  let phase = 0;
  return () => {
    // vitest calls teardown after the warm-up and after the measured run.
    if (++phase === 2 && fig.ms > 0) {
      process.stdout.write(
        `FIGURE: ${label}: ${((fig.count / scale / fig.ms) * 1000).toFixed(0)} ${unit}\n`,
      );
    }
    fig.count = 0;
    fig.ms = 0;
  };
}

/** The workload: proposals of 256 bytes. */
const payload = new Uint8Array(256).fill(7);

/**
 * Heap bytes allocated per committed entry, over the whole 3-node cluster (leader and two
 * followers, messages included). Node has no allocation counter, so this measures heap growth
 * across a batch during which no garbage collection ran (a PerformanceObserver watches for GC;
 * batches with a GC are discarded). Run with a large young generation (the bench script sets
 * --max-semi-space-size) so that most batches complete without a scavenge.
 */
function allocationsPerEntry(cluster: InMemoryCluster, batched: boolean): string {
  let gcs = 0;
  const observer = new PerformanceObserver((list) => (gcs += list.getEntries().length));
  observer.observe({ entryTypes: ['gc'] });
  const samples: number[] = [];
  const perBatch = 2000;
  const batch = Array.from({ length: 100 }, () => payload);
  for (let attempt = 0; attempt < 20 && samples.length < 5; attempt++) {
    cluster.compact();
    const gcsBefore = gcs;
    const before = process.memoryUsage().heapUsed;
    const leader = cluster.leader();
    for (let i = 0; i < perBatch / 100; i++) {
      if (batched) leader.proposeBatch(batch);
      else for (const p of batch) leader.propose(p);
      cluster.round();
    }
    cluster.settle();
    const grown = process.memoryUsage().heapUsed - before;
    if (gcs === gcsBefore && grown > 0) samples.push(grown / perBatch);
  }
  observer.disconnect();
  if (samples.length === 0) return 'n/a (a GC ran during every batch; raise --max-semi-space-size)';
  samples.sort((a, b) => a - b);
  return `${samples[Math.floor(samples.length / 2)]!.toFixed(0)} B/entry (median of ${samples.length} GC-free batches of ${perBatch})`;
}

describe('raft 3-node in-memory cluster', () => {
  const pipelined: Figure = { count: 0, ms: 0 };
  const c1 = new InMemoryCluster([1, 2, 3]);
  bench(
    'pipelined proposals: 1000 x 256 B, a Ready round every 32 proposals',
    () => {
      measured(pipelined, 1000, () => {
        const leader = c1.leader();
        for (let i = 1; i <= 1000; i++) {
          leader.propose(payload);
          if (i % 32 === 0) c1.round();
        }
        c1.settle();
      });
      c1.compact();
    },
    { time: 1500, teardown: report('pipelined commit throughput', pipelined, 'proposals/s') },
  );

  const batched: Figure = { count: 0, ms: 0 };
  const c2 = new InMemoryCluster([1, 2, 3]);
  const batch = Array.from({ length: 100 }, () => payload);
  bench(
    'batched proposals: 10 x proposeBatch(100 x 256 B)',
    () => {
      measured(batched, 1000, () => {
        const leader = c2.leader();
        for (let i = 0; i < 10; i++) {
          leader.proposeBatch(batch);
          c2.round();
        }
        c2.settle();
      });
      c2.compact();
    },
    { time: 1500, teardown: report('batched commit throughput', batched, 'proposals/s') },
  );

  const sequential: Figure = { count: 0, ms: 0 };
  const c3 = new InMemoryCluster([1, 2, 3]);
  bench(
    'sequential proposals: each committed before the next',
    () => {
      measured(sequential, 100, () => {
        for (let i = 0; i < 100; i++) {
          c3.leader().propose(payload);
          c3.settle();
        }
      });
      c3.compact();
    },
    {
      time: 1500,
      teardown: report('sequential commit throughput (1 in flight)', sequential, 'proposals/s'),
    },
  );
});

describe('allocations per committed entry (3 nodes, 256 B proposals)', () => {
  const cluster = new InMemoryCluster([1, 2, 3]);
  bench('heap bytes allocated per entry', () => undefined, {
    iterations: 1,
    time: 0,
    setup: () => {
      process.stdout.write(
        `FIGURE: allocations without batching: ${allocationsPerEntry(cluster, false)}\n`,
      );
      process.stdout.write(
        `FIGURE: allocations with proposeBatch: ${allocationsPerEntry(cluster, true)}\n`,
      );
    },
  });
});

describe('codec', () => {
  const entries = Array.from({ length: 64 }, (_, i) => ({
    term: 7,
    index: 100_000 + i,
    type: EntryType.EntryNormal,
    data: new Uint8Array(128).fill(i),
  }));
  const app = makeMessage({
    type: MessageType.MsgApp,
    to: 2,
    from: 1,
    term: 7,
    logTerm: 7,
    index: 99_999,
    commit: 99_990,
    entries,
  });
  const encoded = encodeMessage(app);
  const heartbeat = makeMessage({
    type: MessageType.MsgHeartbeat,
    to: 2,
    from: 1,
    term: 7,
    commit: 99_990,
  });

  const enc: Figure = { count: 0, ms: 0 };
  bench(
    `encode MsgApp (64 entries x 128 B = ${encoded.length} B)`,
    () => measured(enc, encoded.length, () => encodeMessage(app)),
    { time: 1000, teardown: report('encode', enc, 'MB/s', 1e6) },
  );
  const decodeFig: Figure = { count: 0, ms: 0 };
  bench(
    `decode MsgApp (${encoded.length} B)`,
    () => measured(decodeFig, encoded.length, () => decodeMessage(encoded)),
    { time: 1000, teardown: report('decode', decodeFig, 'MB/s', 1e6) },
  );
  const hb: Figure = { count: 0, ms: 0 };
  bench(
    'encode+decode MsgHeartbeat',
    () => measured(hb, 1, () => decodeMessage(encodeMessage(heartbeat))),
    { time: 1000, teardown: report('heartbeat round trip', hb, 'messages/s') },
  );
});
