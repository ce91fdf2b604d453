/**
 * Safety properties of Raft (paper Figure 3), checked continuously while the simulation
 * runs. Any violation throws at once, so the failing seed stops near the cause.
 *
 * - Election Safety: at most one leader per term.
 * - Leader Append-Only: a leader never overwrites or deletes entries in its log.
 * - Log Matching: same index and term ⇒ identical entries and identical prefixes.
 * - Leader Completeness: a new leader's log holds every entry applied anywhere before.
 * - State Machine Safety: every node applies the same entry at a given index; each node
 *   applies indexes in order without gaps; replicas at the same index have equal state.
 */
import type { Entry, MemoryStorage } from '../../src/index.js';

export class InvariantViolation extends Error {}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function describe(e: Entry): string {
  return `${e.index}/${e.term} type=${e.type} ${e.data.length}B`;
}

export class SafetyChecker {
  /** term -> leader */
  private readonly leaders = new Map<number, number>();
  /** Oracle of applied (hence committed) entries: index -> entry. */
  private readonly applied = new Map<number, Entry>();
  private maxAppliedIndex = 0;
  /** index -> state digest of the first replica that reached it at a snapshot point */
  private readonly digests = new Map<number, { node: number; digest: string }>();
  /** node -> last applied index (reset when the node restarts) */
  private readonly appliedPos = new Map<number, number>();
  checks = 0;

  fail(msg: string): never {
    throw new InvariantViolation(msg);
  }

  onLeader(node: number, term: number): void {
    this.checks++;
    const prev = this.leaders.get(term);
    if (prev !== undefined && prev !== node) {
      this.fail(`Election Safety: nodes ${prev} and ${node} are both leader in term ${term}`);
    }
    this.leaders.set(term, node);
  }

  get leaderCount(): number {
    return this.leaders.size;
  }

  /** The node (re)started with its state machine at `index`. */
  onStart(node: number, index: number): void {
    this.appliedPos.set(node, index);
  }

  onApplySnapshot(node: number, index: number): void {
    const pos = this.appliedPos.get(node) ?? 0;
    if (index <= pos)
      this.fail(`node ${node} applied snapshot ${index} at or below its applied index ${pos}`);
    this.appliedPos.set(node, index);
  }

  onApply(node: number, e: Entry): void {
    this.checks++;
    const pos = this.appliedPos.get(node) ?? 0;
    if (e.index !== pos + 1) {
      this.fail(`node ${node} applied index ${e.index} right after ${pos} (gap or repeat)`);
    }
    this.appliedPos.set(node, e.index);
    const known = this.applied.get(e.index);
    if (known === undefined) {
      this.applied.set(e.index, e);
      if (e.index > this.maxAppliedIndex) this.maxAppliedIndex = e.index;
      return;
    }
    if (known.term !== e.term || known.type !== e.type || !sameBytes(known.data, e.data)) {
      this.fail(
        `State Machine Safety: node ${node} applied ${describe(e)} but ${describe(known)} was applied before at that index`,
      );
    }
  }

  onStateDigest(node: number, index: number, digest: string): void {
    this.checks++;
    const known = this.digests.get(index);
    if (known === undefined) {
      this.digests.set(index, { node, digest });
    } else if (known.digest !== digest) {
      this.fail(
        `State Machine Safety: nodes ${known.node} and ${node} have different states at index ${index}`,
      );
    }
  }

  /**
   * Leader Completeness, checked when a new leader's log is fully persisted: every applied
   * entry of an earlier term must be in it (or covered by its snapshot).
   */
  onLeaderLog(node: number, term: number, storage: MemoryStorage): void {
    this.checks++;
    const first = storage.firstIndex();
    const last = storage.lastIndex();
    for (const [index, e] of this.applied) {
      if (e.term >= term) continue;
      if (index < first) continue; // inside its snapshot
      if (index > last) {
        this.fail(
          `Leader Completeness: leader ${node} of term ${term} lacks applied entry ${describe(e)} (last index ${last})`,
        );
      }
      const t = storage.term(index);
      if (t !== e.term) {
        this.fail(
          `Leader Completeness: leader ${node} of term ${term} has term ${t} at ${index}, but ${describe(e)} was applied`,
        );
      }
    }
  }

  /**
   * Leader Append-Only: entries a leader persists never replace different ones it has.
   * Called with the entries of a Ready while the node is leader, before they are stored.
   */
  onLeaderAppend(node: number, storage: MemoryStorage, entries: readonly Entry[]): void {
    const last = storage.lastIndex();
    for (const e of entries) {
      if (e.index > last) break;
      if (e.index < storage.firstIndex()) continue;
      if (storage.term(e.index) !== e.term) {
        this.fail(
          `Leader Append-Only: leader ${node} overwrote entry ${e.index} (term ${storage.term(e.index)}) with term ${e.term}`,
        );
      }
    }
  }

  /** Log Matching between two replicas' persisted logs. */
  checkLogMatching(a: number, sa: MemoryStorage, b: number, sb: MemoryStorage): void {
    this.checks++;
    const lo = Math.max(sa.firstIndex(), sb.firstIndex());
    const hi = Math.min(sa.lastIndex(), sb.lastIndex());
    if (lo > hi) return;
    let top = -1;
    for (let i = hi; i >= lo; i--) {
      if (sa.term(i) === sb.term(i)) {
        top = i;
        break;
      }
    }
    if (top < 0) return;
    const ea = sa.entries(lo, top + 1, Infinity);
    const eb = sb.entries(lo, top + 1, Infinity);
    for (let k = 0; k < ea.length; k++) {
      const x = ea[k]!;
      const y = eb[k]!;
      if (x.term !== y.term || x.type !== y.type || !sameBytes(x.data, y.data)) {
        this.fail(
          `Log Matching: nodes ${a} and ${b} agree on ${top}/${sa.term(top)} but differ at ${x.index}: ${describe(x)} vs ${describe(y)}`,
        );
      }
    }
  }

  get highestApplied(): number {
    return this.maxAppliedIndex;
  }
}
