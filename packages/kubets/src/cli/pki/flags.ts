/**
 * Flag types of the `kubets pki` commands that validate while parsing, so a bad value is
 * reported by component-base's parser with the flag's name (`invalid argument "10.96.0.0/33"
 * for "--service-cluster-ip-range" flag: ...`) and exit code 2, before anything runs.
 */
import { durationFlag, stringFlag, stringSliceFlag } from '@kubets/component-base';
import type { FlagOptions, FlagSpec } from '@kubets/component-base';
import { DEFAULT_CERT_VALIDITY_MS } from '../../pki/certificates.js';
import { serviceApiserverIps } from '../../pki/cluster-pki.js';
import { formatCidr, parseCidr } from '../../pki/ip.js';
import { parseServerUrl } from '../../pki/kubeconfig.js';
import { parseSubjectAltName } from '../../pki/names.js';
import { UsageError } from '../command.js';

/** A list flag whose items are checked (and canonicalised) one by one as they are parsed. */
function checkedListFlag(
  options: FlagOptions<readonly string[]>,
  check: (item: string) => string,
): FlagSpec<string[]> {
  const inner = stringSliceFlag(options);
  return {
    ...inner,
    // Same semantics as pflag's StringSlice: the first occurrence replaces the default, later
    // ones append.
    parse: (raw, previous, first) => {
      const items = raw === '' ? [] : raw.split(',').map((item) => check(item.trim()));
      return first ? items : [...previous, ...items];
    },
  };
}

/** `--apiserver-cert-extra-sans`: IPs and DNS names (wildcards allowed), as kubeadm accepts. */
export function sanListFlag(options: FlagOptions<readonly string[]>): FlagSpec<string[]> {
  return checkedListFlag(options, (item) => parseSubjectAltName(item).value);
}

export function ipListFlag(options: FlagOptions<readonly string[]>): FlagSpec<string[]> {
  return checkedListFlag(options, (item) => {
    const san = parseSubjectAltName(item);
    if (san.type !== 'ip') throw new Error(`"${item}" is not an IP address`);
    return san.value;
  });
}

/**
 * `--service-cluster-ip-range`: one CIDR, or two of different families (dual stack), each with
 * room for a first service IP. The value is replaced, not appended, like kube-apiserver's.
 */
export function serviceCidrFlag(options: FlagOptions<string>): FlagSpec<string[]> {
  const parse = (raw: string): string[] => {
    const ranges = raw.split(',').map((part) => part.trim());
    const canonical = ranges.map((range) => formatCidr(parseCidr(range)));
    serviceApiserverIps(canonical);
    return canonical;
  };
  return {
    typeName: 'string',
    default: parse(options.default ?? ''),
    help: options.help,
    shorthand: options.shorthand,
    env: options.env,
    group: options.group,
    isBool: false,
    parse: (raw) => parse(raw),
    formatDefault: (value) => JSON.stringify(value.join(',')),
  };
}

export function serverUrlFlag(options: FlagOptions<string>): FlagSpec<string> {
  const inner = stringFlag(options);
  return {
    ...inner,
    parse: (raw) => {
      parseServerUrl(raw);
      return raw;
    },
  };
}

/** A string restricted to `values`, with no default: absent means "not chosen". */
export function choiceFlag<const E extends string>(
  options: FlagOptions<string> & { values: readonly E[] },
): FlagSpec<E | ''> {
  const permitted = options.values.map((v) => JSON.stringify(v)).join(', ');
  const inner = stringFlag({ ...options, help: `${options.help} One of ${permitted}.` });
  return {
    ...inner,
    default: '',
    parse: (raw) => {
      const match = options.values.find((v) => v === raw);
      if (match === undefined) throw new Error(`must be one of ${permitted}`);
      return match;
    },
  };
}

export const dirFlag = (help = 'Directory of the PKI (kubeadm: /etc/kubernetes/pki). Required.') =>
  stringFlag({ help });

export const certValidityFlag = () =>
  durationFlag({
    default: DEFAULT_CERT_VALIDITY_MS,
    min: 1000,
    help: 'Validity of issued certificates, e.g. 8760h (one year). They start 5 minutes in the past to absorb clock skew, and never outlive their CA.',
  });

/** `required flag "--dir" not set` (cobra's wording), as a usage error. */
export function requireFlags(values: Readonly<Record<string, unknown>>, ...names: string[]): void {
  const missing = names.filter((name) => {
    const value = values[name];
    return value === '' || value === undefined || (Array.isArray(value) && value.length === 0);
  });
  if (missing.length > 0) {
    const list = missing.map((name) => `"--${name}"`).join(', ');
    throw new UsageError(`required flag${missing.length > 1 ? 's' : ''} ${list} not set`);
  }
}
