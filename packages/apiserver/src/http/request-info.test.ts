import { describe, expect, it } from 'vitest';
import { parseRequestInfo } from './request-info.js';

const r = (method: string, path: string, watch: string | null = null) =>
  parseRequestInfo(method, path, watch);

describe('parseRequestInfo', () => {
  it('classifies non-resource paths', () => {
    for (const p of [
      '/',
      '/api',
      '/api/v1',
      '/apis',
      '/apis/apps',
      '/apis/apps/v1',
      '/version',
      '/healthz',
    ]) {
      expect(r('GET', p).kind).toBe('nonresource');
    }
  });

  it('parses namespaced, cluster and all-namespace paths with verbs', () => {
    expect(r('GET', '/api/v1/namespaces/default/pods/web')).toEqual({
      kind: 'resource',
      verb: 'get',
      group: '',
      version: 'v1',
      resource: 'pods',
      subresource: '',
      namespace: 'default',
      name: 'web',
      extra: [],
    });
    expect(r('GET', '/apis/apps/v1/namespaces/ns/deployments')).toMatchObject({
      verb: 'list',
      group: 'apps',
      resource: 'deployments',
      namespace: 'ns',
    });
    expect(r('GET', '/api/v1/pods')).toMatchObject({
      verb: 'list',
      namespace: '',
      resource: 'pods',
    });
    expect(r('GET', '/api/v1/pods', 'true')).toMatchObject({ verb: 'watch' });
    expect(r('GET', '/api/v1/pods', '1')).toMatchObject({ verb: 'watch' });
    expect(r('GET', '/api/v1/pods', 'false')).toMatchObject({ verb: 'list' });
    expect(r('POST', '/api/v1/namespaces/ns/pods')).toMatchObject({ verb: 'create' });
    expect(r('PUT', '/api/v1/namespaces/ns/pods/a')).toMatchObject({ verb: 'update' });
    expect(r('PATCH', '/api/v1/namespaces/ns/pods/a/status')).toMatchObject({
      verb: 'patch',
      subresource: 'status',
    });
    expect(r('DELETE', '/api/v1/namespaces/ns/pods/a')).toMatchObject({ verb: 'delete' });
    expect(r('DELETE', '/api/v1/namespaces/ns/pods')).toMatchObject({ verb: 'deletecollection' });
    expect(r('GET', '/api/v1/nodes/n1')).toMatchObject({
      verb: 'get',
      resource: 'nodes',
      name: 'n1',
      namespace: '',
    });
  });

  it('treats /namespaces/{name}[/status|/finalize] as the namespace object', () => {
    expect(r('GET', '/api/v1/namespaces/foo')).toMatchObject({
      resource: 'namespaces',
      name: 'foo',
      namespace: '',
      subresource: '',
    });
    expect(r('PUT', '/api/v1/namespaces/foo/finalize')).toMatchObject({
      resource: 'namespaces',
      name: 'foo',
      subresource: 'finalize',
      verb: 'update',
    });
    expect(r('GET', '/api/v1/namespaces/foo/status')).toMatchObject({
      resource: 'namespaces',
      name: 'foo',
      subresource: 'status',
    });
    expect(r('GET', '/api/v1/namespaces')).toMatchObject({ resource: 'namespaces', verb: 'list' });
  });

  it('supports legacy watch paths and decodes segments', () => {
    expect(r('GET', '/api/v1/watch/namespaces/ns/pods')).toMatchObject({
      verb: 'watch',
      namespace: 'ns',
      resource: 'pods',
    });
    expect(r('GET', '/api/v1/watch/namespaces/ns/pods/p')).toMatchObject({
      verb: 'watch',
      name: 'p',
    });
    expect(r('GET', '/api/v1/namespaces/ns/configmaps/a%3Ab')).toMatchObject({ name: 'a:b' });
    expect(r('GET', '/api/v1/namespaces/ns/pods/a/log/extra')).toMatchObject({
      subresource: 'log',
      extra: ['extra'],
    });
  });
});
