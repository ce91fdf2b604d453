/**
 * Helpers to drive a single Raft state machine directly (white-box tests): construct it,
 * feed messages, read what it sends, and play the host's persistence role.
 */
import type { RaftConfig } from '../../src/config.js';
import { resolveConfig } from '../../src/config.js';
import { Raft } from '../../src/raft.js';
import { MemoryStorage } from '../../src/storage.js';
import type { Entry, Message } from '../../src/types.js';
import {
  EMPTY_BYTES,
  EMPTY_CONF_STATE,
  EntryType,
  makeMessage,
  MessageType,
  StateType,
} from '../../src/types.js';

export interface TestRaftOptions extends Partial<Omit<RaftConfig, 'id' | 'storage'>> {
  voters?: number[];
  learners?: number[];
  storage?: MemoryStorage;
}

export function newRaft(id: number, opts: TestRaftOptions = {}): Raft {
  const { voters = [1, 2, 3], learners = [], storage, ...cfg } = opts;
  const st = storage ?? new MemoryStorage({ ...EMPTY_CONF_STATE, voters, learners });
  return new Raft(
    resolveConfig({
      id,
      storage: st,
      electionTick: 10,
      heartbeatTick: 1,
      random: () => 0,
      preVote: false,
      checkQuorum: false,
      ...cfg,
    }),
  );
}

/** Takes the messages the node queued. */
export function drain(r: Raft): Message[] {
  r.flushAppends(); // as RawNode.ready() does
  const m = r.msgs;
  r.msgs = [];
  return m;
}

/** Plays the host: persists the unstable entries to the node's MemoryStorage and acks. */
export function persist(r: Raft): void {
  const st = r.log.storage as MemoryStorage;
  const snap = r.log.unstable.snapshot;
  if (snap !== null) {
    st.applySnapshot(snap);
    r.appliedSnapshot(snap);
  }
  const ents = r.log.unstable.entries.slice();
  if (ents.length === 0) return;
  st.append(ents);
  r.onEntriesPersisted(ents);
}

export const ent = (index: number, term: number, data: Uint8Array = EMPTY_BYTES): Entry => ({
  index,
  term,
  type: EntryType.EntryNormal,
  data,
});

export function msg(fields: Partial<Message> & Pick<Message, 'type'>): Message {
  return makeMessage(fields);
}

/** Storage pre-filled with entries of the given terms (index i+1 has terms[i]). */
export function storageWithTerms(terms: number[], voters = [1, 2, 3]): MemoryStorage {
  const s = new MemoryStorage({ ...EMPTY_CONF_STATE, voters });
  s.append(terms.map((t, i) => ent(i + 1, t)));
  return s;
}

/** Elects r by a direct vote round: campaign, then grants from the given voters. */
export function electLeader(r: Raft, grantFrom: number[] = [2]): void {
  r.step(msg({ type: MessageType.MsgHup, from: r.id }));
  for (const from of grantFrom) {
    r.step(msg({ type: MessageType.MsgVoteResp, from, to: r.id, term: r.term }));
  }
  if (r.state !== StateType.Leader) throw new Error(`node ${r.id} failed to become leader`);
  persist(r);
  drain(r);
}

/** Entries in the node's log from `lo` (default 1) to the end, as `index/term`. */
export function logIds(r: Raft, lo = 1): string[] {
  return r.log.slice(lo, r.log.lastIndex() + 1, Infinity).map((e) => `${e.index}/${e.term}`);
}
