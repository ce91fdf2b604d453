import { describe, expect, it } from 'vitest';
import { negotiateDiscovery, negotiateResource, parseAccept } from './negotiation.js';

describe('content negotiation', () => {
  it('parses Accept with parameters and q values', () => {
    expect(parseAccept('text/plain;q=0.5, application/json;as=Table;v=v1;g=meta.k8s.io')).toEqual([
      { type: 'application/json', params: { as: 'Table', v: 'v1', g: 'meta.k8s.io' }, q: 1 },
      { type: 'text/plain', params: {}, q: 0.5 },
    ]);
    expect(parseAccept(undefined)).toEqual([{ type: '*/*', params: {}, q: 1 }]);
  });

  it('picks Tables for kubectl get and JSON for protobuf-preferring clients', () => {
    const get =
      'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
    expect(negotiateResource(get, true)).toEqual({ kind: 'table', version: 'v1' });
    expect(negotiateResource(get, false)).toEqual({ kind: 'object' });
    expect(negotiateResource('application/vnd.kubernetes.protobuf,application/json', true)).toEqual(
      { kind: 'object' },
    );
    // Kinds with protobuf tables answer in protobuf when it comes first.
    expect(
      negotiateResource('application/vnd.kubernetes.protobuf,application/json', true, true),
    ).toEqual({ kind: 'protobuf' });
    expect(
      negotiateResource('application/json,application/vnd.kubernetes.protobuf', true, true),
    ).toEqual({ kind: 'object' });
    expect(
      negotiateResource('application/vnd.kubernetes.protobuf;stream=watch', true, true),
    ).toEqual({ kind: 'protobuf' });
    // Protobuf alone for a kind without tables (custom resources): nothing acceptable, 406.
    expect(negotiateResource('application/vnd.kubernetes.protobuf', true, false)).toBeUndefined();
    expect(
      negotiateResource('application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io', true),
    ).toEqual({ kind: 'partial', version: 'v1' });
    expect(negotiateResource('text/html', true)).toBeUndefined();
  });

  it('offers aggregated discovery v2 and v2beta1, legacy otherwise', () => {
    expect(
      negotiateDiscovery(
        'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json',
      ),
    ).toEqual({ kind: 'discovery', version: 'v2' });
    expect(
      negotiateDiscovery(
        'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json',
      ),
    ).toEqual({ kind: 'discovery', version: 'v2beta1' });
    expect(negotiateDiscovery('application/json, */*')).toEqual({ kind: 'object' });
    // Never 406 for kubectl's Accept: the JSON fallback is always acceptable.
    expect(
      negotiateDiscovery(
        'application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList,application/json',
      ),
    ).toEqual({ kind: 'object' });
  });
});
