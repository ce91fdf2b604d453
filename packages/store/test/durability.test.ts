/**
 * Durability of a member on a simulated disk: acknowledged writes survive crashes (including
 * torn last writes), snapshots and WAL release keep history readable, corruption and foreign
 * data directories stop the member with a message naming the file.
 */
import { createLogger, type Logger } from '@kubets/component-base';
import { SimDisk, runSimulation, simulationSeeds, type Prng } from '@kubets/sim';
import { describe, expect, it } from 'vitest';
import { EtcdServer, type EtcdServerOptions } from '../src/server/etcd-server.js';
import { SimDiskFs } from '../src/storage/fs.js';
import { get, prefix, put } from './support/requests.js';

function quietLogger(lines: string[] = []): Logger {
  return createLogger({
    component: 'test',
    destination: { write: (line: string) => lines.push(line) },
  });
}

function options(disk: SimDisk, extra: Partial<EtcdServerOptions> = {}): EtcdServerOptions {
  return {
    name: 'm1',
    fs: new SimDiskFs(disk),
    initialCluster: [{ name: 'm1', peerURLs: ['http://127.0.0.1:2380'] }],
    initialClusterState: 'new',
    initialClusterToken: 'tok',
    clientURLs: ['http://127.0.0.1:2379'],
    heartbeatMs: 10,
    electionMs: 100,
    snapshotCount: 1000,
    quotaBytes: 1 << 30,
    logger: quietLogger(),
    ...extra,
  };
}

async function started(opts: EtcdServerOptions): Promise<EtcdServer> {
  const s = await EtcdServer.start(opts);
  const deadline = Date.now() + 5000;
  while (s.leader === 0) {
    if (Date.now() > deadline) throw new Error('no leader');
    await new Promise((r) => setTimeout(r, 5));
  }
  return s;
}

/** Crash: the process dies (no stop, nothing flushed) and the disk loses unsynced data. */
function crash(server: EtcdServer, disk: SimDisk): void {
  void server.stop(); // releases timers; pending work dies with the "process"
  disk.crash();
}

async function values(s: EtcdServer, p: string): Promise<Record<string, string>> {
  const r = await s.range(prefix(p));
  return Object.fromEntries(
    (r.kvs ?? []).map((kv) => [(kv.key as Buffer).toString(), (kv.value as Buffer).toString()]),
  );
}

