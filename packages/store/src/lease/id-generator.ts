const TS_BITS = 40n;
const COUNT_BITS = 8n;
const SUFFIX_BITS = TS_BITS + COUNT_BITS;
const SUFFIX_MASK = (1n << SUFFIX_BITS) - 1n;

/**
 * etcd's idutil.Generator: unique 64-bit IDs without coordination. The top 16 bits are the low
 * bits of the member ID, the next 40 the start time in milliseconds, the low 8 a counter that
 * carries into the time bits. Used for lease IDs and request IDs; lease IDs are masked to 63 bits
 * so they stay positive int64 values, as etcd does.
 */
export class IdGenerator {
  private readonly prefix: bigint;
  private suffix: bigint;

  constructor(memberId: bigint, nowMs: number) {
    this.prefix = (memberId & 0xffffn) << SUFFIX_BITS;
    this.suffix = (BigInt(Math.floor(nowMs)) & ((1n << TS_BITS) - 1n)) << COUNT_BITS;
  }

  next(): bigint {
    this.suffix = (this.suffix + 1n) & SUFFIX_MASK;
    return this.prefix | this.suffix;
  }

  /** A fresh lease ID: positive int64. */
  nextLeaseId(): bigint {
    return this.next() & ((1n << 63n) - 1n);
  }
}
