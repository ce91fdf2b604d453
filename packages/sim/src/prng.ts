/**
 * A seeded, splittable pseudo-random number generator.
 *
 * The generator is sfc32 (Chris Doty-Humphrey's "small fast chaotic" generator, 128 bits of
 * state, passes PractRand) seeded through splitmix32 so that neighbouring seeds (0, 1, 2, ...)
 * give unrelated streams. It is not cryptographic; it exists so that one integer reproduces a
 * whole simulation.
 */

const TWO_POW_32 = 0x1_0000_0000;
const TWO_POW_21 = 0x20_0000;
const TWO_POW_53 = 2 ** 53;

/** One step of splitmix32: advances `state` and returns a well-mixed 32-bit output. */
function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  return z >>> 0;
}

/** FNV-1a over UTF-16 code units: a stable 32-bit hash for fork labels. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function assertSafeInteger(value: number, what: string): void {
  if (!Number.isSafeInteger(value)) {
    throw new RangeError(`${what} must be a safe integer, got ${String(value)}`);
  }
}

export class Prng {
  /** The seed this generator was created with; `new Prng(seed)` replays the same stream. */
  readonly seed: number;
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** @param seed any safe integer (negative and 0 are fine); the full value is mixed in. */
  constructor(seed: number) {
    assertSafeInteger(seed, 'Prng seed');
    this.seed = seed;
    // Mix both 32-bit halves so seeds that differ only above bit 32 still differ.
    const low = seed >>> 0;
    const high = Math.floor(seed / TWO_POW_32) | 0;
    const mixer = { s: low };
    mixer.s ^= splitmix32({ s: high ^ 0x5bd1e995 });
    this.a = splitmix32(mixer);
    this.b = splitmix32(mixer);
    this.c = splitmix32(mixer);
    this.d = 1;
    // The sfc32 reference discards its first outputs so weak seeds have time to diffuse.
    for (let i = 0; i < 12; i++) this.uint32();
  }

  /** Uniform 32-bit unsigned integer. Every other method is built on this one. */
  uint32(): number {
    const t0 = (this.a + this.b) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.d = (this.d + 1) | 0;
    const t = (t0 + this.d) | 0;
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform float in [0, 1) with 53 bits of precision (two 32-bit draws). */
  next(): number {
    const high = this.uint32() >>> 11; // 21 bits
    const low = this.uint32(); // 32 bits
    return (high * TWO_POW_32 + low) / TWO_POW_53;
  }

  /** Uniform integer in [0, maxExclusive); exact (rejection sampling, no modulo bias). */
  int(maxExclusive: number): number {
    assertSafeInteger(maxExclusive, 'Prng.int bound');
    if (maxExclusive <= 0) {
      throw new RangeError(`Prng.int bound must be positive, got ${maxExclusive}`);
    }
    if (maxExclusive <= TWO_POW_32) {
      // Largest multiple of maxExclusive that fits in 2^32; draws above it are rejected.
      const limit = TWO_POW_32 - (TWO_POW_32 % maxExclusive);
      for (;;) {
        const u = this.uint32();
        if (u < limit) return u % maxExclusive;
      }
    }
    const limit = TWO_POW_53 - (TWO_POW_53 % maxExclusive);
    for (;;) {
      const u = (this.uint32() % TWO_POW_21) * TWO_POW_32 + this.uint32();
      if (u < limit) return u % maxExclusive;
    }
  }

  /** Uniform integer in [minInclusive, maxInclusive]. */
  range(minInclusive: number, maxInclusive: number): number {
    assertSafeInteger(minInclusive, 'Prng.range min');
    assertSafeInteger(maxInclusive, 'Prng.range max');
    if (maxInclusive < minInclusive) {
      throw new RangeError(`Prng.range: min ${minInclusive} is greater than max ${maxInclusive}`);
    }
    return minInclusive + this.int(maxInclusive - minInclusive + 1);
  }

  /**
   * True with the given probability. Always consumes one draw (even for 0 and 1) so that
   * changing a rate does not shift every later random decision of the simulation.
   */
  chance(probability: number): boolean {
    if (!(probability >= 0 && probability <= 1)) {
      throw new RangeError(`Prng.chance probability must be in [0, 1], got ${String(probability)}`);
    }
    return this.next() < probability;
  }

  /** A uniformly chosen element. Throws on an empty array. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('Prng.pick: cannot pick from an empty array');
    return items[this.int(items.length)] as T;
  }

  /** A uniformly shuffled copy (Fisher–Yates); the input is not modified. */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = out[i] as T;
      out[i] = out[j] as T;
      out[j] = tmp;
    }
    return out;
  }

  /**
   * A child generator with its own stream. It consumes one draw of this generator, so a run
   * stays reproducible from the root seed; the child's `seed` alone also replays the child.
   * The label is mixed in so `fork('net')` and `fork('disk')` differ even from equal states.
   */
  fork(label = ''): Prng {
    const childSeed = (this.uint32() ^ fnv1a(label)) >>> 0;
    return new Prng(childSeed);
  }
}
