import { describe, expect, it } from 'vitest';
import {
  isPersistedNotice,
  LEADER_PERSISTED_CONTEXT,
  leaderAndFollowerAreQuorum,
} from './persisted-notice.js';
import type { TrackerConfig } from './tracker.js';
import { EMPTY_TRACKER_CONFIG } from './tracker.js';
import { EntryType, makeMessage, MessageType } from './types.js';

const config = (incoming: number[], outgoing: number[] = []): TrackerConfig => ({
  ...EMPTY_TRACKER_CONFIG,
  voters: { incoming: new Set(incoming), outgoing: new Set(outgoing) },
});

describe('leaderAndFollowerAreQuorum', () => {
  it('holds for two or three voters that include both', () => {
    expect(leaderAndFollowerAreQuorum(config([1, 2]), 1, 2)).toBe(true);
    expect(leaderAndFollowerAreQuorum(config([1, 2, 3]), 1, 3)).toBe(true);
  });

  it('fails for four or more voters, a learner, or a joint configuration', () => {
    expect(leaderAndFollowerAreQuorum(config([1, 2, 3, 4]), 1, 2)).toBe(false);
    expect(leaderAndFollowerAreQuorum(config([1, 3]), 1, 2)).toBe(false);
    expect(leaderAndFollowerAreQuorum(config([1, 2, 3], [1, 2, 4]), 1, 2)).toBe(false);
  });
});

describe('isPersistedNotice', () => {
  it('is an empty MsgApp with the marker context only', () => {
    const notice = makeMessage({ type: MessageType.MsgApp, context: LEADER_PERSISTED_CONTEXT });
    expect(isPersistedNotice(notice)).toBe(true);
    expect(isPersistedNotice(makeMessage({ type: MessageType.MsgApp }))).toBe(false);
    const withEntries = makeMessage({
      type: MessageType.MsgApp,
      context: LEADER_PERSISTED_CONTEXT,
      entries: [{ term: 1, index: 1, type: EntryType.EntryNormal, data: new Uint8Array(0) }],
    });
    expect(isPersistedNotice(withEntries)).toBe(false);
  });
});
