import { describe, expect, it } from 'vitest';
import { TIERING_FLAGS, tieringFlagsToSet } from './v8-tiering.js';

describe('tieringFlagsToSet', () => {
  it('sets the flags nobody gave', () => {
    expect(tieringFlagsToSet([], undefined)).toEqual([...TIERING_FLAGS]);
    expect(tieringFlagsToSet(['--enable-source-maps'], '--max-old-space-size=512')).toEqual([
      ...TIERING_FLAGS,
    ]);
  });

  it('leaves a flag given on the command line or in NODE_OPTIONS to the operator', () => {
    expect(tieringFlagsToSet(['--interrupt-budget=1000'], undefined)).toEqual([]);
    expect(tieringFlagsToSet([], '--cpu-prof --interrupt_budget=1000')).toEqual([]);
  });
});
