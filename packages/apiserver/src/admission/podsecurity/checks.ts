/**
 * The Pod Security Standards checks (k8s.io/pod-security-admission/policy), one pure function
 * per check over a pod's metadata and spec, with upstream's check IDs, forbidden reasons and
 * details. `baseline` runs the baseline checks; `restricted` adds the restricted ones and
 * replaces capabilities_baseline and seccompProfile_baseline with their restricted versions.
 */
import type { ContainerLike, PodSpecLike, SecurityContextLike } from '../pod-spec.js';

export interface PodMeta {
  annotations?: Record<string, string>;
}

export interface CheckResult {
  allowed: boolean;
  reason?: string;
  detail?: string;
}

export type Level = 'privileged' | 'baseline' | 'restricted';

export interface Check {
  id: string;
  level: 'baseline' | 'restricted';
  /** The baseline check this restricted one replaces. */
  overrides?: string;
  run(meta: PodMeta, spec: PodSpecLike): CheckResult;
}

const OK: CheckResult = { allowed: true };

function fail(reason: string, detail = ''): CheckResult {
  return { allowed: false, reason, ...(detail ? { detail } : {}) };
}

export function pluralize(singular: string, plural: string, n: number): string {
  return n === 1 ? singular : plural;
}

export function joinQuote(items: readonly string[]): string {
  return items.map((i) => JSON.stringify(i)).join(', ');
}

function containers(spec: PodSpecLike): ContainerLike[] {
  return [
    ...(spec.initContainers ?? []),
    ...(spec.containers ?? []),
    ...(spec.ephemeralContainers ?? []),
  ];
}

function sorted(set: Set<string>): string[] {
  return [...set].sort();
}

function setters(podBad: boolean, badContainers: string[]): string[] {
  const out = podBad ? ['pod'] : [];
  if (badContainers.length > 0) {
    out.push(
      `${pluralize('container', 'containers', badContainers.length)} ${joinQuote(badContainers)}`,
    );
  }
  return out;
}

const isWindows = (spec: PodSpecLike): boolean => spec.os?.name === 'windows';

// ---------------------------------------------------------------------------------------------
// Baseline

export const hostNamespaces: Check = {
  id: 'hostNamespaces',
  level: 'baseline',
  run: (_m, spec) => {
    const bad: string[] = [];
    if (spec.hostNetwork) bad.push('hostNetwork=true');
    if (spec.hostPID) bad.push('hostPID=true');
    if (spec.hostIPC) bad.push('hostIPC=true');
    return bad.length ? fail('host namespaces', bad.join(', ')) : OK;
  },
};

export const privileged: Check = {
  id: 'privileged',
  level: 'baseline',
  run: (_m, spec) => {
    const bad = containers(spec)
      .filter((c) => c.securityContext?.privileged === true)
      .map((c) => c.name);
    return bad.length
      ? fail(
          'privileged',
          `${pluralize('container', 'containers', bad.length)} ${joinQuote(bad)} must not set securityContext.privileged=true`,
        )
      : OK;
  },
};

const DEFAULT_CAPABILITIES = new Set([
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
]);

export const capabilitiesBaseline: Check = {
  id: 'capabilities_baseline',
  level: 'baseline',
  run: (_m, spec) => {
    const bad: string[] = [];
    const caps = new Set<string>();
    for (const c of containers(spec)) {
      let found = false;
      for (const cap of c.securityContext?.capabilities?.add ?? []) {
        if (!DEFAULT_CAPABILITIES.has(cap)) {
          found = true;
          caps.add(cap);
        }
      }
      if (found) bad.push(c.name);
    }
    return bad.length
      ? fail(
          'non-default capabilities',
          `${pluralize('container', 'containers', bad.length)} ${joinQuote(bad)} must not include ${joinQuote(sorted(caps))} in securityContext.capabilities.add`,
        )
      : OK;
  },
};

export const hostPathVolumes: Check = {
  id: 'hostPathVolumes',
  level: 'baseline',
  run: (_m, spec) => {
    const bad = (spec.volumes ?? []).filter((v) => v.hostPath !== undefined).map((v) => v.name);
    return bad.length
      ? fail('hostPath volumes', `${pluralize('volume', 'volumes', bad.length)} ${joinQuote(bad)}`)
      : OK;
  },
};

