/**
 * Runs real kubectl against a server with its own kubeconfig and a fresh --cache-dir (in a
 * throwaway HOME), for tests outside the kubectl suite.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function findKubectl(): string | undefined {
  for (const d of (process.env.PATH ?? '').split(':')) {
    const p = join(d, 'kubectl');
    if (d !== '' && existsSync(p)) return p;
  }
  return undefined;
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Kubectl {
  dir: string;
  run(args: string[], timeoutMs?: number): Promise<KubectlResult>;
  /** Runs and throws with stderr on a non-zero exit. */
  ok(args: string[]): Promise<string>;
  /** Points the kubeconfig at another server URL. */
  setServer(url: string): void;
  cleanup(): void;
}

export function kubectlFor(
  url: string,
  options: { insecureSkipTLSVerify?: boolean; caFile?: string; token?: string } = {},
): Kubectl {
  const bin = findKubectl();
  if (!bin) throw new Error('kubectl not found on PATH');
  const dir = mkdtempSync(join(tmpdir(), 'kubets-kubectl-'));
  const kubeconfig = join(dir, 'kubeconfig');
  const write = (server: string): void => {
    // kubectl prompts for a username on https without credentials: give it a bearer token.
    const user = server.startsWith('https:')
      ? `{token: ${options.token ?? 'not-checked-yet'}}`
      : '{}';
    const tls = options.caFile
      ? `\n    certificate-authority: ${options.caFile}`
      : options.insecureSkipTLSVerify
        ? '\n    insecure-skip-tls-verify: true'
        : '';
    writeFileSync(
      kubeconfig,
      `apiVersion: v1
kind: Config
clusters:
- name: kubets
  cluster:
    server: ${server}${tls}
contexts:
- name: kubets
  context: {cluster: kubets, user: kubets, namespace: default}
current-context: kubets
users:
- name: kubets
  user: ${user}
`,
    );
  };
  write(url);
  const run = (args: string[], timeoutMs = 20_000): Promise<KubectlResult> =>
    new Promise((resolve) => {
      execFile(
        bin,
        ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), ...args],
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
    });
  return {
    dir,
    run,
    ok: async (args) => {
      const r = await run(args);
      if (r.code !== 0)
        throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
      return r.stdout;
    },
    setServer: write,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
