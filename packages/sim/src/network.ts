/**
 * A simulated message network. Every message becomes a timer on the virtual clock; delay, loss
 * and duplication are drawn from the PRNG, so one seed gives one delivery order.
 */
import type { VirtualClock } from './clock.js';
import type { Prng } from './prng.js';

export type NodeId = string | number;

export interface LinkConfig {
  /** Minimum one-way delay in ms (default 1). */
  minDelayMs: number;
  /** Maximum one-way delay in ms (default 10); delays are uniform in [min, max]. */
  maxDelayMs: number;
  /** Probability that a message is dropped (default 0). */
  lossRate: number;
  /** Probability that a message is delivered twice, the copy with its own delay (default 0). */
  duplicateRate: number;
}

export const DEFAULT_LINK: Readonly<LinkConfig> = Object.freeze({
  minDelayMs: 1,
  maxDelayMs: 10,
  lossRate: 0,
  duplicateRate: 0,
});

/** Why a message did not arrive; reported through `onEvent` for tracing failing seeds. */
export type DropReason = 'loss' | 'partitioned' | 'unreachable';

export type NetworkEvent<M> =
  | { type: 'send'; at: number; from: NodeId; to: NodeId; msg: M }
  | { type: 'duplicate'; at: number; from: NodeId; to: NodeId; msg: M }
  | { type: 'drop'; at: number; from: NodeId; to: NodeId; msg: M; reason: DropReason }
  | { type: 'deliver'; at: number; from: NodeId; to: NodeId; msg: M };

export interface SimNetworkOptions<M> {
  clock: VirtualClock;
  prng: Prng;
  defaultLink?: Partial<LinkConfig>;
  /** Called for every send, duplicate, drop and delivery, in order; for traces and debugging. */
  onEvent?: (event: NetworkEvent<M>) => void;
}

interface Endpoint<M> {
  deliver: (from: NodeId, msg: M) => void;
  /** Bumped on each register so messages addressed to a crashed incarnation are dropped. */
  incarnation: number;
}

/** A directed relation between nodes; Map keeps 1 and '1' distinct, as NodeId intends. */
class PairSet {
  private readonly pairs = new Map<NodeId, Set<NodeId>>();

  add(from: NodeId, to: NodeId): void {
    let targets = this.pairs.get(from);
    if (targets === undefined) {
      targets = new Set();
      this.pairs.set(from, targets);
    }
    targets.add(to);
  }

  has(from: NodeId, to: NodeId): boolean {
    return this.pairs.get(from)?.has(to) ?? false;
  }

  clear(): void {
    this.pairs.clear();
  }
}

function validateLink(cfg: LinkConfig, where: string): void {
  const { minDelayMs, maxDelayMs, lossRate, duplicateRate } = cfg;
  if (!Number.isSafeInteger(minDelayMs) || minDelayMs < 0) {
    throw new RangeError(`${where}: minDelayMs must be an integer >= 0, got ${minDelayMs}`);
  }
  if (!Number.isSafeInteger(maxDelayMs) || maxDelayMs < minDelayMs) {
    throw new RangeError(
      `${where}: maxDelayMs must be an integer >= minDelayMs (${minDelayMs}), got ${maxDelayMs}`,
    );
  }
  for (const [name, rate] of [
    ['lossRate', lossRate],
    ['duplicateRate', duplicateRate],
  ] as const) {
    if (!(rate >= 0 && rate <= 1)) {
      throw new RangeError(`${where}: ${name} must be in [0, 1], got ${String(rate)}`);
    }
  }
}

function describeNode(node: NodeId): string {
  return typeof node === 'string' ? JSON.stringify(node) : String(node);
}

export class SimNetwork<M> {
  readonly stats = { sent: 0, delivered: 0, dropped: 0, duplicated: 0 };
  private readonly clock: VirtualClock;
  private readonly prng: Prng;
  private readonly onEvent: ((event: NetworkEvent<M>) => void) | undefined;
  private defaultLink: LinkConfig;
  private readonly linkOverrides = new Map<NodeId, Map<NodeId, Partial<LinkConfig>>>();
  private readonly endpoints = new Map<NodeId, Endpoint<M>>();
  private readonly incarnations = new Map<NodeId, number>();
  /** Directed pairs blocked by partition() and cut(); isolation is kept separately. */
  private readonly blocked = new PairSet();
  private readonly isolated = new Set<NodeId>();
  private inFlightCount = 0;

  constructor(opts: SimNetworkOptions<M>) {
    this.clock = opts.clock;
    this.prng = opts.prng;
    this.onEvent = opts.onEvent;
    this.defaultLink = { ...DEFAULT_LINK, ...opts.defaultLink };
    validateLink(this.defaultLink, 'SimNetwork default link');
  }

  /** Attaches a node. A node that is registered already must be unregistered first (crash). */
  register(node: NodeId, deliver: (from: NodeId, msg: M) => void): void {
    if (this.endpoints.has(node)) {
      throw new Error(`SimNetwork: node ${describeNode(node)} is already registered`);
    }
    const incarnation = (this.incarnations.get(node) ?? 0) + 1;
    this.incarnations.set(node, incarnation);
    this.endpoints.set(node, { deliver, incarnation });
  }

  /**
   * Detaches a node (it crashed). Messages in flight to it are dropped when they arrive, even
   * if the node registers again before then: they were addressed to the old process.
   */
  unregister(node: NodeId): void {
    this.endpoints.delete(node);
  }

  isRegistered(node: NodeId): boolean {
    return this.endpoints.has(node);
  }

