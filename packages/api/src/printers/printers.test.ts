import { describe, expect, it } from 'vitest';
import { humanDuration } from './duration.js';
import { BUILTIN_PRINTERS, printPod } from './builtin.js';
import type { Node, Pod, Service } from '../types/core-v1.js';
import type { Deployment } from '../types/groups.js';

const NOW = Date.parse('2024-05-01T12:00:00Z');
const ago = (s: number): string => new Date(NOW - s * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

describe('humanDuration', () => {
  it.each([
    [-5, '<invalid>'],
    [-1, '0s'],
    [5, '5s'],
    [119, '119s'],
    [182, '3m2s'],
    [300, '5m'],
    [700, '11m'],
    [4 * 3600, '4h'],
    [4 * 3600 + 60 * 7, '4h7m'],
    [30 * 3600, '30h'],
    [51 * 3600, '2d3h'],
    [72 * 3600, '3d'],
    [20 * 86400, '20d'],
    [3 * 365 * 86400 + 45 * 86400, '3y45d'],
    [10 * 365 * 86400, '10y'],
  ])('%ss -> %s', (s, text) => {
    expect(humanDuration(s * 1000)).toBe(text);
  });
});

describe('pod rows', () => {
  const base = (status: Pod['status'], extra: Partial<NonNullable<Pod['spec']>> = {}): Pod => ({
    metadata: { name: 'web-1', creationTimestamp: ago(182) },
    spec: {
      nodeName: 'node-1',
      containers: [
        { name: 'a', image: 'x' },
        { name: 'b', image: 'y' },
      ],
      ...extra,
    },
    status,
  });

  it('running pod with a restart', () => {
    const pod = base({
      phase: 'Running',
      podIPs: [{ ip: '10.0.0.5' }],
      conditions: [{ type: 'Ready', status: 'True' }],
      containerStatuses: [
        {
          name: 'a',
          ready: true,
          restartCount: 2,
          image: 'x',
          imageID: '',
          state: { running: {} },
          lastState: { terminated: { exitCode: 1, finishedAt: ago(60) } },
        },
        {
          name: 'b',
          ready: false,
          restartCount: 0,
          image: 'y',
          imageID: '',
          state: { waiting: { reason: 'CrashLoopBackOff' } },
        },
      ],
    });
    expect(printPod(pod, NOW)).toEqual([
      'web-1',
      '1/2',
      'CrashLoopBackOff',
      '2 (60s ago)',
      '3m2s',
      '10.0.0.5',
      'node-1',
      '<none>',
      '<none>',
    ]);
  });

  it('pending, init, terminating and completed pods', () => {
    expect(
      printPod(
        {
          metadata: { name: 'p' },
          spec: { containers: [{ name: 'a' }] },
          status: { phase: 'Pending' },
        },
        NOW,
      ),
    ).toEqual(['p', '0/1', 'Pending', '0', '<unknown>', '<none>', '<none>', '<none>', '<none>']);
    const init = base(
      {
        phase: 'Pending',
        initContainerStatuses: [
          {
            name: 'i',
            ready: false,
            restartCount: 0,
            image: '',
            imageID: '',
            state: { running: {} },
          },
        ],
      },
      {
        initContainers: [{ name: 'i', image: 'z' }],
      },
    );
    expect(printPod(init, NOW)[2]).toBe('Init:0/1');
    const term = base({ phase: 'Running' });
    term.metadata!.deletionTimestamp = ago(1);
    expect(printPod(term, NOW)[2]).toBe('Terminating');
    const done = base({
      phase: 'Succeeded',
      containerStatuses: [
        {
          name: 'a',
          ready: false,
          restartCount: 0,
          image: '',
          imageID: '',
          state: { terminated: { exitCode: 0, reason: 'Completed' } },
        },
      ],
    });
    expect(printPod(done, NOW)[2]).toBe('Completed');
    expect(BUILTIN_PRINTERS.Pod!.conditions!(done)).toEqual([
      {
        type: 'Completed',
        status: 'True',
        reason: 'Succeeded',
        message: 'The pod has completed successfully.',
      },
    ]);
  });

  it('columns are upstream names with wide priorities', () => {
    expect(BUILTIN_PRINTERS.Pod!.columns.map((c) => [c.name, c.type, c.priority])).toEqual([
      ['Name', 'string', 0],
      ['Ready', 'string', 0],
      ['Status', 'string', 0],
      ['Restarts', 'string', 0],
      ['Age', 'string', 0],
      ['IP', 'string', 1],
      ['Node', 'string', 1],
      ['Nominated Node', 'string', 1],
      ['Readiness Gates', 'string', 1],
    ]);
    expect(BUILTIN_PRINTERS.Pod!.columns[0]!.format).toBe('name');
  });
});

describe('other rows', () => {
  it('deployment', () => {
    const d: Deployment = {
      metadata: { name: 'web', creationTimestamp: ago(4 * 3600) },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'web' } },
        template: {
          spec: {
            containers: [
              { name: 'nginx', image: 'nginx:1.25' },
              { name: 'side', image: 'busybox' },
            ],
          },
        },
      },
      status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
    };
    const p = BUILTIN_PRINTERS.Deployment!;
    expect(p.columns.map((c) => c.name)).toEqual([
      'Name',
      'Ready',
      'Up-to-date',
      'Available',
      'Age',
      'Containers',
      'Images',
      'Selector',
    ]);
    expect(p.row(d, NOW)).toEqual([
      'web',
      '2/3',
      3,
      2,
      '4h',
      'nginx,side',
      'nginx:1.25,busybox',
      'app=web',
    ]);
  });

  it('services', () => {
    const p = BUILTIN_PRINTERS.Service!;
    expect(p.columns.map((c) => c.name)).toEqual([
      'Name',
      'Type',
      'Cluster-IP',
      'External-IP',
      'Port(s)',
      'Age',
      'Selector',
    ]);
    const np: Service = {
      metadata: { name: 'web', creationTimestamp: ago(5) },
      spec: {
        type: 'NodePort',
        clusterIPs: ['10.96.0.10'],
        ports: [
          { port: 80, nodePort: 30080, protocol: 'TCP' },
          { port: 53, protocol: 'UDP' },
        ],
        selector: { app: 'web' },
      },
    };
    expect(p.row(np, NOW)).toEqual([
      'web',
      'NodePort',
      '10.96.0.10',
      '<none>',
      '80:30080/TCP,53/UDP',
      '5s',
      'app=web',
    ]);
    const lb: Service = { metadata: { name: 'lb' }, spec: { type: 'LoadBalancer', ports: [] } };
    expect(p.row(lb, NOW).slice(1, 5)).toEqual(['LoadBalancer', '<none>', '<pending>', '<none>']);
  });

  it('nodes and namespaces', () => {
    const node: Node = {
      metadata: {
        name: 'n1',
        creationTimestamp: ago(51 * 3600),
        labels: { 'node-role.kubernetes.io/control-plane': '' },
      },
      spec: { unschedulable: true },
      status: {
        conditions: [{ type: 'Ready', status: 'True' }],
        addresses: [{ type: 'InternalIP', address: '192.0.2.10' }],
        nodeInfo: {
          kubeletVersion: 'v1.32.0',
          osImage: 'Debian',
          kernelVersion: '6.1',
          containerRuntimeVersion: 'containerd://1.7',
          machineID: '',
          systemUUID: '',
          bootID: '',
          kubeProxyVersion: '',
          operatingSystem: 'linux',
          architecture: 'amd64',
        },
      },
    };
    expect(BUILTIN_PRINTERS.Node!.row(node, NOW)).toEqual([
      'n1',
      'Ready,SchedulingDisabled',
      'control-plane',
      '2d3h',
      'v1.32.0',
      '192.0.2.10',
      '<none>',
      'Debian',
      '6.1',
      'containerd://1.7',
    ]);
    expect(
      BUILTIN_PRINTERS.Namespace!.row(
        { metadata: { name: 'default', creationTimestamp: ago(10) }, status: { phase: 'Active' } },
        NOW,
      ),
    ).toEqual(['default', 'Active', '10s']);
  });
});
