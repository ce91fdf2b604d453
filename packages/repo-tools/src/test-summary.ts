import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { listWorkspacePackages } from './workspace.js';

/** Where each package's `vitest run` writes its JSON report (see the packages' `test` scripts). */
export const RESULTS_FILE = '.vitest-results.json';

export interface PackageTestCounts {
  package: string;
  passed: number;
  failed: number;
  skipped: number;
  /** False when the package has a test script but wrote no fresh report (it did not run or crashed). */
  reported: boolean;
  /** The failed tests, so that the tail of a CI log names them (CI keeps only the tail). */
  failures?: readonly TestFailure[];
}

export interface TestFailure {
  /** The test file, relative to the package. */
  file: string;
  /** The describe blocks and the test's title, joined with ' > '. */
  title: string;
  /** The first lines of the first failure message. */
  message: string;
}

interface VitestJsonReport {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  success: boolean;
  testResults?: readonly {
    name: string;
    message?: string;
    assertionResults: readonly {
      fullName?: string;
      title: string;
      status: string;
      failureMessages?: readonly string[];
    }[];
  }[];
}

/** Lines of a failure message kept in the summary: enough for the assertion and its place. */
const FAILURE_MESSAGE_LINES = 6;

function firstLines(text: string): string {
  return text.split('\n').slice(0, FAILURE_MESSAGE_LINES).join('\n');
}

/** The failed tests of a report, and test files that failed without a test (a crash on import). */
export function failuresOf(report: VitestJsonReport, packageDir: string): TestFailure[] {
  const out: TestFailure[] = [];
  for (const file of report.testResults ?? []) {
    const rel = file.name.startsWith(packageDir + '/')
      ? file.name.slice(packageDir.length + 1)
      : file.name;
    const failed = file.assertionResults.filter((a) => a.status === 'failed');
    for (const a of failed) {
      out.push({
        file: rel,
        title: a.fullName ?? a.title,
        message: firstLines(a.failureMessages?.[0] ?? ''),
      });
    }
    if (failed.length === 0 && file.message) {
      out.push({ file: rel, title: '(the file failed to run)', message: firstLines(file.message) });
    }
  }
  return out;
}

/** Reads the reports written at or after `sinceMs` (older ones are from an earlier run). */
export function collectTestCounts(root: string, sinceMs: number): PackageTestCounts[] {
  const out: PackageTestCounts[] = [];
  for (const pkg of listWorkspacePackages(root)) {
    if (!pkg.manifest.scripts?.test) continue;
    const file = join(pkg.dir, RESULTS_FILE);
    const name = pkg.manifest.name ?? pkg.relDir;
    if (!existsSync(file) || statSync(file).mtimeMs < sinceMs) {
      out.push({ package: name, passed: 0, failed: 0, skipped: 0, reported: false });
      continue;
    }
    const report = JSON.parse(readFileSync(file, 'utf8')) as VitestJsonReport;
    out.push({
      package: name,
      passed: report.numPassedTests,
      failed: report.numFailedTests,
      skipped: report.numPendingTests + report.numTodoTests,
      reported: true,
      failures: failuresOf(report, pkg.dir),
    });
  }
  return out;
}

/** The per-package table and the closing `N passed, N failed, N skipped` line CI reads. */
export function formatSummary(counts: readonly PackageTestCounts[]): string {
  const lines = counts.map((c) =>
    c.reported
      ? `  ${c.package.padEnd(30)} ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`
      : `  ${c.package.padEnd(30)} no test report (did not run or crashed)`,
  );
  const total = counts.reduce(
    (t, c) => ({
      passed: t.passed + c.passed,
      failed: t.failed + c.failed + (c.reported ? 0 : 1),
      skipped: t.skipped + c.skipped,
    }),
    { passed: 0, failed: 0, skipped: 0 },
  );
  const failures = counts.flatMap((c) =>
    (c.failures ?? []).map(
      (f) =>
        `  ${c.package} ${f.file}: ${f.title}\n${f.message
          .split('\n')
          .map((l) => `      ${l}`)
          .join('\n')}`,
    ),
  );
  if (failures.length > 0) lines.push('failed tests:', ...failures);
  return `${['test summary:', ...lines].join('\n')}\ntests: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped\n`;
}
