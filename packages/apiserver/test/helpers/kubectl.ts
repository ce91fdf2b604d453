/**
 * Runs the real kubectl against a test cluster with its own kubeconfig and a fresh --cache-dir.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function findTool(name: string): string | undefined {
  for (const d of (process.env.PATH ?? '').split(':')) {
    const p = join(d, name);
    if (d !== '' && existsSync(p)) return p;
  }
  return undefined;
}

export const KUBECTL = findTool('kubectl');

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Kubectl {
  dir: string;
  run(args: string[], stdin?: string, timeoutMs?: number): Promise<KubectlResult>;
  /** Writes a file in the kubectl directory and returns its path. */
  file(name: string, content: string): string;
  cleanup(): void;
}

export function kubectlFor(url: string): Kubectl {
  const dir = mkdtempSync(join(tmpdir(), 'kubets-kubectl-'));
  const file = (name: string, content: string): string => {
    const p = join(dir, name);
    writeFileSync(p, content);
    return p;
  };
  file(
    'kubeconfig',
    `apiVersion: v1
kind: Config
clusters:
- name: kubets
  cluster:
    server: ${url}
contexts:
- name: kubets
  context: {cluster: kubets, user: kubets, namespace: default}
current-context: kubets
users:
- name: kubets
  user: {}
`,
  );
  return {
    dir,
    file,
    run: (args, stdin, timeoutMs = 30_000) =>
      new Promise((resolve) => {
        const child = execFile(
          KUBECTL!,
          ['--kubeconfig', join(dir, 'kubeconfig'), '--cache-dir', join(dir, 'cache'), ...args],
          { timeout: timeoutMs, env: { ...process.env, HOME: dir, KUBECTL_KUBERC: 'false' } },
          (err, stdout, stderr) => {
            const code = err
              ? typeof (err as { code?: unknown }).code === 'number'
                ? (err as { code: number }).code
                : 1
              : 0;
            resolve({ code, stdout, stderr });
          },
        );
        if (stdin !== undefined) child.stdin?.end(stdin);
      }),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
