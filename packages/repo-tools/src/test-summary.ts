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
}

interface VitestJsonReport {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  success: boolean;
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
  return `${['test summary:', ...lines].join('\n')}\ntests: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped\n`;
}
