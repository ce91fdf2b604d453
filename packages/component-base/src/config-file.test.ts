import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ConfigFileError,
  loadConfigFile,
  mergeConfig,
  overlayFlags,
  parseConfigFile,
} from './config-file.js';
import { boolFlag, durationFlag, intFlag } from './flag-types.js';
import { parseFlags } from './flags.js';

const scheduler = {
  apiVersion: 'kubescheduler.config.k8s.io/v1',
  kind: 'KubeSchedulerConfiguration',
};

const yamlText = `# a scheduler config
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
clientConnection:
  qps: 100
leaderElection:
  leaderElect: false
profiles:
  - schedulerName: default-scheduler
`;

function errorOf(fn: () => unknown): ConfigFileError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigFileError) return err;
    throw err;
  }
  throw new Error('expected a ConfigFileError');
}

describe('parseConfigFile', () => {
  it('decodes YAML', () => {
    expect(parseConfigFile(yamlText, 'sched.yaml', scheduler)).toEqual({
      apiVersion: 'kubescheduler.config.k8s.io/v1',
      kind: 'KubeSchedulerConfiguration',
      clientConnection: { qps: 100 },
      leaderElection: { leaderElect: false },
      profiles: [{ schedulerName: 'default-scheduler' }],
    });
  });

  it('decodes JSON by content, whatever the file name', () => {
    const json = JSON.stringify({ ...scheduler, clientConnection: { qps: 5 } }, null, 2);
    expect(parseConfigFile(json, 'sched.yaml', scheduler)).toMatchObject({
      clientConnection: { qps: 5 },
    });
  });

  it('accepts any of several apiVersions', () => {
    const text = yamlText.replace('/v1', '/v1beta3');
    expect(() =>
      parseConfigFile(text, 'f', {
        ...scheduler,
        apiVersion: ['kubescheduler.config.k8s.io/v1', 'kubescheduler.config.k8s.io/v1beta3'],
      }),
    ).not.toThrow();
  });

  it.each([
    ['', 'config file "f.yaml": file is empty'],
    ['# only a comment\n', 'config file "f.yaml": file is empty'],
    ['- a\n- b\n', 'config file "f.yaml": expected a mapping with apiVersion and kind, got a list'],
    [
      'apiVersion: kubescheduler.config.k8s.io/v1\n',
      'missing kind (expected "KubeSchedulerConfiguration")',
    ],
    [
      'apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeletConfiguration\n',
      'unexpected kind "KubeletConfiguration" (expected "KubeSchedulerConfiguration")',
    ],
    [
      'kind: KubeSchedulerConfiguration\n',
      'missing apiVersion (expected "kubescheduler.config.k8s.io/v1")',
    ],
    [
      'apiVersion: kubescheduler.config.k8s.io/v1beta1\nkind: KubeSchedulerConfiguration\n',
      'unsupported apiVersion "kubescheduler.config.k8s.io/v1beta1" for kind KubeSchedulerConfiguration',
    ],
    [`${yamlText}---\n${yamlText}`, 'expected one YAML document, found 2'],
  ])('rejects %j', (text, message) => {
    expect(() => parseConfigFile(text, 'f.yaml', scheduler)).toThrow(message);
  });

  it('reports YAML syntax errors with file and line', () => {
    const err = errorOf(() =>
      parseConfigFile('apiVersion: v1\nkind: X\nprofiles: [a,\nfoo: 1\n', 'sched.yaml', scheduler),
    );
    expect(err.path).toBe('sched.yaml');
    expect(err.line).toBe(4);
    expect(err.message).toMatch(/^config file "sched.yaml": line 4, column 1: invalid YAML: /);
  });

  it('rejects duplicate keys, as strict decoding upstream does', () => {
    const err = errorOf(() => parseConfigFile('kind: A\nkind: B\n', 'f.yaml', scheduler));
    expect(err.line).toBe(2);
    expect(err.message).toContain('Map keys must be unique');
  });

  it('reports JSON syntax errors with line and column', () => {
    const err = errorOf(() =>
      parseConfigFile('{\n  "kind": "X",\n  "a" 1\n}', 'f.json', scheduler),
    );
    expect(err.message).toMatch(/^config file "f.json": line 3, column 7: invalid JSON: /);
    const noPosition = errorOf(() => parseConfigFile('{\n "a": }', 'f.json', scheduler));
    expect(noPosition.line).toBe(2);
    expect(noPosition.message).toContain('invalid JSON');
  });

  it('runs the validation hook and lists every problem', () => {
    const validate = (config: Record<string, unknown>) => {
      const problems: string[] = [];
      for (const key of Object.keys(config)) {
        if (!['apiVersion', 'kind', 'clientConnection', 'leaderElection'].includes(key)) {
          problems.push(`unknown field "${key}"`);
        }
      }
      const qps = (config.clientConnection as { qps?: number } | undefined)?.qps;
      if (qps !== undefined && qps <= 0) problems.push('clientConnection.qps: must be positive');
      return problems;
    };
    expect(() =>
      parseConfigFile(yamlText.replace('qps: 100', 'qps: -1'), 'f.yaml', {
        ...scheduler,
        validate,
      }),
    ).toThrow(
      'config file "f.yaml": invalid KubeSchedulerConfiguration: unknown field "profiles"; clientConnection.qps: must be positive',
    );
  });
});

