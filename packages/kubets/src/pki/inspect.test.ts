import { describe, expect, it } from 'vitest';
import { formatExpiry, residualTime } from './inspect.js';

describe('residualTime (Kubernetes ShortHumanDuration)', () => {
  const now = new Date('2026-01-15T12:00:00Z');
  const after = (ms: number) => new Date(now.getTime() + ms);
  const S = 1000;
  const H = 3600 * S;

  it.each([
    [-2 * S, '<invalid>'],
    [-1 * S, '0s'],
    [-500, '0s'],
    [0, '0s'],
    [59 * S, '59s'],
    [60 * S, '1m'],
    [59 * 60 * S + 59 * S, '59m'],
    [H, '1h'],
    [23 * H + 59 * 60 * S, '23h'],
    [24 * H, '1d'],
    [364 * 24 * H + 23 * H, '364d'],
    [365 * 24 * H, '1y'],
    [10 * 365 * 24 * H - H, '9y'],
  ])('%d ms -> %s', (ms, text) => {
    expect(residualTime(after(ms), now)).toBe(text);
  });
});

describe('formatExpiry', () => {
  it("uses kubeadm's layout, in UTC", () => {
    expect(formatExpiry(new Date('2027-03-04T05:06:59Z'))).toBe('Mar 04, 2027 05:06 UTC');
  });
});
