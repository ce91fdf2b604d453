import { describe, expect, it } from 'vitest';
import type { UserInfo } from '../auth/types.js';
import { resourceAttributes, type ResourceAttributes } from '../../test/helpers/attributes.js';
import { Auditor, microTime, withoutManagedFields } from './auditor.js';
import { formatEvent } from './format.js';
import { parsePolicy } from './policy.js';
import type { AuditEvent } from './types.js';

const user: UserInfo = { username: 'alice', groups: ['dev'] };
const T0 = new Date('2026-12-06T10:00:00.123Z');

function auditor(policy: string): { a: Auditor; events: AuditEvent[] } {
  const events: AuditEvent[] = [];
  let tick = 0;
  const a = new Auditor({
    policy: parsePolicy(`apiVersion: audit.k8s.io/v1\nkind: Policy\n${policy}`),
    backend: { write: (e) => events.push(e) },
    now: () => new Date(T0.getTime() + 1000 * tick++),
    newID: () => 'id-1',
  });
  return { a, events };
}

const attrs = (resource: string, verb = 'create'): ResourceAttributes =>
  resourceAttributes(verb, resource, { namespace: 'default' });

function begin(a: Auditor, resource: string, verb = 'create') {
  return a.begin({
    requestURI: `/api/v1/namespaces/default/${resource}`,
    verb,
    user,
    sourceIPs: ['127.0.0.1'],
    userAgent: 'kubectl/v1.32.0',
    attributes: attrs(resource, verb),
  });
}

const CM = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'cm', managedFields: [{ manager: 'kubectl' }] },
  data: { a: 'b' },
};

describe('audit events', () => {
  it('emits RequestReceived and ResponseComplete with the objects the level asks for', () => {
    const { a, events } = auditor('rules: [{level: RequestResponse}]');
    const ctx = begin(a, 'configmaps');
    ctx.annotate('authorization.k8s.io/decision', 'allow');
    ctx.setRequestObject(CM);
    ctx.setResponseObject({ ...CM, metadata: { ...CM.metadata, uid: 'u1' } });
    ctx.complete(201);
    expect(events.map((e) => e.stage)).toEqual(['RequestReceived', 'ResponseComplete']);
    expect(events[0]!.requestObject).toBeUndefined();
    expect(events[1]).toMatchObject({
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      level: 'RequestResponse',
      auditID: 'id-1',
      requestURI: '/api/v1/namespaces/default/configmaps',
      verb: 'create',
      user,
      sourceIPs: ['127.0.0.1'],
      userAgent: 'kubectl/v1.32.0',
      objectRef: { resource: 'configmaps', namespace: 'default', name: 'cm', apiVersion: 'v1' },
      responseStatus: { metadata: {}, code: 201 },
      requestObject: CM,
      requestReceivedTimestamp: '2026-12-06T10:00:00.123000Z',
      stageTimestamp: '2026-12-06T10:00:02.123000Z',
      annotations: { 'authorization.k8s.io/decision': 'allow' },
    });
    expect(events[1]!.responseObject).toMatchObject({ metadata: { uid: 'u1' } });
  });

  it('Metadata has no bodies; Request has the request only; errors give the Status', () => {
    const meta = auditor('rules: [{level: Metadata}]');
    const c1 = begin(meta.a, 'configmaps');
    c1.setRequestObject(CM);
    c1.setResponseObject({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      message: 'configmaps "cm" already exists',
      reason: 'AlreadyExists',
      code: 409,
    });
    c1.complete(409);
    const done = meta.events[1]!;
    expect(done.requestObject).toBeUndefined();
    expect(done.responseObject).toBeUndefined();
    expect(done.responseStatus).toEqual({
      metadata: {},
      status: 'Failure',
      message: 'configmaps "cm" already exists',
      reason: 'AlreadyExists',
      code: 409,
    });
    const req = auditor('rules: [{level: Request}]');
    const c2 = begin(req.a, 'configmaps');
    c2.setRequestObject(CM);
    c2.setResponseObject(CM);
    c2.complete(201);
    expect(req.events[1]!.requestObject).toEqual(CM);
    expect(req.events[1]!.responseObject).toBeUndefined();
  });

  it('never records Secret bodies, whatever the level', () => {
    const { a, events } = auditor('rules: [{level: RequestResponse}]');
    const secret = { kind: 'Secret', metadata: { name: 's' }, data: { password: 'aHVudGVy' } };
    const ctx = begin(a, 'secrets');
    expect(ctx.level).toBe('Metadata');
    ctx.setRequestObject(secret);
    ctx.setResponseObject(secret);
    ctx.complete(201);
    expect(JSON.stringify(events)).not.toContain('aHVudGVy');
    expect(events[1]!.objectRef?.name).toBe('s');
    const token = a.begin({
      requestURI: '/x',
      verb: 'create',
      user,
      sourceIPs: [],
      attributes: { ...attrs('serviceaccounts'), subresource: 'token' },
    });
    expect(token.level).toBe('Metadata');
  });

  it('honours omitStages, None, ResponseStarted for watches and Panic', () => {
    const { a, events } = auditor(
      'omitStages: [RequestReceived]\nrules: [{level: None, verbs: [get]}, {level: Metadata}]',
    );
    begin(a, 'pods', 'get').complete(200);
    expect(events).toEqual([]);
    const w = begin(a, 'pods', 'watch');
    w.responseStarted();
    w.complete(200);
    expect(events.map((e) => e.stage)).toEqual(['ResponseStarted', 'ResponseComplete']);
    const p = begin(a, 'pods', 'create');
    p.panic('boom');
    p.complete(500);
    expect(events[2]).toMatchObject({
      stage: 'Panic',
      responseStatus: { code: 500, message: "APIServer panic'd: boom" },
    });
    expect(events).toHaveLength(3);
  });

  it('omitManagedFields strips managedFields from objects and list items', () => {
    expect(withoutManagedFields({ items: [CM], metadata: {} })).toEqual({
      items: [{ ...CM, metadata: { name: 'cm' } }],
      metadata: {},
    });
    const { a, events } = auditor('rules: [{level: Request, omitManagedFields: true}]');
    const ctx = begin(a, 'configmaps');
    ctx.setRequestObject(CM);
    ctx.complete(201);
    expect(events[1]!.requestObject).toEqual({ ...CM, metadata: { name: 'cm' } });
  });

  it('formats json lines and the legacy text line', () => {
    const { a, events } = auditor('rules: [{level: Metadata}]');
    begin(a, 'configmaps').complete(201);
    expect(JSON.parse(formatEvent(events[1]!, 'json'))).toEqual(events[1]);
    expect(formatEvent(events[1]!, 'legacy')).toBe(
      '2026-12-06T10:00:00.123000Z AUDIT: id="id-1" stage="ResponseComplete" ip="127.0.0.1" method="create" user="alice" groups="\\"dev\\"" as="<self>" asgroups="<lookup>" user-agent="kubectl/v1.32.0" namespace="default" uri="/api/v1/namespaces/default/configmaps" response="201"\n',
    );
    expect(microTime(new Date('2026-01-02T03:04:05.006Z'))).toBe('2026-01-02T03:04:05.006000Z');
  });
});