describe('loadConfigFile', () => {
  it('reads a file from disk and names it in errors', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kubets-config-'));
    try {
      const path = join(dir, 'scheduler.yaml');
      await writeFile(path, yamlText);
      expect(await loadConfigFile(path, scheduler)).toMatchObject({
        clientConnection: { qps: 100 },
      });
      const missing = join(dir, 'missing.yaml');
      await expect(loadConfigFile(missing, scheduler)).rejects.toThrow(
        `config file "${missing}": no such file`,
      );
      await expect(loadConfigFile(dir, scheduler)).rejects.toThrow('is a directory');
    } finally {
      await rm(dir, { recursive: true });
    }
  });
});

describe('precedence: flags > config file > defaults', () => {
  const defaults = {
    clientConnection: { qps: 50, burst: 100 },
    leaderElection: { leaderElect: true, leaseDuration: '15s' },
    profiles: [{ schedulerName: 'default-scheduler' }],
  };
  const flags = {
    'kube-api-qps': intFlag({ default: 50, help: 'qps' }),
    'leader-elect': boolFlag({ default: true, help: 'elect' }),
    'leader-elect-lease-duration': durationFlag({ default: '15s', help: 'lease' }),
  };
  const bindings = {
    'kube-api-qps': 'clientConnection.qps',
    'leader-elect': 'leaderElection.leaderElect',
    'leader-elect-lease-duration': {
      path: 'leaderElection.leaseDuration',
      toConfig: (ms: unknown) => `${Number(ms) / 1000}s`,
    },
  };

  it('merges the file over defaults, objects deeply and lists wholesale', () => {
    const merged = mergeConfig(defaults, {
      clientConnection: { qps: 100 },
      profiles: [{ schedulerName: 'other' }],
    });
    expect(merged).toEqual({
      clientConnection: { qps: 100, burst: 100 },
      leaderElection: { leaderElect: true, leaseDuration: '15s' },
      profiles: [{ schedulerName: 'other' }],
    });
    expect(defaults.clientConnection.qps).toBe(50);
  });

  it('overrides file values only with flags that were set explicitly', () => {
    const fromFile = mergeConfig(defaults, parseConfigFile(yamlText, 'f', scheduler));
    const parsed = parseFlags(flags, ['--leader-elect-lease-duration=30s']);
    if (parsed.kind !== 'ok') throw new Error('parse failed');
    const config = overlayFlags(fromFile, parsed, bindings);
    // Flag defaults (qps 50, leader-elect true) do not override the file's 100 and false.
    expect(config.clientConnection.qps).toBe(100);
    expect(config.leaderElection.leaderElect).toBe(false);
    expect(config.leaderElection.leaseDuration).toBe('30s');

    const explicit = parseFlags(flags, ['--kube-api-qps=7', '--leader-elect']);
    if (explicit.kind !== 'ok') throw new Error('parse failed');
    const overridden = overlayFlags(fromFile, explicit, bindings);
    expect(overridden.clientConnection.qps).toBe(7);
    expect(overridden.leaderElection.leaderElect).toBe(true);
    expect(fromFile.clientConnection.qps).toBe(100);
  });

  it('creates missing objects on the path and refuses to walk through scalars', () => {
    const parsed = parseFlags(flags, ['--kube-api-qps=3']);
    if (parsed.kind !== 'ok') throw new Error('parse failed');
    expect(overlayFlags({}, parsed, { 'kube-api-qps': 'a.b.c' })).toEqual({ a: { b: { c: 3 } } });
    expect(() => overlayFlags({ a: 1 }, parsed, { 'kube-api-qps': 'a.b' })).toThrow(
      '"a" is not an object',
    );
  });
});
