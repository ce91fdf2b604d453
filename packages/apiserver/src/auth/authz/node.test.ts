import { describe, expect, it } from 'vitest';
import { resourceAttributes as attrs } from '../../../test/helpers/attributes.js';
import { NodeAuthorizer, NodeGraph } from './node.js';

const node = (name: string) => ({
  username: `system:node:${name}`,
  groups: ['system:nodes', 'system:authenticated'],
});

describe('Node authorizer', () => {
  const graph = new NodeGraph();
  graph.setPod({
    metadata: { name: 'p', namespace: 'ns' },
    spec: {
      nodeName: 'n1',
      serviceAccountName: 'sa',
      imagePullSecrets: [{ name: 'pull' }],
      containers: [
        {
          name: 'c',
          image: 'i',
          env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cm', key: 'k' } } }],
        },
      ],
      volumes: [
        { name: 'v', persistentVolumeClaim: { claimName: 'claim' } },
        { name: 'w', projected: { sources: [{ secret: { name: 'proj' } }] } },
      ],
    },
  });
  const a = new NodeAuthorizer(graph);

  it('lets a node get only what its pods reference', () => {
    for (const [resource, name] of [
      ['secrets', 'pull'],
      ['secrets', 'proj'],
      ['configmaps', 'cm'],
      ['persistentvolumeclaims', 'claim'],
    ] as const) {
      expect(
        a.authorize(node('n1'), attrs('get', resource, { name })).decision,
        `${resource}/${name}`,
      ).toBe('allow');
      expect(a.authorize(node('n2'), attrs('get', resource, { name })).decision).toBe('noopinion');
    }
    expect(a.authorize(node('n1'), attrs('get', 'secrets', { name: 'other' })).reason).toBe(
      "no relationship found between node 'n1' and this object",
    );
    expect(a.authorize(node('n1'), attrs('list', 'secrets')).reason).toBe(
      'can only get individual resources of this type',
    );
    expect(
      a.authorize(
        node('n1'),
        attrs('create', 'serviceaccounts', { subresource: 'token', name: 'sa' }),
      ).decision,
    ).toBe('allow');
    expect(
      a.authorize(
        node('n1'),
        attrs('create', 'serviceaccounts', { subresource: 'token', name: 'default' }),
      ).decision,
    ).toBe('noopinion');
  });

  it("lets a node write only its own node, lease and pods' status", () => {
    expect(
      a.authorize(
        node('n1'),
        attrs('patch', 'nodes', { namespace: '', name: 'n1', subresource: 'status' }),
      ).decision,
    ).toBe('allow');
    expect(
      a.authorize(node('n1'), attrs('patch', 'nodes', { namespace: '', name: 'n2' })).decision,
    ).toBe('noopinion');
    const lease = (verb: string, name: string, namespace = 'kube-node-lease') =>
      attrs(verb, 'leases', { group: 'coordination.k8s.io', namespace, name });
    expect(a.authorize(node('n1'), lease('update', 'n1')).decision).toBe('allow');
    expect(a.authorize(node('n1'), lease('update', 'n2')).decision).toBe('noopinion');
    expect(a.authorize(node('n1'), lease('get', 'n1', 'default')).decision).toBe('noopinion');
    expect(
      a.authorize(node('n1'), attrs('update', 'pods', { name: 'p', subresource: 'status' }))
        .decision,
    ).toBe('allow');
    expect(
      a.authorize(node('n2'), attrs('update', 'pods', { name: 'p', subresource: 'status' }))
        .decision,
    ).toBe('noopinion');
    expect(a.authorize(node('n1'), attrs('list', 'services')).decision).toBe('allow');
    expect(a.authorize({ username: 'bob', groups: [] }, attrs('list', 'services')).decision).toBe(
      'noopinion',
    );
    // Volumes behind the pod's claims, and the secrets those volumes reference.
    expect(
      a.authorize(node('n1'), attrs('get', 'persistentvolumes', { namespace: '', name: 'pv1' }))
        .decision,
    ).toBe('noopinion');
    graph.setClaim('ns', 'claim', 'pv1');
    graph.setVolume('pv1', {
      csi: { driver: 'd', nodePublishSecretRef: { name: 'csi-secret', namespace: 'storage' } },
    });
    expect(
      a.authorize(node('n1'), attrs('get', 'persistentvolumes', { namespace: '', name: 'pv1' }))
        .decision,
    ).toBe('allow');
    expect(
      a.authorize(node('n2'), attrs('get', 'persistentvolumes', { namespace: '', name: 'pv1' }))
        .decision,
    ).toBe('noopinion');
    expect(
      a.authorize(node('n1'), attrs('get', 'secrets', { namespace: 'storage', name: 'csi-secret' }))
        .decision,
    ).toBe('allow');
    graph.deleteVolume('pv1');
    expect(
      a.authorize(node('n1'), attrs('get', 'secrets', { namespace: 'storage', name: 'csi-secret' }))
        .decision,
    ).toBe('noopinion');
    graph.deletePod('ns', 'p');
    expect(a.authorize(node('n1'), attrs('get', 'secrets', { name: 'pull' })).decision).toBe(
      'noopinion',
    );
  });
});
