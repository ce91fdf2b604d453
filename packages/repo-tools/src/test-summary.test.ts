import { describe, expect, it } from 'vitest';
import { formatSummary } from './test-summary.js';

describe('formatSummary', () => {
  it('ends with the plain closing line and counts a package without a report as a failure', () => {
    const text = formatSummary([
      { package: '@kubets/raft', passed: 120, failed: 0, skipped: 2, reported: true },
      { package: '@kubets/sim', passed: 30, failed: 1, skipped: 0, reported: true },
      { package: '@kubets/store', passed: 0, failed: 0, skipped: 0, reported: false },
    ]);
    const lines = text.trimEnd().split('\n');
    expect(lines.at(-1)).toBe('tests: 150 passed, 2 failed, 2 skipped');
    expect(text).toContain(
      '@kubets/store                  no test report (did not run or crashed)',
    );
  });
});
