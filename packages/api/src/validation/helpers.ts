/**
 * Validators shared by the per-kind validation (k8s.io/apimachinery/pkg/util/validation and
 * pkg/apis/core/validation helpers) plus the Go `%#v` renderings upstream messages embed for
 * struct and map values. Each returns FieldErrors carrying upstream's text.
 */
import {
  Quantity,
  QuantityError,
  goQuote,
  invalid,
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  notSupported,
  regexError,
  required,
  type FieldError,
  type LabelSelector,
  type Path,
} from '@kubets/apimachinery';

/** A value printed verbatim in an error (Go's `%#v` of a struct, or a Stringer). */
export class GoLiteral {
  constructor(private readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/** `map[string]string{"a":"b", "c":"d"}` (keys sorted, as fmt prints maps); nil when absent. */
export function goStringMap(m: Record<string, string> | undefined | null): GoLiteral {
  if (!m) return new GoLiteral('map[string]string(nil)');
  const body = Object.keys(m)
    .sort()
    .map((k) => `${goQuote(k)}:${goQuote(m[k]!)}`)
    .join(', ');
  return new GoLiteral(`map[string]string{${body}}`);
}

function goStringSlice(v: string[] | undefined): string {
  return v ? `[]string{${v.map(goQuote).join(', ')}}` : '[]string(nil)';
}

/** `v1.LabelSelector{MatchLabels:..., MatchExpressions:...}` as `%#v` prints it. */
export function goLabelSelector(sel: LabelSelector | undefined | null): GoLiteral {
  if (!sel) return new GoLiteral('(*v1.LabelSelector)(nil)');
  const exprs = sel.matchExpressions
    ? `[]v1.LabelSelectorRequirement{${sel.matchExpressions
        .map(
          (e) =>
            `v1.LabelSelectorRequirement{Key:${goQuote(e.key ?? '')}, Operator:${goQuote(e.operator ?? '')}, Values:${goStringSlice(e.values)}}`,
        )
        .join(', ')}}`
    : '[]v1.LabelSelectorRequirement(nil)';
  return new GoLiteral(
    `v1.LabelSelector{MatchLabels:${goStringMap(sel.matchLabels).toString()}, MatchExpressions:${exprs}}`,
  );
}

/** An IntOrString printed through its String() method: `25%` or `3`, unquoted. */
export function goIntOrString(v: number | string | undefined): GoLiteral {
  return new GoLiteral(v === undefined ? '<nil>' : String(v));
}

export const inclusiveRangeError = (lo: number, hi: number): string =>
  `must be between ${lo} and ${hi}, inclusive`;

/** A TCP/UDP port number: 1-65535. */
export function isValidPortNum(port: number): string[] {
  return Number.isInteger(port) && port >= 1 && port <= 65535
    ? []
    : [inclusiveRangeError(1, 65535)];
}

/** An IANA_SVC_NAME: at most 15 lowercase alphanumerics or '-', with a letter, no '--'. */
export function isValidPortName(port: string): string[] {
  const errs: string[] = [];
  if (port.length > 15) errs.push('must be no more than 15 characters');
  if (!/^[-a-z0-9]+$/.test(port)) {
    errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  }
  if (!/[a-z]/.test(port)) errs.push('must contain at least one letter (a-z)');
  if (port.includes('--')) errs.push('must not contain consecutive hyphens');
  if (port.length > 0 && (port.startsWith('-') || port.endsWith('-'))) {
    errs.push('must not begin or end with a hyphen');
  }
  return errs;
}

/** ValidatePortNumOrName for targetPort / probe ports (an absent port is int 0). */
export function validatePortNumOrName(port: number | string | undefined, path: Path): FieldError[] {
  if (typeof port === 'string') return isValidPortName(port).map((m) => invalid(path, port, m));
  const n = port ?? 0;
  return isValidPortNum(n).map((m) => invalid(path, n, m));
}

export function validateDNS1123Label(value: string, path: Path): FieldError[] {
  return isDNS1123Label(value).map((m) => invalid(path, value, m));
}

export function validateDNS1123Subdomain(value: string, path: Path): FieldError[] {
  return isDNS1123Subdomain(value).map((m) => invalid(path, value, m));
}

export function validateQualifiedName(value: string, path: Path): FieldError[] {
  return isQualifiedName(value).map((m) => invalid(path, value, m));
}

const ENV_VAR_NAME_FMT = '[-._a-zA-Z][-._a-zA-Z0-9]*';
const envVarNameRe = new RegExp(`^${ENV_VAR_NAME_FMT}$`);

/** IsEnvVarName. */
export function isEnvVarName(value: string): string[] {
  const errs: string[] = [];
  if (!envVarNameRe.test(value)) {
    errs.push(
      regexError(
        "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit",
        ENV_VAR_NAME_FMT,
        'my.env-name',
        'MY_ENV.NAME',
        'MyEnvName1',
      ),
    );
  }
  errs.push(...hasChDirPrefix(value));
  return errs;
}

function hasChDirPrefix(value: string): string[] {
  if (value.startsWith('..')) return ["must not start with '..'"];
  if (value === '.') return ["must not be '.'"];
  return [];
}

const CONFIG_MAP_KEY_FMT = '[-._a-zA-Z0-9]+';
const configMapKeyRe = new RegExp(`^${CONFIG_MAP_KEY_FMT}$`);

/** IsConfigMapKey: keys of ConfigMap/Secret data and of projected items. */
export function isConfigMapKey(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 253) errs.push('must be no more than 253 characters');
  if (!configMapKeyRe.test(value)) {
    errs.push(
      regexError(
        "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
        CONFIG_MAP_KEY_FMT,
        'key.name',
        'KEY_NAME',
        'key-name',
      ),
    );
  }
  errs.push(...hasChDirPrefix(value));
  return errs;
}

/** IsValidPercent: `[0-9]+%`. */
export function isValidPercent(value: string): string[] {
  return /^[0-9]+%$/.test(value)
    ? []
    : [
        regexError(
          "a valid percent string must be a numeric string followed by an ending '%'",
          '[0-9]+%',
          '1%',
          '93%',
        ),
      ];
}

/** ValidatePositiveIntOrPercent (upstream's name; zero is allowed). */
export function validateIntOrPercent(v: number | string | undefined, path: Path): FieldError[] {
  if (v === undefined) return [];
  if (typeof v === 'string')
    return isValidPercent(v).map((m) => invalid(path, goIntOrString(v), m));
  if (typeof v === 'number' && Number.isInteger(v)) {
    return v < 0 ? [invalid(path, v, 'must be greater than or equal to 0')] : [];
  }
  return [invalid(path, goIntOrString(v), "must be an integer or percentage (e.g '5%')")];
}

/** The integer or percentage value of an IntOrString (percent strings give their number). */
export function intOrPercentValue(v: number | string | undefined): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^[0-9]+%$/.test(v)) return Number(v.slice(0, -1));
  return 0;
}

