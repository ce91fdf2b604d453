/**
 * apps/v1 and batch/v1 validation: Deployment, ReplicaSet, DaemonSet, StatefulSet, Job and the
 * Scale subresource (pkg/apis/apps/validation, pkg/apis/batch/validation).
 */
import {
  Path,
  forbidden,
  invalid,
  jsonEqual,
  labelSelectorAsSelector,
  nameIsDNSSubdomain,
  nameIsDNSLabel,
  notSupported,
  required,
  validateLabelSelector,
  validateObjectMeta,
  validateObjectMetaUpdate,
  type FieldError,
  type LabelSelector,
  type ObjectMeta,
} from '@kubets/apimachinery';
import type { PodTemplateSpec } from '../types/core-v1.js';
import type {
  DaemonSet,
  Deployment,
  DeploymentStrategy,
  Job,
  ReplicaSet,
  Scale,
  StatefulSet,
} from '../types/groups.js';
import {
  GoLiteral,
  goLabelSelector,
  goStringMap,
  intOrPercentValue,
  isNotMoreThan100Percent,
  validateIntOrPercent,
} from './helpers.js';
import { validatePodTemplateSpec } from './pod.js';

const FIELD_IMMUTABLE = 'field is immutable';

function nonNegative(v: number | undefined, path: Path): FieldError[] {
  return (v ?? 0) < 0 ? [invalid(path, v, 'must be greater than or equal to 0')] : [];
}

function metaCreate(meta: ObjectMeta | undefined): FieldError[] {
  return validateObjectMeta(meta ?? {}, { requiresNamespace: true, nameFn: nameIsDNSSubdomain });
}

/** spec.selector of a controller: required, valid, non-empty. */
function validateControllerSelector(
  selector: LabelSelector | undefined,
  path: Path,
  kindName: string,
): FieldError[] {
  if (!selector) return [required(path, '')];
  const errs = validateLabelSelector(selector, {}, path);
  if (
    Object.keys(selector.matchLabels ?? {}).length + (selector.matchExpressions?.length ?? 0) ===
    0
  ) {
    errs.push(
      invalid(path, goLabelSelector(selector), `empty selector is invalid for ${kindName}`),
    );
  }
  return errs;
}

/**
 * ValidatePodTemplateSpecForReplicaSet (also used by Deployment, DaemonSet, StatefulSet): the
 * selector must match the template labels and pods must restart Always.
 */
function validateTemplateForController(
  template: PodTemplateSpec | undefined,
  selector: LabelSelector | undefined,
  path: Path,
  kindName: string,
): FieldError[] {
  if (!template) return [required(path, '')];
  const errs: FieldError[] = [];
  let sel;
  try {
    sel = labelSelectorAsSelector(selector);
  } catch {
    return [
      invalid(
        path.root().child('spec', 'selector'),
        goLabelSelector(selector),
        'invalid label selector',
      ),
    ];
  }
  if (!sel.empty() && !sel.matches(template.metadata?.labels ?? {})) {
    errs.push(
      invalid(
        path.child('metadata', 'labels'),
        goStringMap(template.metadata?.labels),
        '`selector` does not match template `labels`',
      ),
    );
  }
  errs.push(...validatePodTemplateSpec(template, path));
  const rp = template.spec?.restartPolicy;
  if (rp !== 'Always')
    errs.push(notSupported(path.child('spec', 'restartPolicy'), rp ?? '', ['Always']));
  if (template.spec?.activeDeadlineSeconds !== undefined) {
    errs.push(
      invalid(
        path.child('spec', 'activeDeadlineSeconds'),
        template.spec.activeDeadlineSeconds,
        `activeDeadlineSeconds in ${kindName} is not Supported`,
      ),
    );
  }
  return errs;
}

