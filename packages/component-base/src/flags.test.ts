import { describe, expect, it } from 'vitest';
import {
  boolFlag,
  durationFlag,
  enumFlag,
  floatFlag,
  intFlag,
  mapFlag,
  stringFlag,
  stringSliceFlag,
} from './flag-types.js';
import { formatUsage } from './flag-usage.js';
import { parseFlags } from './flags.js';
import type { ParseOutcome } from './flags.js';
import type { FlagSpecs } from './flag-types.js';

const specs = {
  'bind-address': stringFlag({ default: '0.0.0.0', help: 'The IP address to listen on.' }),
  port: intFlag({
    default: 10259,
    help: 'The port to serve on.',
    shorthand: 'p',
    min: 0,
    max: 65535,
  }),
  'kube-api-qps': floatFlag({ default: 50, help: 'QPS to use while talking with the API server.' }),
  'leader-elect': boolFlag({ default: true, help: 'Start a leader election client.' }),
  profiling: boolFlag({ help: 'Enable profiling.', shorthand: 'P' }),
  'lease-duration': durationFlag({ default: '15s', help: 'Lease duration.', min: 0 }),
  'etcd-servers': stringSliceFlag({ default: ['http://127.0.0.1:2379'], help: 'etcd servers.' }),
  'node-labels': mapFlag({ help: 'Labels to add when registering the node.' }),
  'logging-format': enumFlag({
    values: ['json', 'text'],
    default: 'json',
    help: 'Sets the log format.',
    group: 'Logging flags',
  }),
  v: intFlag({
    help: 'number for the log level verbosity',
    shorthand: 'v',
    group: 'Logging flags',
  }),
};

function ok<S extends FlagSpecs>(outcome: ParseOutcome<S>) {
  if (outcome.kind !== 'ok') throw new Error(`expected ok, got ${JSON.stringify(outcome)}`);
  return outcome;
}

function errorOf<S extends FlagSpecs>(outcome: ParseOutcome<S>): string {
  if (outcome.kind !== 'error') throw new Error(`expected an error, got ${outcome.kind}`);
  return outcome.error.message;
}

