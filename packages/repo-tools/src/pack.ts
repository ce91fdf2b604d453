import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listWorkspacePackages } from './workspace.js';

export interface PackResult {
  package: string;
  tarball: string;
  entryPoints: { specifier: string; ok: boolean; detail: string }[];
  bins: { name: string; ok: boolean; detail: string }[];
}

function run(
  cmd: string,
  args: string[],
  cwd: string,
  timeoutMs: number,
): { status: number | null; out: string } {
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    timeout: timeoutMs,
    env: { ...process.env, npm_config_yes: 'true' },
  });
  return {
    status: r.status,
    out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`,
  };
}

/**
 * Packs every publishable workspace package with `npm pack`, installs the tarballs into an empty
 * project (the way a user would), imports every `exports` entry point and runs every `bin` with
 * `--help`. Packages must be built first. Workspace packages that depend on each other are wired
 * to the local tarballs with `overrides`, so nothing unpublished is fetched from the registry.
 */
export function packAndInstall(root: string, opts: { keep?: boolean } = {}): PackResult[] {
  const work = mkdtempSync(join(tmpdir(), 'kubets-pack-'));
  try {
    const packages = listWorkspacePackages(root).filter((p) => !p.manifest.private);
    const tarballs = new Map<string, string>();
    for (const pkg of packages) {
      const r = run('npm', ['pack', '--silent', '--pack-destination', work], pkg.dir, 120_000);
      if (r.status !== 0) throw new Error(`npm pack failed in ${pkg.relDir}:\n${r.out}`);
      const name = r.out.trim().split('\n').pop()!.trim();
      tarballs.set(pkg.manifest.name!, join(work, name));
    }
    const consumer = join(work, 'consumer');
    mkdirSync(consumer);
    const fileSpecs = Object.fromEntries([...tarballs].map(([n, t]) => [n, `file:${t}`]));
    writeFileSync(
      join(consumer, 'package.json'),
      JSON.stringify(
        {
          name: 'kubets-pack-consumer',
          private: true,
          type: 'module',
          dependencies: fileSpecs,
          overrides: fileSpecs,
        },
        null,
        2,
      ),
    );
    const install = run(
      'npm',
      ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'],
      consumer,
      300_000,
    );
    if (install.status !== 0)
      throw new Error(`npm install of the packed tarballs failed:\n${install.out}`);

    const results: PackResult[] = [];
    for (const pkg of packages) {
      const name = pkg.manifest.name!;
      const exportsMap = (pkg.manifest.exports ?? {}) as Record<string, unknown>;
      const entryPoints = Object.keys(exportsMap)
        .filter((sub) => sub !== './package.json')
        .map((sub) => {
          const specifier = sub === '.' ? name : `${name}/${sub.slice(2)}`;
          const r = run(
            process.execPath,
            [
              '--input-type=module',
              '-e',
              `const m = await import(${JSON.stringify(specifier)}); if (Object.keys(m).length === 0) { console.error('no exports'); process.exit(1); } console.log(Object.keys(m).length + ' exports');`,
            ],
            consumer,
            60_000,
          );
          return { specifier, ok: r.status === 0, detail: r.out.trim() };
        });
      const bins = Object.keys(
        typeof pkg.manifest.bin === 'string' ? { [name]: 1 } : (pkg.manifest.bin ?? {}),
      ).map((bin) => {
        const r = run(join(consumer, 'node_modules', '.bin', bin), ['--help'], consumer, 60_000);
        const ok = r.status === 0 && /--[a-z]/.test(r.out);
        return { name: bin, ok, detail: r.out.trim().split('\n').slice(0, 3).join(' | ') };
      });
      results.push({ package: name, tarball: tarballs.get(name)!, entryPoints, bins });
    }
    return results;
  } finally {
    if (!opts.keep) rmSync(work, { recursive: true, force: true });
  }
}

/** Names of the files in a tarball (`npm pack --dry-run --json`), to assert what a package ships. */
export function packedFiles(pkgDir: string): string[] {
  const r = run('npm', ['pack', '--dry-run', '--json', '--silent'], pkgDir, 120_000);
  if (r.status !== 0) throw new Error(`npm pack --dry-run failed in ${pkgDir}:\n${r.out}`);
  const parsed = JSON.parse(r.out.slice(r.out.indexOf('['))) as { files: { path: string }[] }[];
  return parsed[0]!.files.map((f) => f.path).sort();
}

export function listTarballs(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.tgz'));
}
