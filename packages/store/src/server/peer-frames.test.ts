import { describe, expect, it } from 'vitest';
import { FrameDecoder, encodeFrames } from './peer-frames.js';

/** A deterministic pseudo-random generator (tests must not depend on luck). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function message(i: number, size: number): Uint8Array {
  const m = new Uint8Array(size);
  for (let k = 0; k < size; k++) m[k] = (i * 31 + k) & 0xff;
  return m;
}

describe('peer stream framing', () => {
  it('decodes every frame whatever the chunk boundaries, in order and intact', () => {
    const random = rng(7);
    for (let round = 0; round < 50; round++) {
      const messages = Array.from({ length: 1 + Math.floor(random() * 40) }, (_, i) =>
        // Empty messages, ones smaller than the length prefix, and larger ones.
        message(i, [0, 1, 3, 4, 5, 100, 5000][Math.floor(random() * 7)]!),
      );
      const wire = encodeFrames(messages);
      const decoder = new FrameDecoder();
      const out: Buffer[] = [];
      let pos = 0;
      while (pos < wire.length) {
        // Chunks of 1 byte up to the whole stream: boundaries inside prefixes and bodies.
        const size = random() < 0.3 ? 1 : 1 + Math.floor(random() * 700);
        out.push(...decoder.push(wire.subarray(pos, pos + size)));
        pos += size;
      }
      expect(decoder.buffered).toBe(0);
      expect(out).toHaveLength(messages.length);
      out.forEach((b, i) => expect(b.equals(messages[i]!)).toBe(true));
    }
  });

  it('returns frames inside one chunk without copying', () => {
    const wire = encodeFrames([message(1, 10), message(2, 20)]);
    const frames = new FrameDecoder().push(wire);
    expect(frames).toHaveLength(2);
    expect(frames[0]!.buffer).toBe(wire.buffer);
  });

  it('refuses a frame longer than the limit', () => {
    const decoder = new FrameDecoder(1000);
    const wire = encodeFrames([message(1, 1001)]);
    expect(() => decoder.push(wire.subarray(0, 6))).toThrow(/exceeds the limit of 1000/);
  });
});
