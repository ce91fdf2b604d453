import { describe, expect, it } from 'vitest';
import type { RaftConfig } from './config.js';
import { resolveConfig } from './config.js';
import { ConfigError } from './errors.js';
import { MemoryStorage } from './storage.js';

const base = (): RaftConfig => ({
  id: 1,
  storage: new MemoryStorage(),
  electionTick: 10,
  heartbeatTick: 1,
  random: () => 0.5,
});

describe('resolveConfig', () => {
  it('fills defaults', () => {
    const c = resolveConfig(base());
    expect(c).toMatchObject({
      preVote: true,
      checkQuorum: true,
      readOnlyOption: 'safe',
      maxSizePerMsg: 1024 * 1024,
      maxInflightMsgs: 256,
      maxInflightBytes: 0,
      stepDownOnRemoval: true,
      applied: 0,
    });
  });
  it.each<[Partial<RaftConfig>, RegExp]>([
    [{ id: 0 }, /id must be a positive integer/],
    [{ id: 1.5 }, /id must be a positive integer/],
    [{ heartbeatTick: 0 }, /heartbeatTick must be a positive integer/],
    [
      { electionTick: 1, heartbeatTick: 1 },
      /electionTick \(1\) must be greater than heartbeatTick/,
    ],
    [{ maxInflightMsgs: 0 }, /maxInflightMsgs/],
    [{ maxSizePerMsg: 1000, maxInflightBytes: 10 }, /maxInflightBytes \(10\) must be 0/],
    [{ readOnlyOption: 'lease-based', checkQuorum: false }, /lease-based requires checkQuorum/],
    [{ readOnlyOption: 'fast' as never }, /readOnlyOption must be/],
    [{ random: undefined }, /random must be a function/],
    [{ applied: -1 }, /applied must be a non-negative integer/],
  ])('rejects %o', (patch, msg) => {
    expect(() => resolveConfig({ ...base(), ...patch })).toThrow(ConfigError);
    expect(() => resolveConfig({ ...base(), ...patch })).toThrow(msg);
  });
});