function validateDeploymentStrategy(s: DeploymentStrategy | undefined, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  switch (s?.type) {
    case 'Recreate':
      if (s.rollingUpdate)
        errs.push(
          forbidden(
            path.child('rollingUpdate'),
            "may not be specified when strategy `type` is 'Recreate'",
          ),
        );
      break;
    case 'RollingUpdate': {
      const ru = s.rollingUpdate;
      if (!ru) {
        errs.push(
          required(path.child('rollingUpdate'), 'this should be defaulted and never be nil'),
        );
        break;
      }
      errs.push(
        ...validateIntOrPercent(ru.maxUnavailable, path.child('rollingUpdate', 'maxUnavailable')),
      );
      errs.push(...validateIntOrPercent(ru.maxSurge, path.child('rollingUpdate', 'maxSurge')));
      if (intOrPercentValue(ru.maxUnavailable) === 0 && intOrPercentValue(ru.maxSurge) === 0) {
        errs.push(
          invalid(
            path.child('rollingUpdate', 'maxUnavailable'),
            new GoLiteral(String(ru.maxUnavailable)),
            'may not be 0 when `maxSurge` is 0',
          ),
        );
      }
      errs.push(
        ...isNotMoreThan100Percent(
          ru.maxUnavailable,
          path.child('rollingUpdate', 'maxUnavailable'),
        ),
      );
      break;
    }
    default:
      errs.push(
        notSupported(path, new GoLiteral(`apps.DeploymentStrategy{Type:"${s?.type ?? ''}"}`), [
          'Recreate',
          'RollingUpdate',
        ]),
      );
  }
  return errs;
}

/** ValidateDeployment (create). */
export function validateDeployment(d: Deployment): FieldError[] {
  const errs = metaCreate(d.metadata);
  const spec = d.spec;
  const p = Path.new('spec');
  if (!spec) return [...errs, required(p.child('selector'), ''), required(p.child('template'), '')];
  errs.push(...nonNegative(spec.replicas, p.child('replicas')));
  errs.push(...validateControllerSelector(spec.selector, p.child('selector'), 'deployment'));
  errs.push(
    ...validateTemplateForController(
      spec.template,
      spec.selector,
      p.child('template'),
      'ReplicaSet',
    ),
  );
  errs.push(...validateDeploymentStrategy(spec.strategy, p.child('strategy')));
  errs.push(...nonNegative(spec.minReadySeconds, p.child('minReadySeconds')));
  errs.push(...nonNegative(spec.revisionHistoryLimit, p.child('revisionHistoryLimit')));
  if (spec.progressDeadlineSeconds !== undefined) {
    errs.push(...nonNegative(spec.progressDeadlineSeconds, p.child('progressDeadlineSeconds')));
    if (spec.progressDeadlineSeconds <= (spec.minReadySeconds ?? 0)) {
      errs.push(
        invalid(
          p.child('progressDeadlineSeconds'),
          spec.progressDeadlineSeconds,
          'must be greater than minReadySeconds',
        ),
      );
    }
  }
  return errs;
}

function immutableSelector(
  newSel: LabelSelector | undefined,
  oldSel: LabelSelector | undefined,
): FieldError[] {
  return jsonEqual(newSel ?? null, oldSel ?? null)
    ? []
    : [invalid(Path.new('spec', 'selector'), goLabelSelector(newSel), FIELD_IMMUTABLE)];
}

/** Deployment update: the spec rules plus an immutable selector (apps/v1). */
export function validateDeploymentUpdate(d: Deployment, old: Deployment): FieldError[] {
  const errs = validateObjectMetaUpdate(d.metadata ?? {}, old.metadata ?? {});
  errs.push(...validateDeployment(d).filter((e) => !e.field.startsWith('metadata.')));
  errs.push(...immutableSelector(d.spec?.selector, old.spec?.selector));
  return errs;
}

function workloadStatusErrors(
  status: Record<string, unknown> | undefined,
  fields: string[],
): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of fields) {
    const v = status?.[f];
    if (typeof v === 'number' && v < 0)
      errs.push(invalid(Path.new('status', f), v, 'must be greater than or equal to 0'));
  }
  return errs;
}

