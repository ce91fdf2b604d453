/**
 * The PodSecurity admission plugin: pods are checked against the namespace's enforce level
 * (403 `pods "x" is forbidden: violates PodSecurity "restricted:latest": ...`), warn level
 * (Warning headers `would violate PodSecurity ...`) and audit level (audit annotations); pod
 * templates of workload resources are never refused: their enforce and warn violations come
 * back as warnings, as upstream.
 */
import { jsonEqual } from '@kubets/apimachinery';
import { forbidden } from '../errors.js';
import type { PodSpecLike } from '../pod-spec.js';
import type { AdmissionAttributes, Operation, ValidatingPlugin } from '../types.js';
import { evaluate, type PodMeta } from './checks.js';
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

export type NamespaceLabels = (name: string) => Promise<Record<string, string> | undefined>;

export class PodSecurity implements ValidatingPlugin {
  readonly name = 'PodSecurity';

  constructor(
    private readonly namespaceLabels: NamespaceLabels,
    private readonly config: PodSecurityConfig = DEFAULT_POD_SECURITY,
  ) {}

  handles(op: Operation): boolean {
    return op === 'CREATE' || op === 'UPDATE';
  }

  async validate(a: AdmissionAttributes): Promise<void> {
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
    const labels = (await this.namespaceLabels(a.namespace)) ?? {};
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

  private exempt(a: AdmissionAttributes, spec: PodSpecLike): boolean {
    const e = this.config.exemptions;
    if (e.namespaces.includes(a.namespace)) return true;
    if (e.usernames.includes(a.userInfo.username)) return true;
    const rc = (spec as { runtimeClassName?: string }).runtimeClassName;
    return rc !== undefined && e.runtimeClasses.includes(rc);
  }
}
