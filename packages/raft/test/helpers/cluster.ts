/**
 * An in-memory, synchronous test cluster of RawNodes (the analogue of etcd-io/raft's
 * `network` test helper): FIFO delivery, with drop / cut / isolate / ignore filters. Each
 * node runs the full Ready loop against a MemoryStorage, so persistence ordering and the
 * leader's deferred self-acknowledgement are exercised exactly as a real host would.
 */
import type {
  ConfState,
  Entry,
  Message,
  RaftConfig,
  ReadState,
  Snapshot,
} from '../../src/index.js';
import {
  decodeConfChange,
  describeMessage,
  EntryType,
  MemoryStorage,
  MessageType,
  RawNode,
  StateType,
} from '../../src/index.js';

/** Small deterministic PRNG (mulberry32) for election jitter in unit tests. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

export type NodeConfig = Partial<Omit<RaftConfig, 'id' | 'storage'>>;

export class TestNode {
  node: RawNode;
  /** Normal entries with data, in apply order (replaced when a snapshot is applied). */
  applied: Entry[] = [];
  /** Every applied entry index, in order (including empty and conf change entries). */
  readonly appliedIndexes: number[] = [];
  readonly readStates: ReadState[] = [];
  readonly snapshotsApplied: Snapshot[] = [];
  confState: ConfState;
  /** When false, committed conf changes are not applied (to test the contract). */
  applyConfChanges = true;

  constructor(
    readonly id: number,
    readonly storage: MemoryStorage,
    private readonly cfg: NodeConfig,
  ) {
    this.node = this.create();
    this.confState = storage.initialState().confState;
  }

  private create(): RawNode {
    return new RawNode({
      id: this.id,
      storage: this.storage,
      electionTick: 10,
      heartbeatTick: 1,
      random: () => 0,
      preVote: false,
      checkQuorum: false,
      ...this.cfg,
    });
  }

  /** Simulates a restart: a new RawNode on the same (fully persisted) storage. */
  restart(cfg: NodeConfig = {}): void {
    Object.assign(this.cfg, cfg);
    this.node = new RawNode({
      id: this.id,
      storage: this.storage,
      electionTick: 10,
      heartbeatTick: 1,
      random: () => 0,
      preVote: false,
      checkQuorum: false,
      ...this.cfg,
      applied:
        this.appliedIndexes.length > 0 ? this.appliedIndexes[this.appliedIndexes.length - 1]! : 0,
    });
  }

  /** Runs one Ready cycle; returns the messages to send. */
  processReady(): Message[] {
    const rd = this.node.ready();
    if (rd.snapshot !== null) {
      this.storage.applySnapshot(rd.snapshot);
      this.snapshotsApplied.push(rd.snapshot);
      // The test state machine's snapshot is the JSON list of applied payloads.
      const data =
        rd.snapshot.data.length > 0 ? (JSON.parse(dec(rd.snapshot.data)) as string[]) : [];
      this.applied = data.map((d, i) => ({
        index: -1 - i,
        term: 0,
        type: EntryType.EntryNormal,
        data: enc(d),
      }));
      this.confState = rd.snapshot.metadata.confState;
      this.appliedIndexes.push(rd.snapshot.metadata.index);
    }
    this.storage.append(rd.entries);
    if (rd.hardState !== null) this.storage.setHardState(rd.hardState);
    for (const e of rd.committedEntries) {
      this.appliedIndexes.push(e.index);
      if (e.type === EntryType.EntryConfChange) {
        if (this.applyConfChanges)
          this.confState = this.node.applyConfChange(decodeConfChange(e.data));
      } else if (e.data.length > 0) {
        this.applied.push(e);
      }
    }
    this.readStates.push(...rd.readStates);
    this.node.advance();
    return [...rd.messages];
  }

  /** Index of the last applied entry (or snapshot). */
  get appliedIndex(): number {
    return this.appliedIndexes.length > 0
      ? this.appliedIndexes[this.appliedIndexes.length - 1]!
      : 0;
  }

  /**
   * Snapshots the test state machine at the applied index and compacts the log, keeping
   * `keep` entries before the snapshot index for slow followers.
   */
  snapshotAndCompact(keep = 0): Snapshot {
    const i = this.appliedIndex;
    const snap = this.storage.createSnapshot(
      i,
      this.confState,
      enc(JSON.stringify(this.appliedData())),
    );
    if (i - keep > this.storage.firstIndex() - 1) this.storage.compact(i - keep);
    return snap;
  }

  get raftState(): StateType {
    return this.node.status().raftState;
  }

  /** Payloads of applied normal entries, decoded as strings. */
  appliedData(): string[] {
    return this.applied.map((e) => new TextDecoder().decode(e.data));
  }
}

export interface ClusterOptions {
  /** Per-node config overrides. */
  config?: NodeConfig | ((id: number) => NodeConfig);
  /** Voters in the initial configuration (default: all ids). */
  voters?: number[];
  learners?: number[];
  /** Seed for probabilistic drops. */
  seed?: number;
}

export class Cluster {
  readonly nodes = new Map<number, TestNode>();
  /** Every message handed to the network (before filtering), for assertions. */
  readonly sent: Message[] = [];
  private readonly dropRate = new Map<string, number>();
  private readonly ignored = new Set<MessageType>();
  private readonly isolated = new Set<number>();
  private readonly down = new Set<number>();
  private readonly rand: () => number;
  /** Optional hook: return false to drop a message. */
  hook: ((m: Message) => boolean) | undefined;
  trace = false;
  /** Report each MsgSnap's fate to its sender, as a transport would. */
  autoReportSnapshots = true;