export const hostPorts: Check = {
  id: 'hostPorts',
  level: 'baseline',
  run: (_m, spec) => {
    const bad: string[] = [];
    const ports = new Set<string>();
    for (const c of containers(spec)) {
      let found = false;
      for (const p of c.ports ?? []) {
        if (p.hostPort) {
          found = true;
          ports.add(String(p.hostPort));
        }
      }
      if (found) bad.push(c.name);
    }
    return bad.length
      ? fail(
          'hostPort',
          `${pluralize('container', 'containers', bad.length)} ${joinQuote(bad)} ${pluralize('uses', 'use', bad.length)} ${pluralize('hostPort', 'hostPorts', ports.size)} ${sorted(ports).join(', ')}`,
        )
      : OK;
  },
};

const APPARMOR_ANNOTATION_PREFIX = 'container.apparmor.security.beta.kubernetes.io/';

export const appArmorProfile: Check = {
  id: 'appArmorProfile',
  level: 'baseline',
  run: (meta, spec) => {
    const valid = (p: SecurityContextLike['appArmorProfile']): boolean =>
      p === undefined || p.type === 'RuntimeDefault' || p.type === 'Localhost';
    const values = new Set<string>();
    const podBad = !valid(spec.securityContext?.appArmorProfile);
    if (podBad) values.add(spec.securityContext!.appArmorProfile!.type ?? '');
    const bad: string[] = [];
    for (const c of containers(spec)) {
      if (!valid(c.securityContext?.appArmorProfile)) {
        bad.push(c.name);
        values.add(c.securityContext!.appArmorProfile!.type ?? '');
      }
    }
    const annotations: string[] = [];
    for (const [k, v] of Object.entries(meta.annotations ?? {})) {
      if (
        k.startsWith(APPARMOR_ANNOTATION_PREFIX) &&
        v !== 'runtime/default' &&
        !v.startsWith('localhost/')
      ) {
        annotations.push(`${k}=${JSON.stringify(v)}`);
      }
    }
    const details: string[] = [];
    const who = setters(podBad, bad);
    if (who.length) {
      details.push(
        `${who.join(' and ')} must not set securityContext.appArmorProfile.type to ${joinQuote(sorted(values))}`,
      );
    }
    if (annotations.length) details.push(annotations.sort().join(', '));
    const n = values.size + annotations.length;
    return details.length
      ? fail(
          pluralize('forbidden AppArmor profile', 'forbidden AppArmor profiles', n),
          details.join('; '),
        )
      : OK;
  },
};

const SELINUX_TYPES = new Set([
  '',
  'container_t',
  'container_init_t',
  'container_kvm_t',
  'container_engine_t',
]);

export const seLinuxOptions: Check = {
  id: 'seLinuxOptions',
  level: 'baseline',
  run: (_m, spec) => {
    const badTypes = new Set<string>();
    let setUser = false;
    let setRole = false;
    const valid = (o: SecurityContextLike['seLinuxOptions']): boolean => {
      if (!o) return true;
      let ok = true;
      if (!SELINUX_TYPES.has(o.type ?? '')) {
        ok = false;
        badTypes.add(o.type ?? '');
      }
      if (o.user) {
        ok = false;
        setUser = true;
      }
      if (o.role) {
        ok = false;
        setRole = true;
      }
      return ok;
    };
    const podBad = !valid(spec.securityContext?.seLinuxOptions);
    const bad = containers(spec)
      .filter((c) => !valid(c.securityContext?.seLinuxOptions))
      .map((c) => c.name);
    const who = setters(podBad, bad);
    if (!who.length) return OK;
    const data: string[] = [];
    if (badTypes.size)
      data.push(`${pluralize('type', 'types', badTypes.size)} ${joinQuote(sorted(badTypes))}`);
    if (setUser) data.push('user may not be set');
    if (setRole) data.push('role may not be set');
    return fail(
      'seLinuxOptions',
      `${who.join(' and ')} set forbidden securityContext.seLinuxOptions: ${data.join('; ')}`,
    );
  },
};

export const procMount: Check = {
  id: 'procMount',
  level: 'baseline',
  run: (_m, spec) => {
    // User namespaces (hostUsers: false) make an unmasked /proc harmless.
    if (spec.hostUsers === false) return OK;
    const bad: string[] = [];
    const types = new Set<string>();
    for (const c of containers(spec)) {
      const pm = c.securityContext?.procMount;
      if (pm !== undefined && pm !== 'Default') {
        bad.push(c.name);
        types.add(pm);
      }
    }
    return bad.length
      ? fail(
          'procMount',
          `${pluralize('container', 'containers', bad.length)} ${joinQuote(bad)} must not set securityContext.procMount to ${joinQuote(sorted(types))}`,
        )
      : OK;
  },
};

