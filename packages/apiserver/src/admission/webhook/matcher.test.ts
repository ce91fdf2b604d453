import { describe, expect, it } from 'vitest';
import { attrsFor } from '../testing.js';
import { deniedError, ValidatingWebhookPlugin } from './dispatcher.js';
import {
  matchRules,
  namespaceSelectorMatches,
  objectSelectorMatches,
  resourceMatches,
  ruleMatches,
} from './matcher.js';
import { WebhookSource } from './source.js';

const rule = (over: object = {}) => ({
  operations: ['CREATE'],
  apiGroups: [''],
  apiVersions: ['v1'],
  resources: ['pods'],
  ...over,
});

describe('webhook rules', () => {
  it('matches resources with subresources and wildcards as upstream', () => {
    expect(resourceMatches('pods', 'pods', '')).toBe(true);
    expect(resourceMatches('pods', 'pods', 'status')).toBe(false);
    expect(resourceMatches('*', 'pods', '')).toBe(true);
    expect(resourceMatches('*', 'pods', 'status')).toBe(false);
    expect(resourceMatches('*/*', 'pods', 'status')).toBe(true);
    expect(resourceMatches('pods/*', 'pods', 'binding')).toBe(true);
    expect(resourceMatches('*/scale', 'deployments', 'scale')).toBe(true);
    expect(resourceMatches('pods/status', 'pods', 'status')).toBe(true);
  });

  it('checks operation, group, version and scope', () => {
    const a = attrsFor('pods', 'CREATE', { metadata: { name: 'p' } });
    expect(ruleMatches(rule(), a)).toBe(true);
    expect(ruleMatches(rule({ operations: ['UPDATE'] }), a)).toBe(false);
    expect(ruleMatches(rule({ operations: ['*'], apiGroups: ['*'], apiVersions: ['*'] }), a)).toBe(
      true,
    );
    expect(ruleMatches(rule({ apiGroups: ['apps'] }), a)).toBe(false);
    expect(ruleMatches(rule({ scope: 'Cluster' }), a)).toBe(false);
    expect(ruleMatches(rule({ scope: 'Namespaced' }), a)).toBe(true);
    const ns = attrsFor('namespaces', 'CREATE', { metadata: { name: 'x' } }, { namespace: '' });
    expect(ruleMatches(rule({ resources: ['namespaces'], scope: 'Cluster' }), ns)).toBe(true);
    expect(ruleMatches(rule({ resources: ['namespaces'], scope: 'Namespaced' }), ns)).toBe(false);
  });

  it('matchPolicy Equivalent falls back to another served version; Exact does not', () => {
    const a = attrsFor(
      'widgets',
      'CREATE',
      { metadata: { name: 'w' } },
      { group: 'ex.com', version: 'v2', kind: 'Widget' },
    );
    const eq = () => [
      {
        resource: { group: 'ex.com', version: 'v1', resource: 'widgets' },
        kind: { group: 'ex.com', version: 'v1', kind: 'Widget' },
      },
    ];
    const hook = { rules: [rule({ apiGroups: ['ex.com'], resources: ['widgets'] })] };
    expect(matchRules(hook, a, eq)?.kind.version).toBe('v1');
    expect(matchRules({ ...hook, matchPolicy: 'Exact' }, a, eq)).toBeUndefined();
  });

  it('selectors: object or old object labels; namespace labels; cluster-scoped always match', () => {
    const sel = { matchLabels: { watched: 'true' } };
    const a = attrsFor(
      'configmaps',
      'UPDATE',
      { metadata: { name: 'c' } },
      { oldObject: { metadata: { name: 'c', labels: { watched: 'true' } } } },
    );
    expect(objectSelectorMatches(sel, a)).toBe(true);
    expect(
      objectSelectorMatches(sel, attrsFor('configmaps', 'CREATE', { metadata: { name: 'c' } })),
    ).toBe(false);
    expect(objectSelectorMatches({}, a)).toBe(true);
    expect(namespaceSelectorMatches(sel, a, { watched: 'true' })).toBe(true);
    expect(namespaceSelectorMatches(sel, a, {})).toBe(false);
    expect(
      namespaceSelectorMatches(
        sel,
        attrsFor('nodes', 'CREATE', { metadata: { name: 'n' } }, { namespace: '' }),
        undefined,
      ),
    ).toBe(true);
    expect(
      namespaceSelectorMatches(
        { matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] },
        a,
        { env: 'dev' },
      ),
    ).toBe(true);
  });
});