export function validateDeploymentStatusUpdate(d: Deployment, old: Deployment): FieldError[] {
  const errs = validateObjectMetaUpdate(d.metadata ?? {}, old.metadata ?? {});
  const s = d.status;
  errs.push(
    ...workloadStatusErrors(s as Record<string, unknown> | undefined, [
      'observedGeneration',
      'replicas',
      'updatedReplicas',
      'readyReplicas',
      'availableReplicas',
      'unavailableReplicas',
      'collisionCount',
    ]),
  );
  const msg = (_field: string, b: string): string => `cannot be greater than status.${b}`;
  if (s && (s.availableReplicas ?? 0) > (s.replicas ?? 0))
    errs.push(
      invalid(
        Path.new('status', 'availableReplicas'),
        s.availableReplicas,
        msg('availableReplicas', 'replicas'),
      ),
    );
  if (s && (s.availableReplicas ?? 0) > (s.readyReplicas ?? 0))
    errs.push(
      invalid(
        Path.new('status', 'availableReplicas'),
        s.availableReplicas,
        msg('availableReplicas', 'readyReplicas'),
      ),
    );
  if (s && (s.readyReplicas ?? 0) > (s.replicas ?? 0))
    errs.push(
      invalid(
        Path.new('status', 'readyReplicas'),
        s.readyReplicas,
        msg('readyReplicas', 'replicas'),
      ),
    );
  return errs;
}

/** ValidateReplicaSet (create). */
export function validateReplicaSet(rs: ReplicaSet): FieldError[] {
  const errs = metaCreate(rs.metadata);
  const spec = rs.spec;
  const p = Path.new('spec');
  if (!spec) return [...errs, required(p.child('selector'), '')];
  errs.push(...nonNegative(spec.replicas, p.child('replicas')));
  errs.push(...nonNegative(spec.minReadySeconds, p.child('minReadySeconds')));
  errs.push(...validateControllerSelector(spec.selector, p.child('selector'), 'deployment'));
  errs.push(
    ...validateTemplateForController(
      spec.template,
      spec.selector,
      p.child('template'),
      'ReplicaSet',
    ),
  );
  return errs;
}

export function validateReplicaSetUpdate(rs: ReplicaSet, old: ReplicaSet): FieldError[] {
  const errs = validateObjectMetaUpdate(rs.metadata ?? {}, old.metadata ?? {});
  errs.push(...validateReplicaSet(rs).filter((e) => !e.field.startsWith('metadata.')));
  errs.push(...immutableSelector(rs.spec?.selector, old.spec?.selector));
  return errs;
}

export function validateReplicaSetStatusUpdate(rs: ReplicaSet, old: ReplicaSet): FieldError[] {
  const errs = validateObjectMetaUpdate(rs.metadata ?? {}, old.metadata ?? {});
  errs.push(
    ...workloadStatusErrors(rs.status as unknown as Record<string, unknown>, [
      'replicas',
      'fullyLabeledReplicas',
      'readyReplicas',
      'availableReplicas',
      'observedGeneration',
    ]),
  );
  return errs;
}