  private readonly initialVoters: number[];

  constructor(
    ids: number[],
    private readonly opts: ClusterOptions = {},
  ) {
    this.rand = seededRandom(opts.seed ?? 1);
    this.initialVoters = opts.voters ?? ids;
    for (const id of ids) this.addNode(id);
  }

  private configFor(id: number): NodeConfig {
    const c = this.opts.config;
    if (c === undefined) return {};
    return typeof c === 'function' ? c(id) : { ...c };
  }

  /** Adds a node with a fresh storage (initial members get the initial configuration). */
  addNode(id: number, cfg?: NodeConfig, storage?: MemoryStorage): TestNode {
    const st = storage ?? MemoryStorage.bootstrap(this.initialVoters, this.opts.learners ?? []);
    const n = new TestNode(id, st, cfg ?? this.configFor(id));
    this.nodes.set(id, n);
    return n;
  }

  /** Adds a node that joins later: empty configuration, waits for the leader to reach it. */
  addJoiningNode(id: number, cfg?: NodeConfig): TestNode {
    const n = new TestNode(id, new MemoryStorage(), cfg ?? this.configFor(id));
    this.nodes.set(id, n);
    return n;
  }

  node(id: number): TestNode {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  raw(id: number): RawNode {
    return this.node(id).node;
  }

  // --- faults -------------------------------------------------------------------------

  /** Drops messages from→to with probability p (1 = cut). */
  drop(from: number, to: number, p: number): void {
    this.dropRate.set(`${from}-${to}`, p);
  }
  cut(a: number, b: number): void {
    this.drop(a, b, 1);
    this.drop(b, a, 1);
  }
  isolate(id: number): void {
    this.isolated.add(id);
  }
  ignore(t: MessageType): void {
    this.ignored.add(t);
  }
  /** A stopped node neither receives nor is processed. */
  stop(id: number): void {
    this.down.add(id);
  }
  start(id: number): void {
    this.down.delete(id);
  }
  recover(): void {
    this.dropRate.clear();
    this.ignored.clear();
    this.isolated.clear();
  }

  private deliverable(m: Message): boolean {
    if (this.down.has(m.to) || this.down.has(m.from)) return false;
    if (this.isolated.has(m.to) || this.isolated.has(m.from)) return false;
    if (this.ignored.has(m.type)) return false;
    const p = this.dropRate.get(`${m.from}-${m.to}`) ?? 0;
    if (p > 0 && this.rand() < p) return false;
    if (this.hook !== undefined && !this.hook(m)) return false;
    return this.nodes.has(m.to);
  }

  // --- driving ------------------------------------------------------------------------

  /** Processes every pending Ready and returns the resulting messages. */
  private drainReadies(): Message[] {
    const out: Message[] = [];
    for (const [id, n] of this.nodes) {
      if (this.down.has(id)) continue;
      while (n.node.hasReady()) out.push(...n.processReady());
    }
    return out;
  }

  /**
   * Steps the given messages, then keeps processing Readies and delivering until the
   * cluster is quiet. Bounded so a livelock fails the test instead of hanging.
   */
  send(...msgs: Message[]): void {
    let queue = [...msgs, ...this.drainReadies()];
    for (let rounds = 0; queue.length > 0; rounds++) {
      if (rounds > 10_000) throw new Error('cluster did not quiesce');
      const next: Message[] = [];
      for (const m of queue) {
        this.sent.push(m);
        const ok = this.deliverable(m);
        if (this.trace) console.log(`${ok ? '' : 'DROP '}${describeMessage(m)}`);
        if (ok) this.raw(m.to).step(m);
        if (m.type === MessageType.MsgSnap && this.autoReportSnapshots && !this.down.has(m.from)) {
          this.raw(m.from).reportSnapshot(m.to, ok ? 'finish' : 'failure');
        }
        next.push(...this.drainReadies());
      }
      queue = next;
    }
  }

  stabilize(): void {
    this.send();
  }

  /** Ticks one node n times, stabilizing after each tick. */
  tick(id: number, n = 1): void {
    for (let i = 0; i < n; i++) {
      this.raw(id).tick();
      this.stabilize();
    }
  }

  /** Ticks every running node n times, stabilizing after each round. */
  tickAll(n = 1): void {
    for (let i = 0; i < n; i++) {
      for (const [id, node] of this.nodes) if (!this.down.has(id)) node.node.tick();
      this.stabilize();
    }
  }

  campaign(id: number): void {
    this.raw(id).campaign();
    this.stabilize();
  }

  propose(id: number, data: string): void {
    this.raw(id).propose(enc(data));
    this.stabilize();
  }

  leaders(): number[] {
    const out: number[] = [];
    for (const [id, n] of this.nodes) {
      if (!this.down.has(id) && n.raftState === StateType.Leader) out.push(id);
    }
    return out;
  }

  /** The unique leader among running nodes (throws if none or several). */
  leader(): number {
    const ls = this.leaders();
    if (ls.length !== 1) throw new Error(`expected one leader, found [${ls.join(', ')}]`);
    return ls[0]!;
  }

  /** Sent messages of a type (optionally from/to), for assertions. */
  sentOf(type: MessageType, filter: { from?: number; to?: number } = {}): Message[] {
    return this.sent.filter(
      (m) =>
        m.type === type &&
        (filter.from === undefined || m.from === filter.from) &&
        (filter.to === undefined || m.to === filter.to),
    );
  }
}
