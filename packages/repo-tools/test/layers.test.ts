import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { checkLayers, formatViolation } from '../src/layers.js';
import { fakeWorkspace, makeTree, type FakePackage } from './fixtures.js';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');
let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

function check(packages: FakePackage[]) {
  const { root, cleanup } = makeTree(fakeWorkspace(packages));
  cleanups.push(cleanup);
  return { root, violations: checkLayers(root) };
}

const raft: FakePackage = { name: '@kubets/raft', layer: 0 };
const sim: FakePackage = { name: '@kubets/sim', layer: 0, devOnly: true };

describe('checkLayers', () => {
  it('accepts downward imports that are declared', () => {
    const { violations } = check([
      raft,
      {
        name: '@kubets/store',
        layer: 3,
        deps: ['@kubets/raft'],
        files: { 'src/index.ts': "import { x } from '@kubets/raft';\nexport const y = x;\n" },
      },
    ]);
    expect(violations).toEqual([]);
  });

  it('rejects an upward import and names the file, line and both layers', () => {
    const { violations } = check([
      {
        name: '@kubets/raft',
        layer: 0,
        deps: ['@kubets/store'],
        files: {
          'src/index.ts':
            "export const a = 1;\nimport { s } from '@kubets/store';\nexport const b = s;\n",
        },
      },
      { name: '@kubets/store', layer: 3 },
    ]);
    expect(violations.map(formatViolation)).toEqual([
      'packages/raft/src/index.ts:2: [upward-import] @kubets/raft (layer 0, pure) imports @kubets/store (layer 3, components): imports go downward only',
    ]);
  });

  it('rejects one component importing another, even when declared', () => {
    const { violations } = check([
      {
        name: '@kubets/scheduler',
        layer: 3,
        deps: ['@kubets/kubelet'],
        files: { 'src/index.ts': "import '@kubets/kubelet';\n" },
      },
      { name: '@kubets/kubelet', layer: 3 },
    ]);
    expect(violations.map((v) => v.rule)).toEqual(['sideways-import']);
  });

  it('allows same-layer imports below the components layer', () => {
    const { violations } = check([
      { name: '@kubets/api', layer: 1 },
      {
        name: '@kubets/scheduler-framework',
        layer: 1,
        deps: ['@kubets/api'],
        files: {
          'src/index.ts': "import type { Pod } from '@kubets/api';\nexport type P = Pod;\n",
        },
      },
    ]);
    expect(violations).toEqual([]);
  });

  it('rejects an import that package.json does not declare', () => {
    const { violations } = check([
      raft,
      { name: '@kubets/store', layer: 3, files: { 'src/index.ts': "import '@kubets/raft';\n" } },
    ]);
    expect(violations.map((v) => v.rule)).toEqual(['undeclared-dependency']);
  });

  it('lets tests use devDependencies but not shipped code', () => {
    const { violations } = check([
      sim,
      {
        name: '@kubets/raft',
        layer: 0,
        devDeps: ['@kubets/sim'],
        files: {
          'src/index.ts': "import { Prng } from '@kubets/sim';\nexport const p = Prng;\n",
          'src/index.test.ts': "import '@kubets/sim';\n",
          'test/sim/cluster.ts': "import '@kubets/sim';\n",
        },
      },
    ]);
    expect(violations.map((v) => `${v.where} ${v.rule}`)).toEqual([
      'packages/raft/src/index.ts undeclared-dependency',
      'packages/raft/src/index.ts dev-only-in-production',
    ]);
  });

  it('rejects a package without a layer', () => {
    const { violations } = check([{ name: '@kubets/mystery' }]);
    expect(violations.map((v) => v.rule)).toEqual(['missing-layer']);
  });

  it('rejects packages that depend on each other in a cycle', () => {
    const { violations } = check([
      { name: '@kubets/a', layer: 0, deps: ['@kubets/b'] },
      { name: '@kubets/b', layer: 0, deps: ['@kubets/a'] },
    ]);
    expect(violations.map((v) => v.rule)).toEqual(['package-cycle']);
  });

  it('rejects a runtime import cycle between modules but not a type-only one', () => {
    const { violations } = check([
      {
        name: '@kubets/raft',
        layer: 0,
        files: {
          'src/a.ts': "import { b } from './b.js';\nexport const a = b;\n",
          'src/b.ts': "import { c } from './c.js';\nexport const b = c;\n",
          'src/c.ts': "import { a } from './a.js';\nexport const c = a;\n",
          'src/d.ts': "import type { E } from './e.js';\nexport type D = E;\n",
          'src/e.ts': "import type { D } from './d.js';\nexport type E = D | 1;\n",
        },
      },
    ]);
    expect(violations).toHaveLength(1);
    expect(violations[0]!.rule).toBe('module-cycle');
    expect(violations[0]!.message).toContain(
      'packages/raft/src/a.ts -> packages/raft/src/b.ts -> packages/raft/src/c.ts',
    );
  });
});

// Each case starts Node and loads the TypeScript compiler: slow on a loaded 2-core machine.
describe('kubets-repo-check binary', { timeout: 120_000 }, () => {
  const bin = join(REPO_ROOT, 'packages/repo-tools/dist/bin/repo-check.js');

  it('fails with exit code 1 on a workspace with an upward import', () => {
    const { root } = check([
      {
        name: '@kubets/raft',
        layer: 0,
        deps: ['@kubets/store'],
        files: { 'src/index.ts': "import '@kubets/store';\n" },
      },
      { name: '@kubets/store', layer: 3 },
    ]);
    const r = spawnSync(process.execPath, [bin, `--root=${root}`], { encoding: 'utf8' });
    expect(r.stderr).toContain('[upward-import]');
    expect(r.status).toBe(1);
  });

  it('rejects an unknown flag with exit code 2', () => {
    const r = spawnSync(process.execPath, [bin, '--rot=x'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown flag: --rot=x');
  });

  it('finds no layering violation in this repository', () => {
    expect(checkLayers(REPO_ROOT).map(formatViolation)).toEqual([]);
  });
});
