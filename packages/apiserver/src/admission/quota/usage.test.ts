import { describe, expect, it } from 'vitest';
import type { ApiObject } from '../../storage/codec.js';
import { computeUsed } from './controller.js';
import {
  exceeded,
  matchingResourceNames,
  missingComputeConstraints,
  prettyPrint,
  scopesMatch,
  usageOf,
} from './usage.js';

const pod = (spec: object, status: object = {}): ApiObject => ({
  metadata: { name: 'p' },
  spec,
  status,
});

describe('quota usage', () => {
  it('pods: counts, requests summed over containers, max with init containers, plus overhead', () => {
    const p = pod({
      initContainers: [{ name: 'i', resources: { requests: { cpu: '2' } } }],
      containers: [
        {
          name: 'a',
          resources: { requests: { cpu: '250m', memory: '1Gi' }, limits: { memory: '2Gi' } },
        },
        { name: 'b', resources: { requests: { cpu: '250m' } } },
      ],
      overhead: { memory: '100Mi' },
    });
    expect(usageOf('', 'pods', p)).toEqual({
      'count/pods': '1',
      pods: '1',
      cpu: '2',
      'requests.cpu': '2',
      memory: '1124Mi',
      'requests.memory': '1124Mi',
      'limits.memory': '2148Mi',
    });
    expect(usageOf('', 'pods', pod({}, { phase: 'Succeeded' }))).toEqual({});
  });

  it('services, claims and generic counts', () => {
    const svc = {
      metadata: { name: 's' },
      spec: { type: 'NodePort', ports: [{ port: 1 }, { port: 2 }] },
    } as ApiObject;
    expect(usageOf('', 'services', svc)).toEqual({
      'count/services': '1',
      services: '1',
      'services.nodeports': '2',
    });
    const lb = {
      metadata: { name: 's' },
      spec: { type: 'LoadBalancer', ports: [{ port: 1 }] },
    } as ApiObject;
    expect(usageOf('', 'services', lb)['services.loadbalancers']).toBe('1');
    const pvc = {
      metadata: { name: 'c' },
      spec: { resources: { requests: { storage: '5Gi' } } },
    } as ApiObject;
    expect(usageOf('', 'persistentvolumeclaims', pvc)).toEqual({
      'count/persistentvolumeclaims': '1',
      persistentvolumeclaims: '1',
      'requests.storage': '5Gi',
    });
    expect(usageOf('apps', 'deployments', { metadata: {} })).toEqual({
      'count/deployments.apps': '1',
    });
    expect(matchingResourceNames('', 'pods', ['pods', 'cpu', 'configmaps', 'count/pods'])).toEqual([
      'pods',
      'cpu',
      'count/pods',
    ]);
  });

  it('arithmetic and printing', () => {
    expect(exceeded({ pods: '6', cpu: '1' }, { pods: '5', cpu: '2', memory: '1' })).toEqual([
      'pods',
    ]);
    expect(prettyPrint({ pods: '1', 'requests.cpu': '0.5' })).toBe('pods=1,requests.cpu=500m');
    expect(
      missingComputeConstraints(
        { containers: [{ name: 'a', resources: { requests: { cpu: '1' } } }] },
        ['requests.cpu', 'limits.cpu'],
      ),
    ).toBe('must specify limits.cpu for: a');
  });

  it('scopes', () => {
    const bestEffort = pod({ containers: [{ name: 'a' }] });
    const burstable = pod({
      containers: [{ name: 'a', resources: { requests: { cpu: '1' } } }],
      activeDeadlineSeconds: 30,
    });
    expect(scopesMatch({ scopes: ['BestEffort'] }, '', 'pods', bestEffort)).toBe(true);
    expect(scopesMatch({ scopes: ['BestEffort'] }, '', 'pods', burstable)).toBe(false);
    expect(scopesMatch({ scopes: ['NotBestEffort', 'Terminating'] }, '', 'pods', burstable)).toBe(
      true,
    );
    expect(scopesMatch({ scopes: ['NotTerminating'] }, '', 'pods', burstable)).toBe(false);
    expect(scopesMatch({ scopeSelector: {} }, '', 'pods', bestEffort)).toBe(false);
  });

  it('the controller recomputes used from the objects, zero for what is absent', () => {
    const quota = {
      metadata: { name: 'q' },
      spec: { hard: { pods: '10', 'requests.cpu': '4', configmaps: '3' } },
    } as ApiObject;
    const used = computeUsed(quota, [
      {
        group: '',
        resource: 'pods',
        items: [
          pod({ containers: [{ name: 'a', resources: { requests: { cpu: '1' } } }] }),
          pod({ containers: [] }, { phase: 'Failed' }),
        ],
      },
      { group: '', resource: 'configmaps', items: [] },
    ]);
    expect(used).toEqual({ pods: '1', 'requests.cpu': '1', configmaps: '0' });
  });
});
