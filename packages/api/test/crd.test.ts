import { describe, expect, it } from 'vitest';
import { fillObjectMetaSystemFields, newInvalid, type KubeObject } from '@kubets/apimachinery';
import {
  ResourceRegistry,
  applyScale,
  defaultCustomResourceDefinition,
  establishedCRDStatus,
  evaluateJSONPath,
  parseJSONPath,
  scaleOf,
  validateCustomResourceDefinition,
  type CustomResourceDefinition,
  type JSONSchemaProps,
} from '../src/index.js';

const NOW = Date.parse('2024-05-01T12:00:00Z');

const cronTabSchemaV1: JSONSchemaProps = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      properties: {
        cronSpec: { type: 'string', pattern: '^(\\d+|\\*)(/\\d+)?(\\s+(\\d+|\\*)(/\\d+)?){4}$' },
        image: { type: 'string' },
        replicas: { type: 'integer', minimum: 1, maximum: 10, default: 1 },
        policy: { type: 'string', enum: ['Allow', 'Forbid'], default: 'Allow' },
        extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        port: { 'x-kubernetes-int-or-string': true },
      },
      required: ['cronSpec'],
    },
    status: {
      type: 'object',
      properties: {
        replicas: { type: 'integer' },
        labelSelector: { type: 'string' },
        conditions: {
          type: 'array',
          items: {
            type: 'object',
            properties: { type: { type: 'string' }, status: { type: 'string' } },
          },
        },
      },
    },
  },
};

function cronTabCRD(): CustomResourceDefinition {
  const crd: CustomResourceDefinition = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'crontabs.stable.example.com' },
    spec: {
      group: 'stable.example.com',
      scope: 'Namespaced',
      names: {
        plural: 'crontabs',
        singular: 'crontab',
        kind: 'CronTab',
        shortNames: ['ct'],
        categories: ['all'],
      },
      versions: [
        {
          name: 'v1beta1',
          served: true,
          storage: false,
          deprecated: true,
          schema: {
            openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
          },
        },
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: cronTabSchemaV1 },
          subresources: {
            status: {},
            scale: {
              specReplicasPath: '.spec.replicas',
              statusReplicasPath: '.status.replicas',
              labelSelectorPath: '.status.labelSelector',
            },
          },
          additionalPrinterColumns: [
            { name: 'Spec', type: 'string', jsonPath: '.spec.cronSpec' },
            { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' },
            {
              name: 'Ready',
              type: 'string',
              jsonPath: '.status.conditions[?(@.type=="Ready")].status',
            },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
            { name: 'Image', type: 'string', priority: 1, jsonPath: '.spec.image' },
          ],
          selectableFields: [{ jsonPath: '.spec.image' }],
        },
      ],
    },
  };
  defaultCustomResourceDefinition(crd);
  return crd;
}

describe('CustomResourceDefinition validation', () => {
  it('accepts the CronTab CRD and defaults names and stored versions', () => {
    const crd = cronTabCRD();
    expect(validateCustomResourceDefinition(crd)).toEqual([]);
    expect(crd.spec.names.listKind).toBe('CronTabList');
    expect(crd.spec.conversion).toEqual({ strategy: 'None' });
    expect(crd.status!.storedVersions).toEqual(['v1']);
    const status = establishedCRDStatus(crd, '2024-05-01T12:00:00Z');
    expect(status.conditions!.map((c) => [c.type, c.status])).toEqual([
      ['NamesAccepted', 'True'],
      ['Established', 'True'],
    ]);
  });

  it('rejects wrong names, storage counts and non-structural schemas with upstream messages', () => {
    const crd = cronTabCRD();
    crd.metadata!.name = 'crontab.stable.example.com';
    crd.spec.versions[0]!.storage = true;
    crd.spec.versions[1]!.schema!.openAPIV3Schema = {
      type: 'object',
      properties: {
        spec: { properties: { a: { type: 'string' } }, additionalProperties: { type: 'string' } },
        metadata: { type: 'object', properties: { labels: { type: 'object' } } },
      },
    };
    crd.spec.versions[1]!.subresources!.scale!.specReplicasPath = '.status.replicas';
    crd.spec.versions[1]!.additionalPrinterColumns![0]!.type = 'text';
    const msgs = validateCustomResourceDefinition(crd).map((e) => e.message);
    expect(msgs).toContain(
      'metadata.name: Invalid value: "crontab.stable.example.com": must be spec.names.plural+"."+spec.group',
    );
    expect(msgs).toContain(
      'spec.versions[1].schema.openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields',
    );
    expect(msgs).toContain(
      'spec.versions[1].schema.openAPIV3Schema.properties[spec].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive',
    );
    expect(msgs).toContain(
      'spec.versions[1].schema.openAPIV3Schema.properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified',
    );
    expect(msgs).toContain(
      'spec.versions[1].subresources.scale.specReplicasPath: Invalid value: ".status.replicas": should be a json path under .spec',
    );
    expect(msgs).toContain(
      'spec.versions[1].additionalPrinterColumns[0].type: Invalid value: "text": must be one of boolean,date,integer,number,string',
    );
    expect(
      msgs.some(
        (m) =>
          m.startsWith(
            'spec.versions: Invalid value: []apiextensions.CustomResourceDefinitionVersion{',
          ) && m.endsWith('must have exactly one version marked as storage version'),
      ),
    ).toBe(true);
  });

  it('requires a group with a dot and a valid scope', () => {
    const crd = cronTabCRD();
    crd.spec.group = 'example';
    crd.metadata!.name = 'crontabs.example';
    crd.spec.scope = 'Global';
    expect(validateCustomResourceDefinition(crd).map((e) => e.message)).toEqual([
      'spec.group: Invalid value: "example": should be a domain with at least one dot',
      'spec.scope: Unsupported value: "Global": supported values: "Cluster", "Namespaced"',
    ]);
  });
});

