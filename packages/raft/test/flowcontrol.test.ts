/** Flow control: probe/replicate/snapshot states, inflight windows, message size limits. */
import { describe, expect, it } from 'vitest';
import { ProposalDroppedError } from '../src/errors.js';
import { ProgressState } from '../src/progress.js';
import { EntryType, MessageType } from '../src/types.js';
import { Cluster, enc } from './helpers/cluster.js';
import { drain, electLeader, msg, newRaft, persist } from './helpers/raft.js';

const prop = (data: Uint8Array) =>
  msg({
    type: MessageType.MsgProp,
    from: 1,
    entries: [{ term: 0, index: 0, type: EntryType.EntryNormal, data }],
  });

/** A leader whose follower 2 is in Replicate state. */
function replicatingLeader(opts: Parameters<typeof newRaft>[1] = {}) {
  const r = newRaft(1, { voters: [1, 2], ...opts });
  electLeader(r);
  r.step(
    msg({ type: MessageType.MsgAppResp, from: 2, to: 1, term: r.term, index: r.log.lastIndex() }),
  );
  persist(r);
  drain(r);
  expect(r.tracker.progress.get(2)!.state).toBe(ProgressState.Replicate);
  return r;
}

describe('flow control', () => {
  it('at most maxInflightMsgs MsgApps are in flight in Replicate state', () => {
    const r = replicatingLeader({ maxInflightMsgs: 3, maxSizePerMsg: 1 });
    for (let i = 0; i < 10; i++) r.step(prop(enc(`p${i}`)));
    expect(drain(r).filter((m) => m.type === MessageType.MsgApp)).toHaveLength(3);
    // Acknowledging the first frees one slot, and the next message goes out.
    const firstNew = r.tracker.progress.get(2)!.match + 1;
    r.step(msg({ type: MessageType.MsgAppResp, from: 2, to: 1, term: r.term, index: firstNew }));
    const apps = drain(r).filter((m) => m.type === MessageType.MsgApp);
    expect(apps).toHaveLength(1);
    expect(apps[0]!.index).toBe(firstNew + 2);
  });

  it('maxInflightBytes bounds the payload in flight', () => {
    const r = replicatingLeader({ maxInflightBytes: 1000, maxSizePerMsg: 100 });
    for (let i = 0; i < 10; i++) r.step(prop(new Uint8Array(400)));
    const apps = drain(r).filter((m) => m.type === MessageType.MsgApp);
    expect(apps).toHaveLength(3); // 400 + 400 + 400 >= 1000
    expect(r.tracker.progress.get(2)!.isPaused()).toBe(true);
  });

  it('maxSizePerMsg batches several small entries per message', () => {
    const r = replicatingLeader({ maxSizePerMsg: 1000 });
    // Go back to probing so the backlog is sent in batches.
    r.step(msg({ type: MessageType.MsgUnreachable, from: 2 }));
    r.tracker.progress.get(2)!.msgAppFlowPaused = true;
    for (let i = 0; i < 30; i++) r.step(prop(new Uint8Array(100)));
    drain(r);
    r.step(msg({ type: MessageType.MsgHeartbeatResp, from: 2, to: 1, term: r.term }));
    const [probe] = drain(r).filter((m) => m.type === MessageType.MsgApp);
    r.step(
      msg({
        type: MessageType.MsgAppResp,
        from: 2,
        to: 1,
        term: r.term,
        index: probe!.index + probe!.entries.length,
      }),
    );
    const apps = drain(r).filter((m) => m.type === MessageType.MsgApp);
    expect(apps.length).toBeGreaterThan(1);
    for (const m of apps) {
      expect(m.entries.length).toBeGreaterThan(1);
      expect(m.entries.reduce((s, e) => s + e.data.length + 16, 0)).toBeLessThanOrEqual(1000);
    }
  });

  it('in Probe state only one MsgApp is sent until the follower answers', () => {
    const r = newRaft(1, { voters: [1, 2] });
    electLeader(r);
    drain(r);
    for (let i = 0; i < 5; i++) r.step(prop(enc('x')));
    const apps = drain(r).filter((m) => m.type === MessageType.MsgApp && m.to === 2);
    expect(apps.length).toBeLessThanOrEqual(1);
    // A heartbeat response unpauses probing.
    r.step(msg({ type: MessageType.MsgHeartbeatResp, from: 2, to: 1, term: r.term }));
    expect(drain(r).filter((m) => m.type === MessageType.MsgApp)).toHaveLength(1);
  });

  it('a heartbeat response frees a slot of a full window (lost MsgApps are retried)', () => {
    const r = replicatingLeader({ maxInflightMsgs: 2, maxSizePerMsg: 1 });
    for (let i = 0; i < 4; i++) r.step(prop(enc('x')));
    drain(r);
    expect(r.tracker.progress.get(2)!.isPaused()).toBe(true);
    r.step(msg({ type: MessageType.MsgHeartbeatResp, from: 2, to: 1, term: r.term }));
    expect(drain(r).filter((m) => m.type === MessageType.MsgApp)).toHaveLength(1);
  });

  it('an unreachable follower falls back to probing', () => {
    const r = replicatingLeader();
    r.step(msg({ type: MessageType.MsgUnreachable, from: 2 }));
    expect(r.tracker.progress.get(2)!.state).toBe(ProgressState.Probe);
  });

  it('the leader drops proposals beyond maxUncommittedEntriesSize', () => {
    const c = new Cluster([1, 2, 3], { config: { maxUncommittedEntriesSize: 1000 } });
    c.campaign(1);
    c.isolate(2);
    c.isolate(3);
    c.raw(1).propose(new Uint8Array(600));
    c.raw(1).propose(new Uint8Array(300));
    expect(() => c.raw(1).propose(new Uint8Array(200))).toThrow(ProposalDroppedError);
    expect(c.raw(1).uncommittedSize).toBe(900);
    c.recover();
    c.tickAll(3);
    expect(c.raw(1).uncommittedSize).toBe(0);
    c.raw(1).propose(new Uint8Array(200));
  });

  it('a slow follower catches up while the window keeps the leader bounded', () => {
    const c = new Cluster([1, 2, 3], { config: { maxInflightMsgs: 4, maxSizePerMsg: 64 } });
    c.campaign(1);
    c.drop(1, 3, 0.7);
    for (let i = 0; i < 50; i++) c.propose(1, `v${i}`);
    c.recover();
    c.tickAll(20);
    expect(c.node(3).appliedData()).toEqual(c.node(1).appliedData());
    expect(c.node(3).appliedData()).toHaveLength(50);
  });
});
