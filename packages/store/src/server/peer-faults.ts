import { readFile } from 'node:fs/promises';

/**
 * TEST ONLY: a network partition injected into the peer transport. When the environment
 * variable KUBETS_STORE_TEST_PARTITION_FILE names a file, the member re-reads it every 100 ms;
 * the file lists members (names or hex IDs, separated by commas, spaces or newlines) this member
 * must not talk to. Raft traffic to and from them is dropped on this side (messages, snapshots
 * and forwarded lease calls), as a cut cable would; an empty or missing file heals the
 * partition. Fault tests write the file of every member on one side of the cut. Not a flag on
 * purpose: it has no place in a production command line.
 */
export const PARTITION_FILE_ENV = 'KUBETS_STORE_TEST_PARTITION_FILE';

export interface PeerFaults {
  /** True while traffic with `memberId` must be dropped. */
  blocked(memberId: number): boolean;
  stop(): void;
}

export const NO_FAULTS: PeerFaults = { blocked: () => false, stop: () => undefined };

/** Parses the partition file: member names and hex member IDs. */
export function parsePartitionFile(text: string): Set<string> {
  return new Set(
    text
      .split(/[\s,]+/)
      .map((s) => s.trim())
      .filter((s) => s !== ''),
  );
}

/**
 * Watches the partition file named by the environment, if any. `nameOf` resolves a member ID
 * to its name (from the membership), so the file may name members either way.
 */
export function peerFaultsFromEnv(
  env: NodeJS.ProcessEnv,
  nameOf: (memberId: number) => string | undefined,
  onChange?: (entries: ReadonlySet<string>) => void,
): PeerFaults {
  const file = env[PARTITION_FILE_ENV];
  if (file === undefined || file === '') return NO_FAULTS;
  let entries: ReadonlySet<string> = new Set();
  let last = '';
  const poll = (): void => {
    readFile(file, 'utf8').then(
      (text) => {
        if (text === last) return;
        last = text;
        entries = parsePartitionFile(text);
        onChange?.(entries);
      },
      () => {
        if (last === '') return;
        last = '';
        entries = new Set();
        onChange?.(entries);
      },
    );
  };
  poll();
  const timer = setInterval(poll, 100);
  timer.unref();
  return {
    blocked(memberId) {
      if (entries.size === 0) return false;
      if (entries.has(memberId.toString(16))) return true;
      const name = nameOf(memberId);
      return name !== undefined && name !== '' && entries.has(name);
    },
    stop: () => clearInterval(timer),
  };
}
