import { describe, expect, it } from 'vitest';
import { seededRandom } from '../test/helpers/cluster.js';
import {
  Changer,
  ConfChangeError,
  ConfChanges,
  enterJointMode,
  isLeaveJoint,
  restoreConfig,
} from './confchange.js';
import { ProgressTracker, toConfState } from './tracker.js';
import type { ConfChangeSingle, ConfState } from './types.js';
import { ConfChangeTransition, ConfChangeType, EMPTY_CONF_STATE } from './types.js';

const add = (nodeId: number): ConfChangeSingle => ({ type: ConfChangeType.AddNode, nodeId });
const rem = (nodeId: number): ConfChangeSingle => ({ type: ConfChangeType.RemoveNode, nodeId });
const learner = (nodeId: number): ConfChangeSingle => ({
  type: ConfChangeType.AddLearnerNode,
  nodeId,
});

function trackerWith(cs: Partial<ConfState>): ProgressTracker {
  const t = new ProgressTracker(16, 0);
  const r = restoreConfig(t, 10, { ...EMPTY_CONF_STATE, ...cs });
  t.setConfig(r.config, r.progress);
  return t;
}
function applyTo(t: ProgressTracker, r: ReturnType<Changer['simple']>): ConfState {
  t.setConfig(r.config, r.progress);
  return toConfState(r.config);
}

describe('Changer.simple', () => {
  it('adds and removes one voter at a time', () => {
    const t = trackerWith({ voters: [1] });
    expect(applyTo(t, new Changer(t, 10).simple([add(2)])).voters).toEqual([1, 2]);
    expect(applyTo(t, new Changer(t, 10).simple([add(3)])).voters).toEqual([1, 2, 3]);
    expect(applyTo(t, new Changer(t, 10).simple([rem(1)])).voters).toEqual([2, 3]);
    expect(t.progress.has(1)).toBe(false);
    // New members start probing from the last index and count as recently active.
    expect(t.progress.get(3)).toMatchObject({ next: 10, match: 0, recentActive: true });
  });
  it('refuses changing more than one voter', () => {
    const t = trackerWith({ voters: [1, 2, 3] });
    expect(() => new Changer(t, 10).simple([add(4), add(5)])).toThrow(/more than one voter/);
    expect(() => new Changer(t, 10).simple([rem(1), add(4)])).toThrow(/more than one voter/);
  });
  it('allows any number of learner changes', () => {
    const t = trackerWith({ voters: [1, 2, 3] });
    const cs = applyTo(t, new Changer(t, 10).simple([learner(4), learner(5), learner(6)]));
    expect(cs.learners).toEqual([4, 5, 6]);
    // Promoting a learner changes one voter.
    const cs2 = applyTo(t, new Changer(t, 10).simple([add(4)]));
    expect(cs2.voters).toEqual([1, 2, 3, 4]);
    expect(cs2.learners).toEqual([5, 6]);
    expect(t.progress.get(4)!.isLearner).toBe(false);
  });
  it('demotes a voter to learner', () => {
    const t = trackerWith({ voters: [1, 2, 3] });
    const cs = applyTo(t, new Changer(t, 10).simple([learner(3)]));
    expect(cs).toMatchObject({ voters: [1, 2], learners: [3] });
  });
  it('refuses removing all voters', () => {
    const t = trackerWith({ voters: [1] });
    expect(() => new Changer(t, 10).simple([rem(1)])).toThrow(/removed all voters/);
  });
  it('ignores node id 0 and UpdateNode', () => {
    const t = trackerWith({ voters: [1] });
    const cs = applyTo(
      t,
      new Changer(t, 10).simple([add(0), { type: ConfChangeType.UpdateNode, nodeId: 1 }]),
    );
    expect(cs.voters).toEqual([1]);
  });
  it('does not touch the live tracker on failure', () => {
    const t = trackerWith({ voters: [1, 2, 3] });
    const before = toConfState(t.config);
    expect(() => new Changer(t, 10).simple([learner(9), add(4), add(5)])).toThrow(ConfChangeError);
    expect(toConfState(t.config)).toEqual(before);
    expect(t.progress.has(9)).toBe(false);
  });
});

