import { intFlag, stringFlag } from '@kubets/component-base';
import { describe, expect, it } from 'vitest';
import { FIXED_NOW, seededRandomBytes, testCli } from '../../test/helpers.js';
import type { CliContext, CommandGroup } from './command.js';
import { leafCommand, runCli, UsageError } from './command.js';

const calls: unknown[] = [];
const tree: CommandGroup = {
  kind: 'group',
  name: 'tool',
  summary: 'A tool.',
  commands: [
    {
      kind: 'group',
      name: 'things',
      summary: 'Manage things',
      commands: [
        leafCommand({
          name: 'make',
          aliases: ['create'],
          summary: 'Make a thing',
          flags: {
            size: intFlag({ default: 1, help: 'Size.' }),
            label: stringFlag({ help: 'Label.' }),
          },
          run({ values }, context) {
            if (values.label === 'usage') throw new UsageError('--label must not be "usage"');
            if (values.label === 'fail') throw new Error('disk on fire');
            calls.push(values);
            context.stdout.write(`made ${values.size}\n`);
          },
        }),
      ],
    },
  ],
};

async function run(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const context: CliContext = {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    env: {},
    now: () => FIXED_NOW,
    randomBytes: seededRandomBytes(1),
    hostname: () => 'h',
  };
  const code = await runCli(tree, argv, context, '1.2.3');
  return { code, stdout, stderr };
}

describe('runCli', () => {
  it('runs a leaf with its flags', async () => {
    expect(await run('things', 'make', '--size=3')).toEqual({
      code: 0,
      stdout: 'made 3\n',
      stderr: '',
    });
    expect(await run('things', 'create', '--size', '4')).toMatchObject({
      code: 0,
      stdout: 'made 4\n',
    });
    expect(calls.at(-1)).toEqual({ size: 4, label: '' });
  });

  it('lists commands and aliases in group help, exit 0', async () => {
    for (const argv of [[], ['--help'], ['-h'], ['help']]) {
      const result = await run(...argv);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('Usage:\n  tool <command> [flags]');
      expect(result.stdout).toContain('  things   Manage things');
      expect(result.stdout).toContain(
        'Use "tool <command> --help" for more information about a command.',
      );
    }
    expect((await run('things', '--help')).stdout).toContain(
      '  make   Make a thing (alias: create)',
    );
  });

  it('shows leaf flags with --help and with the help command', async () => {
    const direct = await run('things', 'make', '--help');
    expect(direct.code).toBe(0);
    expect(direct.stdout).toContain('Usage:\n  tool things make [flags]');
    expect(direct.stdout).toMatch(/--size int\s+Size\. \(default 1\)/);
    expect((await run('help', 'things', 'make')).stdout).toBe(direct.stdout);
  });

  it('prints the version', async () => {
    expect(await run('--version')).toEqual({ code: 0, stdout: 'tool v1.2.3\n', stderr: '' });
  });

  it('refuses unknown commands with exit 2 and suggestions', async () => {
    const result = await run('thing');
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      'error: unknown command "thing" for "tool"\n\nDid you mean this?\n\tthings\n\nSee \'tool --help\' for usage.\n',
    );
    expect((await run('things', 'zzz')).stderr).toBe(
      'error: unknown command "zzz" for "tool things"\nSee \'tool things --help\' for usage.\n',
    );
  });

  it('refuses flags before the command and unknown leaf flags with exit 2', async () => {
    const early = await run('--size=1', 'things');
    expect(early.code).toBe(2);
    expect(early.stderr).toContain('error: unknown flag: --size');
    const leaf = await run('things', 'make', '--colour=red');
    expect(leaf).toEqual({
      code: 2,
      stdout: '',
      stderr: "error: unknown flag: --colour\nSee 'tool things make --help' for usage.\n",
    });
    const bad = await run('things', 'make', '--size=big');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('invalid argument "big" for "--size" flag: not an integer');
  });

  it('refuses positional arguments to leaves', async () => {
    const result = await run('things', 'make', 'extra');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('does not take any arguments');
  });

  it('maps UsageError to exit 2 and other failures to exit 1', async () => {
    expect(await run('things', 'make', '--label=usage')).toEqual({
      code: 2,
      stdout: '',
      stderr: 'error: --label must not be "usage"\nSee \'tool things make --help\' for usage.\n',
    });
    expect(await run('things', 'make', '--label=fail')).toEqual({
      code: 1,
      stdout: '',
      stderr: 'error: disk on fire\n',
    });
  });
});

describe('the kubets command tree', () => {
  it('lists up and pki', async () => {
    const result = await testCli().run('--help');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Commands:\n {2}up {4}Start a local single-machine cluster/);
    expect(result.stdout).toMatch(/\n {2}pki {3}Create and inspect the cluster PKI/);
  });

  it('lists the pki subcommands', async () => {
    const result = await testCli().run('pki', '--help');
    for (const name of ['init', 'issue', 'kubeconfig', 'certs', 'token'])
      expect(result.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
    expect(result.stdout).toContain('(alias: check-expiration)');
  });

  it('prints the package version', async () => {
    expect((await testCli().run('--version')).stdout).toMatch(/^kubets v\d+\.\d+\.\d+\n$/);
  });
});