describe('parseFlags', () => {
  it('returns typed defaults when nothing is given', () => {
    const parsed = ok(parseFlags(specs, []));
    expect(parsed.values).toEqual({
      'bind-address': '0.0.0.0',
      port: 10259,
      'kube-api-qps': 50,
      'leader-elect': true,
      profiling: false,
      'lease-duration': 15_000,
      'etcd-servers': ['http://127.0.0.1:2379'],
      'node-labels': {},
      'logging-format': 'json',
      v: 0,
    });
    expect(Object.values(parsed.sources).every((s) => s === 'default')).toBe(true);
    expect(parsed.args).toEqual([]);
  });

  it('accepts --flag=value and --flag value for every type', () => {
    const parsed = ok(
      parseFlags(specs, [
        '--bind-address=127.0.0.1',
        '--port',
        '8080',
        '--kube-api-qps=12.5',
        '--lease-duration',
        '1m30s',
        '--etcd-servers=http://a:2379,http://b:2379',
        '--node-labels',
        'zone=a,rack=r1',
        '--logging-format=text',
        '--v=4',
      ]),
    );
    expect(parsed.values).toMatchObject({
      'bind-address': '127.0.0.1',
      port: 8080,
      'kube-api-qps': 12.5,
      'lease-duration': 90_000,
      'etcd-servers': ['http://a:2379', 'http://b:2379'],
      'node-labels': { zone: 'a', rack: 'r1' },
      'logging-format': 'text',
      v: 4,
    });
    expect(parsed.sources.port).toBe('command-line');
    expect(parsed.sources['bind-address']).toBe('command-line');
    expect(parsed.sources.profiling).toBe('default');
  });

  it('treats bools as pflag does: --flag, --flag=false, and never consumes the next word', () => {
    expect(ok(parseFlags(specs, ['--profiling'])).values.profiling).toBe(true);
    expect(ok(parseFlags(specs, ['--leader-elect=false'])).values['leader-elect']).toBe(false);
    expect(ok(parseFlags(specs, ['--leader-elect=F'])).values['leader-elect']).toBe(false);
    const parsed = ok(parseFlags(specs, ['--profiling', 'false']));
    expect(parsed.values.profiling).toBe(true);
    expect(parsed.args).toEqual(['false']);
    expect(errorOf(parseFlags(specs, ['--profiling=maybe']))).toBe(
      'invalid argument "maybe" for "-P, --profiling" flag: not a boolean (use true or false)',
    );
  });

  it('handles shorthands: -p 80, -p80, -p=80, grouped bools', () => {
    expect(ok(parseFlags(specs, ['-p', '80'])).values.port).toBe(80);
    expect(ok(parseFlags(specs, ['-p80'])).values.port).toBe(80);
    expect(ok(parseFlags(specs, ['-p=80'])).values.port).toBe(80);
    const grouped = ok(parseFlags(specs, ['-Pv3']));
    expect(grouped.values.profiling).toBe(true);
    expect(grouped.values.v).toBe(3);
    expect(errorOf(parseFlags(specs, ['-x']))).toBe("unknown shorthand flag: 'x' in -x");
    expect(errorOf(parseFlags(specs, ['-p']))).toBe("flag needs an argument: 'p' in -p");
  });

  it('appends repeated list flags after replacing the default once', () => {
    const parsed = ok(parseFlags(specs, ['--etcd-servers=a', '--etcd-servers=b,c']));
    expect(parsed.values['etcd-servers']).toEqual(['a', 'b', 'c']);
    const maps = ok(parseFlags(specs, ['--node-labels=a=1', '--node-labels=b=2,a=3']));
    expect(maps.values['node-labels']).toEqual({ a: '3', b: '2' });
    expect(ok(parseFlags(specs, ['--etcd-servers='])).values['etcd-servers']).toEqual([]);
  });

  it('lets the last occurrence of a scalar win', () => {
    expect(ok(parseFlags(specs, ['--port=1', '--port=2'])).values.port).toBe(2);
  });

  it('collects positional arguments, interspersed or after --', () => {
    const parsed = ok(parseFlags(specs, ['one', '--port=1', 'two', '--', '--port=3', '-x']));
    expect(parsed.args).toEqual(['one', 'two', '--port=3', '-x']);
    expect(parsed.values.port).toBe(1);
  });

  it('names the flag and the problem in errors', () => {
    expect(errorOf(parseFlags(specs, ['--foo']))).toBe('unknown flag: --foo');
    expect(errorOf(parseFlags(specs, ['--port=abc']))).toBe(
      'invalid argument "abc" for "-p, --port" flag: not an integer',
    );
    expect(errorOf(parseFlags(specs, ['--port=70000']))).toBe(
      'invalid argument "70000" for "-p, --port" flag: must be at most 65535',
    );
    expect(errorOf(parseFlags(specs, ['--kube-api-qps=fast']))).toBe(
      'invalid argument "fast" for "--kube-api-qps" flag: not a number',
    );
    expect(errorOf(parseFlags(specs, ['--lease-duration=10']))).toBe(
      'invalid argument "10" for "--lease-duration" flag: invalid duration "10"',
    );
    expect(errorOf(parseFlags(specs, ['--lease-duration=-1s']))).toBe(
      'invalid argument "-1s" for "--lease-duration" flag: must be at least 0s',
    );
    expect(errorOf(parseFlags(specs, ['--node-labels=novalue']))).toBe(
      'invalid argument "novalue" for "--node-labels" flag: "novalue" must be formatted as key=value',
    );
    expect(errorOf(parseFlags(specs, ['--logging-format=xml']))).toBe(
      'invalid argument "xml" for "--logging-format" flag: must be one of "json", "text"',
    );
    expect(errorOf(parseFlags(specs, ['--port']))).toBe('flag needs an argument: --port');
    expect(errorOf(parseFlags(specs, ['---port=1']))).toBe('bad flag syntax: ---port=1');
  });

  it('reports the flag name on the error object', () => {
    const outcome = parseFlags(specs, ['--port=x']);
    expect(outcome.kind === 'error' && outcome.error.flag).toBe('port');
  });

  it('accepts hex, octal and binary integers like strconv.ParseInt(s, 0, 64)', () => {
    expect(ok(parseFlags(specs, ['--port=0x1f'])).values.port).toBe(31);
    expect(ok(parseFlags(specs, ['--port=0o17'])).values.port).toBe(15);
    expect(ok(parseFlags(specs, ['--port=0b101'])).values.port).toBe(5);
    expect(errorOf(parseFlags(specs, ['--port=1.5']))).toContain('not an integer');
    expect(errorOf(parseFlags(specs, ['--port= 1']))).toContain('not an integer');
  });

  it('stops at --help and -h, and recognises --version', () => {
    expect(parseFlags(specs, ['--port=1', '--help'])).toEqual({ kind: 'help' });
    expect(parseFlags(specs, ['-h'])).toEqual({ kind: 'help' });
    // pflag stops at the first error, so an error before --help wins.
    expect(parseFlags(specs, ['--nope', '--help']).kind).toBe('error');
    expect(parseFlags(specs, ['--version'])).toEqual({ kind: 'version' });
    expect(parseFlags(specs, ['--version=false']).kind).toBe('ok');
    expect(parseFlags(specs, ['--version'], { versionFlag: false }).kind).toBe('error');
  });

  it('reads env-declared flags, with the command line taking precedence', () => {
    const envSpecs = {
      port: intFlag({ default: 1, help: 'port', env: 'KUBETS_PORT' }),
      peers: stringSliceFlag({ help: 'peers', env: 'KUBETS_PEERS' }),
    };
    const env = { KUBETS_PORT: '2', KUBETS_PEERS: 'a,b' };
    const fromEnv = ok(parseFlags(envSpecs, [], { env }));
    expect(fromEnv.values).toEqual({ port: 2, peers: ['a', 'b'] });
    expect(fromEnv.sources).toEqual({ port: 'env', peers: 'env' });
    const overridden = ok(parseFlags(envSpecs, ['--port=3', '--peers=c'], { env }));
    expect(overridden.values).toEqual({ port: 3, peers: ['c'] });
    expect(ok(parseFlags(envSpecs, [], {})).values.port).toBe(1);
    expect(errorOf(parseFlags(envSpecs, [], { env: { KUBETS_PORT: 'x' } }))).toBe(
      'invalid value "x" for environment variable KUBETS_PORT (flag --port): not an integer',
    );
  });

  it('rejects mistakes in the declarations themselves', () => {
    expect(() => parseFlags({ help: boolFlag({ help: 'x' }) }, [])).toThrow('reserved');
    expect(() =>
      parseFlags(
        { a: boolFlag({ help: 'a', shorthand: 'x' }), b: boolFlag({ help: 'b', shorthand: 'x' }) },
        [],
      ),
    ).toThrow('share shorthand "x"');
    expect(() => parseFlags({ 'bad name': boolFlag({ help: 'x' }) }, [])).toThrow(
      'invalid flag name',
    );
    expect(() => boolFlag({ help: 'x', shorthand: 'xy' })).toThrow('single letter');
    expect(() => enumFlag({ values: ['a'], default: 'b' as 'a', help: 'x' })).toThrow('not one of');
  });
});

