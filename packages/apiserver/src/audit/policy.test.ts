import { describe, expect, it } from 'vitest';
import type { RequestAttributes, UserInfo } from '../auth/types.js';
import { resourceAttributes, type ResourceAttributes } from '../../test/helpers/attributes.js';
import { AuditPolicyError, evaluatePolicy, parsePolicy } from './policy.js';

const alice: UserInfo = { username: 'alice', groups: ['dev', 'system:authenticated'] };
const node: UserInfo = { username: 'system:node:n1', groups: ['system:nodes'] };

const res = (
  verb: string,
  resource: string,
  extra: Partial<ResourceAttributes> = {},
): RequestAttributes => resourceAttributes(verb, resource, { namespace: 'default', ...extra });
const nonres = (path: string): RequestAttributes => ({ kind: 'nonresource', verb: 'get', path });

const POLICY = parsePolicy(`apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: None
  users: ["system:node:n1"]
  verbs: [get, watch]
- level: None
  nonResourceURLs: [/healthz*, /version]
- level: RequestResponse
  userGroups: [dev]
  resources:
  - group: ""
    resources: [pods/log, "*/status"]
- level: Request
  resources:
  - group: apps
    resources: ["deployments/*"]
  omitManagedFields: true
- level: Metadata
  resources:
  - group: ""
    resources: [configmaps]
    resourceNames: [controller-leader]
  omitStages: [ResponseComplete]
- level: Request
  namespaces: [kube-system, ""]
- level: Metadata
`);

describe('audit policy evaluation', () => {
  const level = (user: UserInfo, attrs: RequestAttributes): string =>
    evaluatePolicy(POLICY, user, attrs).level;

  it('the first matching rule wins', () => {
    expect(level(node, res('get', 'pods'))).toBe('None');
    expect(level(node, res('update', 'pods'))).toBe('Metadata');
    expect(level(alice, res('get', 'pods', { subresource: 'log' }))).toBe('RequestResponse');
    expect(level(alice, res('update', 'nodes', { subresource: 'status', namespace: '' }))).toBe(
      'RequestResponse',
    );
    expect(level(node, res('update', 'nodes', { subresource: 'status', namespace: '' }))).toBe(
      'Request',
    );
  });

  it('matches resource/*, resourceNames, namespaces (with "" for cluster scope)', () => {
    const apps = (sub: string): RequestAttributes =>
      res('update', 'deployments', { group: 'apps', subresource: sub });
    expect(level(alice, apps(''))).toBe('Request');
    expect(level(alice, apps('scale'))).toBe('Request');
    expect(level(alice, res('update', 'deployments', { group: 'extensions' }))).toBe('Metadata');
    expect(level(alice, res('update', 'configmaps', { name: 'controller-leader' }))).toBe(
      'Metadata',
    );
    expect(
      evaluatePolicy(POLICY, alice, res('update', 'configmaps', { name: 'controller-leader' }))
        .omitStages,
    ).toEqual(['RequestReceived', 'ResponseComplete']);
    expect(level(alice, res('update', 'configmaps', { name: 'other' }))).toBe('Metadata');
    expect(level(alice, res('create', 'configmaps', { namespace: 'kube-system' }))).toBe('Request');
    expect(level(alice, res('create', 'namespaces', { namespace: '' }))).toBe('Request');
  });

  it('non-resource URLs match exactly or by a trailing *; never resource requests', () => {
    expect(level(alice, nonres('/healthz'))).toBe('None');
    expect(level(alice, nonres('/healthz/etcd'))).toBe('None');
    expect(level(alice, nonres('/version'))).toBe('None');
    expect(level(alice, nonres('/version/x'))).toBe('Metadata');
    expect(level(alice, nonres('/api'))).toBe('Metadata');
  });

  it('carries omitManagedFields from the rule or the policy; no match is None', () => {
    expect(
      evaluatePolicy(POLICY, alice, res('update', 'deployments', { group: 'apps' }))
        .omitManagedFields,
    ).toBe(true);
    const empty = parsePolicy('{"apiVersion":"audit.k8s.io/v1","kind":"Policy","rules":[]}');
    expect(evaluatePolicy(empty, alice, res('get', 'pods'))).toEqual({
      level: 'None',
      omitStages: [],
      omitManagedFields: false,
    });
  });

  it('rejects bad policies naming the field', () => {
    const errorsOf = (text: string): string[] => {
      try {
        parsePolicy(text);
      } catch (err) {
        expect(err).toBeInstanceOf(AuditPolicyError);
        return (err as AuditPolicyError).fieldErrors.map((e) => e.message);
      }
      throw new Error('expected an error');
    };
    expect(
      errorsOf(`apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [Sometimes]
rules:
- level: Loud
- {}
- level: None
  nonResourceURLs: [healthz, "/a*b"]
  namespaces: [x]
`),
    ).toEqual([
      'omitStages[0]: Unsupported value: "Sometimes": supported values: "RequestReceived", "ResponseStarted", "ResponseComplete", "Panic"',
      'rules[0].level: Unsupported value: "Loud": supported values: "None", "Metadata", "Request", "RequestResponse"',
      'rules[1].level: Required value',
      'rules[2].nonResourceURLs: Invalid value: []string{"healthz", "/a*b"}: rules cannot apply to both regular resources and non-resource URLs',
      'rules[2].nonResourceURLs[0]: Invalid value: "healthz": non-resource URL rules must begin with a \'/\' character',
      'rules[2].nonResourceURLs[1]: Invalid value: "/a*b": non-resource URL wildcards \'*\' must be the final character',
    ]);
    expect(() => parsePolicy('kind: Policy\napiVersion: audit.k8s.io/v1beta1')).toThrow(
      /expected kind Policy in apiVersion audit.k8s.io\/v1/,
    );
  });
});
