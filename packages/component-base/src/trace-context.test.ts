import { describe, expect, it } from 'vitest';
import { formatTraceparent, parseTraceparent } from './trace-context.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

describe('traceparent', () => {
  it('parses a sampled and an unsampled parent and formats them back', () => {
    const sampled = parseTraceparent(`00-${TRACE}-${SPAN}-01`);
    expect(sampled).toEqual({ traceId: TRACE, spanId: SPAN, traceFlags: 1, isRemote: true });
    expect(formatTraceparent(sampled!)).toBe(`00-${TRACE}-${SPAN}-01`);
    expect(parseTraceparent([`00-${TRACE}-${SPAN}-00`])?.traceFlags).toBe(0);
  });

  it('accepts future versions with more fields but not version 00 with more', () => {
    expect(parseTraceparent(`cc-${TRACE}-${SPAN}-01-what-the-future-holds`)?.traceId).toBe(TRACE);
    expect(parseTraceparent(`00-${TRACE}-${SPAN}-01-extra`)).toBeUndefined();
  });

  it('ignores malformed and all-zero values', () => {
    for (const bad of [
      undefined,
      '',
      'garbage',
      `ff-${TRACE}-${SPAN}-01`,
      `00-${'0'.repeat(32)}-${SPAN}-01`,
      `00-${TRACE}-${'0'.repeat(16)}-01`,
      `00-${TRACE.toUpperCase()}-${SPAN}-01`,
    ]) {
      expect(parseTraceparent(bad)).toBeUndefined();
    }
  });
});
