/**
 * The public contract (agreed with the raft and store engineers), exercised
 * through the package entry point with the contract's own type spellings. If a name or shape
 * drifts, this file stops compiling.
 */
import { describe, expect, it } from 'vitest';
import type {
  CheckResult,
  KvInput,
  KvOutput,
  LinkConfig,
  Model,
  NodeId,
  Operation,
  TimerId,
  Prng,
} from './index.js';
import {
  HistoryRecorder,
  SimDisk,
  SimNetwork,
  VirtualClock,
  checkLinearizable,
  kvModel,
  runSimulation,
  simulationSeeds,
} from './index.js';

describe('public API contract', () => {
  it('wires a small simulated cluster end to end', () => {
    const seeds: number[] = simulationSeeds([42], { env: {} });
    for (const seed of seeds) {
      runSimulation('contract smoke', seed, (prng: Prng) => {
        const clock = new VirtualClock();
        const net = new SimNetwork<{ put: string }>({ clock, prng: prng.fork('net') });
        const link: Partial<LinkConfig> = { minDelayMs: 1, maxDelayMs: 3 };
        net.setDefaultLink(link);
        const disks = new Map<NodeId, SimDisk>();
        const recorder = new HistoryRecorder<KvInput, KvOutput>(() => clock.now());
        const enc = new TextEncoder();

        // Three replicas append every put to their disk and sync; the client waits for all.
        const replicas: NodeId[] = [1, 2, 3];
        for (const id of replicas) {
          const disk = new SimDisk({ prng: prng.fork(`disk-${id}`), tornWrites: true });
          disks.set(id, disk);
          net.register(id, (from, msg) => {
            disk.append('log', enc.encode(`${msg.put}\n`));
            disk.sync('log');
            net.send(id, from, msg);
          });
        }
        let acks = 0;
        net.register('client', () => acks++);
        const handle = recorder.invoke(0, { op: 'put', key: 'k', value: 'v1' });
        for (const id of replicas) net.send('client', id, { put: 'v1' });
        const timer: TimerId = clock.setTimeout(() => undefined, 1000);
        clock.clearTimer(timer);
        expect(clock.runUntil(() => acks === 3, 100)).toBe(true);
        recorder.complete(handle, {});

        // A crash keeps synced data; a partition isolates a replica.
        for (const disk of disks.values()) {
          disk.crash();
          expect(new TextDecoder().decode(disk.read('log'))).toBe('v1\n');
        }
        net.partition([1], [2, 3, 'client']);
        expect(net.canDeliver('client', 1)).toBe(false);
        net.heal();
        expect(net.stats.sent).toBe(6);

        const read = recorder.invoke(1, { op: 'get', key: 'k' });
        clock.advance(1);
        recorder.complete(read, { value: 'v1' });
        const history: Operation<KvInput, KvOutput>[] = recorder.history();
        const model: Model<Map<string, string> | string | null, KvInput, KvOutput> = kvModel;
        const result: CheckResult = checkLinearizable(model, history, { timeoutMs: 10_000 });
        expect(result).toEqual({ ok: true, timedOut: false, partitions: 1 });
      });
    }
  });
});
