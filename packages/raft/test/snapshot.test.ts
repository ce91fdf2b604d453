/** Log compaction and InstallSnapshot (paper §7). */
import { describe, expect, it } from 'vitest';
import { SnapshotTemporarilyUnavailableError } from '../src/errors.js';
import { ProgressState } from '../src/progress.js';
import { MemoryStorage } from '../src/storage.js';
import type { Snapshot } from '../src/types.js';
import { EMPTY_BYTES, EMPTY_CONF_STATE, MessageType, StateType } from '../src/types.js';
import { Cluster } from './helpers/cluster.js';
import { drain, msg, newRaft } from './helpers/raft.js';

function laggingCluster(): Cluster {
  const c = new Cluster([1, 2, 3]);
  c.campaign(1);
  c.propose(1, 'a');
  c.stop(3);
  for (let i = 0; i < 10; i++) c.propose(1, `v${i}`);
  c.node(1).snapshotAndCompact();
  return c;
}

describe('snapshots', () => {
  it('a follower behind the compacted log is caught up with a snapshot', () => {
    const c = laggingCluster();
    c.start(3);
    c.tickAll(2);
    expect(c.sentOf(MessageType.MsgSnap, { from: 1, to: 3 })).toHaveLength(1);
    expect(c.node(3).snapshotsApplied).toHaveLength(1);
    expect(c.node(3).appliedData()).toEqual(c.node(1).appliedData());
    // Replication continues normally from the log afterwards.
    c.propose(1, 'after');
    expect(c.node(3).appliedData().at(-1)).toBe('after');
    expect(c.raw(1).status().progress.get(3)!.state).toBe(ProgressState.Replicate);
    expect(c.raw(1).metrics().snapshotsSent).toBe(1);
    expect(c.raw(3).metrics().snapshotsRestored).toBe(1);
  });

  it('after a failed snapshot the leader probes again and re-sends it', () => {
    const c = laggingCluster();
    c.autoReportSnapshots = false;
    c.hook = (m) => m.type !== MessageType.MsgSnap;
    c.start(3);
    c.tickAll(2);
    const pr = () => c.raw(1).status().progress.get(3)!;
    expect(pr().state).toBe(ProgressState.Snapshot);
    expect(pr().paused).toBe(true);
    c.raw(1).reportSnapshot(3, 'failure');
    expect(pr().state).toBe(ProgressState.Probe);
    expect(pr().paused).toBe(true); // waits for a heartbeat before retrying
    c.hook = undefined;
    c.autoReportSnapshots = true;
    c.tickAll(2);
    expect(c.node(3).snapshotsApplied).toHaveLength(1);
    expect(pr().state).toBe(ProgressState.Replicate);
  });

  it('after a reported success the leader resumes after the snapshot index', () => {
    const c = laggingCluster();
    c.autoReportSnapshots = false;
    c.start(3);
    c.tickAll(1);
    const snapIndex = c.node(1).storage.snapshot().metadata.index;
    // The follower's acknowledgement already moved it on; a late success report is a no-op.
    expect(c.raw(1).status().progress.get(3)!.match).toBeGreaterThanOrEqual(snapIndex);
    const r = newRaft(1);
    r.step(msg({ type: MessageType.MsgHup }));
    r.step(msg({ type: MessageType.MsgVoteResp, from: 2, to: 1, term: r.term }));
    const pr = r.tracker.progress.get(2)!;
    pr.becomeSnapshot(20);
    r.step(msg({ type: MessageType.MsgSnapStatus, from: 2 }));
    expect(pr.state).toBe(ProgressState.Probe);
    expect(pr.next).toBe(21);
    expect(pr.isPaused()).toBe(true);
  });

  it('a node restarts from its snapshot plus the log after it', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    for (let i = 0; i < 5; i++) c.propose(1, `v${i}`);
    c.node(2).snapshotAndCompact(1);
    c.propose(1, 'tail');
    const st = c.node(2).storage;
    const restarted = new Cluster([2]);
    restarted.nodes.clear();
    const fresh = restarted.addNode(2, {}, st);
    const status = fresh.node.status();
    expect(status.commit).toBe(c.raw(2).status().commit);
    expect(status.firstIndex).toBe(st.firstIndex());
    expect(status.config.voters).toEqual([1, 2, 3]);
    // Committed entries after the snapshot are handed out again for applying.
    const rd = fresh.node.ready();
    expect(rd.committedEntries.map((e) => e.index)).toEqual(
      Array.from({ length: st.lastIndex() - st.firstIndex() + 1 }, (_, i) => st.firstIndex() + i),
    );
    fresh.node.advance();
  });

  it('a follower ignores a snapshot it does not need', () => {
    const r = newRaft(2);
    r.step(
      msg({
        type: MessageType.MsgApp,
        from: 1,
        to: 2,
        term: 1,
        index: 0,
        logTerm: 0,
        commit: 3,
        entries: [1, 2, 3].map((i) => ({ index: i, term: 1, type: 0, data: EMPTY_BYTES })),
      }),
    );
    drain(r);
    const snap = (index: number, term: number): Snapshot => ({
      data: EMPTY_BYTES,
      metadata: { index, term, confState: { ...EMPTY_CONF_STATE, voters: [1, 2, 3] } },
    });
    r.step(msg({ type: MessageType.MsgSnap, from: 1, to: 2, term: 1, snapshot: snap(2, 1) }));
    expect(drain(r)).toMatchObject([{ type: MessageType.MsgAppResp, index: 3 }]);
    expect(r.log.hasPendingSnapshot()).toBe(false);
  });

  it('a snapshot whose last entry the follower already has only advances the commit', () => {
    const r = newRaft(2);
    r.step(
      msg({
        type: MessageType.MsgApp,
        from: 1,
        to: 2,
        term: 1,
        index: 0,
        logTerm: 0,
        commit: 1,
        entries: [1, 2, 3].map((i) => ({ index: i, term: 1, type: 0, data: EMPTY_BYTES })),
      }),
    );
    drain(r);
    r.step(
      msg({
        type: MessageType.MsgSnap,
        from: 1,
        to: 2,
        term: 1,
        snapshot: {
          data: EMPTY_BYTES,
          metadata: { index: 3, term: 1, confState: { ...EMPTY_CONF_STATE, voters: [1, 2, 3] } },
        },
      }),
    );
    expect(r.log.committed).toBe(3);
    expect(r.log.hasPendingSnapshot()).toBe(false);
    expect(r.log.lastIndex()).toBe(3);
  });

  it('a snapshot taken before the receiver joined is restored; the node cannot campaign yet', () => {
    const r = newRaft(4, { voters: [] });
    r.step(
      msg({
        type: MessageType.MsgSnap,
        from: 1,
        to: 4,
        term: 1,
        snapshot: {
          data: EMPTY_BYTES,
          metadata: { index: 9, term: 1, confState: { ...EMPTY_CONF_STATE, voters: [1, 2, 3] } },
        },
      }),
    );
    expect(r.log.hasPendingSnapshot()).toBe(true);
    expect(r.log.committed).toBe(9);
    expect(drain(r)).toMatchObject([{ type: MessageType.MsgAppResp, index: 9 }]);
    expect(r.promotable()).toBe(false);
  });

  it('a node with a pending snapshot does not campaign', () => {
    const r = newRaft(2);
    r.step(
      msg({
        type: MessageType.MsgSnap,
        from: 1,
        to: 2,
        term: 1,
        snapshot: {
          data: EMPTY_BYTES,
          metadata: { index: 9, term: 1, confState: { ...EMPTY_CONF_STATE, voters: [1, 2, 3] } },
        },
      }),
    );
    expect(r.log.hasPendingSnapshot()).toBe(true);
    for (let i = 0; i < 30; i++) r.tick();
    expect(r.state).toBe(StateType.Follower);
  });

  it('the leader retries when the snapshot is temporarily unavailable', () => {
    class SlowSnapshots extends MemoryStorage {
      available = false;
      override snapshot(): Snapshot {
        if (!this.available) throw new SnapshotTemporarilyUnavailableError();
        return super.snapshot();
      }
    }
    const c = new Cluster([1, 2, 3]);
    const slow = new SlowSnapshots();
    slow.applySnapshot(c.node(1).storage.snapshot());
    slow.setHardState(c.node(1).storage.initialState().hardState);
    c.nodes.delete(1);
    c.addNode(1, {}, slow);
    c.campaign(1);
    c.stop(3);
    for (let i = 0; i < 5; i++) c.propose(1, `v${i}`);
    c.node(1).snapshotAndCompact();
    c.start(3);
    c.tickAll(3);
    expect(c.sentOf(MessageType.MsgSnap)).toHaveLength(0);
    slow.available = true;
    c.tickAll(3);
    expect(c.sentOf(MessageType.MsgSnap)).toHaveLength(1);
    expect(c.node(3).appliedData()).toEqual(c.node(1).appliedData());
  });
});
