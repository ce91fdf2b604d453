/**
 * The PodSecurity admission plugin: pods are checked against the namespace's enforce level
 * (403 `pods "x" is forbidden: violates PodSecurity "restricted:latest": ...`), warn level
 * (Warning headers `would violate PodSecurity ...`) and audit level (audit annotations); pod
 * templates of workload resources are never refused: their enforce and warn violations come
 * back as warnings, as upstream.
 */
import { invalid, jsonEqual, newInvalid, Path } from '@kubets/apimachinery';
import type { ApiObject } from '../../storage/codec.js';
import { forbidden } from '../errors.js';
import type { PodSpecLike } from '../pod-spec.js';
import {
  requestMemo,
  type AdmissionAttributes,
  type Operation,
  type ValidatingPlugin,
} from '../types.js';
import { evaluate, evaluateReasons, type PodMeta } from './checks.js';
import {
  DEFAULT_POD_SECURITY,
  formatLevel,
  levelFor,
  type LevelVersion,
  type PodSecurityConfig,
} from './policy.js';

/** Where the pod template lives in each workload kind. */
const TEMPLATES: Record<string, string[]> = {
  '/podtemplates': ['template'],
  '/replicationcontrollers': ['spec', 'template'],
  'apps/replicasets': ['spec', 'template'],
  'apps/deployments': ['spec', 'template'],
  'apps/statefulsets': ['spec', 'template'],
  'apps/daemonsets': ['spec', 'template'],
  'batch/jobs': ['spec', 'template'],
  'batch/cronjobs': ['spec', 'jobTemplate', 'spec', 'template'],
};

