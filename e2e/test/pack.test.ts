// Every publishable package, packed with `npm pack` and installed from the tarballs into an empty
// project the way a user would: each `exports` entry point imports, each `bin` answers `--help`.
import { packAndInstall, listWorkspacePackages, type PackResult } from '@kubets/repo-tools';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const publishable = listWorkspacePackages(ROOT).filter((p) => !p.manifest.private);

describe('npm pack + install of every publishable package', () => {
  let results: PackResult[] = [];
  beforeAll(() => {
    results = packAndInstall(ROOT);
  }, 600_000);

  it('packs every publishable workspace package', () => {
    expect(results.map((r) => r.package).sort()).toEqual(
      publishable.map((p) => p.manifest.name).sort(),
    );
  });

  for (const pkg of publishable) {
    it(`${pkg.manifest.name}: every entry point imports from the installed tarball`, () => {
      const r = results.find((x) => x.package === pkg.manifest.name)!;
      expect(r.entryPoints.length).toBeGreaterThan(0);
      for (const e of r.entryPoints)
        expect(e, `${e.specifier}: ${e.detail}`).toMatchObject({ ok: true });
    });
    const bins = Object.keys(typeof pkg.manifest.bin === 'object' ? pkg.manifest.bin : {});
    if (bins.length > 0) {
      it(`${pkg.manifest.name}: every bin runs --help (${bins.join(', ')})`, () => {
        const r = results.find((x) => x.package === pkg.manifest.name)!;
        expect(r.bins.map((b) => b.name).sort()).toEqual(bins.sort());
        for (const b of r.bins) expect(b, `${b.name}: ${b.detail}`).toMatchObject({ ok: true });
      });
    }
  }
});