/** ValidateDaemonSet (create). */
export function validateDaemonSet(ds: DaemonSet): FieldError[] {
  const errs = metaCreate(ds.metadata);
  const spec = ds.spec;
  const p = Path.new('spec');
  if (!spec) return [...errs, required(p.child('selector'), '')];
  errs.push(...validateControllerSelector(spec.selector, p.child('selector'), 'daemonset'));
  errs.push(
    ...validateTemplateForController(
      spec.template,
      spec.selector,
      p.child('template'),
      'DaemonSet',
    ),
  );
  errs.push(...nonNegative(spec.minReadySeconds, p.child('minReadySeconds')));
  errs.push(...nonNegative(spec.revisionHistoryLimit, p.child('revisionHistoryLimit')));
  const us = spec.updateStrategy;
  const up = p.child('updateStrategy');
  switch (us?.type) {
    case 'OnDelete':
      break;
    case 'RollingUpdate': {
      const ru = us.rollingUpdate;
      if (!ru) {
        errs.push(required(up.child('rollingUpdate'), ''));
        break;
      }
      errs.push(
        ...validateIntOrPercent(ru.maxUnavailable, up.child('rollingUpdate', 'maxUnavailable')),
      );
      errs.push(...validateIntOrPercent(ru.maxSurge, up.child('rollingUpdate', 'maxSurge')));
      errs.push(
        ...isNotMoreThan100Percent(ru.maxUnavailable, up.child('rollingUpdate', 'maxUnavailable')),
      );
      if (intOrPercentValue(ru.maxUnavailable) === 0 && intOrPercentValue(ru.maxSurge) === 0) {
        errs.push(
          invalid(
            up.child('rollingUpdate', 'maxUnavailable'),
            new GoLiteral(String(ru.maxUnavailable)),
            'may not be 0 when `maxSurge` is 0',
          ),
        );
      }
      break;
    }
    default:
      errs.push(notSupported(up.child('type'), us?.type ?? '', ['OnDelete', 'RollingUpdate']));
  }
  return errs;
}

export function validateDaemonSetUpdate(ds: DaemonSet, old: DaemonSet): FieldError[] {
  const errs = validateObjectMetaUpdate(ds.metadata ?? {}, old.metadata ?? {});
  errs.push(...validateDaemonSet(ds).filter((e) => !e.field.startsWith('metadata.')));
  errs.push(...immutableSelector(ds.spec?.selector, old.spec?.selector));
  return errs;
}

/** ValidateStatefulSet (create). */
export function validateStatefulSet(ss: StatefulSet): FieldError[] {
  const errs = metaCreate(ss.metadata);
  const spec = ss.spec;
  const p = Path.new('spec');
  if (!spec) return [...errs, required(p.child('selector'), '')];
  if (spec.podManagementPolicy !== 'OrderedReady' && spec.podManagementPolicy !== 'Parallel') {
    errs.push(
      spec.podManagementPolicy
        ? invalid(
            p.child('podManagementPolicy'),
            spec.podManagementPolicy,
            "must be 'OrderedReady' or 'Parallel'",
          )
        : required(p.child('podManagementPolicy'), ''),
    );
  }
  const us = spec.updateStrategy;
  if (us?.type !== 'RollingUpdate' && us?.type !== 'OnDelete') {
    errs.push(
      invalid(p.child('updateStrategy'), us?.type ?? '', "must be 'RollingUpdate' or 'OnDelete'"),
    );
  } else if (us.type === 'OnDelete' && us.rollingUpdate) {
    errs.push(
      invalid(
        p.child('updateStrategy', 'rollingUpdate'),
        new GoLiteral('&apps.RollingUpdateStatefulSetStrategy{...}'),
        "only allowed for updateStrategy 'RollingUpdate'",
      ),
    );
  } else if (us.rollingUpdate) {
    errs.push(
      ...nonNegative(
        us.rollingUpdate.partition,
        p.child('updateStrategy', 'rollingUpdate', 'partition'),
      ),
    );
  }
  errs.push(...nonNegative(spec.replicas, p.child('replicas')));
  errs.push(...nonNegative(spec.minReadySeconds, p.child('minReadySeconds')));
  if (spec.ordinals) errs.push(...nonNegative(spec.ordinals.start, p.child('ordinals', 'start')));
  errs.push(...validateControllerSelector(spec.selector, p.child('selector'), 'statefulset'));
  errs.push(
    ...validateTemplateForController(
      spec.template,
      spec.selector,
      p.child('template'),
      'StatefulSet',
    ),
  );
  if (spec.serviceName) {
    for (const m of nameIsDNSLabel(spec.serviceName, false))
      errs.push(invalid(p.child('serviceName'), spec.serviceName, m));
  }
  return errs;
}

const STATEFULSET_MUTABLE = [
  'replicas',
  'ordinals',
  'template',
  'updateStrategy',
  'persistentVolumeClaimRetentionPolicy',
  'minReadySeconds',
] as const;

