import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** Writes `files` (path -> contents) under a fresh temporary folder and returns it with a cleanup. */
export function makeTree(files: Record<string, string>): { root: string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'kubets-repo-tools-'));
  for (const [path, contents] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), contents);
  }
  return { root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

export interface FakePackage {
  name: string;
  layer?: number;
  devOnly?: boolean;
  deps?: string[];
  devDeps?: string[];
  files?: Record<string, string>;
}

/** A workspace in the shape of this repository: root package.json with `packages/*`. */
export function fakeWorkspace(packages: FakePackage[]): Record<string, string> {
  const tree: Record<string, string> = {
    'package.json': JSON.stringify({ name: 'root', private: true, workspaces: ['packages/*'] }),
    'turbo.json': '{}',
  };
  for (const p of packages) {
    const dir = `packages/${p.name.replace('@kubets/', '')}`;
    tree[`${dir}/package.json`] = JSON.stringify({
      name: p.name,
      version: '0.1.0',
      ...(p.layer === undefined ? {} : { kubets: { layer: p.layer, devOnly: p.devOnly } }),
      dependencies: Object.fromEntries((p.deps ?? []).map((d) => [d, '0.1.0'])),
      devDependencies: Object.fromEntries((p.devDeps ?? []).map((d) => [d, '0.1.0'])),
    });
    for (const [path, contents] of Object.entries(
      p.files ?? { 'src/index.ts': 'export const x = 1;\n' },
    )) {
      tree[`${dir}/${path}`] = contents;
    }
  }
  return tree;
}
