import { describe, expect, it } from 'vitest';
import { checkManifest } from './manifest.js';
import type { PackageManifest } from './workspace.js';

const good: PackageManifest = {
  name: '@kubets/raft',
  version: '0.1.0',
  description: 'raft',
  type: 'module',
  license: 'Apache-2.0',
  repository: { type: 'git', url: 'x', directory: 'packages/raft' },
  engines: { node: '>=20.19.0' },
  files: ['dist', 'bin'],
  exports: {
    '.': { types: './dist/index.d.ts', default: './dist/index.js' },
    './package.json': './package.json',
  },
  bin: { 'kubets-store': './bin/kubets-store.js' },
  dependencies: { 'prom-client': '15.1.3' },
};

describe('checkManifest', () => {
  it('accepts a complete publishable manifest', () => {
    expect(checkManifest('packages/raft', good)).toEqual([]);
  });

  it('names every missing or wrong field', () => {
    const problems = checkManifest('packages/raft', {
      ...good,
      name: 'raft',
      type: 'commonjs',
      exports: {
        '.': { default: './dist/index.js', types: './dist/index.d.ts' },
        './testing': './dist/testing.js',
      },
      bin: { x: './dist/bin/x.js' },
      dependencies: { 'prom-client': '^15.1.3' },
      engines: {},
    });
    expect(problems).toEqual([
      'name must be "kubets" or start with "@kubets/" (got "raft")',
      'type must be "module" (ESM only)',
      'engines.node is missing',
      'exports["."] must list "types" first',
      'exports["./testing"] must have "types"',
      'bin "x" must be a shim in ./bin/ that imports ./dist/bin/ (got ./dist/bin/x.js)',
      'dependency prom-client must be pinned to an exact version (got ^15.1.3)',
    ]);
  });
});
