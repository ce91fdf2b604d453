/** Test fixtures for the CLI: a capturing context over the real command tree, temp dirs. */
import type { CliContext } from '../src/cli/command.js';
import { main } from '../src/cli/main.js';
import { testKeyPair } from './keys.js';
import { FIXED_NOW, seededRandomBytes } from './random.js';

export { FIXED_NOW, scriptedRandomBytes, seededRandomBytes } from './random.js';
export { makeTempDir } from './temp-dir.js';

export interface CapturedRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface TestCli {
  run(...argv: string[]): Promise<CapturedRun>;
}

/** Runs the real command tree in-process with a fixed clock and seeded randomness. */
export function testCli(options: { now?: Date; seed?: number; hostname?: string } = {}): TestCli {
  const random = seededRandomBytes(options.seed ?? 1);
  return {
    async run(...argv) {
      let stdout = '';
      let stderr = '';
      const context: CliContext = {
        stdout: { write: (text: string) => (stdout += text) },
        stderr: { write: (text: string) => (stderr += text) },
        env: {},
        now: () => options.now ?? FIXED_NOW,
        randomBytes: random,
        hostname: () => options.hostname ?? 'Test-Host',
        generateKeyPair: testKeyPair,
      };
      const code = await main(argv, context);
      return { code, stdout, stderr };
    },
  };
}
