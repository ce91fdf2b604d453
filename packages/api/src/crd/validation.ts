/**
 * CustomResourceDefinition validation (apiextensions-apiserver validation.go): names, group,
 * scope, versions (exactly one storage version), printer columns, subresources and the structural
 * schema rules that make pruning and defaulting well defined.
 */
import {
  Path,
  forbidden,
  invalid,
  isDNS1035Label,
  isDNS1123Subdomain,
  nameIsDNSSubdomain,
  notSupported,
  required,
  validateObjectMeta,
  validateObjectMetaUpdate,
  type FieldError,
} from '@kubets/apimachinery';
import type {
  CustomResourceColumnDefinition,
  CustomResourceDefinition,
  CustomResourceDefinitionVersion,
  JSONSchemaProps,
} from '../types/apiextensions-v1.js';
import { GoLiteral } from '../validation/helpers.js';
import { simpleJSONPathErrors } from './jsonpath.js';

const PRINTER_COLUMN_TYPES = ['boolean', 'date', 'integer', 'number', 'string'];
const PRINTER_COLUMN_FORMATS = [
  'byte',
  'date',
  'date-time',
  'double',
  'float',
  'int32',
  'int64',
  'name',
  'password',
];

function versionsLiteral(crd: CustomResourceDefinition): GoLiteral {
  const parts = (crd.spec?.versions ?? []).map(
    (v) =>
      `apiextensions.CustomResourceDefinitionVersion{Name:"${v.name}", Served:${v.served}, Storage:${v.storage}, ...}`,
  );
  return new GoLiteral(`[]apiextensions.CustomResourceDefinitionVersion{${parts.join(', ')}}`);
}

function validateNames(crd: CustomResourceDefinition, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  const n = crd.spec?.names;
  if (!n) return [required(path, '')];
  const label = (value: string | undefined, field: string, mixedCase = false): void => {
    if (!value) {
      errs.push(required(path.child(field), ''));
      return;
    }
    const msgs = isDNS1035Label(mixedCase ? value.toLowerCase() : value);
    if (msgs.length > 0) {
      errs.push(
        invalid(
          path.child(field),
          value,
          (mixedCase ? 'may have mixed case, but should otherwise match: ' : '') + msgs.join(','),
        ),
      );
    }
  };
  label(n.plural, 'plural');
  label(n.singular, 'singular');
  label(n.kind, 'kind', true);
  label(n.listKind, 'listKind', true);
  (n.shortNames ?? []).forEach((s, i) => {
    const msgs = isDNS1035Label(s);
    if (msgs.length > 0) errs.push(invalid(path.child('shortNames').at(i), s, msgs.join(',')));
  });
  (n.categories ?? []).forEach((c, i) => {
    const msgs = isDNS1035Label(c);
    if (msgs.length > 0) errs.push(invalid(path.child('categories').at(i), c, msgs.join(',')));
  });
  if (n.kind && n.kind === n.listKind)
    errs.push(invalid(path.child('listKind'), n.listKind, 'kind and listKind may not be the same'));
  return errs;
}

function validateColumns(
  cols: CustomResourceColumnDefinition[] | undefined,
  path: Path,
): FieldError[] {
  const errs: FieldError[] = [];
  (cols ?? []).forEach((c, i) => {
    const p = path.at(i);
    if (!c.name) errs.push(required(p.child('name'), ''));
    if (!c.type)
      errs.push(required(p.child('type'), `must be one of ${PRINTER_COLUMN_TYPES.join(',')}`));
    else if (!PRINTER_COLUMN_TYPES.includes(c.type))
      errs.push(
        invalid(p.child('type'), c.type, `must be one of ${PRINTER_COLUMN_TYPES.join(',')}`),
      );
    if (c.format && !PRINTER_COLUMN_FORMATS.includes(c.format)) {
      errs.push(
        invalid(p.child('format'), c.format, `must be one of ${PRINTER_COLUMN_FORMATS.join(',')}`),
      );
    }
    if (!c.jsonPath) errs.push(required(p.child('jsonPath'), ''));
    else
      for (const m of simpleJSONPathErrors(c.jsonPath))
        errs.push(invalid(p.child('jsonPath'), c.jsonPath, m));
    if ((c.priority ?? 0) < 0)
      errs.push(invalid(p.child('priority'), c.priority, 'must be greater than or equal to 0'));
  });
  return errs;
}

function validateSubresources(v: CustomResourceDefinitionVersion, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  const scale = v.subresources?.scale;
  if (!scale) return errs;
  const sp = path.child('scale');
  const check = (
    value: string | undefined,
    field: string,
    prefixes: string[],
    msg: string,
  ): void => {
    if (!value) {
      if (field !== 'labelSelectorPath') errs.push(required(sp.child(field), ''));
      return;
    }
    const perrs = simpleJSONPathErrors(value);
    if (perrs.length > 0) for (const m of perrs) errs.push(invalid(sp.child(field), value, m));
    else if (!prefixes.some((pre) => value.startsWith(pre)))
      errs.push(invalid(sp.child(field), value, msg));
  };
  check(
    scale.specReplicasPath,
    'specReplicasPath',
    ['.spec.'],
    'should be a json path under .spec',
  );
  check(
    scale.statusReplicasPath,
    'statusReplicasPath',
    ['.status.'],
    'should be a json path under .status',
  );
  check(
    scale.labelSelectorPath,
    'labelSelectorPath',
    ['.spec.', '.status.'],
    'should be a json path under either .spec or .status',
  );
  return errs;
}

