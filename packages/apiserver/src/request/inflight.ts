/**
 * `--max-requests-inflight` / `--max-mutating-requests-inflight`, shared by both front doors so
 * the limits bound the server, not each door. Long-running requests (watches) are not counted,
 * as upstream.
 */
export type RequestKind = 'readOnly' | 'mutating';

export class InflightLimiter {
  private readonly current: Record<RequestKind, number> = { readOnly: 0, mutating: 0 };

  /** 0 means unlimited. */
  constructor(private readonly limits: { readOnly: number; mutating: number } | undefined) {}

  /** Takes a slot; false when the kind is at its limit (answer 429 / RESOURCE_EXHAUSTED). */
  tryAcquire(kind: RequestKind): boolean {
    const limit = this.limits?.[kind] ?? 0;
    if (limit > 0 && this.current[kind] >= limit) return false;
    this.current[kind]++;
    return true;
  }

  release(kind: RequestKind): void {
    this.current[kind]--;
  }

  inflight(kind: RequestKind): number {
    return this.current[kind];
  }
}
