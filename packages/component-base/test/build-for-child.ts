/**
 * Compiles this package's sources into a temporary directory so a test can run them in a real
 * child process, without depending on `dist/` being fresh (the package checks run tests before
 * the build). Type-only transpilation per file (ts.transpileModule) keeps it to well under a
 * second; bare imports resolve through a symlink to the node_modules that holds the
 * dependencies.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../src');

export interface ChildBuild {
  /** file:// URL of the compiled index.js, for `import()`. */
  entry: string;
  dir: string;
  remove(): Promise<void>;
}

export async function buildForChild(): Promise<ChildBuild> {
  const dir = await mkdtemp(join(tmpdir(), 'kubets-component-base-'));
  const out = join(dir, 'pkg');
  await writeFile(join(dir, 'package.json'), '{"type":"module"}\n');
  await mkdir(out);
  for (const name of await readdir(SRC)) {
    if (!name.endsWith('.ts') || name.endsWith('.test.ts')) continue;
    const source = await readFile(join(SRC, name), 'utf8');
    const { outputText } = ts.transpileModule(source, {
      fileName: name,
      compilerOptions: {
        module: ts.ModuleKind.ESNext,
        target: ts.ScriptTarget.ES2022,
        verbatimModuleSyntax: true,
      },
    });
    await writeFile(join(out, name.replace(/\.ts$/, '.js')), outputText);
  }
  // <node_modules>/pino/package.json -> <node_modules>
  const pinoManifest = createRequire(join(SRC, 'index.ts')).resolve('pino/package.json');
  await symlink(dirname(dirname(pinoManifest)), join(dir, 'node_modules'), 'dir');
  return {
    entry: pathToFileURL(join(out, 'index.js')).href,
    dir,
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