const UNSUPPORTED_KEYWORDS: [keyof JSONSchemaProps, string][] = [
  ['$ref', '$ref is not supported'],
  ['additionalItems', 'additionalItems cannot be set to false'],
  ['patternProperties', 'patternProperties is not supported'],
  ['dependencies', 'dependencies is not supported'],
  ['definitions', 'definitions is not supported'],
  ['id', 'id is not supported'],
  ['$schema', '$schema is not supported'],
];

/**
 * The structural schema rules (ValidateStructural and the CRD keyword checks). `context` says
 * what the node is for the "must not be empty" messages.
 */
export function validateStructural(
  s: JSONSchemaProps,
  path: Path,
  context: 'root' | 'property' | 'items' | 'additionalProperties' = 'root',
): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, msg] of UNSUPPORTED_KEYWORDS)
    if (s[k] !== undefined) errs.push(forbidden(path.child(k), msg));
  if (s.uniqueItems === true)
    errs.push(
      forbidden(
        path.child('uniqueItems'),
        'uniqueItems cannot be set to true since the runtime complexity becomes quadratic',
      ),
    );
  const intOrString = s['x-kubernetes-int-or-string'] === true;
  const preserve = s['x-kubernetes-preserve-unknown-fields'];
  if (preserve === false)
    errs.push(
      invalid(
        path.child('x-kubernetes-preserve-unknown-fields'),
        false,
        'must be true or undefined',
      ),
    );
  if (intOrString) {
    if (s.type)
      errs.push(
        invalid(path.child('type'), s.type, 'must be empty if x-kubernetes-int-or-string is true'),
      );
  } else if (!s.type && preserve !== true) {
    const where = {
      root: 'at the root',
      property: 'for specified object fields',
      items: 'for specified array items',
      additionalProperties: 'for specified additionalProperties',
    }[context];
    errs.push(required(path.child('type'), `must not be empty ${where}`));
  }
  if (context === 'root' && s.type && s.type !== 'object')
    errs.push(invalid(path.child('type'), s.type, 'must be object at the root'));
  if (s['x-kubernetes-embedded-resource'] === true && s.type !== 'object') {
    errs.push(
      required(path.child('type'), 'must be object if x-kubernetes-embedded-resource is true'),
    );
  }
  if (s.properties && s.additionalProperties !== undefined && s.additionalProperties !== false) {
    errs.push(
      forbidden(
        path.child('additionalProperties'),
        'additionalProperties and properties are mutual exclusive',
      ),
    );
  }
  if (s.type === 'array' && !s.items) errs.push(required(path.child('items'), 'must be specified'));
  if (Array.isArray(s.items))
    errs.push(forbidden(path.child('items'), 'items must be a schema object and not an array'));
  if (context === 'root') {
    const meta = s.properties?.metadata;
    if (meta) {
      const extra = Object.keys(meta).filter(
        (k) => k !== 'type' && k !== 'properties' && k !== 'description',
      );
      const extraProps = Object.keys(meta.properties ?? {}).filter(
        (k) => k !== 'name' && k !== 'generateName',
      );
      if (
        extra.length > 0 ||
        extraProps.length > 0 ||
        (meta.type !== undefined && meta.type !== 'object')
      ) {
        errs.push(
          forbidden(
            path.child('properties').key('metadata'),
            'must not specify anything other than name and generateName, but metadata is implicitly specified',
          ),
        );
      }
    }
  }
  for (const [k, v] of Object.entries(s.properties ?? {})) {
    if (context === 'root' && k === 'metadata') continue;
    errs.push(...validateStructural(v, path.child('properties').key(k), 'property'));
  }
  if (s.items && !Array.isArray(s.items))
    errs.push(...validateStructural(s.items, path.child('items'), 'items'));
  if (typeof s.additionalProperties === 'object') {
    errs.push(
      ...validateStructural(
        s.additionalProperties,
        path.child('additionalProperties'),
        'additionalProperties',
      ),
    );
  }
  return errs;
}