describe('webhook dispatch', () => {
  it('formats denials as upstream ToStatusErr', () => {
    expect(deniedError('w.example.com', undefined).status).toMatchObject({
      code: 400,
      status: 'Failure',
      message: 'admission webhook "w.example.com" denied the request without explanation',
    });
    expect(deniedError('w', { code: 409, reason: 'Conflict' } as never).status).toMatchObject({
      code: 409,
      message: 'admission webhook "w" denied the request: Conflict',
    });
  });

  it('refuses dry runs for webhooks with sideEffects Some/Unknown without calling them', async () => {
    const source = new WebhookSource(() =>
      Promise.resolve([
        {
          metadata: { name: 'cfg' },
          webhooks: [
            {
              name: 'unknown.example.com',
              clientConfig: { url: 'https://127.0.0.1:1/never' },
              rules: [rule({ resources: ['configmaps'] })],
              sideEffects: 'Unknown',
              admissionReviewVersions: ['v1'],
            },
          ],
        },
      ]),
    );
    const plugin = new ValidatingWebhookPlugin(source, {
      getNamespace: () => Promise.resolve(undefined),
      serviceClusterIP: () => Promise.resolve(undefined),
      newUID: () => 'uid',
    });
    const a = attrsFor('configmaps', 'CREATE', { metadata: { name: 'c' } }, { dryRun: true });
    await expect(plugin.validate(a)).rejects.toThrow(
      'admission webhook "unknown.example.com" does not support dry run',
    );
    // Not matching: never called, so no error even without dryRun support.
    await plugin.validate(
      attrsFor('secrets', 'CREATE', { metadata: { name: 's' } }, { dryRun: true }),
    );
  });

  it('fails open with upstream audit annotation when failurePolicy is Ignore', async () => {
    const source = new WebhookSource(() =>
      Promise.resolve([
        {
          metadata: { name: 'cfg' },
          webhooks: [
            {
              name: 'down.example.com',
              clientConfig: { url: 'https://127.0.0.1:1/down' },
              rules: [rule({ resources: ['configmaps'] })],
              sideEffects: 'None',
              failurePolicy: 'Ignore',
              admissionReviewVersions: ['v1beta1'],
            },
          ],
        },
      ]),
    );
    const plugin = new ValidatingWebhookPlugin(source, {
      getNamespace: () => Promise.resolve(undefined),
      serviceClusterIP: () => Promise.resolve(undefined),
      newUID: () => 'uid',
    });
    const a = attrsFor('configmaps', 'CREATE', { metadata: { name: 'c' } });
    await plugin.validate(a);
    expect(a.annotations).toEqual({
      'failed-open.validating.webhook.admission.k8s.io/round_0_index_0': 'down.example.com',
    });
  });

  it('never lets webhooks intercept webhook configurations', async () => {
    let listed = 0;
    const source = new WebhookSource(() => {
      listed++;
      return Promise.resolve([]);
    });
    const plugin = new ValidatingWebhookPlugin(source, {
      getNamespace: () => Promise.resolve(undefined),
      serviceClusterIP: () => Promise.resolve(undefined),
      newUID: () => 'uid',
    });
    await plugin.validate(
      attrsFor(
        'validatingwebhookconfigurations',
        'CREATE',
        { metadata: { name: 'x' } },
        { group: 'admissionregistration.k8s.io', namespace: '' },
      ),
    );
    expect(listed).toBe(0);
  });
});
