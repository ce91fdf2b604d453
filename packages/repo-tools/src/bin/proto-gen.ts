#!/usr/bin/env node
// kubets-proto-gen [--check] [--proto-root=DIR]: run from a package folder that has proto.config.json.
import { resolve } from 'node:path';
import { findStaleGenerated, generatePackageProtos } from '../proto-gen.js';

const USAGE = `Usage: kubets-proto-gen [--check] [--proto-root=DIR]

Generates src/gen/<bundle>/ from the .proto files listed in ./proto.config.json.

Flags:
      --check              compare the committed src/gen/ with a fresh generation; exit 1 if stale
  -h, --help               show this help
      --proto-root string  folder the proto paths are relative to (default "../../proto")
`;

function main(argv: string[]): number {
  let check = false;
  let protoRoot = resolve('../../proto');
  for (const arg of argv) {
    if (arg === '--help' || arg === '-h') {
      process.stdout.write(USAGE);
      return 0;
    } else if (arg === '--check') check = true;
    else if (arg.startsWith('--proto-root='))
      protoRoot = resolve(arg.slice('--proto-root='.length));
    else {
      process.stderr.write(
        `error: unknown flag: ${arg}\nRun 'kubets-proto-gen --help' for usage.\n`,
      );
      return 2;
    }
  }
  try {
    if (check) {
      const stale = findStaleGenerated(process.cwd(), protoRoot);
      for (const line of stale) process.stderr.write(`${line}\n`);
      return stale.length === 0 ? 0 : 1;
    }
    for (const dir of generatePackageProtos(process.cwd(), protoRoot))
      process.stdout.write(`generated ${dir}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message}\n`);
    return 1;
  }
}

process.exitCode = main(process.argv.slice(2));