export const seccompProfileBaseline: Check = {
  id: 'seccompProfile_baseline',
  level: 'baseline',
  run: (_m, spec) => {
    const values = new Set<string>();
    const podBad = spec.securityContext?.seccompProfile?.type === 'Unconfined';
    if (podBad) values.add('Unconfined');
    const bad: string[] = [];
    for (const c of containers(spec)) {
      if (c.securityContext?.seccompProfile?.type === 'Unconfined') {
        bad.push(c.name);
        values.add('Unconfined');
      }
    }
    const who = setters(podBad, bad);
    return who.length
      ? fail(
          'seccompProfile',
          `${who.join(' and ')} must not set securityContext.seccompProfile.type to ${joinQuote(sorted(values))}`,
        )
      : OK;
  },
};

const SAFE_SYSCTLS = new Set([
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
]);

export const sysctls: Check = {
  id: 'sysctls',
  level: 'baseline',
  run: (_m, spec) => {
    const bad = (spec.securityContext?.sysctls ?? [])
      .map((s) => s.name)
      .filter((n) => !SAFE_SYSCTLS.has(n));
    return bad.length ? fail('forbidden sysctls', bad.join(', ')) : OK;
  },
};

export const windowsHostProcess: Check = {
  id: 'windowsHostProcess',
  level: 'baseline',
  run: (_m, spec) => {
    const podBad = spec.securityContext?.windowsOptions?.hostProcess === true;
    const bad = containers(spec)
      .filter((c) => c.securityContext?.windowsOptions?.hostProcess === true)
      .map((c) => c.name);
    const who = setters(podBad, bad);
    return who.length
      ? fail(
          'hostProcess',
          `${who.join(' and ')} must not set securityContext.windowsOptions.hostProcess=true`,
        )
      : OK;
  },
};

// ---------------------------------------------------------------------------------------------
// Restricted

const ALLOWED_VOLUME_TYPES = new Set([
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
]);

export const restrictedVolumes: Check = {
  id: 'restrictedVolumes',
  level: 'restricted',
  run: (_m, spec) => {
    const bad: string[] = [];
    const types = new Set<string>();
    for (const v of spec.volumes ?? []) {
      const kinds = Object.keys(v).filter((k) => k !== 'name');
      const forbidden = kinds.filter((k) => !ALLOWED_VOLUME_TYPES.has(k));
      if (forbidden.length) {
        bad.push(v.name);
        for (const k of forbidden) types.add(k);
      }
    }
    return bad.length
      ? fail(
          'restricted volume types',
          `${pluralize('volume', 'volumes', bad.length)} ${joinQuote(bad)} ${pluralize('uses', 'use', bad.length)} ${pluralize('restricted volume type', 'restricted volume types', types.size)} ${joinQuote(sorted(types))}`,
        )
      : OK;
  },
};

export const allowPrivilegeEscalation: Check = {
  id: 'allowPrivilegeEscalation',
  level: 'restricted',
  run: (_m, spec) => {
    if (isWindows(spec)) return OK;
    const bad = containers(spec)
      .filter((c) => c.securityContext?.allowPrivilegeEscalation !== false)
      .map((c) => c.name);
    return bad.length
      ? fail(
          'allowPrivilegeEscalation != false',
          `${pluralize('container', 'containers', bad.length)} ${joinQuote(bad)} must set securityContext.allowPrivilegeEscalation=false`,
        )
      : OK;
  },
};

export const runAsNonRoot: Check = {
  id: 'runAsNonRoot',
  level: 'restricted',
  run: (_m, spec) => {
    const podValue = spec.securityContext?.runAsNonRoot;
    const podBad = podValue === false;
    const explicit: string[] = [];
    const implicit: string[] = [];
    for (const c of containers(spec)) {
      const v = c.securityContext?.runAsNonRoot;
      if (v !== undefined) {
        if (!v) explicit.push(c.name);
      } else if (podValue !== true) {
        implicit.push(c.name);
      }
    }
    const who = setters(podBad, explicit);
    if (who.length) {
      return fail(
        'runAsNonRoot != true',
        `${who.join(' and ')} must not set securityContext.runAsNonRoot=false`,
      );
    }
    if (implicit.length) {
      return fail(
        'runAsNonRoot != true',
        `pod or ${pluralize('container', 'containers', implicit.length)} ${joinQuote(implicit)} must set securityContext.runAsNonRoot=true`,
      );
    }
    return OK;
  },
};

export const runAsUser: Check = {
  id: 'runAsUser',
  level: 'restricted',
  run: (_m, spec) => {
    const podBad = spec.securityContext?.runAsUser === 0;
    const bad = containers(spec)
      .filter((c) => c.securityContext?.runAsUser === 0)
      .map((c) => c.name);
    const who = setters(podBad, bad);
    return who.length ? fail('runAsUser=0', `${who.join(' and ')} must not set runAsUser=0`) : OK;
  },
};