export function validateStatefulSetUpdate(ss: StatefulSet, old: StatefulSet): FieldError[] {
  const errs = validateObjectMetaUpdate(ss.metadata ?? {}, old.metadata ?? {});
  const a = { ...(ss.spec ?? {}) } as Record<string, unknown>;
  const b = { ...(old.spec ?? {}) } as Record<string, unknown>;
  for (const f of STATEFULSET_MUTABLE) {
    delete a[f];
    delete b[f];
  }
  if (!jsonEqual(a, b)) {
    errs.push(
      forbidden(
        Path.new('spec'),
        "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
      ),
    );
  }
  errs.push(...validateStatefulSet(ss).filter((e) => !e.field.startsWith('metadata.')));
  return errs;
}

// ---------------------------------------------------------------------------------------------
// Job

export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';
export const LEGACY_JOB_NAME_LABEL = 'job-name';
export const CONTROLLER_UID_LABEL = 'batch.kubernetes.io/controller-uid';
export const LEGACY_CONTROLLER_UID_LABEL = 'controller-uid';

/**
 * Job selector generation (upstream's generateSelector): label the template with the job name
 * and uid and select the uid. Needs metadata.uid, so upstream runs it at validation time, after
 * the system fields are filled; the registry does the same.
 */
export function generateJobSelector(job: Job): void {
  const spec = job.spec;
  if (!spec || spec.manualSelector === true) return;
  const template = (spec.template ??= {});
  const meta = (template.metadata ??= {});
  const labels = (meta.labels ??= {});
  const name = job.metadata?.name ?? '';
  const uid = job.metadata?.uid ?? '';
  for (const k of [LEGACY_JOB_NAME_LABEL, JOB_NAME_LABEL]) if (!(k in labels)) labels[k] = name;
  for (const k of [LEGACY_CONTROLLER_UID_LABEL, CONTROLLER_UID_LABEL])
    if (!(k in labels)) labels[k] = uid;
  const selector = (spec.selector ??= {});
  const ml = (selector.matchLabels ??= {});
  if (!(CONTROLLER_UID_LABEL in ml)) ml[CONTROLLER_UID_LABEL] = uid;
}

