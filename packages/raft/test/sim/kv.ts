/**
 * The replicated state machine of the simulation: a key-value map with put, delete and
 * compare-and-swap, plus a session table that makes a client's command apply at most
 * once even if the network duplicated its proposal.
 */
import type { KvOutput } from '@kubets/sim';

export interface KvCommand {
  /** client id */
  c: number;
  /** client sequence number, increasing per client */
  s: number;
  op: 'put' | 'delete' | 'cas';
  k: string;
  v?: string;
  /** cas: expected value, null = absent */
  e?: string | null;
}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

export const encodeCommand = (cmd: KvCommand): Uint8Array =>
  textEncoder.encode(JSON.stringify(cmd));
export const decodeCommand = (b: Uint8Array): KvCommand =>
  JSON.parse(textDecoder.decode(b)) as KvCommand;

export class KvStateMachine {
  private map = new Map<string, string>();
  /** Highest sequence number applied per client. */
  private sessions = new Map<number, number>();

  /** Applies a command; undefined when it is a duplicate (or superseded) and was skipped. */
  apply(cmd: KvCommand): KvOutput | undefined {
    const last = this.sessions.get(cmd.c) ?? 0;
    if (cmd.s <= last) return undefined;
    this.sessions.set(cmd.c, cmd.s);
    const cur = this.map.get(cmd.k) ?? null;
    switch (cmd.op) {
      case 'put':
        this.map.set(cmd.k, cmd.v!);
        return {};
      case 'delete':
        this.map.delete(cmd.k);
        return { ok: cur !== null };
      case 'cas':
        if (cur !== (cmd.e ?? null)) return { ok: false };
        this.map.set(cmd.k, cmd.v!);
        return { ok: true };
    }
  }

  get(key: string): string | null {
    return this.map.get(key) ?? null;
  }

  snapshot(): Uint8Array {
    return textEncoder.encode(
      JSON.stringify({
        m: [...this.map].sort(),
        s: [...this.sessions].sort((a, b) => a[0] - b[0]),
      }),
    );
  }

  static restore(data: Uint8Array): KvStateMachine {
    const kv = new KvStateMachine();
    if (data.length === 0) return kv;
    const parsed = JSON.parse(textDecoder.decode(data)) as {
      m: [string, string][];
      s: [number, number][];
    };
    kv.map = new Map(parsed.m);
    kv.sessions = new Map(parsed.s);
    return kv;
  }

  /** Canonical description of the state, to compare replicas at the same index. */
  digest(): string {
    return textDecoder.decode(this.snapshot());
  }
}
