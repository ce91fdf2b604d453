import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Violation } from './layers.js';
import { listWorkspacePackages, type PackageManifest } from './workspace.js';

export type ManifestRule = 'publish-manifest';

/**
 * Checks that a publishable package's package.json is complete: npm would accept it, and a user who
 * installs it gets ESM with type declarations, the README, and working binaries.
 */
export function checkManifest(relDir: string, m: PackageManifest, dir?: string): string[] {
  const problems: string[] = [];
  if (!m.name?.startsWith('@kubets/') && m.name !== 'kubets') {
    problems.push(`name must be "kubets" or start with "@kubets/" (got ${JSON.stringify(m.name)})`);
  }
  if (!m.version || !/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(m.version)) {
    problems.push(`version must be semver (got ${JSON.stringify(m.version)})`);
  }
  if (m.type !== 'module') problems.push('type must be "module" (ESM only)');
  if (!m.license) problems.push('license is missing');
  if (!m.description) problems.push('description is missing');
  if (!m.repository || typeof m.repository !== 'object') problems.push('repository is missing');
  else if ((m.repository as { directory?: string }).directory !== relDir) {
    problems.push(`repository.directory must be "${relDir}"`);
  }
  if (!m.engines?.node) problems.push('engines.node is missing');
  if (!Array.isArray(m.files) || !m.files.includes('dist'))
    problems.push('files must include "dist"');
  const root = (m.exports as Record<string, unknown> | undefined)?.['.'];
  if (!root || typeof root !== 'object') {
    problems.push('exports["."] is missing');
  } else {
    const keys = Object.keys(root);
    if (keys[0] !== 'types') problems.push('exports["."] must list "types" first');
    if (!keys.includes('default') && !keys.includes('import')) {
      problems.push('exports["."] needs a "default" or "import" target');
    }
  }
  for (const [sub, target] of Object.entries((m.exports as Record<string, unknown>) ?? {})) {
    if (sub === './package.json') continue;
    if (typeof target !== 'object' || target === null || !('types' in target)) {
      problems.push(`exports["${sub}"] must have "types"`);
    }
  }
  const bins = typeof m.bin === 'string' ? { [m.name ?? 'bin']: m.bin } : (m.bin ?? {});
  for (const [name, path] of Object.entries(bins)) {
    // npm links workspace binaries at `npm ci`, before dist/ exists, and skips links to missing
    // files; so every bin is a committed shim in bin/ that imports the built program in dist/bin/.
    if (!/^\.\/bin\/[\w.-]+\.js$/.test(path)) {
      problems.push(
        `bin "${name}" must be a shim in ./bin/ that imports ./dist/bin/ (got ${path})`,
      );
      continue;
    }
    if (!m.files?.includes('bin')) problems.push(`files must include "bin" for bin "${name}"`);
    if (dir) {
      const shim = join(dir, path);
      if (!existsSync(shim)) problems.push(`bin "${name}": shim ${path} does not exist`);
      else {
        const target = /import\(['"]\.\.\/dist\/bin\/([\w.-]+\.js)['"]\)/.exec(
          readFileSync(shim, 'utf8'),
        )?.[1];
        if (!target)
          problems.push(`bin "${name}": ${path} must import('../dist/bin/<program>.js')`);
        else if (!existsSync(join(dir, 'src', 'bin', target.replace(/\.js$/, '.ts')))) {
          problems.push(`bin "${name}": no source file src/bin/${target.replace(/\.js$/, '.ts')}`);
        }
      }
    }
  }
  if (m.dependencies) {
    for (const [dep, range] of Object.entries(m.dependencies)) {
      if (!/^\d+\.\d+\.\d+/.test(range))
        problems.push(`dependency ${dep} must be pinned to an exact version (got ${range})`);
    }
  }
  return problems;
}

export function checkManifests(root: string): Violation[] {
  const out: Violation[] = [];
  for (const pkg of listWorkspacePackages(root)) {
    if (pkg.manifest.private) continue;
    for (const problem of checkManifest(pkg.relDir, pkg.manifest, pkg.dir)) {
      out.push({ rule: 'publish-manifest', where: `${pkg.relDir}/package.json`, message: problem });
    }
  }
  return out;
}
