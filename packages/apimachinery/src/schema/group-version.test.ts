import { describe, expect, it } from 'vitest';
import {
  fromAPIVersionAndKind,
  groupKindString,
  groupResourceString,
  groupVersionString,
  gvkString,
  gvrString,
  parseGroupKind,
  parseGroupResource,
  parseGroupVersion,
  parseResourceArg,
  toAPIVersionAndKind,
  unsafeGuessKindToResource,
} from './group-version.js';

describe('group/version parsing', () => {
  it.each([
    ['v1', { group: '', version: 'v1' }],
    ['apps/v1', { group: 'apps', version: 'v1' }],
    ['rbac.authorization.k8s.io/v1', { group: 'rbac.authorization.k8s.io', version: 'v1' }],
    ['', { group: '', version: '' }],
    ['/', { group: '', version: '' }],
  ])('%j', (input, want) => {
    expect(parseGroupVersion(input)).toEqual(want);
  });

  it('rejects two slashes', () => {
    expect(() => parseGroupVersion('a/b/c')).toThrow('unexpected GroupVersion string: a/b/c');
    expect(fromAPIVersionAndKind('a/b/c', 'X')).toEqual({ group: '', version: '', kind: 'X' });
  });

  it('formats like upstream', () => {
    expect(groupVersionString({ group: '', version: 'v1' })).toBe('v1');
    expect(groupVersionString({ group: 'apps', version: 'v1' })).toBe('apps/v1');
    expect(gvkString({ group: '', version: 'v1', kind: 'Pod' })).toBe('/v1, Kind=Pod');
    expect(gvkString({ group: 'apps', version: 'v1', kind: 'Deployment' })).toBe(
      'apps/v1, Kind=Deployment',
    );
    expect(gvrString({ group: 'apps', version: 'v1', resource: 'deployments' })).toBe(
      'apps/v1, Resource=deployments',
    );
    expect(groupResourceString({ group: '', resource: 'pods' })).toBe('pods');
    expect(groupResourceString({ group: 'apps', resource: 'deployments' })).toBe(
      'deployments.apps',
    );
    expect(groupKindString({ group: 'apps', kind: 'Deployment' })).toBe('Deployment.apps');
    expect(groupKindString({ group: '', kind: 'Pod' })).toBe('Pod');
    expect(toAPIVersionAndKind({ group: 'batch', version: 'v1', kind: 'Job' })).toEqual({
      apiVersion: 'batch/v1',
      kind: 'Job',
    });
    expect(fromAPIVersionAndKind('apps/v1', 'Deployment')).toEqual({
      group: 'apps',
      version: 'v1',
      kind: 'Deployment',
    });
  });

  it('parses resource and kind arguments', () => {
    expect(parseGroupResource('deployments.apps')).toEqual({
      group: 'apps',
      resource: 'deployments',
    });
    expect(parseGroupResource('pods')).toEqual({ group: '', resource: 'pods' });
    expect(parseGroupKind('Deployment.apps')).toEqual({ group: 'apps', kind: 'Deployment' });
    expect(parseResourceArg('deployments.v1.apps')).toEqual({
      gvr: { group: 'apps', version: 'v1', resource: 'deployments' },
      groupResource: { group: 'v1.apps', resource: 'deployments' },
    });
    expect(parseResourceArg('pods').gvr).toBeNull();
  });
});

describe('unsafeGuessKindToResource', () => {
  it.each([
    ['Pod', 'pods', 'pod'],
    ['ReplicationController', 'replicationcontrollers', 'replicationcontroller'],
    ['ImageRepository', 'imagerepositories', 'imagerepository'],
    ['miss', 'misses', 'miss'],
    ['Endpoints', 'endpoints', 'endpoints'],
    ['Ingress', 'ingresses', 'ingress'],
    ['NetworkPolicy', 'networkpolicies', 'networkpolicy'],
    ['Gateway', 'gatewaies', 'gateway'],
  ])('%s -> %s', (kind, plural, singular) => {
    const got = unsafeGuessKindToResource({ group: 'g', version: 'v1', kind });
    expect(got.plural).toEqual({ group: 'g', version: 'v1', resource: plural });
    expect(got.singular.resource).toBe(singular);
  });
  it('is empty for an empty kind', () => {
    expect(unsafeGuessKindToResource({ group: 'g', version: 'v', kind: '' }).plural.resource).toBe(
      '',
    );
  });
});
