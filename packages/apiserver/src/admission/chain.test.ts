import { describe, expect, it } from 'vitest';
import { AdmissionChain } from './chain.js';
import { resolvePlugins } from './plugins.js';
import { attrsFor } from './testing.js';
import type { AdmissionAttributes } from './types.js';

describe('admission plugin resolution', () => {
  it('starts from upstream defaults, keeps upstream order whatever the flag order', () => {
    const { enabled, unimplemented } = resolvePlugins(
      ['NodeRestriction', 'AlwaysPullImages'],
      ['PodSecurity'],
    );
    expect(enabled.slice(0, 5)).toEqual([
      'NamespaceLifecycle',
      'LimitRanger',
      'ServiceAccount',
      'NodeRestriction',
      'TaintNodesByCondition',
    ]);
    expect(enabled).not.toContain('PodSecurity');
    expect(enabled.at(-1)).toBe('ResourceQuota');
    expect(enabled.indexOf('MutatingAdmissionWebhook')).toBeLessThan(
      enabled.indexOf('ValidatingAdmissionWebhook'),
    );
    expect(unimplemented).toContain('AlwaysPullImages');
  });

  it('refuses unknown and overlapping names', () => {
    expect(() => resolvePlugins(['Nope'])).toThrow(
      'enable-admission-plugins plugin "Nope" is unknown',
    );
    expect(() => resolvePlugins(['LimitRanger'], ['LimitRanger'])).toThrow('overlapped');
  });
});

describe('AdmissionChain', () => {
  it('runs every mutating plugin before any validating one, in order, and stops at a refusal', async () => {
    const seen: string[] = [];
    const plugin = (name: string, kinds: ('admit' | 'validate')[], fail = false) => ({
      name,
      handles: () => true,
      ...(kinds.includes('admit')
        ? {
            admit: (a: AdmissionAttributes) => (
              seen.push(`${name}.admit`),
              a.warnings.push(name),
              Promise.resolve()
            ),
          }
        : {}),
      ...(kinds.includes('validate')
        ? {
            validate: () => (
              seen.push(`${name}.validate`),
              fail ? Promise.reject(new Error(`${name} says no`)) : Promise.resolve()
            ),
          }
        : {}),
    });
    const chain = new AdmissionChain([
      plugin('A', ['admit', 'validate']),
      plugin('B', ['validate'], true),
      plugin('C', ['admit', 'validate']),
    ]);
    const a = attrsFor('pods', 'CREATE', { metadata: { name: 'p' } });
    await chain.admit(a);
    await expect(chain.validate(a)).rejects.toThrow('B says no');
    expect(seen).toEqual(['A.admit', 'C.admit', 'A.validate', 'B.validate']);
    expect(a.warnings).toEqual(['A', 'C']);
  });
});
