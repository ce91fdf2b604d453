/**
 * Subject alternative names: telling IPs from DNS names, validating DNS names the way kubeadm
 * validates `--apiserver-cert-extra-sans` (RFC 1123 subdomains, optionally with a leading
 * `*.` wildcard), and matching a certificate's SANs against a host as Go's
 * `x509.Certificate.VerifyHostname` does (no Common Name fallback, one-label wildcards).
 */
import { canonicalIp, ipEquals, parseIp } from './ip.js';

export type SubjectAltName = { type: 'dns'; value: string } | { type: 'ip'; value: string };

const LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN = new RegExp(`^${LABEL}(\\.${LABEL})*$`);
const MAX_SUBDOMAIN_LENGTH = 253;
const MAX_LABEL_LENGTH = 63;

/**
 * Why `name` is not a DNS-1123 subdomain (Kubernetes' rule for node names, SANs and domains),
 * or `undefined` if it is one.
 */
export function dnsSubdomainProblem(name: string): string | undefined {
  if (name.length === 0) return 'must not be empty';
  if (name.length > MAX_SUBDOMAIN_LENGTH) {
    return `must be no more than ${MAX_SUBDOMAIN_LENGTH} characters`;
  }
  if (!DNS1123_SUBDOMAIN.test(name)) {
    return (
      "must consist of lower case alphanumeric characters, '-' or '.', and must start and end " +
      'with an alphanumeric character'
    );
  }
  const long = name.split('.').find((label) => label.length > MAX_LABEL_LENGTH);
  if (long !== undefined) return `label "${long}" is longer than ${MAX_LABEL_LENGTH} characters`;
  return undefined;
}

/**
 * Classifies one SAN value: an IP address (canonicalised) or a DNS name (a DNS-1123 subdomain,
 * or `*.` followed by one). Throws an Error explaining why anything else is refused.
 */
export function parseSubjectAltName(value: string): SubjectAltName {
  const ip = canonicalIp(value);
  if (ip !== undefined) return { type: 'ip', value: ip };
  const name = value.startsWith('*.') ? value.slice(2) : value;
  const problem = dnsSubdomainProblem(name);
  if (problem !== undefined) {
    throw new Error(`"${value}" is neither an IP address nor a valid DNS name: ${problem}`);
  }
  return { type: 'dns', value };
}

/** Removes duplicates (same type and value), keeping the first occurrence's position. */
export function uniqueSubjectAltNames(names: readonly SubjectAltName[]): SubjectAltName[] {
  const seen = new Set<string>();
  const out: SubjectAltName[] = [];
  for (const name of names) {
    const key = `${name.type}:${name.value}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(name);
  }
  return out;
}

/**
 * Whether `host` (a DNS name, an IP, or a bracketed IPv6 literal from a URL) is covered by
 * `sans`. IPs match only IP SANs, byte for byte; names match DNS SANs case-insensitively, a
 * trailing dot ignored, and `*.example.com` covers exactly one extra leftmost label.
 */
export function hostMatchesSubjectAltNames(host: string, sans: readonly SubjectAltName[]): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const ip = parseIp(bare);
  if (ip !== undefined) {
    return sans.some((san) => {
      if (san.type !== 'ip') return false;
      const candidate = parseIp(san.value);
      return candidate !== undefined && ipEquals(candidate, ip);
    });
  }
  const wanted = normaliseDnsName(bare);
  if (wanted === '') return false;
  return sans.some(
    (san) => san.type === 'dns' && dnsNameMatches(normaliseDnsName(san.value), wanted),
  );
}

function normaliseDnsName(name: string): string {
  return (name.endsWith('.') ? name.slice(0, -1) : name).toLowerCase();
}

function dnsNameMatches(pattern: string, host: string): boolean {
  if (!pattern.startsWith('*.')) return pattern === host;
  const hostLabels = host.split('.');
  const patternLabels = pattern.split('.');
  if (hostLabels.length !== patternLabels.length || hostLabels[0] === '') return false;
  return patternLabels.slice(1).every((label, i) => label === hostLabels[i + 1]);
}

/** Text for listings: `DNS:kubernetes`, `IP:10.96.0.1` (openssl's spelling). */
export function formatSubjectAltName(san: SubjectAltName): string {
  return san.type === 'dns' ? `DNS:${san.value}` : `IP:${san.value}`;
}