describe('member durability on a simulated disk', () => {
  it('recovers every acknowledged write after a crash, with the same revisions', async () => {
    const disk = new SimDisk();
    const s1 = await started(options(disk));
    const acked: Record<string, string> = {};
    for (let i = 0; i < 50; i++) {
      await s1.put(put(`k/${i}`, `v${i}`));
      acked[`k/${i}`] = `v${i}`;
    }
    const rev = s1.sm.mvcc.rev;
    crash(s1, disk);
    const s2 = await started(options(disk));
    try {
      expect(await values(s2, 'k/')).toEqual(acked);
      expect(Number((await s2.range(get('k/0'))).header!.revision)).toBe(rev);
      // And it keeps working.
      await s2.put(put('k/after', 'x'));
      expect(s2.sm.mvcc.rev).toBe(rev + 1);
    } finally {
      await s2.stop();
    }
  });

  it('keeps history across snapshots and WAL release', async () => {
    const disk = new SimDisk();
    const s1 = await started(options(disk, { snapshotCount: 10, walSegmentBytes: 2048 }));
    for (let i = 0; i < 120; i++) await s1.put(put(`h/${i % 7}`, `v${i}`));
    await s1.raft.settle();
    const snaps = disk.list('member/snap/');
    console.log('DEBUG', disk.list('member/snap/'), disk.list('member/wal/'));
    const wals = disk.list('member/wal/');
    expect(snaps.length).toBeGreaterThan(0);
    expect(snaps.length).toBeLessThanOrEqual(5);
    const rev = s1.sm.mvcc.rev;
    const old = await s1.range(get('h/3', { revision: 10 }));
    crash(s1, disk);
    // Segments holding only entries older than the previous snapshot were released.
    expect(wals[0]).not.toBe('member/wal/0000000000000001-0000000000000001.wal');
    const s2 = await started(options(disk, { snapshotCount: 10, walSegmentBytes: 2048 }));
    try {
      // A linearizable read waits until the restarted member re-applied its committed log.
      expect(Number((await s2.range(get('h/0'))).header!.revision)).toBe(rev);
      expect(await s2.range(get('h/3', { revision: 10 }))).toMatchObject({ kvs: old.kvs });
      expect(Object.keys(await values(s2, 'h/'))).toHaveLength(7);
    } finally {
      await s2.stop();
    }
  });

  it('restarts from a snapshot encoded in slices while writes and a compaction went on', async () => {
    const disk = new SimDisk();
    // A 0 ms budget: every slice ends at its first budget check (32 keys), so the 300-key
    // snapshot takes ten turns, and the puts sent together below apply between them.
    const opts = () =>
      options(disk, { snapshotCount: 400, snapshotPacing: { budgetMs: 0, share: 1 } });
    const s1 = await started(opts());
    for (let i = 0; i < 390; i++)
      await s1.put(put(`s/${String(i % 300).padStart(3, '0')}`, `a${i}`));
    const compactTo = s1.sm.mvcc.rev - 20;
    await Promise.all([
      ...Array.from({ length: 60 }, (_, i) =>
        s1.put(put(`s/${String(i * 5).padStart(3, '0')}`, `b${i}`)),
      ),
      ...Array.from({ length: 20 }, (_, i) => s1.put(put(`t/${i}`, `c${i}`))),
      s1.compact({ revision: String(compactTo), physical: false }),
    ]);
    await s1.raft.settle();
    expect(disk.list('member/snap/').length).toBeGreaterThan(1); // the founding one and ours
    const rev = s1.sm.mvcc.rev;
    const acked = { ...(await values(s1, 's/')), ...(await values(s1, 't/')) };
    const past = await s1.range(get('s/007', { revision: compactTo }));
    const hash = s1.hashKV(0);
    crash(s1, disk);

    const lines: string[] = [];
    const s2 = await started({ ...opts(), logger: quietLogger(lines) });
    try {
      expect(Number((await s2.range(get('s/000'))).header!.revision)).toBe(rev);
      expect({ ...(await values(s2, 's/')), ...(await values(s2, 't/')) }).toEqual(acked);
      expect(await s2.range(get('s/007', { revision: compactTo }))).toMatchObject({
        kvs: past.kvs,
      });
      await expect(s2.range(get('s/007', { revision: compactTo - 1 }))).rejects.toThrow(
        /compacted/,
      );
      expect(s2.hashKV(0)).toEqual(hash);
    } finally {
      await s2.stop();
    }
  });

  it('never loses an acknowledged write when the power fails at random moments', async () => {
    for (const seed of simulationSeeds([11, 12, 13, 14, 15, 16])) {
      await runSimulation('crash during writes', seed, async (prng: Prng) => {
        const disk = new SimDisk({ prng: prng.fork('disk'), tornWrites: true });
        // Each key is written by one writer with increasing sequence numbers, so "the write is
        // there" means: the stored sequence is at least the acknowledged one (a later write may
        // have been applied without its acknowledgement reaching the client before the crash).
        const acked = new Map<string, number>();
        let seq = 0;
        const check = async (s: EtcdServer): Promise<void> => {
          const got = await values(s, 'r/');
          for (const [k, n] of acked) {
            const stored = got[k] === undefined ? -1 : Number(got[k]);
            expect([k, stored >= n]).toEqual([k, true]);
          }
        };
        for (let round = 0; round < 3; round++) {
          const s = await started(
            options(disk, { snapshotCount: prng.range(5, 40), walSegmentBytes: 4096 }),
          );
          await check(s);
          const stopAfter = prng.range(1, 60);
          let acks = 0;
          await new Promise<void>((resolve) => {
            let done = false;
            const writer = async (w: number): Promise<void> => {
              for (let i = 0; !done; i++) {
                const key = `r/${w}/${i % 5}`;
                const n = ++seq;
                try {
                  await s.put(put(key, String(n)));
                } catch {
                  return; // the "process" died under it
                }
                if (done) return;
                acked.set(key, n);
                if (++acks >= stopAfter) {
                  done = true;
                  crash(s, disk);
                  resolve();
                }
              }
            };
            for (let w = 0; w < 4; w++) void writer(w);
          });
        }
        const last = await started(options(disk));
        try {
          await check(last);
        } finally {
          await last.stop();
        }
      });
    }
  }, 30_000);

  it('stops with the file and offset when the WAL is corrupt before its tail', async () => {
    const disk = new SimDisk();
    const s1 = await started(options(disk));
    for (let i = 0; i < 20; i++) await s1.put(put(`c/${i}`, 'x'.repeat(100)));
    await s1.stop();
    const [wal] = disk.list('member/wal/');
    disk.corrupt(wal!, 400);
    await expect(EtcdServer.start(options(disk))).rejects.toThrow(
      new RegExp(`wal: corrupt record in simdisk:${wal!.replace(/\./g, '\\.')} at offset \\d+`),
    );
  });

  it('warns and truncates a torn last record, then serves', async () => {
    const disk = new SimDisk();
    const s1 = await started(options(disk));
    for (let i = 0; i < 5; i++) await s1.put(put(`t/${i}`, 'v'));
    await s1.stop();
    const [wal] = disk.list('member/wal/');
    disk.truncate(wal!, disk.size(wal!) - 5);
    disk.syncAll();
    const lines: string[] = [];
    const s2 = await started(options(disk, { logger: quietLogger(lines) }));
    try {
      expect(lines.join('\n')).toContain('Truncated a torn record');
      expect(Object.keys(await values(s2, 't/')).length).toBeGreaterThanOrEqual(4);
    } finally {
      await s2.stop();
    }
  });

  it("refuses an etcd data dir, an unknown non-empty dir, and another member's dir", async () => {
    const etcdDir = new SimDisk();
    etcdDir.write('member/snap/db', new Uint8Array(4096));
    await expect(EtcdServer.start(options(etcdDir))).rejects.toThrow(
      /was written by etcd \(member\/snap\/db exists\)/,
    );

    const junk = new SimDisk();
    junk.write('notes.txt', new Uint8Array(1));
    await expect(EtcdServer.start(options(junk))).rejects.toThrow(
      /is not empty and holds no kubets-store member/,
    );

    const disk = new SimDisk();
    const s1 = await started(options(disk));
    await s1.stop();
    await expect(
      EtcdServer.start(options(disk, { initialClusterToken: 'another-cluster' })),
    ).rejects.toThrow(
      /belongs to member [0-9a-f]+ of cluster [0-9a-f]+, but --name m1 .* is member [0-9a-f]+ of cluster [0-9a-f]+; refusing to start/,
    );
  });
});
