/**
 * Compiles this package's sources into a temporary directory so a test can run the real `kubets`
 * binary as a child process without depending on `dist/` being fresh (package checks run tests
 * before the build). Per-file transpilation (no type checking) takes well under a second; bare
 * imports resolve through a symlink to the workspace's node_modules.
 */
import {
  copyFile,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const PACKAGE = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(PACKAGE, 'src');

export interface ChildBuild {
  /** Path of the compiled bin/kubets.js. */
  bin: string;
  dir: string;
  remove(): Promise<void>;
}

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sources(path)));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

export async function buildForChild(): Promise<ChildBuild> {
  const dir = await mkdtemp(join(tmpdir(), 'kubets-cli-'));
  // dist/cli/main.js reads ../../package.json; mirror that layout (pkg/ plays dist/).
  await copyFile(join(PACKAGE, 'package.json'), join(dir, 'package.json'));
  const out = join(dir, 'pkg');
  for (const file of await sources(SRC)) {
    const { outputText } = ts.transpileModule(await readFile(file, 'utf8'), {
      fileName: file,
      compilerOptions: {
        module: ts.ModuleKind.ESNext,
        target: ts.ScriptTarget.ES2022,
        verbatimModuleSyntax: true,
      },
    });
    const target = join(out, relative(SRC, file)).replace(/\.ts$/, '.js');
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, outputText);
  }
  // <node_modules>/yaml/package.json -> <node_modules>
  const yamlManifest = createRequire(join(SRC, 'index.ts')).resolve('yaml/package.json');
  await symlink(dirname(dirname(yamlManifest)), join(dir, 'node_modules'), 'dir');
  return {
    bin: join(out, 'bin', 'kubets.js'),
    dir,
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
