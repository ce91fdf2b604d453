import { describe, expect, it } from 'vitest';
import { findImports, kubetsPackageOf } from './imports.js';

describe('findImports', () => {
  it('finds static, re-export, side-effect, type-only and dynamic imports with line numbers', () => {
    const src = [
      "import { a } from './a.js';",
      "import type { B } from '@kubets/raft';",
      "export * from './c.js';",
      "import './side-effect.js';",
      'const m = await import("@kubets/sim");',
      "export type { D } from '@kubets/api/types';",
      "import {\n  e,\n  f,\n} from 'node:fs';",
    ].join('\n');
    expect(findImports(src)).toEqual([
      { specifier: './a.js', line: 1, typeOnly: false },
      { specifier: '@kubets/raft', line: 2, typeOnly: true },
      { specifier: './c.js', line: 3, typeOnly: false },
      { specifier: './side-effect.js', line: 4, typeOnly: false },
      { specifier: '@kubets/sim', line: 5, typeOnly: false },
      { specifier: '@kubets/api/types', line: 6, typeOnly: true },
      { specifier: 'node:fs', line: 10, typeOnly: false },
    ]);
  });

  it('ignores import-like text in strings and comments', () => {
    const src =
      'const s = \'import x from "@kubets/raft"\';\n// import(\'@kubets/sim\')\nconst t = `await import("@kubets/api")`;';
    expect(findImports(src)).toEqual([]);
  });

  it('treats imports whose every named binding is a type as type-only', () => {
    expect(
      findImports("import { type A, type B } from './x.js';\nimport { type C, d } from './y.js';"),
    ).toEqual([
      { specifier: './x.js', line: 1, typeOnly: true },
      { specifier: './y.js', line: 2, typeOnly: false },
    ]);
  });

  it('maps subpath specifiers to their package', () => {
    expect(kubetsPackageOf('@kubets/client/testing')).toBe('@kubets/client');
    expect(kubetsPackageOf('@kubets/raft')).toBe('@kubets/raft');
    expect(kubetsPackageOf('prom-client')).toBeUndefined();
  });
});