export function isNotMoreThan100Percent(v: number | string | undefined, path: Path): FieldError[] {
  if (typeof v === 'string' && /^[0-9]+%$/.test(v) && Number(v.slice(0, -1)) > 100) {
    return [invalid(path, goIntOrString(v), 'must not be greater than 100%')];
  }
  return [];
}

/** Parses a quantity string; returns the error to report when it is malformed. */
export function parseQuantity(value: unknown, path: Path): Quantity | FieldError {
  try {
    return Quantity.fromJSON(value);
  } catch (e) {
    return invalid(path, value, e instanceof QuantityError ? e.message : String(e));
  }
}

/** A non-negative resource quantity (ValidateResourceQuantityValue / ValidateNonnegativeQuantity). */
export function validateNonnegativeQuantity(value: unknown, path: Path): FieldError[] {
  const q = parseQuantity(value, path);
  if (!(q instanceof Quantity)) return [q];
  return q.sign() < 0 ? [invalid(path, q.toString(), 'must be greater than or equal to 0')] : [];
}

export const STANDARD_CONTAINER_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage']);

/** True for resource names in the kubernetes.io namespace (or without a domain). */
export function isNativeResource(name: string): boolean {
  return !name.includes('/') || name.includes('kubernetes.io/');
}

/** An extended resource: a qualified name with a domain outside kubernetes.io, not `requests.`. */
export function isExtendedResourceName(name: string): boolean {
  if (isNativeResource(name) || name.startsWith('requests.')) return false;
  return isQualifiedName('requests.' + name).length === 0;
}

/** validateContainerResourceName. */
export function validateContainerResourceName(name: string, path: Path): FieldError[] {
  const errs = isQualifiedName(name).map((m) => invalid(path, name, m));
  if (!name.includes('/')) {
    if (!STANDARD_CONTAINER_RESOURCES.has(name) && !name.startsWith('hugepages-')) {
      errs.push(invalid(path, name, 'must be a standard resource for containers'));
    }
  } else if (!isNativeResource(name) && !isExtendedResourceName(name)) {
    errs.push(invalid(path, name, "doesn't follow extended resource name standard"));
  }
  return errs;
}

/** An enumerated string field: Required when empty, NotSupported when unknown. */
export function validateEnum(
  value: string | undefined,
  allowed: readonly string[],
  path: Path,
  requiredWhenEmpty = true,
): FieldError[] {
  if (!value) return requiredWhenEmpty ? [required(path, '')] : [];
  return allowed.includes(value) ? [] : [notSupported(path, value, allowed)];
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** Go's net.ParseIP acceptance (IPv4 dotted quad, or IPv6 with optional embedded IPv4). */
export function isIP(value: string): boolean {
  if (IPV4.test(value)) return true;
  if (!value.includes(':') || value.includes('%')) return false;
  const parts = value.split('::');
  if (parts.length > 2) return false;
  const groups = (s: string): string[] | null => {
    if (s === '') return [];
    const g = s.split(':');
    const last = g[g.length - 1]!;
    if (IPV4.test(last)) g.splice(g.length - 1, 1, '0', '0');
    return g.every((x) => /^[0-9a-fA-F]{1,4}$/.test(x)) ? g : null;
  };
  const head = groups(parts[0]!);
  const tail = parts.length === 2 ? groups(parts[1]!) : [];
  if (!head || !tail) return false;
  const n = head.length + tail.length;
  return parts.length === 2 ? n < 8 : n === 8;
}

export function ipFamilyOf(ip: string): 'IPv4' | 'IPv6' | '' {
  if (IPV4.test(ip)) return 'IPv4';
  return isIP(ip) ? 'IPv6' : '';
}

export function validateIP(value: string, path: Path): FieldError[] {
  return isIP(value)
    ? []
    : [invalid(path, value, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)')];
}

export function isCIDR(value: string): boolean {
  const slash = value.indexOf('/');
  if (slash < 0) return false;
  const ip = value.slice(0, slash);
  const bits = value.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bits) || !isIP(ip)) return false;
  return Number(bits) <= (ipFamilyOf(ip) === 'IPv4' ? 32 : 128);
}

export function validateCIDR(value: string, path: Path): FieldError[] {
  return isCIDR(value)
    ? []
    : [invalid(path, value, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)')];
}