function dig(obj: unknown, path: string[]): unknown {
  let cur = obj;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

/** The pod metadata and spec a request carries, if any. */
export function podOf(
  a: Pick<AdmissionAttributes, 'resource' | 'object'>,
): { meta: PodMeta; spec: PodSpecLike; workload: boolean } | undefined {
  const key = `${a.resource.group}/${a.resource.resource}`;
  if (!a.object) return undefined;
  if (key === '/pods') {
    return {
      meta: a.object.metadata ?? {},
      spec: a.object.spec ?? {},
      workload: false,
    };
  }
  const path = TEMPLATES[key];
  if (!path) return undefined;
  const t = dig(a.object, path) as { metadata?: PodMeta; spec?: PodSpecLike } | undefined;
  if (!t) return undefined;
  return { meta: t.metadata ?? {}, spec: t.spec ?? {}, workload: true };
}

export type NamespaceGetter = (name: string) => Promise<ApiObject | undefined>;

/** The pods of a namespace, for the warnings when its enforce level changes. */
export type PodLister = (namespace: string) => Promise<ApiObject[]>;

const MAX_POD_WARNINGS = 20;

export class PodSecurity implements ValidatingPlugin {
  readonly name = 'PodSecurity';

  constructor(
    private readonly getNamespace: NamespaceGetter,
    private readonly config: PodSecurityConfig = DEFAULT_POD_SECURITY,
    private readonly listPods?: PodLister,
  ) {}

  handles(op: Operation): boolean {
    return op === 'CREATE' || op === 'UPDATE';
  }

  async validate(a: AdmissionAttributes): Promise<void> {
    if (a.resource.group === '' && a.resource.resource === 'namespaces') {
      if (a.subresource === '') await this.validateNamespace(a);
      return;
    }
    if (!a.namespace) return;
    const isPod = a.resource.group === '' && a.resource.resource === 'pods';
    if (a.subresource !== '' && !(isPod && a.subresource === 'ephemeralcontainers')) return;
    const pod = podOf(a);
    if (!pod) return;
    // Updates that leave the pod spec alone (labels, annotations, status) are not re-checked.
    if (a.operation === 'UPDATE' && a.oldObject) {
      const old = podOf({ resource: a.resource, object: a.oldObject });
      if (old && jsonEqual(old.spec, pod.spec)) return;
    }
    if (this.exempt(a, pod.spec)) return;
    const ns = await requestMemo(a, `namespace/${a.namespace}`, () =>
      this.getNamespace(a.namespace),
    );
    const labels = ns?.metadata?.labels ?? {};
    const d = this.config.defaults;
    const enforce = levelFor('enforce', labels, d);
    const audit = levelFor('audit', labels, d);
    const warn = levelFor('warn', labels, d);
    const cache = new Map<string, string[]>();
    const check = (lv: LevelVersion): string[] => {
      let r = cache.get(lv.level);
      if (!r) {
        r = evaluate(lv.level, pod.meta, pod.spec);
        cache.set(lv.level, r);
      }
      return r;
    };
    const enforceFailures = check(enforce);
    if (!pod.workload) {
      a.annotations['pod-security.kubernetes.io/enforce-policy'] = formatLevel(enforce);
      if (enforceFailures.length > 0) {
        throw forbidden(
          a,
          `violates PodSecurity "${formatLevel(enforce)}": ${enforceFailures.join(', ')}`,
        );
      }
    } else if (enforceFailures.length > 0) {
      // Workloads are never refused; their authors are told the pods would be.
      a.warnings.push(
        `would violate PodSecurity "${formatLevel(enforce)}": ${enforceFailures.join(', ')}`,
      );
    }
    const auditFailures = check(audit);
    if (auditFailures.length > 0) {
      a.annotations['pod-security.kubernetes.io/audit-violations'] =
        `would violate PodSecurity "${formatLevel(audit)}": ${auditFailures.join(', ')}`;
    }
    // The warn level is evaluated only when it differs from enforce (already reported).
    const sameAsEnforce = warn.level === enforce.level && warn.version === enforce.version;
    const warnFailures = sameAsEnforce ? [] : check(warn);
    if (warnFailures.length > 0) {
      a.warnings.push(
        `would violate PodSecurity "${formatLevel(warn)}": ${warnFailures.join(', ')}`,
      );
    }
  }

  /**
   * Namespace labels: invalid levels or versions are refused (422); raising the enforce level
   * warns about the existing pods that would violate it, grouped as upstream.
   */
  private async validateNamespace(a: AdmissionAttributes): Promise<void> {
    if (!a.object) return;
    const labels = a.object.metadata?.labels ?? {};
    const errs = [];
    for (const mode of ['enforce', 'audit', 'warn'] as const) {
      for (const [suffix, allowed] of [
        ['', 'must be one of privileged, baseline, restricted'],
        ['-version', 'must be "latest" or "v1.x"'],
      ] as const) {
        const key = `pod-security.kubernetes.io/${mode}${suffix}`;
        const value = labels[key];
        if (value === undefined) continue;
        const probe =
          suffix === ''
            ? { [key]: value }
            : { [key]: value, [`pod-security.kubernetes.io/${mode}`]: 'privileged' };
        if (levelFor(mode, probe, this.config.defaults).invalid) {
          errs.push(invalid(Path.new('metadata', 'labels').key(key), value, allowed));
        }
      }
    }
    if (errs.length > 0) {
      throw newInvalid({ group: '', kind: 'Namespace' }, a.object.metadata?.name ?? '', errs);
    }
    if (a.operation !== 'UPDATE' || !this.listPods) return;
    const name = a.object.metadata?.name ?? '';
    if (this.config.exemptions.namespaces.includes(name)) return;
    const d = this.config.defaults;
    const next = levelFor('enforce', labels, d);
    const prev = levelFor('enforce', a.oldObject?.metadata?.labels ?? {}, d);
    if (
      next.level === 'privileged' ||
      (next.level === prev.level && next.version === prev.version)
    ) {
      return;
    }
    const groups = new Map<string, string[]>();
    for (const pod of await this.listPods(name)) {
      const spec = (pod.spec ?? {}) as PodSpecLike;
      const rc = (spec as { runtimeClassName?: string }).runtimeClassName;
      if (rc !== undefined && this.config.exemptions.runtimeClasses.includes(rc)) continue;
      const reasons = evaluateReasons(next.level, pod.metadata ?? {}, spec);
      if (reasons.length === 0) continue;
      const key = reasons.join(', ');
      groups.set(key, [...(groups.get(key) ?? []), pod.metadata?.name ?? '']);
    }
    if (groups.size === 0) return;
    a.warnings.push(
      `existing pods in namespace "${name}" violate the new PodSecurity enforce level "${formatLevel(next)}"`,
    );
    for (const [reasons, pods] of [...groups].slice(0, MAX_POD_WARNINGS)) {
      const [first, ...rest] = pods.sort();
      const who =
        rest.length > 0
          ? `${first} (and ${rest.length} other ${rest.length === 1 ? 'pod' : 'pods'})`
          : first;
      a.warnings.push(`${who}: ${reasons}`);
    }
  }

  private exempt(a: AdmissionAttributes, spec: PodSpecLike): boolean {
    const e = this.config.exemptions;
    if (e.namespaces.includes(a.namespace)) return true;
    if (e.usernames.includes(a.userInfo.username)) return true;
    const rc = (spec as { runtimeClassName?: string }).runtimeClassName;
    return rc !== undefined && e.runtimeClasses.includes(rc);
  }
}