describe('custom resources through the registry', () => {
  const registry = ResourceRegistry.withBuiltins();
  const def = registry.registerCRD(cronTabCRD());

  function newCronTab(spec: Record<string, unknown>, version = 'v1'): KubeObject {
    const obj = {
      apiVersion: `stable.example.com/${version}`,
      kind: 'CronTab',
      metadata: { name: 'my-cron', namespace: 'default' },
      spec,
    } as unknown as KubeObject;
    def.strategy.default(obj);
    def.pruneUnknownFields(obj);
    def.strategy.prepareForCreate(obj);
    fillObjectMetaSystemFields(obj, { uid: 'u1', now: NOW - 3 * 60_000 });
    return obj;
  }

  it('is found like a built-in: plural, short name, kind, category, GVR', () => {
    expect(registry.resolve('ct')).toBe(def);
    expect(registry.resolve('crontabs.stable.example.com')).toBe(def);
    expect(
      registry.byGVR({ group: 'stable.example.com', version: 'v1beta1', resource: 'crontabs' })
        ?.version.deprecated,
    ).toBe(true);
    expect(registry.category('all')).toContain(def);
    expect(registry.groups().find((g) => g.name === 'stable.example.com')).toEqual({
      name: 'stable.example.com',
      versions: ['v1', 'v1beta1'],
      preferredVersion: 'v1',
    });
    expect(def.versions[1]!.subresources.map((s) => s.name)).toEqual(['status', 'scale']);
    expect(
      def.versions[1]!.schemas[def.versions[1]!.schemaName]!['x-kubernetes-group-version-kind'],
    ).toEqual([{ group: 'stable.example.com', version: 'v1', kind: 'CronTab' }]);
  });

  it('defaults, prunes and validates with the version schema', () => {
    const obj = {
      apiVersion: 'stable.example.com/v1',
      kind: 'CronTab',
      metadata: { name: 'c', namespace: 'default', bogusMeta: 1 },
      spec: { cronSpec: '* * * * */5', junk: true, extra: { anything: [1] } },
    } as unknown as KubeObject;
    def.strategy.default(obj);
    expect(def.pruneUnknownFields(obj).sort()).toEqual(['metadata.bogusMeta', 'spec.junk']);
    expect((obj as { spec: unknown }).spec).toEqual({
      cronSpec: '* * * * */5',
      replicas: 1,
      policy: 'Allow',
      extra: { anything: [1] },
    });
    expect(def.strategy.validate(obj, {})).toEqual([]);
  });

  it('maps schema violations to Kubernetes field errors', () => {
    const obj = newCronTab({ cronSpec: 'bad', replicas: 'string', policy: 'Maybe', port: true });
    const msgs = def.strategy.validate(obj, {}).map((e) => e.message);
    expect(msgs).toEqual(
      expect.arrayContaining([
        `spec.cronSpec: Invalid value: "bad": spec.cronSpec in body should match '^(\\d+|\\*)(/\\d+)?(\\s+(\\d+|\\*)(/\\d+)?){4}$'`,
        'spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"',
        'spec.policy: Unsupported value: "Maybe": supported values: "Allow", "Forbid"',
        'spec.port: Invalid value: "boolean": spec.port in body must be of type integer,string: "boolean"',
      ]),
    );
    expect(msgs).toHaveLength(4);
    const missing = newCronTab({ replicas: 11 });
    const errs = def.strategy.validate(missing, {});
    expect(errs.map((e) => e.message)).toEqual([
      'spec.cronSpec: Required value',
      'spec.replicas: Invalid value: 11: spec.replicas in body should be less than or equal to 10',
    ]);
    expect(
      newInvalid({ group: 'stable.example.com', kind: 'CronTab' }, 'my-cron', errs).message,
    ).toBe(
      'CronTab.stable.example.com "my-cron" is invalid: [spec.cronSpec: Required value, spec.replicas: Invalid value: 11: spec.replicas in body should be less than or equal to 10]',
    );
  });

  it('printer columns from JSONPath with a fixed now', () => {
    const obj = newCronTab({ cronSpec: '*/5 * * * *', image: 'cron:1', replicas: 2 });
    (obj as { status?: unknown }).status = {
      conditions: [
        { type: 'Synced', status: 'False' },
        { type: 'Ready', status: 'True' },
      ],
    };
    const table = def.versions[1]!.table;
    expect(table.columns.map((c) => [c.name, c.type, c.priority])).toEqual([
      ['Name', 'string', 0],
      ['Spec', 'string', 0],
      ['Replicas', 'integer', 0],
      ['Ready', 'string', 0],
      ['Age', 'date', 0],
      ['Image', 'string', 1],
    ]);
    expect(table.row(obj, NOW)).toEqual(['my-cron', '*/5 * * * *', 2, 'True', '3m', 'cron:1']);
    expect(def.versions[0]!.table.columns.map((c) => c.name)).toEqual(['Name', 'Age']);
  });

  it('status subresource, generation and scale', () => {
    const stored = newCronTab({ cronSpec: '* * * * *', replicas: 2 });
    stored.metadata!.resourceVersion = '10';
    expect(stored.metadata!.generation).toBe(1);
    expect((stored as { status?: unknown }).status).toBeUndefined();
    const update = structuredClone(stored) as KubeObject & {
      spec: { replicas: number };
      status?: unknown;
    };
    update.spec.replicas = 3;
    update.status = { replicas: 99 };
    def.strategy.prepareForUpdate(update, stored);
    expect(update.metadata!.generation).toBe(2);
    expect(update.status).toBeUndefined();
    const statusWrite = structuredClone(stored) as KubeObject & {
      spec: { replicas: number };
      status?: unknown;
    };
    statusWrite.spec.replicas = 7;
    statusWrite.status = { replicas: 2, labelSelector: 'app=cron' };
    def.statusStrategy!.prepareForUpdate(statusWrite, stored);
    expect(statusWrite.spec.replicas).toBe(2);
    expect(
      def
        .statusStrategy!.validateUpdate(
          { ...statusWrite, status: { replicas: 'x' } } as KubeObject,
          stored,
          {},
        )
        .map((e) => e.field),
    ).toEqual(['status.replicas']);
    const scale = scaleOf(def, statusWrite);
    expect(scale.spec).toEqual({ replicas: 2 });
    expect(scale.status).toEqual({ replicas: 2, selector: 'app=cron' });
    expect(
      (
        applyScale(def, statusWrite, { spec: { replicas: 4 } }) as unknown as {
          spec: { replicas: number };
        }
      ).spec.replicas,
    ).toBe(4);
  });

  it('selectable fields and deprecation warnings', () => {
    const obj = newCronTab({ cronSpec: '* * * * *', image: 'cron:1' });
    expect(def.fieldSelectors.fields).toEqual(['spec.image']);
    expect(def.fieldSelectors.fieldsOf(obj)['spec.image']).toBe('cron:1');
    const old = newCronTab({ anything: 'goes' }, 'v1beta1');
    expect(def.strategy.validate(old, {})).toEqual([]);
    expect(def.strategy.warnings!(old)).toEqual([
      'stable.example.com/v1beta1 CronTab is deprecated',
    ]);
  });

  it('refuses conflicts and unregisters', () => {
    const clash = cronTabCRD();
    clash.metadata!.name = 'pods.stable.example.com';
    clash.spec.names = { plural: 'pods', singular: 'pod', kind: 'Pod', listKind: 'PodList' };
    const r2 = ResourceRegistry.withBuiltins();
    expect(r2.registerCRD(clash).group).toBe('stable.example.com');
    const dup = cronTabCRD();
    dup.metadata!.name = 'crontabz.stable.example.com';
    dup.spec.names = {
      plural: 'crontabz',
      singular: 'crontabz',
      kind: 'CronTab',
      listKind: 'CronTabList',
    };
    expect(() => registry.registerCRD(dup)).toThrow(
      'kind CronTab is already used by crontabs.stable.example.com',
    );
    const r3 = ResourceRegistry.withBuiltins();
    r3.registerCRD(cronTabCRD());
    expect(r3.unregisterCRD('crontabs.stable.example.com')).toBe(true);
    expect(r3.resolve('ct')).toBeUndefined();
  });
});

describe('JSONPath subset', () => {
  const doc = {
    metadata: { labels: { 'app.kubernetes.io/name': 'x' } },
    items: [{ n: 1 }, { n: 2 }],
    status: { conditions: [{ type: 'A', ok: true }] },
  };
  it.each<[string, unknown[]]>([
    ['.items[*].n', [1, 2]],
    ['.items[1]', [{ n: 2 }]],
    ['.items[-1].n', [2]],
    [".metadata.labels['app.kubernetes.io/name']", ['x']],
    ['.status.conditions[?(@.type=="A")].ok', [true]],
    ['.status.conditions[?(@.missing)]', []],
    ['{.missing.path}', []],
  ])('%s', (path, expected) => {
    expect(evaluateJSONPath(parseJSONPath(path), doc)).toEqual(expected);
  });
  it('rejects malformed paths', () => {
    expect(() => parseJSONPath('.a[1')).toThrow('unclosed array expect ]');
  });
});