  /**
   * Sends `msg`. The link may drop it, duplicate it and delay each copy. A message to a node
   * that is not registered right now is dropped (nothing is listening). Partitions are
   * checked both when sending and when the message arrives, so a partition also cuts off
   * messages already in flight.
   */
  send(from: NodeId, to: NodeId, msg: M): void {
    this.stats.sent++;
    this.emit({ type: 'send', at: this.clock.now(), from, to, msg });
    const link = this.link(from, to);
    // Draw every random decision up front, in a fixed order, whatever the outcome: the
    // PRNG stream then does not depend on partitions or registrations.
    const lost = this.prng.chance(link.lossRate);
    const duplicated = this.prng.chance(link.duplicateRate);
    const delay = this.prng.range(link.minDelayMs, link.maxDelayMs);
    const copyDelay = this.prng.range(link.minDelayMs, link.maxDelayMs);
    const endpoint = this.endpoints.get(to);
    if (endpoint === undefined) return this.drop(from, to, msg, 'unreachable');
    if (!this.canDeliver(from, to)) return this.drop(from, to, msg, 'partitioned');
    if (lost) return this.drop(from, to, msg, 'loss');
    this.schedule(from, to, msg, delay, endpoint.incarnation);
    if (duplicated) {
      this.stats.duplicated++;
      this.emit({ type: 'duplicate', at: this.clock.now(), from, to, msg });
      this.schedule(from, to, msg, copyDelay, endpoint.incarnation);
    }
  }

  /** Overrides the config of the one-way link from -> to (merged into earlier overrides). */
  setLink(from: NodeId, to: NodeId, cfg: Partial<LinkConfig>): void {
    let targets = this.linkOverrides.get(from);
    const merged = { ...targets?.get(to), ...cfg };
    validateLink(
      { ...this.defaultLink, ...merged },
      `SimNetwork link ${describeNode(from)} -> ${describeNode(to)}`,
    );
    if (targets === undefined) {
      targets = new Map();
      this.linkOverrides.set(from, targets);
    }
    targets.set(to, merged);
  }

  /** Removes the override of link from -> to; it follows the default link again. */
  clearLink(from: NodeId, to: NodeId): void {
    this.linkOverrides.get(from)?.delete(to);
  }

  /** Changes the default link; fields not overridden per link follow it. */
  setDefaultLink(cfg: Partial<LinkConfig>): void {
    const next = { ...this.defaultLink, ...cfg };
    validateLink(next, 'SimNetwork default link');
    for (const [from, targets] of this.linkOverrides) {
      for (const [to, override] of targets) {
        validateLink(
          { ...next, ...override },
          `SimNetwork link ${describeNode(from)} -> ${describeNode(to)} (with the new default)`,
        );
      }
    }
    this.defaultLink = next;
  }

  /** The effective config of the one-way link from -> to. */
  link(from: NodeId, to: NodeId): LinkConfig {
    const override = this.linkOverrides.get(from)?.get(to);
    return override === undefined ? this.defaultLink : { ...this.defaultLink, ...override };
  }

  /**
   * Nodes in different groups can no longer talk, in either direction. Nodes named in no
   * group are unaffected (so a test client can stay connected to everyone). Adds to any
   * partitions and cuts already in place; heal() removes them all.
   */
  partition(...groups: NodeId[][]): void {
    const groupOf = new Map<NodeId, number>();
    groups.forEach((group, index) => {
      for (const node of group) {
        const seen = groupOf.get(node);
        if (seen !== undefined && seen !== index) {
          throw new Error(`SimNetwork.partition: node ${describeNode(node)} is in two groups`);
        }
        groupOf.set(node, index);
      }
    });
    for (const [a, ga] of groupOf) {
      for (const [b, gb] of groupOf) {
        if (ga !== gb) this.blocked.add(a, b);
      }
    }
  }

  /** Cuts `node` off from every other node, including nodes registered later. */
  isolate(node: NodeId): void {
    this.isolated.add(node);
  }

  /** One-way cut: messages from -> to are blocked, to -> from still flow. */
  cut(from: NodeId, to: NodeId): void {
    this.blocked.add(from, to);
  }

  /** Removes every partition, isolation and cut. Link configs are kept. */
  heal(): void {
    this.blocked.clear();
    this.isolated.clear();
  }

  /**
   * Whether partitions, isolation and cuts let from -> to through. Loss, delay and whether
   * `to` is registered are not considered. A node can always reach itself.
   */
  canDeliver(from: NodeId, to: NodeId): boolean {
    if (from === to) return true;
    if (this.isolated.has(from) || this.isolated.has(to)) return false;
    return !this.blocked.has(from, to);
  }

  /** Messages scheduled for delivery that have not arrived (or been dropped on arrival) yet. */
  inFlight(): number {
    return this.inFlightCount;
  }

  private schedule(from: NodeId, to: NodeId, msg: M, delay: number, incarnation: number): void {
    this.inFlightCount++;
    this.clock.setTimeout(() => {
      this.inFlightCount--;
      this.arrive(from, to, msg, incarnation);
    }, delay);
  }

  private arrive(from: NodeId, to: NodeId, msg: M, incarnation: number): void {
    const endpoint = this.endpoints.get(to);
    if (endpoint === undefined || endpoint.incarnation !== incarnation) {
      return this.drop(from, to, msg, 'unreachable');
    }
    if (!this.canDeliver(from, to)) return this.drop(from, to, msg, 'partitioned');
    this.stats.delivered++;
    this.emit({ type: 'deliver', at: this.clock.now(), from, to, msg });
    endpoint.deliver(from, msg);
  }

  private drop(from: NodeId, to: NodeId, msg: M, reason: DropReason): void {
    this.stats.dropped++;
    this.emit({ type: 'drop', at: this.clock.now(), from, to, msg, reason });
  }

  private emit(event: NetworkEvent<M>): void {
    this.onEvent?.(event);
  }
}
