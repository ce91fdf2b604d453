import { describe, expect, it } from 'vitest';
import { failuresOf, formatSummary } from './test-summary.js';

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

  it('names each failed test with the start of its message before the closing line', () => {
    const failures = failuresOf(
      {
        numPassedTests: 1,
        numFailedTests: 1,
        numPendingTests: 0,
        numTodoTests: 0,
        success: false,
        testResults: [
          {
            name: '/repo/packages/store/test/fault.test.ts',
            assertionResults: [
              { title: 'keeps serving', fullName: 'faults > keeps serving', status: 'passed' },
              {
                title: 'catches up',
                fullName: 'faults > catches up',
                status: 'failed',
                failureMessages: ['AssertionError: expected 3 to be 4\n    at fault.test.ts:10:5'],
              },
            ],
          },
          {
            name: '/repo/packages/store/test/broken.test.ts',
            message: 'SyntaxError: Unexpected token',
            assertionResults: [],
          },
        ],
      },
      '/repo/packages/store',
    );
    expect(failures).toEqual([
      {
        file: 'test/fault.test.ts',
        title: 'faults > catches up',
        message: 'AssertionError: expected 3 to be 4\n    at fault.test.ts:10:5',
      },
      {
        file: 'test/broken.test.ts',
        title: '(the file failed to run)',
        message: 'SyntaxError: Unexpected token',
      },
    ]);
    const text = formatSummary([
      { package: '@kubets/store', passed: 1, failed: 1, skipped: 0, reported: true, failures },
    ]);
    const lines = text.trimEnd().split('\n');
    expect(lines.at(-1)).toBe('tests: 1 passed, 1 failed, 0 skipped');
    expect(text).toContain(
      'failed tests:\n  @kubets/store test/fault.test.ts: faults > catches up\n      AssertionError: expected 3 to be 4\n',
    );
  });
});
