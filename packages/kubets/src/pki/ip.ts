/**
 * IP addresses and CIDR ranges as bytes: parsing with Go's `net.ParseIP` strictness, canonical
 * text (RFC 5952 for IPv6), and indexing into a range (the service cluster IP is the range's
 * first address after the network address, as kube-apiserver computes it).
 */
import { isIPv4, isIPv6 } from 'node:net';

export type IpFamily = 4 | 6;

export interface Cidr {
  /** The network address (host bits cleared), 4 or 16 bytes. */
  network: Uint8Array;
  prefix: number;
  family: IpFamily;
}

const V4_MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

/**
 * Parses an IPv4 or IPv6 address to 4 or 16 bytes; `undefined` if it is not one. IPv4-mapped
 * IPv6 (`::ffff:10.0.0.1`) becomes the IPv4 address, as Go does when it writes IP SANs. Zones
 * (`fe80::1%eth0`) and brackets are not addresses.
 */
export function parseIp(text: string): Uint8Array | undefined {
  if (isIPv4(text)) {
    // node accepts only dotted quads of 0-255; Go additionally refuses leading zeros (which some
    // tools read as octal), and so do we.
    const parts = text.split('.');
    if (parts.some((p) => p.length > 1 && p.startsWith('0'))) return undefined;
    return Uint8Array.from(parts.map(Number));
  }
  if (!isIPv6(text) || text.includes('%')) return undefined;
  const bytes = parseIpv6(text);
  if (V4_MAPPED_PREFIX.every((b, i) => bytes[i] === b)) return bytes.slice(12);
  return bytes;
}

function parseIpv6(text: string): Uint8Array {
  // node has validated the syntax; only expansion is left.
  let groups: number[];
  const expand = (part: string): number[] => {
    if (part === '') return [];
    const out: number[] = [];
    for (const piece of part.split(':')) {
      if (piece.includes('.')) {
        const v4 = piece.split('.').map(Number);
        out.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
      } else {
        out.push(parseInt(piece, 16));
      }
    }
    return out;
  };
  const gap = text.indexOf('::');
  if (gap === -1) {
    groups = expand(text);
  } else {
    const head = expand(text.slice(0, gap));
    const tail = expand(text.slice(gap + 2));
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  }
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    bytes[2 * i] = g >> 8;
    bytes[2 * i + 1] = g & 0xff;
  });
  return bytes;
}

/** Canonical text: dotted quad, or RFC 5952 IPv6 (lowercase, longest zero run as `::`). */
export function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  if (bytes.length !== 16) throw new Error(`an IP address has 4 or 16 bytes, got ${bytes.length}`);
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestLength < 2) return hex.join(':');
  const head = hex.slice(0, bestStart).join(':');
  const tail = hex.slice(bestStart + bestLength).join(':');
  return `${head}::${tail}`;
}

/** The canonical form of an address, or `undefined` if `text` is not one. */
export function canonicalIp(text: string): string | undefined {
  const bytes = parseIp(text);
  return bytes === undefined ? undefined : formatIp(bytes);
}

export function ipFamily(bytes: Uint8Array): IpFamily {
  return bytes.length === 4 ? 4 : 6;
}

export function ipEquals(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/**
 * Parses `10.96.0.0/12` or `fd00:10:96::/112`. Host bits are cleared (Go's `ParseCIDR` returns
 * the masked network, and kube-apiserver uses that). Throws an Error explaining the problem.
 */
export function parseCidr(text: string): Cidr {
  const slash = text.indexOf('/');
  if (slash === -1) throw new Error(`"${text}" is not a CIDR (expected address/prefix-length)`);
  const addressText = text.slice(0, slash);
  const address = parseIp(addressText);
  if (address === undefined) throw new Error(`"${addressText}" is not an IP address`);
  if (addressText.includes(':') && address.length === 4) {
    // Its prefix length would count IPv6 bits over an IPv4 address: refuse the ambiguity.
    throw new Error(`IPv4-mapped IPv6 ranges ("${addressText}") are not supported`);
  }
  const lengthText = text.slice(slash + 1);
  const family = ipFamily(address);
  const bits = address.length * 8;
  if (!/^\d{1,3}$/.test(lengthText)) {
    throw new Error(`prefix length "${lengthText}" is not a number`);
  }
  const prefix = Number(lengthText);
  if (prefix > bits) {
    throw new Error(`prefix length ${prefix} out of range for IPv${family} (0-${bits})`);
  }
  const network = address.slice();
  for (let bit = prefix; bit < bits; bit++) {
    const index = bit >> 3;
    network[index] = (network[index] ?? 0) & ~(0x80 >> (bit & 7));
  }
  return { network, prefix, family };
}

export function formatCidr(cidr: Cidr): string {
  return `${formatIp(cidr.network)}/${cidr.prefix}`;
}

/** Number of addresses in the range, as a bigint (an IPv6 /64 does not fit a number). */
export function cidrSize(cidr: Cidr): bigint {
  return 1n << BigInt(cidr.network.length * 8 - cidr.prefix);
}

/**
 * The address `index` places after the network address (`index` 1 is the first service IP,
 * kube-apiserver's `GetIndexedIP(cidr, 1)`). Throws if the range is too small.
 */
export function indexedIp(cidr: Cidr, index: number): Uint8Array {
  if (BigInt(index) >= cidrSize(cidr)) {
    throw new Error(`range ${formatCidr(cidr)} has no address at index ${index}`);
  }
  const out = cidr.network.slice();
  let carry = index;
  for (let i = out.length - 1; i >= 0 && carry > 0; i--) {
    const sum = (out[i] ?? 0) + (carry & 0xff);
    out[i] = sum & 0xff;
    carry = (carry >>> 8) + (sum >> 8);
  }
  return out;
}
