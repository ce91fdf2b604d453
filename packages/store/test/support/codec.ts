/** Helpers shared by the hand-written codec tests (src/server/kv-codec, range-codec). */
import { Prng } from '@kubets/sim';
import { expect } from 'vitest';
import { PREFIX_BYTES } from '@kubets/component-base/grpc-server';

/** A seeded source of numbers in [0, 1), for random requests that a failure can replay. */
export function seeded(seed: number): () => number {
  const prng = new Prng(seed);
  return () => prng.next();
}

/** The message inside a gRPC frame (checking the prefix). */
export function unframe(frame: Buffer): Buffer {
  expect(frame[0]).toBe(0);
  expect(frame.readUInt32BE(1)).toBe(frame.length - PREFIX_BYTES);
  return frame.subarray(PREFIX_BYTES);
}
