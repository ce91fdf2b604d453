/**
 * Address ranges for Service allocation, without I/O: the `--service-cluster-ip-range` CIDR
 * (IPv4; network and broadcast addresses excluded, as upstream) and the
 * `--service-node-port-range` port range, each mapped onto bitmap offsets.
 */

export interface AllocationRange {
  /** Human form for messages: `10.96.0.0/12`, `30000-32767`. */
  readonly text: string;
  /** Number of allocatable values. */
  readonly size: number;
  /** The offset of a value, or undefined when outside the range. */
  offsetOf(value: string | number): number | undefined;
  /** The value at an offset. */
  valueAt(offset: number): string | number;
}

function ipToInt(ip: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!;
}

function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** An IPv4 service CIDR. Throws with the flag's name on bad input. */
export function parseServiceCIDR(
  cidr: string,
): AllocationRange & { network: number; prefix: number } {
  const m = /^([0-9.]+)\/(\d{1,2})$/.exec(cidr.trim());
  const base = m ? ipToInt(m[1]!) : undefined;
  const prefix = m ? Number(m[2]) : NaN;
  if (!m || base === undefined || prefix > 32) {
    throw new Error(
      `--service-cluster-ip-range: invalid CIDR ${JSON.stringify(cidr)} (IPv4 CIDR such as 10.96.0.0/12 expected)`,
    );
  }
  if (prefix < 12 || prefix > 30) {
    // Upstream limits the bitmap to 2^20 addresses (a /12) and needs at least 2 usable addresses.
    throw new Error(
      `--service-cluster-ip-range: ${cidr} must have a prefix length between /12 and /30`,
    );
  }
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const network = (base & mask) >>> 0;
  const total = 2 ** (32 - prefix);
  const size = total - 2;
  const first = network + 1;
  return {
    text: `${intToIp(network)}/${prefix}`,
    size,
    network,
    prefix,
    offsetOf(value) {
      const n = typeof value === 'number' ? value : ipToInt(value);
      if (n === undefined || n < first || n >= first + size) return undefined;
      return n - first;
    },
    valueAt(offset) {
      return intToIp(first + offset);
    },
  };
}

/** `30000-32767` (or `30000+2767`): a node port range. */
export function parsePortRange(text: string): AllocationRange & { base: number } {
  const dash = /^(\d{1,5})-(\d{1,5})$/.exec(text.trim());
  const plus = /^(\d{1,5})\+(\d{1,5})$/.exec(text.trim());
  let base: number;
  let max: number;
  if (dash) {
    base = Number(dash[1]);
    max = Number(dash[2]);
  } else if (plus) {
    base = Number(plus[1]);
    max = base + Number(plus[2]);
  } else {
    throw new Error(
      `--service-node-port-range: invalid port range ${JSON.stringify(text)} (e.g. 30000-32767)`,
    );
  }
  if (base < 1 || max > 65535 || max < base) {
    throw new Error(`--service-node-port-range: ${text} is not a valid range of ports`);
  }
  const size = max - base + 1;
  return {
    text: `${base}-${max}`,
    size,
    base,
    offsetOf(value) {
      const n = typeof value === 'number' ? value : Number(value);
      if (!Number.isInteger(n) || n < base || n > max) return undefined;
      return n - base;
    },
    valueAt(offset) {
      return base + offset;
    },
  };
}

/**
 * A bitmap of allocated offsets, serialized as upstream's allocationBitmap does: the big-endian
 * bytes of an integer whose bit i is offset i.
 */
export class Bitmap {
  private bits: Uint8Array;

  constructor(
    readonly size: number,
    bits?: Uint8Array,
  ) {
    this.bits = bits ?? new Uint8Array(Math.ceil(size / 8));
  }

  static fromBigEndian(size: number, data: Uint8Array): Bitmap {
    const bytes = new Uint8Array(Math.ceil(size / 8));
    // data[len-1] holds bits 0..7.
    for (let i = 0; i < data.length && i < bytes.length; i++) bytes[i] = data[data.length - 1 - i]!;
    return new Bitmap(size, bytes);
  }

  toBigEndian(): Uint8Array {
    let last = this.bits.length - 1;
    while (last >= 0 && this.bits[last] === 0) last--;
    const out = new Uint8Array(last + 1);
    for (let i = 0; i <= last; i++) out[last - i] = this.bits[i]!;
    return out;
  }

  has(offset: number): boolean {
    return ((this.bits[offset >> 3] ?? 0) & (1 << (offset & 7))) !== 0;
  }

  set(offset: number): void {
    this.bits[offset >> 3] = (this.bits[offset >> 3] ?? 0) | (1 << (offset & 7));
  }

  clear(offset: number): void {
    this.bits[offset >> 3] = (this.bits[offset >> 3] ?? 0) & ~(1 << (offset & 7));
  }

  count(): number {
    let n = 0;
    for (let i = 0; i < this.size; i++) if (this.has(i)) n++;
    return n;
  }

  /** The first free offset scanning from `start` (wrapping), or undefined when full. */
  firstFreeFrom(start: number): number | undefined {
    for (let i = 0; i < this.size; i++) {
      const o = (start + i) % this.size;
      if (!this.has(o)) return o;
    }
    return undefined;
  }
}
