import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { findCycles } from './cycles.js';
import { findImports, kubetsPackageOf } from './imports.js';
import { listSourceFiles, listWorkspacePackages, type WorkspacePackage } from './workspace.js';

/** Layer names from ARCHITECTURE.md; a package's layer is `kubets.layer` in its package.json. */
export const LAYER_NAMES: Record<number, string> = {
  0: 'pure',
  1: 'contracts',
  2: 'plumbing',
  3: 'components',
  4: 'product',
  5: 'whole-cluster tests',
};

/** Components (layer 3) talk only through the API, so from this layer up, same-layer imports are banned. */
const FIRST_LAYER_WITHOUT_SIDEWAYS_IMPORTS = 3;

export type ViolationRule =
  | 'missing-layer'
  | 'unknown-package'
  | 'undeclared-dependency'
  | 'upward-import'
  | 'sideways-import'
  | 'dev-only-in-production'
  | 'package-cycle'
  | 'module-cycle'
  | 'publish-manifest';

export interface Violation {
  rule: ViolationRule;
  /** File (relative to the repository root) or package folder the violation is in. */
  where: string;
  line?: number;
  message: string;
}

export function formatViolation(v: Violation): string {
  return `${v.where}${v.line ? `:${v.line}` : ''}: [${v.rule}] ${v.message}`;
}

const SOURCE_SUFFIXES = ['.ts', '.mts', '.tsx'];

/** Test and benchmark code may use devDependencies; shipped code may not. */
export function isTestFile(pkgDir: string, file: string): boolean {
  const rel = relative(pkgDir, file).split(sep);
  return (
    rel[0] === 'test' ||
    rel[0] === 'bench' ||
    /\.(test|spec|bench)\.[mc]?tsx?$/.test(file) ||
    rel.includes('__fixtures__') ||
    rel.includes('testdata')
  );
}

function resolveRelative(fromFile: string, specifier: string): string | undefined {
  const base = resolve(dirname(fromFile), specifier);
  const candidates = [
    base.replace(/\.js$/, '.ts'),
    base.replace(/\.mjs$/, '.mts'),
    base,
    `${base}.ts`,
    join(base, 'index.ts'),
  ];
  return candidates.find((c) => existsSync(c) && c.endsWith('.ts'));
}

/** Runs every layering rule of ARCHITECTURE.md over the workspace at `root`. */
export function checkLayers(root: string): Violation[] {
  const packages = listWorkspacePackages(root);
  const byName = new Map<string, WorkspacePackage>();
  for (const pkg of packages) if (pkg.manifest.name) byName.set(pkg.manifest.name, pkg);
  const violations: Violation[] = [];

  for (const pkg of packages) {
    const layer = pkg.manifest.kubets?.layer;
    if (typeof layer !== 'number' || !(layer in LAYER_NAMES)) {
      violations.push({
        rule: 'missing-layer',
        where: pkg.relDir,
        message: `package.json must set "kubets": { "layer": 0..5 } (got ${JSON.stringify(layer)})`,
      });
      continue;
    }
    violations.push(...checkPackageImports(root, pkg, layer, byName));
    violations.push(...checkModuleCycles(root, pkg));
  }

  const depGraph = new Map<string, string[]>();
  for (const pkg of packages) {
    const deps = {
      ...pkg.manifest.dependencies,
      ...pkg.manifest.peerDependencies,
      ...pkg.manifest.devDependencies,
    };
    depGraph.set(
      pkg.manifest.name ?? pkg.relDir,
      Object.keys(deps).filter((d) => byName.has(d)),
    );
  }
  for (const cycle of findCycles(depGraph)) {
    violations.push({
      rule: 'package-cycle',
      where: cycle.join(', '),
      message: `packages depend on each other in a cycle: ${cycle.join(' -> ')}`,
    });
  }
  return violations;
}

function checkPackageImports(
  root: string,
  pkg: WorkspacePackage,
  layer: number,
  byName: ReadonlyMap<string, WorkspacePackage>,
): Violation[] {
  const violations: Violation[] = [];
  const m = pkg.manifest;
  const prodDeps = new Set(Object.keys({ ...m.dependencies, ...m.peerDependencies }));
  const allDeps = new Set([...prodDeps, ...Object.keys(m.devDependencies ?? {})]);
  const files = ['src', 'test', 'bench'].flatMap((d) =>
    listSourceFiles(join(pkg.dir, d), SOURCE_SUFFIXES),
  );

  for (const file of files) {
    const testCode = isTestFile(pkg.dir, file);
    const where = relative(root, file);
    for (const ref of findImports(readFileSync(file, 'utf8'))) {
      const target = kubetsPackageOf(ref.specifier);
      if (!target || target === m.name) continue;
      const targetPkg = byName.get(target);
      if (!targetPkg) {
        violations.push({
          rule: 'unknown-package',
          where,
          line: ref.line,
          message: `imports ${target}, which is not a package of this workspace`,
        });
        continue;
      }
      if (!(testCode ? allDeps : prodDeps).has(target)) {
        violations.push({
          rule: 'undeclared-dependency',
          where,
          line: ref.line,
          message: `imports ${target} but ${pkg.relDir}/package.json does not list it in ${
            testCode ? 'dependencies or devDependencies' : 'dependencies'
          }`,
        });
      }
      const targetLayer = targetPkg.manifest.kubets?.layer;
      if (typeof targetLayer !== 'number') continue; // reported as missing-layer on the target
      if (targetLayer > layer) {
        violations.push({
          rule: 'upward-import',
          where,
          line: ref.line,
          message: `${m.name} (layer ${layer}, ${LAYER_NAMES[layer]}) imports ${target} (layer ${targetLayer}, ${LAYER_NAMES[targetLayer]}): imports go downward only`,
        });
      } else if (targetLayer === layer && layer >= FIRST_LAYER_WITHOUT_SIDEWAYS_IMPORTS) {
        violations.push({
          rule: 'sideways-import',
          where,
          line: ref.line,
          message: `${m.name} imports ${target}: ${LAYER_NAMES[layer]} talk only through the API, never import each other`,
        });
      }
      if (!testCode && targetPkg.manifest.kubets?.devOnly) {
        violations.push({
          rule: 'dev-only-in-production',
          where,
          line: ref.line,
          message: `${target} is a development-only package; only tests and benchmarks may import it`,
        });
      }
    }
  }
  return violations;
}

/** Import cycles between the shipped modules of one package (type-only imports are erased, so they do not count). */
function checkModuleCycles(root: string, pkg: WorkspacePackage): Violation[] {
  const srcDir = join(pkg.dir, 'src');
  const files = listSourceFiles(srcDir, SOURCE_SUFFIXES).filter(
    (f) => !isTestFile(pkg.dir, f) && !f.includes(`${sep}gen${sep}`),
  );
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const edges: string[] = [];
    for (const ref of findImports(readFileSync(file, 'utf8'))) {
      if (ref.typeOnly || !ref.specifier.startsWith('.')) continue;
      const target = resolveRelative(file, ref.specifier);
      if (target) edges.push(relative(root, target));
    }
    graph.set(relative(root, file), edges);
  }
  return findCycles(graph).map((cycle) => ({
    rule: 'module-cycle' as const,
    where: pkg.relDir,
    message: `modules import each other in a cycle: ${cycle.join(' -> ')}`,
  }));
}
