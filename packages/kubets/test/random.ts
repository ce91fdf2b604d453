/** Deterministic randomness and a fixed clock for tests (no heavy imports, for pure tests). */
import type { RandomBytes } from '../src/pki/random.js';

/** A fixed "now" for certificates issued in tests. */
export const FIXED_NOW = new Date('2026-01-15T12:00:00.000Z');

/** mulberry32: a tiny seeded PRNG, so serial numbers and tokens are reproducible. */
export function seededRandomBytes(seed: number): RandomBytes {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) & 0xff;
  };
  return (length) => Uint8Array.from({ length }, next);
}

/** Returns exactly the given byte sequences, one per call, then fails. */
export function scriptedRandomBytes(...chunks: number[][]): RandomBytes {
  const queue = chunks.map((c) => Uint8Array.from(c));
  return (length) => {
    const chunk = queue.shift();
    if (chunk === undefined) throw new Error('scripted randomness exhausted');
    if (chunk.length !== length) {
      throw new Error(`scripted chunk has ${chunk.length} bytes, ${length} requested`);
    }
    return chunk;
  };
}