/** ValidateJob (create). */
export function validateJob(job: Job): FieldError[] {
  const errs = metaCreate(job.metadata);
  const spec = job.spec;
  const p = Path.new('spec');
  if (!spec) return [...errs, required(p.child('template'), '')];
  errs.push(...nonNegative(spec.parallelism, p.child('parallelism')));
  errs.push(...nonNegative(spec.completions, p.child('completions')));
  if (spec.activeDeadlineSeconds !== undefined && spec.activeDeadlineSeconds <= 0) {
    errs.push(
      invalid(
        p.child('activeDeadlineSeconds'),
        spec.activeDeadlineSeconds,
        'must be greater than or equal to 0',
      ),
    );
  }
  errs.push(...nonNegative(spec.backoffLimit, p.child('backoffLimit')));
  errs.push(...nonNegative(spec.ttlSecondsAfterFinished, p.child('ttlSecondsAfterFinished')));
  if (spec.completionMode !== 'NonIndexed' && spec.completionMode !== 'Indexed') {
    errs.push(
      notSupported(p.child('completionMode'), spec.completionMode ?? '', ['NonIndexed', 'Indexed']),
    );
  }
  if (spec.completionMode === 'Indexed' && spec.completions === undefined) {
    errs.push(required(p.child('completions'), 'when completion mode is Indexed'));
  }
  if (!spec.selector) errs.push(required(p.child('selector'), ''));
  else {
    errs.push(...validateLabelSelector(spec.selector, {}, p.child('selector')));
    try {
      const sel = labelSelectorAsSelector(spec.selector);
      if (!sel.matches(spec.template?.metadata?.labels ?? {})) {
        errs.push(
          invalid(
            p.child('template', 'metadata', 'labels'),
            goStringMap(spec.template?.metadata?.labels),
            '`selector` does not match template `labels`',
          ),
        );
      }
    } catch {
      errs.push(
        invalid(p.child('selector'), goLabelSelector(spec.selector), 'invalid label selector'),
      );
    }
  }
  if (spec.manualSelector !== true) {
    const labels = spec.template?.metadata?.labels ?? {};
    const uid = job.metadata?.uid ?? '';
    for (const k of [LEGACY_CONTROLLER_UID_LABEL, CONTROLLER_UID_LABEL]) {
      if (k in labels && labels[k] !== uid) {
        errs.push(
          invalid(
            p.child('template', 'metadata', 'labels'),
            goStringMap(labels),
            '`selector` not auto-generated',
          ),
        );
        break;
      }
    }
  }
  errs.push(...validatePodTemplateSpec(spec.template, p.child('template')));
  const rp = spec.template?.spec?.restartPolicy;
  if (rp !== 'OnFailure' && rp !== 'Never') {
    errs.push(
      notSupported(p.child('template', 'spec', 'restartPolicy'), rp ?? '', ['OnFailure', 'Never']),
    );
  }
  if (spec.template?.spec?.activeDeadlineSeconds !== undefined) {
    errs.push(
      invalid(
        p.child('template', 'spec', 'activeDeadlineSeconds'),
        spec.template.spec.activeDeadlineSeconds,
        'activeDeadlineSeconds in Job is not Supported',
      ),
    );
  }
  if (spec.podReplacementPolicy !== undefined) {
    errs.push(
      ...(['Failed', 'TerminatingOrFailed'].includes(spec.podReplacementPolicy)
        ? []
        : [
            notSupported(p.child('podReplacementPolicy'), spec.podReplacementPolicy, [
              'Failed',
              'TerminatingOrFailed',
            ]),
          ]),
    );
  }
  return errs;
}

/** Job update: selector, completions, completionMode and (outside suspension) the template are immutable. */
export function validateJobUpdate(job: Job, old: Job): FieldError[] {
  const errs = validateObjectMetaUpdate(job.metadata ?? {}, old.metadata ?? {});
  errs.push(...validateJob(job).filter((e) => !e.field.startsWith('metadata.')));
  const p = Path.new('spec');
  if (!jsonEqual(job.spec?.selector ?? null, old.spec?.selector ?? null)) {
    errs.push(invalid(p.child('selector'), goLabelSelector(job.spec?.selector), FIELD_IMMUTABLE));
  }
  if (job.spec?.completions !== old.spec?.completions && job.spec?.completionMode !== 'Indexed') {
    errs.push(invalid(p.child('completions'), job.spec?.completions ?? null, FIELD_IMMUTABLE));
  }
  if (job.spec?.completionMode !== old.spec?.completionMode) {
    errs.push(invalid(p.child('completionMode'), job.spec?.completionMode ?? '', FIELD_IMMUTABLE));
  }
  const suspended = old.spec?.suspend === true && (old.status?.active ?? 0) === 0;
  if (!suspended && !jsonEqual(job.spec?.template ?? null, old.spec?.template ?? null)) {
    errs.push(
      invalid(p.child('template'), new GoLiteral('core.PodTemplateSpec{...}'), FIELD_IMMUTABLE),
    );
  }
  return errs;
}

export function validateJobStatusUpdate(job: Job, old: Job): FieldError[] {
  const errs = validateObjectMetaUpdate(job.metadata ?? {}, old.metadata ?? {});
  errs.push(
    ...workloadStatusErrors(job.status as Record<string, unknown> | undefined, [
      'active',
      'succeeded',
      'failed',
      'ready',
      'terminating',
    ]),
  );
  return errs;
}

/** ValidateScale: `spec.replicas` must not be negative. */
export function validateScale(scale: Scale): FieldError[] {
  return nonNegative(scale.spec?.replicas, Path.new('spec', 'replicas'));
}
