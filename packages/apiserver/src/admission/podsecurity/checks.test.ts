import { describe, expect, it } from 'vitest';
import type { PodSpecLike } from '../pod-spec.js';
import {
  type Check,
  type CheckResult,
  allowPrivilegeEscalation,
  appArmorProfile,
  capabilitiesBaseline,
  capabilitiesRestricted,
  checksFor,
  evaluate,
  hostNamespaces,
  hostPathVolumes,
  hostPorts,
  privileged,
  procMount,
  restrictedVolumes,
  runAsNonRoot,
  runAsUser,
  seccompProfileBaseline,
  seccompProfileRestricted,
  seLinuxOptions,
  sysctls,
  windowsHostProcess,
} from './checks.js';

const c = (name: string, securityContext: object = {}, extra: object = {}) => ({
  name,
  image: 'x',
  securityContext,
  ...extra,
});

const restrictedContainer = (name: string) =>
  c(name, {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
    runAsNonRoot: true,
    seccompProfile: { type: 'RuntimeDefault' },
  });

const run = (check: Check, spec: PodSpecLike, meta = {}): CheckResult => check.run(meta, spec);

describe('Pod Security Standards checks', () => {
  it('hostNamespaces', () => {
    expect(run(hostNamespaces, { hostNetwork: true, hostPID: true })).toEqual({
      allowed: false,
      reason: 'host namespaces',
      detail: 'hostNetwork=true, hostPID=true',
    });
    expect(run(hostNamespaces, { hostIPC: false })).toEqual({ allowed: true });
  });

  it('privileged', () => {
    expect(
      run(privileged, { containers: [c('a', { privileged: true }), c('b', { privileged: true })] }),
    ).toMatchObject({
      reason: 'privileged',
      detail: 'containers "a", "b" must not set securityContext.privileged=true',
    });
    expect(run(privileged, { initContainers: [c('i', { privileged: false })] })).toEqual({
      allowed: true,
    });
  });

  it('capabilities_baseline allows the default set only', () => {
    expect(
      run(capabilitiesBaseline, {
        containers: [c('a', { capabilities: { add: ['NET_ADMIN', 'CHOWN', 'SYS_TIME'] } })],
      }),
    ).toMatchObject({
      reason: 'non-default capabilities',
      detail:
        'container "a" must not include "NET_ADMIN", "SYS_TIME" in securityContext.capabilities.add',
    });
    expect(
      run(capabilitiesBaseline, {
        containers: [c('a', { capabilities: { add: ['NET_BIND_SERVICE'] } })],
      }).allowed,
    ).toBe(true);
  });

  it('hostPathVolumes', () => {
    expect(
      run(hostPathVolumes, {
        volumes: [
          { name: 'h', hostPath: { path: '/' } },
          { name: 'e', emptyDir: {} },
        ],
      }),
    ).toMatchObject({
      reason: 'hostPath volumes',
      detail: 'volume "h"',
    });
  });

  it('hostPorts', () => {
    expect(
      run(hostPorts, {
        containers: [
          c('a', {}, { ports: [{ containerPort: 80, hostPort: 8080 }] }),
          c('b', {}, { ports: [{ containerPort: 81, hostPort: 8081 }, { containerPort: 82 }] }),
        ],
      }),
    ).toMatchObject({ reason: 'hostPort', detail: 'containers "a", "b" use hostPorts 8080, 8081' });
    expect(
      run(hostPorts, {
        containers: [c('a', {}, { ports: [{ containerPort: 80, hostPort: 80 }] })],
      }),
    ).toMatchObject({
      detail: 'container "a" uses hostPort 80',
    });
  });

  it('appArmorProfile: fields and the beta annotation', () => {
    expect(
      run(appArmorProfile, { securityContext: { appArmorProfile: { type: 'Unconfined' } } }),
    ).toMatchObject({
      allowed: false,
      detail: 'pod must not set securityContext.appArmorProfile.type to "Unconfined"',
    });
    expect(
      run(
        appArmorProfile,
        { containers: [c('a')] },
        {
          annotations: { 'container.apparmor.security.beta.kubernetes.io/a': 'unconfined' },
        },
      ),
    ).toMatchObject({
      allowed: false,
      detail: 'container.apparmor.security.beta.kubernetes.io/a="unconfined"',
    });
    expect(
      run(appArmorProfile, {
        containers: [c('a', { appArmorProfile: { type: 'RuntimeDefault' } })],
      }).allowed,
    ).toBe(true);
  });

  it('seLinuxOptions', () => {
    expect(
      run(seLinuxOptions, {
        securityContext: { seLinuxOptions: { type: 'spc_t', user: 'root' } },
        containers: [c('a', { seLinuxOptions: { role: 'r' } })],
      }),
    ).toMatchObject({
      reason: 'seLinuxOptions',
      detail:
        'pod and container "a" set forbidden securityContext.seLinuxOptions: type "spc_t"; user may not be set; role may not be set',
    });
    expect(
      run(seLinuxOptions, {
        containers: [c('a', { seLinuxOptions: { type: 'container_t', level: 's0' } })],
      }).allowed,
    ).toBe(true);
  });

  it('procMount (allowed with user namespaces)', () => {
    expect(run(procMount, { containers: [c('a', { procMount: 'Unmasked' })] })).toMatchObject({
      reason: 'procMount',
      detail: 'container "a" must not set securityContext.procMount to "Unmasked"',
    });
    expect(
      run(procMount, { hostUsers: false, containers: [c('a', { procMount: 'Unmasked' })] }).allowed,
    ).toBe(true);
  });

  it('seccompProfile_baseline forbids Unconfined only', () => {
    expect(
      run(seccompProfileBaseline, { securityContext: { seccompProfile: { type: 'Unconfined' } } }),
    ).toMatchObject({
      detail: 'pod must not set securityContext.seccompProfile.type to "Unconfined"',
    });
    expect(run(seccompProfileBaseline, { containers: [c('a')] }).allowed).toBe(true);
  });

  it('sysctls', () => {
    expect(
      run(sysctls, {
        securityContext: {
          sysctls: [{ name: 'net.ipv4.tcp_syncookies' }, { name: 'kernel.msgmax' }],
        },
      }),
    ).toMatchObject({
      reason: 'forbidden sysctls',
      detail: 'kernel.msgmax',
    });
  });

  it('windowsHostProcess', () => {
    expect(
      run(windowsHostProcess, { containers: [c('w', { windowsOptions: { hostProcess: true } })] }),
    ).toMatchObject({
      reason: 'hostProcess',
    });
  });

  it('restrictedVolumes', () => {
    expect(
      run(restrictedVolumes, {
        volumes: [
          { name: 'a', hostPath: { path: '/' } },
          { name: 'b', nfs: { server: 'x', path: '/' } },
          { name: 'ok', projected: { sources: [] } },
        ],
      }),
    ).toMatchObject({
      reason: 'restricted volume types',
      detail: 'volumes "a", "b" use restricted volume types "hostPath", "nfs"',
    });
  });

  it('allowPrivilegeEscalation', () => {
    expect(
      run(allowPrivilegeEscalation, {
        containers: [c('a'), c('b', { allowPrivilegeEscalation: false })],
      }),
    ).toMatchObject({
      reason: 'allowPrivilegeEscalation != false',
      detail: 'container "a" must set securityContext.allowPrivilegeEscalation=false',
    });
    expect(
      run(allowPrivilegeEscalation, { os: { name: 'windows' }, containers: [c('a')] }).allowed,
    ).toBe(true);
  });

  it('runAsNonRoot: explicit false, then implicit', () => {
    expect(
      run(runAsNonRoot, {
        securityContext: { runAsNonRoot: false },
        containers: [c('a', { runAsNonRoot: false })],
      }),
    ).toMatchObject({
      detail: 'pod and container "a" must not set securityContext.runAsNonRoot=false',
    });
    expect(run(runAsNonRoot, { containers: [c('a'), c('b')] })).toMatchObject({
      detail: 'pod or containers "a", "b" must set securityContext.runAsNonRoot=true',
    });
    expect(
      run(runAsNonRoot, { securityContext: { runAsNonRoot: true }, containers: [c('a')] }).allowed,
    ).toBe(true);
  });

  it('runAsUser=0', () => {
    expect(
      run(runAsUser, {
        securityContext: { runAsUser: 0 },
        containers: [c('a', { runAsUser: 1000 })],
      }),
    ).toMatchObject({
      reason: 'runAsUser=0',
      detail: 'pod must not set runAsUser=0',
    });
  });

  it('seccompProfile_restricted', () => {
    expect(run(seccompProfileRestricted, { containers: [c('a')] })).toMatchObject({
      detail:
        'pod or container "a" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"',
    });
    expect(
      run(seccompProfileRestricted, {
        securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
        containers: [c('a', { seccompProfile: { type: 'Unconfined' } })],
      }),
    ).toMatchObject({
      detail: 'container "a" must not set securityContext.seccompProfile.type to "Unconfined"',
    });
    expect(
      run(seccompProfileRestricted, {
        securityContext: { seccompProfile: { type: 'Localhost' } },
        containers: [c('a')],
      }).allowed,
    ).toBe(true);
  });

  it('capabilities_restricted', () => {
    expect(
      run(capabilitiesRestricted, {
        containers: [
          c('a'),
          c('b', { capabilities: { drop: ['ALL'], add: ['SYS_TIME', 'NET_BIND_SERVICE'] } }),
        ],
      }),
    ).toMatchObject({
      reason: 'unrestricted capabilities',
      detail:
        'container "a" must set securityContext.capabilities.drop=["ALL"]; container "b" must not include "SYS_TIME" in securityContext.capabilities.add',
    });
  });

  it('levels: restricted replaces the baseline capability and seccomp checks; privileged checks nothing', () => {
    const ids = checksFor('restricted').map((x) => x.id);
    expect(ids).not.toContain('capabilities_baseline');
    expect(ids).not.toContain('seccompProfile_baseline');
    expect(ids).toContain('hostPathVolumes');
    expect(checksFor('baseline').map((x) => x.id)).not.toContain('runAsNonRoot');
    expect(checksFor('privileged')).toEqual([]);
  });

  it('evaluates in check-ID order with upstream formatting', () => {
    expect(evaluate('restricted', {}, { containers: [c('nginx')] })).toEqual([
      'allowPrivilegeEscalation != false (container "nginx" must set securityContext.allowPrivilegeEscalation=false)',
      'unrestricted capabilities (container "nginx" must set securityContext.capabilities.drop=["ALL"])',
      'runAsNonRoot != true (pod or container "nginx" must set securityContext.runAsNonRoot=true)',
      'seccompProfile (pod or container "nginx" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
    ]);
    expect(evaluate('restricted', {}, { containers: [restrictedContainer('ok')] })).toEqual([]);
    expect(evaluate('baseline', {}, { containers: [c('nginx')] })).toEqual([]);
  });
});