export const seccompProfileRestricted: Check = {
  id: 'seccompProfile_restricted',
  level: 'restricted',
  overrides: 'seccompProfile_baseline',
  run: (_m, spec) => {
    if (isWindows(spec)) return OK;
    const valid = (t: string | undefined): boolean => t === 'RuntimeDefault' || t === 'Localhost';
    const values = new Set<string>();
    const podProfile = spec.securityContext?.seccompProfile;
    let podBad = false;
    let podSet = false;
    if (podProfile) {
      if (!valid(podProfile.type)) {
        podBad = true;
        values.add(podProfile.type ?? '');
      } else podSet = true;
    }
    const explicit: string[] = [];
    const implicit: string[] = [];
    for (const c of containers(spec)) {
      const p = c.securityContext?.seccompProfile;
      if (p) {
        if (!valid(p.type)) {
          explicit.push(c.name);
          values.add(p.type ?? '');
        }
      } else if (!podSet) {
        implicit.push(c.name);
      }
    }
    const who = setters(podBad, explicit);
    if (who.length) {
      return fail(
        'seccompProfile',
        `${who.join(' and ')} must not set securityContext.seccompProfile.type to ${joinQuote(sorted(values))}`,
      );
    }
    if (implicit.length) {
      return fail(
        'seccompProfile',
        `pod or ${pluralize('container', 'containers', implicit.length)} ${joinQuote(implicit)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"`,
      );
    }
    return OK;
  },
};

export const capabilitiesRestricted: Check = {
  id: 'capabilities_restricted',
  level: 'restricted',
  overrides: 'capabilities_baseline',
  run: (_m, spec) => {
    if (isWindows(spec)) return OK;
    const missingDrop: string[] = [];
    const adding: string[] = [];
    const caps = new Set<string>();
    for (const c of containers(spec)) {
      const cap = c.securityContext?.capabilities;
      if (!cap) {
        missingDrop.push(c.name);
        continue;
      }
      if (!(cap.drop ?? []).includes('ALL')) missingDrop.push(c.name);
      let bad = false;
      for (const a of cap.add ?? []) {
        if (a !== 'NET_BIND_SERVICE') {
          bad = true;
          caps.add(a);
        }
      }
      if (bad) adding.push(c.name);
    }
    const details: string[] = [];
    if (missingDrop.length) {
      details.push(
        `${pluralize('container', 'containers', missingDrop.length)} ${joinQuote(missingDrop)} must set securityContext.capabilities.drop=["ALL"]`,
      );
    }
    if (adding.length) {
      details.push(
        `${pluralize('container', 'containers', adding.length)} ${joinQuote(adding)} must not include ${joinQuote(sorted(caps))} in securityContext.capabilities.add`,
      );
    }
    return details.length ? fail('unrestricted capabilities', details.join('; ')) : OK;
  },
};

export const ALL_CHECKS: readonly Check[] = [
  allowPrivilegeEscalation,
  appArmorProfile,
  capabilitiesBaseline,
  capabilitiesRestricted,
  hostNamespaces,
  hostPathVolumes,
  hostPorts,
  privileged,
  procMount,
  restrictedVolumes,
  runAsNonRoot,
  runAsUser,
  seLinuxOptions,
  seccompProfileBaseline,
  seccompProfileRestricted,
  sysctls,
  windowsHostProcess,
].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

/** The checks of a level, in check-ID order. */
export function checksFor(level: Level): Check[] {
  if (level === 'privileged') return [];
  const chosen = ALL_CHECKS.filter((c) => c.level === 'baseline' || level === 'restricted');
  const overridden = new Set(chosen.map((c) => c.overrides).filter((x): x is string => !!x));
  return chosen.filter((c) => !overridden.has(c.id));
}

/** `reason (detail), reason (detail)` for the failed checks; empty when the pod complies. */
export function evaluate(level: Level, meta: PodMeta, spec: PodSpecLike): string[] {
  const out: string[] = [];
  for (const c of checksFor(level)) {
    const r = c.run(meta, spec);
    if (!r.allowed) out.push(r.detail ? `${r.reason} (${r.detail})` : (r.reason ?? c.id));
  }
  return out;
}

/** Only the forbidden reasons (namespace label warnings list them without details). */
export function evaluateReasons(level: Level, meta: PodMeta, spec: PodSpecLike): string[] {
  const out: string[] = [];
  for (const c of checksFor(level)) {
    const r = c.run(meta, spec);
    if (!r.allowed) out.push(r.reason ?? c.id);
  }
  return out;
}
