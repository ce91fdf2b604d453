import { describe, expect, it } from 'vitest';
import type { RequestAttributes } from '../types.js';
import { resourceAttributes as res } from '../../../test/helpers/attributes.js';
import { compactString, ruleAllows, uncoveredRules } from './rules.js';

describe('RBAC rules', () => {
  it('match verbs, groups, resources, subresources, */scale and resource names like upstream', () => {
    const pods = { verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] };
    expect(ruleAllows(res('get', 'pods'), pods)).toBe(true);
    expect(ruleAllows(res('delete', 'pods'), pods)).toBe(false);
    expect(ruleAllows(res('get', 'pods', { subresource: 'log' }), pods)).toBe(false);
    expect(ruleAllows(res('get', 'pods', { group: 'apps' }), pods)).toBe(false);
    expect(
      ruleAllows(res('get', 'pods', { subresource: 'log' }), { ...pods, resources: ['pods/log'] }),
    ).toBe(true);
    const scale = { verbs: ['update'], apiGroups: ['*'], resources: ['*/scale'] };
    expect(
      ruleAllows(res('update', 'deployments', { group: 'apps', subresource: 'scale' }), scale),
    ).toBe(true);
    expect(ruleAllows(res('update', 'deployments', { group: 'apps' }), scale)).toBe(false);
    const named = {
      verbs: ['*'],
      apiGroups: [''],
      resources: ['configmaps'],
      resourceNames: ['a'],
    };
    expect(ruleAllows(res('get', 'configmaps', { name: 'a' }), named)).toBe(true);
    expect(ruleAllows(res('get', 'configmaps', { name: 'b' }), named)).toBe(false);
    expect(ruleAllows(res('list', 'configmaps'), named)).toBe(false);
  });

  it('match non-resource URLs exactly or by a trailing-star prefix', () => {
    const rule = { verbs: ['get'], nonResourceURLs: ['/healthz', '/apis/*'] };
    const nr = (path: string, verb = 'get'): RequestAttributes => ({
      kind: 'nonresource',
      verb,
      path,
    });
    expect(ruleAllows(nr('/healthz'), rule)).toBe(true);
    expect(ruleAllows(nr('/healthz/etcd'), rule)).toBe(false);
    expect(ruleAllows(nr('/apis/apps/v1'), rule)).toBe(true);
    expect(ruleAllows(nr('/apis'), rule)).toBe(false);
    expect(ruleAllows(nr('/healthz', 'post'), rule)).toBe(false);
    expect(ruleAllows(res('get', 'healthz'), rule)).toBe(false);
  });

  it("finds what an owner lacks, compacted by verb, in upstream's compact form", () => {
    const owned = [
      { verbs: ['get', 'list'], apiGroups: [''], resources: ['pods', 'configmaps'] },
      { verbs: ['*'], apiGroups: ['apps'], resources: ['*/scale'] },
      { verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['one'] },
    ];
    expect(
      uncoveredRules(owned, [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }]),
    ).toEqual([]);
    expect(
      uncoveredRules(owned, [
        { verbs: ['update'], apiGroups: ['apps'], resources: ['deployments/scale'] },
      ]),
    ).toEqual([]);
    expect(
      uncoveredRules(owned, [
        { verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['one'] },
      ]),
    ).toEqual([]);
    const missing = uncoveredRules(owned, [
      { verbs: ['get', 'delete', 'watch'], apiGroups: [''], resources: ['pods'] },
      { verbs: ['get'], apiGroups: [''], resources: ['secrets'] },
      { verbs: ['get'], nonResourceURLs: ['/metrics'] },
    ]);
    expect(missing.map(compactString)).toEqual([
      '{APIGroups:[""], Resources:["pods"], Verbs:["delete" "watch"]}',
      '{APIGroups:[""], Resources:["secrets"], Verbs:["get"]}',
      '{NonResourceURLs:["/metrics"], Verbs:["get"]}',
    ]);
    expect(
      uncoveredRules(
        [
          { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
          { verbs: ['*'], nonResourceURLs: ['*'] },
        ],
        missing,
      ),
    ).toEqual([]);
  });
});
