/**
 * DefaultTolerationSeconds: a new pod that does not tolerate the not-ready / unreachable
 * NoExecute taints gets tolerations for them for 300 s (`--default-not-ready-toleration-seconds`
 * and `--default-unreachable-toleration-seconds` upstream), so its node's failure evicts it after
 * five minutes.
 */
import { isPodCreate, podSpec, type PodSpecLike } from '../pod-spec.js';
import type { AdmissionAttributes, MutatingPlugin, Operation } from '../types.js';

export const TAINT_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_UNREACHABLE = 'node.kubernetes.io/unreachable';

export function addDefaultTolerations(
  spec: PodSpecLike,
  notReadySeconds = 300,
  unreachableSeconds = 300,
): void {
  const tolerations = spec.tolerations ?? [];
  const tolerates = (key: string): boolean =>
    tolerations.some((t) => (!t.key || t.key === key) && (!t.effect || t.effect === 'NoExecute'));
  const add: NonNullable<PodSpecLike['tolerations']> = [];
  if (!tolerates(TAINT_NOT_READY)) {
    add.push({
      key: TAINT_NOT_READY,
      operator: 'Exists',
      effect: 'NoExecute',
      tolerationSeconds: notReadySeconds,
    });
  }
  if (!tolerates(TAINT_UNREACHABLE)) {
    add.push({
      key: TAINT_UNREACHABLE,
      operator: 'Exists',
      effect: 'NoExecute',
      tolerationSeconds: unreachableSeconds,
    });
  }
  if (add.length > 0) spec.tolerations = [...tolerations, ...add];
}

export class DefaultTolerationSeconds implements MutatingPlugin {
  readonly name = 'DefaultTolerationSeconds';

  constructor(
    private readonly notReadySeconds = 300,
    private readonly unreachableSeconds = 300,
  ) {}

  handles(op: Operation): boolean {
    return op === 'CREATE';
  }

  admit(a: AdmissionAttributes): Promise<void> {
    if (isPodCreate(a) && a.object) {
      addDefaultTolerations(podSpec(a.object), this.notReadySeconds, this.unreachableSeconds);
    }
    return Promise.resolve();
  }
}
