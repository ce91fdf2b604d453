import { describe, expect, it } from 'vitest';
import {
  dnsSubdomainProblem,
  formatSubjectAltName,
  hostMatchesSubjectAltNames,
  parseSubjectAltName,
  uniqueSubjectAltNames,
} from './names.js';
import type { SubjectAltName } from './names.js';

describe('parseSubjectAltName', () => {
  it('classifies IPs (canonicalised) and DNS names', () => {
    expect(parseSubjectAltName('10.0.0.5')).toEqual({ type: 'ip', value: '10.0.0.5' });
    expect(parseSubjectAltName('FD00:0::1')).toEqual({ type: 'ip', value: 'fd00::1' });
    expect(parseSubjectAltName('api.example.com')).toEqual({
      type: 'dns',
      value: 'api.example.com',
    });
    expect(parseSubjectAltName('*.apps.example.com')).toEqual({
      type: 'dns',
      value: '*.apps.example.com',
    });
  });

  it('refuses what kubeadm refuses, saying why', () => {
    for (const bad of [
      'API.example.com',
      'under_score',
      'a..b',
      '-lead',
      'trail-',
      '*.',
      '*',
      'a.*.b',
      '',
      'x'.repeat(64),
    ]) {
      expect(() => parseSubjectAltName(bad), bad).toThrow(
        /neither an IP address nor a valid DNS name/,
      );
    }
  });
});

describe('dnsSubdomainProblem', () => {
  it('accepts DNS-1123 subdomains and names the problem otherwise', () => {
    expect(dnsSubdomainProblem('node-1.example')).toBeUndefined();
    expect(dnsSubdomainProblem('')).toBe('must not be empty');
    expect(dnsSubdomainProblem('a'.repeat(254))).toBe('must be no more than 253 characters');
    expect(dnsSubdomainProblem(`${'a'.repeat(64)}.b`)).toMatch(/longer than 63 characters/);
    expect(dnsSubdomainProblem('Node1')).toMatch(/lower case alphanumeric/);
  });
});

describe('uniqueSubjectAltNames', () => {
  it('drops repeats and keeps the first position', () => {
    const sans: SubjectAltName[] = [
      { type: 'dns', value: 'a' },
      { type: 'ip', value: '10.0.0.1' },
      { type: 'dns', value: 'a' },
      { type: 'ip', value: '10.0.0.1' },
    ];
    expect(uniqueSubjectAltNames(sans)).toEqual(sans.slice(0, 2));
  });
});

describe('hostMatchesSubjectAltNames', () => {
  const sans: SubjectAltName[] = [
    { type: 'dns', value: 'kubernetes.default.svc' },
    { type: 'dns', value: '*.apps.example.com' },
    { type: 'ip', value: '10.96.0.1' },
    { type: 'ip', value: 'fd00::1' },
  ];

  it('matches DNS names case-insensitively, ignoring a trailing dot', () => {
    expect(hostMatchesSubjectAltNames('kubernetes.default.svc', sans)).toBe(true);
    expect(hostMatchesSubjectAltNames('Kubernetes.Default.SVC.', sans)).toBe(true);
    expect(hostMatchesSubjectAltNames('kubernetes.default', sans)).toBe(false);
  });

  it('lets a wildcard cover exactly one leftmost label', () => {
    expect(hostMatchesSubjectAltNames('web.apps.example.com', sans)).toBe(true);
    expect(hostMatchesSubjectAltNames('apps.example.com', sans)).toBe(false);
    expect(hostMatchesSubjectAltNames('a.b.apps.example.com', sans)).toBe(false);
  });

  it('matches IPs byte for byte and only against IP SANs', () => {
    expect(hostMatchesSubjectAltNames('10.96.0.1', sans)).toBe(true);
    expect(hostMatchesSubjectAltNames('[fd00:0:0::1]', sans)).toBe(true);
    expect(hostMatchesSubjectAltNames('10.96.0.2', sans)).toBe(false);
    expect(hostMatchesSubjectAltNames('127.0.0.1', [{ type: 'dns', value: '127.0.0.1' }])).toBe(
      false,
    );
  });

  it('never matches an empty host', () => {
    expect(hostMatchesSubjectAltNames('', sans)).toBe(false);
    expect(hostMatchesSubjectAltNames('.', sans)).toBe(false);
  });
});

describe('formatSubjectAltName', () => {
  it("uses openssl's prefixes", () => {
    expect(formatSubjectAltName({ type: 'dns', value: 'x' })).toBe('DNS:x');
    expect(formatSubjectAltName({ type: 'ip', value: '::1' })).toBe('IP:::1');
  });
});
