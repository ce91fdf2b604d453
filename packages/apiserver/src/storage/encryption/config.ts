/**
 * `--encryption-provider-config`: an EncryptionConfiguration (apiserver.config.k8s.io/v1, YAML or
 * JSON) parsed and validated with upstream's field paths and messages, then turned into one
 * transformer per resource.
 *
 * Resource matching as upstream: `secrets` (core group), `deployments.apps`, `*.apps` (every
 * resource of a group), `*.` (every core resource), `*.*` (everything); an exact entry wins over
 * a group wildcard, which wins over `*.*`; when a resource appears in several entries the first
 * wins. Unmatched resources are stored as they are.
 */
import { invalid, Path, required, type FieldError, type GroupResource } from '@kubets/apimachinery';
import { parse as parseYaml } from 'yaml';
import {
  aesCbcTransformer,
  aesGcmTransformer,
  identityTransformer,
  secretboxTransformer,
} from './providers.js';
import {
  PrefixTransformers,
  type PrefixTransformer,
  type TransformationObserver,
  type ValueTransformer,
} from './transformer.js';

export interface EncryptionKey {
  name: string;
  secret: string;
}

export type ProviderConfiguration =
  | { type: 'aesgcm'; keys: EncryptionKey[] }
  | { type: 'aescbc'; keys: EncryptionKey[] }
  | { type: 'secretbox'; keys: EncryptionKey[] }
  | { type: 'identity' };

export interface ResourceConfiguration {
  resources: string[];
  providers: ProviderConfiguration[];
}

export interface EncryptionConfiguration {
  resources: ResourceConfiguration[];
}

export class EncryptionConfigError extends Error {
  constructor(
    message: string,
    readonly fieldErrors: FieldError[] = [],
  ) {
    super(message);
    this.name = 'EncryptionConfigError';
  }
}

const PROVIDER_NAMES = ['aesgcm', 'aescbc', 'secretbox', 'identity', 'kms'] as const;
const AES_KEY_SIZES = [16, 24, 32];
const SECRETBOX_KEY_SIZES = [32];
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Parses and validates the file's text. Throws EncryptionConfigError listing every field error
 * (`resources[0].providers[0].aesgcm.keys[0].secret: Invalid value: "REDACTED": ...`).
 */
export function parseEncryptionConfiguration(text: string): EncryptionConfiguration {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new EncryptionConfigError(
      `error decoding encryption provider configuration: ${(err as Error).message}`,
    );
  }
  if (!isObject(doc)) {
    throw new EncryptionConfigError('encryption provider configuration is not an object');
  }
  if (doc.kind !== 'EncryptionConfiguration' || doc.apiVersion !== 'apiserver.config.k8s.io/v1') {
    throw new EncryptionConfigError(
      `encryption provider configuration: expected kind EncryptionConfiguration in apiVersion apiserver.config.k8s.io/v1, got kind ${JSON.stringify(doc.kind)} in apiVersion ${JSON.stringify(doc.apiVersion)}`,
    );
  }
  const errors: FieldError[] = [];
  const root = Path.new('resources');
  const resources: ResourceConfiguration[] = [];
  const rawResources = Array.isArray(doc.resources) ? (doc.resources as unknown[]) : [];
  if (rawResources.length === 0) errors.push(required(root, 'at least one resources is required'));
  rawResources.forEach((raw, i) => {
    const entry = isObject(raw) ? raw : {};
    const rPath = root.at(i).child('resources');
    const pPath = root.at(i).child('providers');
    const names = Array.isArray(entry.resources)
      ? (entry.resources as unknown[]).map((r) => String(r))
      : [];
    if (names.length === 0)
      errors.push(required(rPath, `at least one ${rPath.toString()} is required`));
    errors.push(...validateResourceOverlap(names, rPath), ...validateResourceNames(names, rPath));
    const rawProviders = Array.isArray(entry.providers) ? (entry.providers as unknown[]) : [];
    if (rawProviders.length === 0) {
      errors.push(required(pPath, `at least one ${pPath.toString()} is required`));
    }
    const providers: ProviderConfiguration[] = [];
    rawProviders.forEach((rawProvider, j) => {
      const provider = parseProvider(rawProvider, pPath.at(j), errors);
      if (provider) providers.push(provider);
    });
    resources.push({ resources: names, providers });
  });
  if (errors.length > 0) {
    throw new EncryptionConfigError(
      `invalid encryption provider configuration: ${errors.map((e) => e.message).join(', ')}`,
      errors,
    );
  }
  return { resources };
}