describe('formatUsage', () => {
  it('lists every flag with type, default and group, pflag-aligned', () => {
    const text = formatUsage(specs, { name: 'kubets-scheduler', description: 'Schedules pods.' });
    expect(text).toBe(
      [
        'Schedules pods.',
        '',
        'Usage:',
        '  kubets-scheduler [flags]',
        '',
        'Flags:',
        '      --bind-address string           The IP address to listen on. (default "0.0.0.0")',
        '      --etcd-servers strings          etcd servers. (default [http://127.0.0.1:2379])',
        '  -h, --help                          help for kubets-scheduler',
        '      --kube-api-qps float            QPS to use while talking with the API server. (default 50)',
        '      --leader-elect                  Start a leader election client. (default true)',
        '      --lease-duration duration       Lease duration. (default 15s)',
        '      --node-labels mapStringString   Labels to add when registering the node.',
        '  -p, --port int                      The port to serve on. (default 10259)',
        '  -P, --profiling                     Enable profiling.',
        '      --version                       Print version and exit.',
        '',
        'Logging flags:',
        '      --logging-format string         Sets the log format. Permitted values: "json", "text". (default "json")',
        '  -v, --v int                         number for the log level verbosity',
        '',
      ].join('\n'),
    );
  });

  it('shows environment variables', () => {
    const text = formatUsage(
      { token: stringFlag({ help: 'Bearer token.', env: 'KUBETS_TOKEN' }) },
      { name: 'x', versionFlag: false },
    );
    expect(text).toContain('--token string   Bearer token. [$KUBETS_TOKEN]');
    expect(text).not.toContain('--version');
  });
});
