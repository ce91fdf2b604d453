/**
 * Which Pod Security level applies: the namespace's `pod-security.kubernetes.io/<mode>` and
 * `<mode>-version` labels over the configured defaults (PodSecurityConfiguration from
 * `--admission-control-config-file`), with exemptions. An invalid level label is evaluated as
 * restricted:latest, as upstream fails closed.
 */
import { parse as parseYaml } from 'yaml';
import type { Level } from './checks.js';

export type Mode = 'enforce' | 'audit' | 'warn';

export interface PodSecurityDefaults {
  enforce: string;
  enforceVersion: string;
  audit: string;
  auditVersion: string;
  warn: string;
  warnVersion: string;
}

export interface PodSecurityExemptions {
  usernames: string[];
  runtimeClasses: string[];
  namespaces: string[];
}

export interface PodSecurityConfig {
  defaults: PodSecurityDefaults;
  exemptions: PodSecurityExemptions;
}

export const DEFAULT_POD_SECURITY: PodSecurityConfig = {
  defaults: {
    enforce: 'privileged',
    enforceVersion: 'latest',
    audit: 'privileged',
    auditVersion: 'latest',
    warn: 'privileged',
    warnVersion: 'latest',
  },
  exemptions: { usernames: [], runtimeClasses: [], namespaces: [] },
};

export interface LevelVersion {
  level: Level;
  version: string;
  /** Set when a label was invalid (evaluated as restricted:latest). */
  invalid?: string;
}

export function formatLevel(lv: LevelVersion): string {
  return `${lv.level}:${lv.version}`;
}

const LEVELS = new Set(['privileged', 'baseline', 'restricted']);

function validVersion(v: string): boolean {
  return v === 'latest' || /^v1\.(0|[1-9]\d*)$/.test(v);
}

/** The level and version of one mode for a namespace's labels. */
export function levelFor(
  mode: Mode,
  labels: Record<string, string>,
  defaults: PodSecurityDefaults,
): LevelVersion {
  const levelLabel = labels[`pod-security.kubernetes.io/${mode}`];
  const versionLabel = labels[`pod-security.kubernetes.io/${mode}-version`];
  const level = levelLabel ?? defaults[mode];
  const version = versionLabel ?? defaults[`${mode}Version`];
  if (!LEVELS.has(level)) {
    return { level: 'restricted', version: 'latest', invalid: `${mode} level "${level}"` };
  }
  if (!validVersion(version)) {
    return { level: 'restricted', version: 'latest', invalid: `${mode} version "${version}"` };
  }
  return { level: level as Level, version };
}

function str(o: Record<string, unknown>, k: string, d: string): string {
  return typeof o[k] === 'string' ? o[k] : d;
}

function strs(o: Record<string, unknown> | undefined, k: string): string[] {
  const v = o?.[k];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/**
 * Reads the PodSecurity plugin's configuration from an AdmissionConfiguration document
 * (apiserver.config.k8s.io/v1; the plugin's `configuration` inline or its `path`).
 */
export function podSecurityFromAdmissionConfig(
  text: string,
  readFile: (path: string) => string,
): PodSecurityConfig | undefined {
  const doc = parseYaml(text) as {
    plugins?: { name?: string; path?: string; configuration?: unknown }[];
  };
  const plugin = (doc?.plugins ?? []).find((p) => p.name === 'PodSecurity');
  if (!plugin) return undefined;
  const cfg = (plugin.configuration ??
    (plugin.path ? parseYaml(readFile(plugin.path)) : undefined)) as
    | { kind?: string; defaults?: Record<string, unknown>; exemptions?: Record<string, unknown> }
    | undefined;
  if (!cfg) return undefined;
  if (cfg.kind !== undefined && cfg.kind !== 'PodSecurityConfiguration') {
    throw new Error(
      `PodSecurity configuration: expected kind PodSecurityConfiguration, got ${cfg.kind}`,
    );
  }
  const d = cfg.defaults ?? {};
  const base = DEFAULT_POD_SECURITY.defaults;
  const defaults: PodSecurityDefaults = {
    enforce: str(d, 'enforce', base.enforce),
    enforceVersion: str(d, 'enforce-version', base.enforceVersion),
    audit: str(d, 'audit', base.audit),
    auditVersion: str(d, 'audit-version', base.auditVersion),
    warn: str(d, 'warn', base.warn),
    warnVersion: str(d, 'warn-version', base.warnVersion),
  };
  for (const mode of ['enforce', 'audit', 'warn'] as const) {
    const lv = levelFor(mode, {}, defaults);
    if (lv.invalid) throw new Error(`PodSecurity configuration: invalid default ${lv.invalid}`);
  }
  return {
    defaults,
    exemptions: {
      usernames: strs(cfg.exemptions, 'usernames'),
      runtimeClasses: strs(cfg.exemptions, 'runtimeClasses'),
      namespaces: strs(cfg.exemptions, 'namespaces'),
    },
  };
}
