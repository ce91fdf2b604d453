/**
 * Runs the real kubectl against a test server with its own kubeconfig and a fresh --cache-dir
 * (in a throwaway HOME, with ~/.kube/kuberc ignored).
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

export interface KubectlOptions {
  insecureSkipTLSVerify?: boolean;
  caFile?: string;
  /** Bearer token for https servers (kubectl prompts for a username without credentials). */
  token?: string;
}

export interface Kubectl {
  dir: string;
  run(args: string[], stdin?: string, timeoutMs?: number): Promise<KubectlResult>;
  /** Runs and throws with stderr on a non-zero exit; returns stdout. */
  ok(args: string[], stdin?: string): Promise<string>;
  /** The full argument list for `args` (kubeconfig and cache dir first), to spawn kubectl. */
  argv(args: string[]): string[];
  /** The environment kubectl runs in. */
  env: NodeJS.ProcessEnv;
  /** Writes a file in the kubectl directory and returns its path. */
  file(name: string, content: string): string;
  /** Points the kubeconfig at another server URL. */
  setServer(url: string): void;
  cleanup(): void;
}

export function kubectlFor(url: string, options: KubectlOptions = {}): Kubectl {
  const bin = KUBECTL;
  if (!bin) throw new Error('kubectl not found on PATH');
  const dir = mkdtempSync(join(tmpdir(), 'kubets-kubectl-'));
  const file = (name: string, content: string): string => {
    const p = join(dir, name);
    writeFileSync(p, content);
    return p;
  };
  const setServer = (server: string): void => {
    const user = server.startsWith('https:')
      ? `{token: ${options.token ?? 'not-checked-yet'}}`
      : '{}';
    const tls = options.caFile
      ? `\n    certificate-authority: ${options.caFile}`
      : options.insecureSkipTLSVerify
        ? '\n    insecure-skip-tls-verify: true'
        : '';
    file(
      'kubeconfig',
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
  setServer(url);
  const env = { ...process.env, HOME: dir, KUBECTL_KUBERC: 'false' };
  const argv = (args: string[]): string[] => [
    '--kubeconfig',
    join(dir, 'kubeconfig'),
    '--cache-dir',
    join(dir, 'cache'),
    ...args,
  ];
  const run = (args: string[], stdin?: string, timeoutMs = 30_000): Promise<KubectlResult> =>
    new Promise((resolve) => {
      const child = execFile(
        bin,
        argv(args),
        { timeout: timeoutMs, env },
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
    });
  return {
    dir,
    run,
    ok: async (args, stdin) => {
      const r = await run(args, stdin);
      if (r.code !== 0)
        throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
      return r.stdout;
    },
    argv,
    env,
    file,
    setServer,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