describe('Changer joint consensus', () => {
  it('enters and leaves a joint configuration', () => {
    const t = trackerWith({ voters: [1, 2, 3] });
    const joint = applyTo(t, new Changer(t, 10).enterJoint(true, [add(4), rem(1), rem(2)]));
    expect(joint).toEqual({
      voters: [3, 4],
      votersOutgoing: [1, 2, 3],
      learners: [],
      learnersNext: [],
      autoLeave: true,
    });
    // Outgoing voters keep their progress while joint.
    expect(t.progress.has(1)).toBe(true);
    expect(() => new Changer(t, 10).enterJoint(false, [add(5)])).toThrow(/already joint/);
    expect(() => new Changer(t, 10).simple([add(5)])).toThrow(/joint config/);
    const left = applyTo(t, new Changer(t, 10).leaveJoint());
    expect(left).toEqual({
      voters: [3, 4],
      votersOutgoing: [],
      learners: [],
      learnersNext: [],
      autoLeave: false,
    });
    expect(t.progress.has(1)).toBe(false);
    expect(() => new Changer(t, 10).leaveJoint()).toThrow(/non-joint/);
  });
  it('stages demoted outgoing voters in learnersNext', () => {
    const t = trackerWith({ voters: [1, 2, 3] });
    const joint = applyTo(t, new Changer(t, 10).enterJoint(false, [learner(3), add(4)]));
    expect(joint).toMatchObject({
      voters: [1, 2, 4],
      votersOutgoing: [1, 2, 3],
      learners: [],
      learnersNext: [3],
    });
    expect(t.progress.get(3)!.isLearner).toBe(false);
    const left = applyTo(t, new Changer(t, 10).leaveJoint());
    expect(left).toMatchObject({ voters: [1, 2, 4], learners: [3], learnersNext: [] });
    expect(t.progress.get(3)!.isLearner).toBe(true);
  });
  it('refuses to make an empty config joint', () => {
    const t = trackerWith({});
    expect(() => new Changer(t, 0).enterJoint(true, [add(1)])).toThrow(/zero-voter/);
  });
  it('apply() dispatches on the change shape', () => {
    expect(enterJointMode(ConfChanges.addNode(1))).toEqual({ joint: false, autoLeave: false });
    expect(enterJointMode(ConfChanges.joint([add(1), add(2)]))).toEqual({
      joint: true,
      autoLeave: true,
    });
    expect(enterJointMode(ConfChanges.joint([add(1)], ConfChangeTransition.JointExplicit))).toEqual(
      { joint: true, autoLeave: false },
    );
    expect(isLeaveJoint(ConfChanges.leaveJoint())).toBe(true);
    expect(isLeaveJoint(ConfChanges.addNode(1))).toBe(false);
  });
  it('simple steps and one joint change reach the same configuration (random)', () => {
    const r = seededRandom(5);
    for (let trial = 0; trial < 200; trial++) {
      const initial = [1, 2, 3].filter(() => r() < 0.8);
      if (initial.length === 0) initial.push(1);
      const changes: ConfChangeSingle[] = [];
      const n = 1 + Math.floor(r() * 5);
      for (let i = 0; i < n; i++) {
        const id = 1 + Math.floor(r() * 6);
        const kind = Math.floor(r() * 3);
        changes.push(kind === 0 ? add(id) : kind === 1 ? learner(id) : rem(id));
      }
      const viaJoint = trackerWith({ voters: initial });
      let jointResult: ConfState | undefined;
      try {
        applyTo(viaJoint, new Changer(viaJoint, 10).enterJoint(true, changes));
        jointResult = applyTo(viaJoint, new Changer(viaJoint, 10).leaveJoint());
      } catch (err) {
        expect(err).toBeInstanceOf(ConfChangeError);
        continue; // e.g. removed all voters
      }
      const viaSimple = trackerWith({ voters: initial });
      let simpleResult: ConfState | undefined;
      try {
        for (const c of changes)
          simpleResult = applyTo(viaSimple, new Changer(viaSimple, 10).simple([c]));
      } catch (err) {
        expect(err).toBeInstanceOf(ConfChangeError);
        continue; // an intermediate step removed all voters
      }
      expect(simpleResult).toEqual(jointResult);
    }
  });
});

describe('restoreConfig', () => {
  it('round-trips conf states, joint ones included', () => {
    const states: ConfState[] = [
      { ...EMPTY_CONF_STATE, voters: [1, 2, 3] },
      { ...EMPTY_CONF_STATE, voters: [1, 2, 3], learners: [4, 5] },
      {
        voters: [1, 2, 3],
        learners: [5],
        votersOutgoing: [1, 2, 4, 6],
        learnersNext: [4],
        autoLeave: true,
      },
      EMPTY_CONF_STATE,
    ];
    for (const cs of states) {
      const t = trackerWith(cs);
      expect(toConfState(t.config)).toEqual(cs);
      for (const id of cs.learners) expect(t.progress.get(id)!.isLearner).toBe(true);
    }
  });
  it('rejects inconsistent conf states', () => {
    const t = new ProgressTracker(16, 0);
    expect(() => restoreConfig(t, 0, { ...EMPTY_CONF_STATE, voters: [1], learners: [1] })).toThrow(
      /both a voter and a learner/,
    );
    expect(() =>
      restoreConfig(t, 0, { ...EMPTY_CONF_STATE, voters: [1], learnersNext: [2] }),
    ).toThrow(/learnersNext/);
    expect(() =>
      restoreConfig(t, 0, { ...EMPTY_CONF_STATE, voters: [1], autoLeave: true }),
    ).toThrow(/autoLeave/);
    expect(() => restoreConfig(t, 0, { ...EMPTY_CONF_STATE, voters: [0] })).toThrow(
      /invalid node id/,
    );
  });
});