/** ValidateCustomResourceDefinition (create). */
export function validateCustomResourceDefinition(crd: CustomResourceDefinition): FieldError[] {
  const spec = crd.spec;
  const expected = `${spec?.names?.plural ?? ''}.${spec?.group ?? ''}`;
  const errs = validateObjectMeta(crd.metadata ?? {}, {
    requiresNamespace: false,
    nameFn: (name, prefix) => {
      const msgs = nameIsDNSSubdomain(name, prefix);
      if (name !== expected) msgs.push('must be spec.names.plural+"."+spec.group');
      return msgs;
    },
  });
  const sp = Path.new('spec');
  if (!spec) return [...errs, required(sp, '')];
  if (!spec.group) errs.push(required(sp.child('group'), ''));
  else {
    const msgs = isDNS1123Subdomain(spec.group);
    if (msgs.length > 0) errs.push(invalid(sp.child('group'), spec.group, msgs.join(',')));
    else if (spec.group.split('.').length < 2)
      errs.push(invalid(sp.child('group'), spec.group, 'should be a domain with at least one dot'));
  }
  if (!spec.scope) errs.push(required(sp.child('scope'), ''));
  else if (spec.scope !== 'Cluster' && spec.scope !== 'Namespaced')
    errs.push(notSupported(sp.child('scope'), spec.scope, ['Cluster', 'Namespaced']));
  const versions = spec.versions ?? [];
  if (versions.length === 0)
    errs.push(required(sp.child('versions'), 'must have at least one version'));
  const seen = new Set<string>();
  let unique = true;
  let storage = 0;
  versions.forEach((v, i) => {
    const vp = sp.child('versions').at(i);
    if (v.storage) storage++;
    if (seen.has(v.name)) unique = false;
    seen.add(v.name);
    const msgs = isDNS1035Label(v.name ?? '');
    if (msgs.length > 0) errs.push(invalid(vp.child('name'), v.name ?? '', msgs.join(',')));
    const schema = v.schema?.openAPIV3Schema;
    if (!schema) errs.push(required(vp.child('schema', 'openAPIV3Schema'), 'schemas are required'));
    else errs.push(...validateStructural(schema, vp.child('schema', 'openAPIV3Schema')));
    errs.push(...validateColumns(v.additionalPrinterColumns, vp.child('additionalPrinterColumns')));
    errs.push(...validateSubresources(v, vp.child('subresources')));
    if (v.deprecationWarning !== undefined && !v.deprecated) {
      errs.push(
        invalid(
          vp.child('deprecationWarning'),
          v.deprecationWarning,
          'can only be set for deprecated versions',
        ),
      );
    }
    (v.selectableFields ?? []).forEach((f, j) => {
      for (const m of simpleJSONPathErrors(f.jsonPath))
        errs.push(invalid(vp.child('selectableFields').at(j).child('jsonPath'), f.jsonPath, m));
    });
  });
  if (!unique)
    errs.push(
      invalid(sp.child('versions'), versionsLiteral(crd), 'must contain unique version names'),
    );
  if (versions.length > 0 && storage !== 1) {
    errs.push(
      invalid(
        sp.child('versions'),
        versionsLiteral(crd),
        'must have exactly one version marked as storage version',
      ),
    );
  }
  errs.push(...validateNames(crd, sp.child('names')));
  const conv = spec.conversion;
  if (conv) {
    if (conv.strategy !== 'None' && conv.strategy !== 'Webhook') {
      errs.push(
        notSupported(sp.child('conversion', 'strategy'), conv.strategy, ['None', 'Webhook']),
      );
    } else if (conv.strategy === 'Webhook' && !conv.webhook?.clientConfig) {
      errs.push(
        required(
          sp.child('conversion', 'webhook', 'clientConfig'),
          'required when strategy is set to Webhook',
        ),
      );
    } else if (conv.strategy === 'None' && conv.webhook) {
      errs.push(
        forbidden(
          sp.child('conversion', 'webhook'),
          'should not be set when strategy is not set to Webhook',
        ),
      );
    }
  }
  if (spec.preserveUnknownFields === true) {
    errs.push(
      invalid(
        sp.child('preserveUnknownFields'),
        true,
        'cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead',
      ),
    );
  }
  return errs;
}

/** ValidateCustomResourceDefinitionUpdate: scope and group are immutable; stored versions must remain. */
export function validateCustomResourceDefinitionUpdate(
  crd: CustomResourceDefinition,
  old: CustomResourceDefinition,
): FieldError[] {
  const errs = validateObjectMetaUpdate(crd.metadata ?? {}, old.metadata ?? {});
  errs.push(
    ...validateCustomResourceDefinition(crd).filter((e) => !e.field.startsWith('metadata.')),
  );
  const sp = Path.new('spec');
  if (crd.spec?.scope !== old.spec?.scope)
    errs.push(invalid(sp.child('scope'), crd.spec?.scope ?? '', 'field is immutable'));
  if (crd.spec?.names?.kind !== old.spec?.names?.kind && old.status?.acceptedNames?.kind) {
    // Upstream allows kind renames before acceptance only.
  }
  const names = new Set((crd.spec?.versions ?? []).map((v) => v.name));
  (crd.status?.storedVersions ?? old.status?.storedVersions ?? []).forEach((v, i) => {
    if (!names.has(v))
      errs.push(
        invalid(Path.new('status', 'storedVersions').at(i), v, 'must appear in spec.versions'),
      );
  });
  return errs;
}
