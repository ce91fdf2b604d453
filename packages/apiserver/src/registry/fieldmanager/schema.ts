/**
 * The structure server-side apply needs to know about a type: which lists are atomic, sets, or
 * maps keyed by some fields, and which maps are atomic. It comes from OpenAPI markers
 * (`x-kubernetes-list-type`, `x-kubernetes-list-map-keys`, `x-kubernetes-map-type`, falling
 * back to the strategic-merge-patch markers as kube-openapi's schemaconv does). Without a schema,
 * the "deduced" type applies: objects are granular maps, lists are atomic.
 */

/** The OpenAPI subset read here (a schema object as served under /openapi/v3). */
export interface OpenAPINode {
  type?: string;
  properties?: Record<string, OpenAPINode>;
  additionalProperties?: OpenAPINode | boolean;
  items?: OpenAPINode;
  allOf?: OpenAPINode[];
  $ref?: string;
  'x-kubernetes-list-type'?: string;
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: string;
  'x-kubernetes-patch-strategy'?: string;
  'x-kubernetes-patch-merge-key'?: string;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
}

export type TypeNode =
  | { kind: 'scalar' }
  | { kind: 'deduced' }
  | {
      kind: 'map';
      /** Known fields (struct). */
      fields?: Readonly<Record<string, TypeNode>>;
      /** Type of other keys (additionalProperties); absent in a closed struct. */
      elements?: TypeNode;
      atomic: boolean;
    }
  | { kind: 'list'; items: TypeNode; listType: 'atomic' | 'set' | 'map'; keys: readonly string[] };

export const DEDUCED: TypeNode = { kind: 'deduced' };
export const SCALAR: TypeNode = { kind: 'scalar' };

const REF = '#/components/schemas/';

/**
 * Builds TypeNodes from OpenAPI definitions lazily (definitions are recursive: JSONSchemaProps
 * refers to itself), memoized per definition name.
 */
export class SchemaConverter {
  private readonly byName = new Map<string, TypeNode>();

  constructor(private readonly definitions: Readonly<Record<string, OpenAPINode>>) {}

  /** The type of a named definition (`io.k8s.api.apps.v1.Deployment`); deduced when unknown. */
  named(name: string): TypeNode {
    const cached = this.byName.get(name);
    if (cached) return cached;
    const def = this.definitions[name];
    if (!def) return DEDUCED;
    // Placeholder for recursion: fields are filled in after conversion.
    const placeholder: {
      kind: 'map';
      fields: Record<string, TypeNode>;
      elements?: TypeNode;
      atomic: boolean;
    } = {
      kind: 'map',
      fields: {},
      atomic: false,
    };
    this.byName.set(name, placeholder);
    const converted = this.convert(def);
    if (converted.kind === 'map') {
      Object.assign(placeholder.fields, converted.fields ?? {});
      if (converted.elements) placeholder.elements = converted.elements;
      placeholder.atomic = converted.atomic;
      if (!converted.fields && !converted.elements) {
        // An object with no declared structure: anything goes below it.
        placeholder.elements = DEDUCED;
      }
      return placeholder;
    }
    this.byName.set(name, converted);
    return converted;
  }

  /** Converts an inline schema (CRD schemas are inline). */
  convert(node: OpenAPINode): TypeNode {
    const ref = node.$ref ?? (node.allOf?.length === 1 ? node.allOf[0]?.$ref : undefined);
    if (ref) return this.named(ref.startsWith(REF) ? ref.slice(REF.length) : ref);
    if (node['x-kubernetes-int-or-string']) return SCALAR;
    if (node.type === 'array') {
      const items = node.items ? this.convert(node.items) : DEDUCED;
      return listType(node, items);
    }
    if (node.type === 'object' || node.properties || node.additionalProperties) {
      if (node['x-kubernetes-preserve-unknown-fields'] && !node.properties) {
        return { kind: 'map', elements: DEDUCED, atomic: false };
      }
      const fields: Record<string, TypeNode> = {};
      for (const [k, v] of Object.entries(node.properties ?? {})) fields[k] = this.convert(v);
      let elements: TypeNode | undefined;
      if (typeof node.additionalProperties === 'object')
        elements = this.convert(node.additionalProperties);
      else if (node.additionalProperties === true || node['x-kubernetes-preserve-unknown-fields']) {
        elements = DEDUCED;
      }
      const atomic = node['x-kubernetes-map-type'] === 'atomic';
      return {
        kind: 'map',
        ...(node.properties ? { fields } : {}),
        ...(elements ? { elements } : {}),
        atomic,
      };
    }
    if (node.type === undefined) return DEDUCED;
    return SCALAR;
  }
}

function listType(node: OpenAPINode, items: TypeNode): TypeNode {
  const declared = node['x-kubernetes-list-type'];
  if (declared === 'map') {
    const keys = node['x-kubernetes-list-map-keys'] ?? [];
    if (keys.length > 0) return { kind: 'list', items, listType: 'map', keys };
    return { kind: 'list', items, listType: 'atomic', keys: [] };
  }
  if (declared === 'set') return { kind: 'list', items, listType: 'set', keys: [] };
  if (declared === 'atomic') return { kind: 'list', items, listType: 'atomic', keys: [] };
  // schemaconv's fallback to the strategic-merge-patch markers.
  const strategy = node['x-kubernetes-patch-strategy'] ?? '';
  if (strategy.split(',').includes('merge')) {
    const key = node['x-kubernetes-patch-merge-key'];
    if (key) return { kind: 'list', items, listType: 'map', keys: [key] };
    return { kind: 'list', items, listType: 'set', keys: [] };
  }
  return { kind: 'list', items, listType: 'atomic', keys: [] };
}

/** The type of a map member: its declared field, else the element type, else deduced. */
export function fieldType(t: TypeNode, name: string): TypeNode {
  if (t.kind === 'map') {
    const f = t.fields?.[name];
    if (f) return f;
    return t.elements ?? DEDUCED;
  }
  return DEDUCED;
}
