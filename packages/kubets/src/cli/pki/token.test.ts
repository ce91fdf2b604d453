import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { testCli } from '../../../test/helpers.js';

describe('kubets pki token', () => {
  it('prints a fresh bootstrap token', async () => {
    const cli = testCli({ seed: 5 });
    const first = await cli.run('pki', 'token');
    const second = await cli.run('pki', 'token');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^[a-z0-9]{6}\.[a-z0-9]{16}\n$/);
    expect(second.stdout).not.toBe(first.stdout);
  });

  it('prints the Secret manifest with --secret', async () => {
    const result = await testCli({ seed: 6 }).run(
      'pki',
      'token',
      '--secret',
      '--ttl=2h',
      '--description=join n2',
    );
    expect(result.code).toBe(0);
    const secret = parse(result.stdout);
    expect(secret).toMatchObject({
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'bootstrap.kubernetes.io/token',
      metadata: { namespace: 'kube-system' },
      stringData: {
        description: 'join n2',
        expiration: '2026-01-15T14:00:00Z',
        'usage-bootstrap-signing': 'true',
        'usage-bootstrap-authentication': 'true',
        'auth-extra-groups': 'system:bootstrappers:kubeadm:default-node-token',
      },
    });
    expect(secret.metadata.name).toBe(`bootstrap-token-${secret.stringData['token-id']}`);
    expect(`${secret.stringData['token-id']}.${secret.stringData['token-secret']}`).toMatch(
      /^[a-z0-9]{6}\.[a-z0-9]{16}$/,
    );
  });

  it('refuses bad usages and groups (exit 2)', async () => {
    const usage = await testCli().run('pki', 'token', '--secret', '--usages=signing,admin');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('error: --usages: unknown usage "admin"');
    const group = await testCli().run('pki', 'token', '--secret', '--groups=system:masters');
    expect(group.code).toBe(2);
    expect(group.stderr).toContain('bootstrap token group "system:masters" must match');
  });
});
