import { Metadata } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { credentialsFromMetadata } from './credentials.js';

describe('credentialsFromMetadata', () => {
  it('is empty for an anonymous caller', () => {
    expect(credentialsFromMetadata(new Metadata())).toEqual({});
  });

  it('takes the token, the verified peer certificate and impersonation', () => {
    const md = new Metadata();
    md.set('authorization', 'Bearer abc');
    md.set('impersonate-user', 'system:serviceaccount:ns:sa');
    // HTTP/2 joins repeated headers with ", ": both forms arrive as separate groups.
    md.add('impersonate-group', 'a, b');
    md.add('impersonate-group', 'c');
    md.set('impersonate-uid', '42');
    md.set('impersonate-extra-scopes', 'view, edit');
    md.set('impersonate-extra-team.name', 'x');
    const der = Buffer.from([1, 2, 3]);
    expect(credentialsFromMetadata(md, der)).toEqual({
      authorization: 'Bearer abc',
      peerCertificates: [der],
      impersonate: {
        user: 'system:serviceaccount:ns:sa',
        groups: ['a', 'b', 'c'],
        uid: '42',
        extra: { scopes: ['view', 'edit'], 'team.name': ['x'] },
      },
    });
  });

  it('ignores an empty peer certificate', () => {
    expect(credentialsFromMetadata(new Metadata(), Buffer.alloc(0))).toEqual({});
  });
});