function parseProvider(
  raw: unknown,
  path: Path,
  errors: FieldError[],
): ProviderConfiguration | undefined {
  const entry = isObject(raw) ? raw : {};
  const present = PROVIDER_NAMES.filter((n) => entry[n] !== undefined && entry[n] !== null);
  if (present.length === 0) {
    errors.push(
      invalid(
        path,
        entry,
        'provider does not contain any of the expected providers: KMS, AESGCM, AESCBC, Secretbox, Identity',
      ),
    );
    return undefined;
  }
  if (present.length > 1) {
    errors.push(
      invalid(
        path,
        entry,
        'more than one provider specified in a single element, should split into different list elements',
      ),
    );
    return undefined;
  }
  const type = present[0]!;
  if (type === 'kms') {
    errors.push(
      invalid(
        path.child('kms'),
        'kms',
        'KMS providers are not supported by kubets-apiserver; use aesgcm, aescbc or secretbox',
      ),
    );
    return undefined;
  }
  if (type === 'identity') return { type };
  const body = entry[type];
  const keysPath = path.child(type, 'keys');
  const rawKeys = isObject(body) && Array.isArray(body.keys) ? (body.keys as unknown[]) : [];
  if (rawKeys.length === 0) {
    errors.push(required(keysPath, 'at least one keys is required'));
    return undefined;
  }
  const sizes = type === 'secretbox' ? SECRETBOX_KEY_SIZES : AES_KEY_SIZES;
  const keys: EncryptionKey[] = [];
  const before = errors.length;
  rawKeys.forEach((rawKey, k) => {
    const key = isObject(rawKey) ? rawKey : {};
    const kPath = keysPath.at(k);
    const name = typeof key.name === 'string' ? key.name : '';
    const secret = typeof key.secret === 'string' ? key.secret : '';
    if (name === '')
      errors.push(required(kPath.child('name'), 'name is a mandatory field for a key'));
    if (secret === '') {
      errors.push(required(kPath.child('secret'), 'secret is a mandatory field for a key'));
      return;
    }
    if (!BASE64.test(secret)) {
      errors.push(invalid(kPath.child('secret'), 'REDACTED', 'secrets must be base64 encoded'));
      return;
    }
    const length = Buffer.from(secret, 'base64').length;
    if (!sizes.includes(length)) {
      errors.push(
        invalid(
          kPath.child('secret'),
          'REDACTED',
          `secret is not of the expected length, got ${length}, expected one of [${sizes.join(' ')}]`,
        ),
      );
    }
    keys.push({ name, secret });
  });
  return errors.length === before ? { type, keys } : undefined;
}

function parseGroupResource(s: string): GroupResource {
  const dot = s.indexOf('.');
  return dot < 0
    ? { group: '', resource: s }
    : { group: s.slice(dot + 1), resource: s.slice(0, dot) };
}

function validateResourceOverlap(resources: string[], path: Path): FieldError[] {
  if (resources.length < 2) return [];
  const grs = resources.map(parseGroupResource);
  let duplicate = false;
  let overlap = false;
  grs.forEach((a, i) =>
    grs.forEach((b, j) => {
      if (i === j) return;
      if (a.group === b.group && a.resource === b.resource) {
        duplicate = true;
        return;
      }
      if (a.group === '*' && a.resource === '*') overlap = true;
      else if (a.group === b.group && (a.resource === '*' || b.resource === '*')) overlap = true;
    }),
  );
  const out: FieldError[] = [];
  if (duplicate) {
    out.push(invalid(path, resources, 'the same resource cannot be specified multiple times'));
  }
  if (overlap) {
    out.push(
      invalid(
        path,
        resources,
        "using overlapping resources such as 'secrets' and '*.' in the same resource list is not allowed as they will be masked",
      ),
    );
  }
  return out;
}

function validateResourceNames(resources: string[], path: Path): FieldError[] {
  const out: FieldError[] = [];
  resources.forEach((res, j) => {
    const p = path.at(j);
    const gr = parseGroupResource(res);
    if (res.toLowerCase() !== res) {
      out.push(invalid(p, res, 'resource name should not contain capital letters'));
    } else if (res === '*') {
      out.push(
        invalid(
          p,
          res,
          "use '*.' to encrypt all the resources from core API group or *.* to encrypt all resources",
        ),
      );
    } else if (
      ['apiserveripinfo', 'serviceipallocations', 'servicenodeportallocations'].includes(res)
    ) {
      out.push(invalid(p, res, 'resources which do not have REST API/s cannot be encrypted'));
    } else if (gr.group === 'events.k8s.io') {
      out.push(
        invalid(
          p,
          res,
          "'*.events.k8s.io' objects are stored using the 'events' API group in etcd. Use 'events' instead in the config file",
        ),
      );
    } else if (gr.group === 'extensions') {
      out.push(
        invalid(p, res, "'extensions' group has been removed and cannot be used for encryption"),
      );
    } else if (gr.group === '*' && gr.resource !== '*') {
      out.push(invalid(p, res, 'encrypting the same resource across groups is not supported'));
    }
  });
  return out;
}

/** The prefix transformers of one resource entry, in provider then key order. */
export function providerTransformers(
  providers: readonly ProviderConfiguration[],
): PrefixTransformer[] {
  const out: PrefixTransformer[] = [];
  for (const p of providers) {
    if (p.type === 'identity') {
      out.push({ prefix: '', transformer: identityTransformer });
      continue;
    }
    const make =
      p.type === 'aesgcm'
        ? aesGcmTransformer
        : p.type === 'aescbc'
          ? aesCbcTransformer
          : secretboxTransformer;
    for (const key of p.keys) {
      out.push({
        prefix: `k8s:enc:${p.type}:v1:${key.name}:`,
        transformer: make(Buffer.from(key.secret, 'base64')),
      });
    }
  }
  return out;
}

/** Resolves the transformer of each group/resource for one configuration. */
export class ResourceTransformers {
  private readonly byPattern = new Map<string, ValueTransformer>();

  constructor(config: EncryptionConfiguration, observer?: TransformationObserver) {
    for (const entry of config.resources) {
      const transformer = new PrefixTransformers(providerTransformers(entry.providers), observer);
      for (const name of entry.resources) {
        const gr = parseGroupResource(name);
        const pattern = `${gr.group}/${gr.resource}`;
        // The first entry naming a resource wins.
        if (!this.byPattern.has(pattern)) this.byPattern.set(pattern, transformer);
      }
    }
  }

  /** The transformer for a resource, or undefined when its values are stored as they are. */
  forResource(gr: GroupResource): ValueTransformer | undefined {
    return (
      this.byPattern.get(`${gr.group}/${gr.resource}`) ??
      this.byPattern.get(`${gr.group}/*`) ??
      this.byPattern.get('*/*')
    );
  }
}
