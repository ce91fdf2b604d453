import { describe, expect, it } from 'vitest';
import { DEFAULT_POD_SECURITY, levelFor, podSecurityFromAdmissionConfig } from './policy.js';

describe('PodSecurity policy selection', () => {
  const d = DEFAULT_POD_SECURITY.defaults;

  it('reads levels and versions from namespace labels over the defaults', () => {
    expect(levelFor('enforce', {}, d)).toEqual({ level: 'privileged', version: 'latest' });
    expect(
      levelFor(
        'enforce',
        {
          'pod-security.kubernetes.io/enforce': 'baseline',
          'pod-security.kubernetes.io/enforce-version': 'v1.30',
        },
        d,
      ),
    ).toEqual({ level: 'baseline', version: 'v1.30' });
  });

  it('fails closed on invalid labels', () => {
    expect(levelFor('warn', { 'pod-security.kubernetes.io/warn': 'strict' }, d)).toMatchObject({
      level: 'restricted',
      version: 'latest',
    });
  });

  it('reads PodSecurityConfiguration from an AdmissionConfiguration', () => {
    const cfg = podSecurityFromAdmissionConfig(
      `apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
- name: PodSecurity
  configuration:
    apiVersion: pod-security.admission.config.k8s.io/v1
    kind: PodSecurityConfiguration
    defaults:
      enforce: baseline
      warn: restricted
    exemptions:
      namespaces: [kube-system]
`,
      () => '',
    );
    expect(cfg?.defaults).toMatchObject({
      enforce: 'baseline',
      warn: 'restricted',
      audit: 'privileged',
    });
    expect(cfg?.exemptions.namespaces).toEqual(['kube-system']);
    expect(() =>
      podSecurityFromAdmissionConfig(
        'plugins:\n- name: PodSecurity\n  configuration:\n    defaults: {enforce: nope}\n',
        () => '',
      ),
    ).toThrow('invalid default enforce level "nope"');
  });
});
