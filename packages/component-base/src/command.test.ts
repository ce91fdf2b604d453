import { describe, expect, it } from 'vitest';
import { decideCommand, runCommand, versionLine } from './command.js';
import { intFlag, stringFlag } from './flag-types.js';

const flags = {
  port: intFlag({ default: 10259, help: 'The port to serve on.' }),
  config: stringFlag({ help: 'Path to a config file.' }),
};
const definition = { name: 'kubets-scheduler', version: '0.1.0', flags };

function fakeIO(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const exits: number[] = [];
  return {
    io: {
      argv,
      env: {},
      stdout: { write: (s: string) => out.push(s) },
      stderr: { write: (s: string) => err.push(s) },
      exit: (code: number) => void exits.push(code),
    },
    out,
    err,
    exits,
  };
}

describe('decideCommand', () => {
  it('prints usage on --help with exit 0', () => {
    const decision = decideCommand(definition, ['--help']);
    expect(decision).toMatchObject({ action: 'exit', code: 0, stderr: '' });
    expect(decision.action === 'exit' && decision.stdout).toContain('--port int');
  });

  it('prints the version on --version with exit 0', () => {
    expect(decideCommand(definition, ['--version'])).toEqual({
      action: 'exit',
      code: 0,
      stdout: 'kubets-scheduler v0.1.0\n',
      stderr: '',
    });
  });

  it('exits 2 with the error and a hint on a usage error', () => {
    expect(decideCommand(definition, ['--foo'])).toEqual({
      action: 'exit',
      code: 2,
      stdout: '',
      stderr: "error: unknown flag: --foo\nSee 'kubets-scheduler --help' for usage.\n",
    });
    const bad = decideCommand(definition, ['--port', 'abc']);
    expect(bad.action === 'exit' && bad.stderr).toContain(
      'error: invalid argument "abc" for "--port" flag: not an integer\n',
    );
  });

  it('rejects positional arguments unless the command accepts them', () => {
    const decision = decideCommand(definition, ['extra']);
    expect(decision.action === 'exit' && decision.code).toBe(2);
    expect(decision.action === 'exit' && decision.stderr).toContain(
      'error: "kubets-scheduler" does not take any arguments, got ["extra"]',
    );
    expect(decideCommand({ ...definition, args: 'any' }, ['extra']).action).toBe('run');
  });
});

describe('runCommand', () => {
  it('runs with parsed values and does not exit on success', async () => {
    const { io, exits } = fakeIO(['--port=1']);
    let seen: number | undefined;
    await runCommand({ ...definition, run: (parsed) => void (seen = parsed.values.port) }, io);
    expect(seen).toBe(1);
    expect(exits).toEqual([]);
  });

  it('writes usage errors to stderr and exits 2 without running', async () => {
    const { io, err, exits } = fakeIO(['--port=x']);
    let ran = false;
    await runCommand({ ...definition, run: () => void (ran = true) }, io);
    expect(ran).toBe(false);
    expect(exits).toEqual([2]);
    expect(err.join('')).toMatch(/^error: invalid argument "x" for "--port" flag/);
  });

  it('writes help to stdout and exits 0', async () => {
    const { io, out, exits } = fakeIO(['-h']);
    await runCommand({ ...definition, run: () => undefined }, io);
    expect(exits).toEqual([0]);
    expect(out.join('')).toContain('Usage:\n  kubets-scheduler [flags]');
  });

  it('reports a failing run as error: <message> with exit 1', async () => {
    const { io, err, exits } = fakeIO([]);
    await runCommand(
      {
        ...definition,
        run: () => Promise.reject(new Error('cannot reach etcd')),
      },
      io,
    );
    expect(exits).toEqual([1]);
    expect(err.join('')).toBe('error: cannot reach etcd\n');
  });
});

describe('versionLine', () => {
  it('does not double the v', () => {
    expect(versionLine('x', 'v1.2.3')).toBe('x v1.2.3\n');
    expect(versionLine('x', '1.2.3')).toBe('x v1.2.3\n');
  });
});
