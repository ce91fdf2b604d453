/**
 * The pod subresources with their own semantics:
 *
 * - `binding` (the scheduler's POST): sets `spec.nodeName` and the PodScheduled condition; 409
 *   when the pod is already bound or being deleted;
 * - `eviction` (policy/v1 Eviction, `kubectl drain`): honours PodDisruptionBudgets (429 when
 *   the budget allows no disruption, one disruption consumed otherwise), then deletes the pod
 *   with the eviction's DeleteOptions.
 */
import {
  deepCopyJson,
  formatTime,
  isJsonObject,
  labelSelectorAsSelector,
  newBadRequest,
  newConflict,
  newInternalError,
  newInvalid,
  invalid,
  Path,
  StatusError,
  type DeleteOptions,
  type JsonValue,
  type LabelSelector,
  type Status,
} from '@kubets/apimachinery';
import type { ApiObject } from '../storage/codec.js';
import type { ActionSubresource } from '../http/handler.js';
import type { ResourceRegistry, WriteOptions } from './resource-registry.js';
import type { AdmissionController } from '../admission/types.js';
import { UNSECURED_USER } from '../auth/types.js';

/** Admission for a POST-only pod subresource: the Binding or Eviction is the object. */
async function admitAction(
  admission: AdmissionController | undefined,
  subresource: string,
  kind: { group: string; version: string; kind: string },
  namespace: string,
  name: string,
  body: ApiObject,
  opts: WriteOptions,
): Promise<{ object: ApiObject; warnings: string[] }> {
  const warnings: string[] = [];
  if (!admission || opts.skipAdmission) return { object: body, warnings };
  const attrs = {
    operation: 'CREATE' as const,
    resource: { group: '', version: 'v1', resource: 'pods' },
    subresource,
    kind,
    namespace,
    name,
    object: deepCopyJson(body),
    oldObject: undefined,
    options: {
      apiVersion: 'meta.k8s.io/v1',
      kind: 'CreateOptions',
      ...(opts.dryRun ? { dryRun: ['All'] } : {}),
    } as ApiObject,
    dryRun: opts.dryRun === true,
    userInfo: opts.user ?? UNSECURED_USER,
    warnings,
    annotations: opts.auditAnnotations ?? {},
  };
  await admission.admit(attrs);
  await admission.validate(attrs);
  return { object: attrs.object ?? body, warnings };
}

const PODS = { group: '', resource: 'pods' };

function success(code: number): Status {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code };
}

interface PodCondition {
  type: string;
  status: string;
  lastProbeTime?: string | null;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export class PodBinding implements ActionSubresource {
  constructor(
    private readonly pods: ResourceRegistry,
    private readonly now: () => Date,
    private readonly admission?: AdmissionController,
  ) {}

  async create(
    namespace: string,
    name: string,
    body: JsonValue,
    opts: WriteOptions,
  ): Promise<{ code: number; body: unknown; warnings?: string[] }> {
    if (!isJsonObject(body))
      throw newBadRequest('the body of the request must be a Binding object');
    if (!name) throw newBadRequest('a Binding must name the pod in metadata.name');
    const admitted = await admitAction(
      this.admission,
      'binding',
      { group: '', version: 'v1', kind: 'Binding' },
      namespace,
      name,
      body,
      opts,
    );
    const binding = admitted.object as ApiObject & { target?: { kind?: string; name?: string } };
    const bindingName = binding.metadata?.name;
    if (bindingName && bindingName !== name) {
      throw newBadRequest(
        `name in URL (${name}) does not match name in Binding object (${bindingName})`,
      );
    }
    const target = binding.target ?? {};
    if (target.kind !== undefined && target.kind !== '' && target.kind !== 'Node') {
      throw newInvalid({ group: '', kind: 'Binding' }, name, [
        invalid(Path.new('target', 'kind'), target.kind, 'must be empty or "Node"'),
      ]);
    }
    if (!target.name) {
      throw newInvalid({ group: '', kind: 'Binding' }, name, [
        invalid(Path.new('target', 'name'), '', 'must be set'),
      ]);
    }
    if (opts.dryRun) {
      await this.pods.store.get(namespace, name);
      return { code: 201, body: success(201), warnings: admitted.warnings };
    }
    await this.pods.store.guaranteedUpdate(namespace, name, (current) => {
      const pod = deepCopyJson(current!);
      const meta = pod.metadata ?? {};
      if (meta.deletionTimestamp) {
        throw newConflict(PODS, name, `pod ${name} is being deleted, cannot be assigned to a host`);
      }
      const spec = (pod.spec ??= {}) as { nodeName?: string };
      if (spec.nodeName) {
        throw newConflict(PODS, name, `pod ${name} is already assigned to node "${spec.nodeName}"`);
      }
      spec.nodeName = target.name;
      const annotations = binding.metadata?.annotations;
      if (annotations) meta.annotations = { ...(meta.annotations ?? {}), ...annotations };
      pod.metadata = meta;
      const status = (pod.status ??= {}) as { conditions?: PodCondition[] };
      const conditions = (status.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
      conditions.push({
        type: 'PodScheduled',
        status: 'True',
        lastProbeTime: null,
        lastTransitionTime: formatTime(this.now()),
      });
      status.conditions = conditions;
      return pod;
    });
    return { code: 201, body: success(201), warnings: admitted.warnings };
  }
}

interface PDBStatus {
  disruptionsAllowed?: number;
  currentHealthy?: number;
  desiredHealthy?: number;
  observedGeneration?: number;
  disruptedPods?: Record<string, string>;
}

export class PodEviction implements ActionSubresource {
  constructor(
    private readonly pods: ResourceRegistry,
    private readonly pdbs: ResourceRegistry | undefined,
    private readonly now: () => Date,
    private readonly admission?: AdmissionController,
  ) {}

  async create(
    namespace: string,
    name: string,
    body: JsonValue,
    opts: WriteOptions,
  ): Promise<{ code: number; body: unknown; warnings?: string[] }> {
    if (!isJsonObject(body))
      throw newBadRequest('the body of the request must be an Eviction object');
    const evName = (body as unknown as ApiObject).metadata?.name;
    if (evName && evName !== name) {
      throw newBadRequest(`name in URL does not match name in Eviction object`);
    }
    const admitted = await admitAction(
      this.admission,
      'eviction',
      { group: 'policy', version: 'v1', kind: 'Eviction' },
      namespace,
      name,
      body,
      opts,
    );
    const eviction = admitted.object as ApiObject & { deleteOptions?: DeleteOptions };
    const pod = await this.pods.get(namespace, name);
    const deleteOptions: DeleteOptions = { ...(eviction.deleteOptions ?? {}) };
    if (!this.canIgnorePDB(pod) && this.pdbs)
      await this.consumeBudget(namespace, pod, opts.dryRun === true);
    // Upstream's eviction deletes without running admission again.
    await this.pods.delete(namespace, name, deleteOptions, opts.dryRun === true, undefined, {
      skipAdmission: true,
    });
    return { code: 201, body: success(201), warnings: admitted.warnings };
  }

  /** Terminal, pending and already-terminating pods are evicted without asking budgets. */
  private canIgnorePDB(pod: ApiObject): boolean {
    const phase = (pod.status as { phase?: string } | undefined)?.phase ?? 'Pending';
    return (
      !!pod.metadata?.deletionTimestamp ||
      phase === 'Succeeded' ||
      phase === 'Failed' ||
      phase === 'Pending'
    );
  }

  private async consumeBudget(namespace: string, pod: ApiObject, dryRun: boolean): Promise<void> {
    const list = await this.pdbs!.list(namespace, {});
    const matching = (list.items as ApiObject[]).filter((pdb) => {
      const selector = (pdb.spec as { selector?: LabelSelector } | undefined)?.selector;
      if (!selector) return false;
      try {
        const s = labelSelectorAsSelector(selector);
        return !s.empty() && s.matches(pod.metadata?.labels ?? {});
      } catch {
        return false;
      }
    });
    if (matching.length === 0) return;
    if (matching.length > 1) {
      throw newInternalError(
        'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
      );
    }
    const pdb = matching[0]!;
    const pdbName = pdb.metadata!.name!;
    const podName = pod.metadata!.name!;
    const tooMany = (status: PDBStatus): StatusError =>
      new StatusError({
        status: 'Failure',
        message: "Cannot evict pod as it would violate the pod's disruption budget.",
        reason: 'TooManyRequests',
        details: {
          causes: [
            {
              reason: 'DisruptionBudget',
              message: `The disruption budget ${pdbName} needs ${status.desiredHealthy ?? 0} healthy pods and has ${status.currentHealthy ?? 0} currently`,
            },
          ],
        },
        code: 429,
      });
    const check = (current: ApiObject): ApiObject => {
      const status = (current.status ?? {}) as PDBStatus;
      if ((status.observedGeneration ?? 0) < (current.metadata?.generation ?? 0)) {
        throw new StatusError({
          status: 'Failure',
          message: "Cannot evict pod as it would violate the pod's disruption budget.",
          reason: 'TooManyRequests',
          details: {
            causes: [
              {
                reason: 'DisruptionBudget',
                message: 'The disruption budget is still being processed by the server.',
              },
            ],
          },
          code: 429,
        });
      }
      if ((status.disruptionsAllowed ?? 0) <= 0) throw tooMany(status);
      const next = deepCopyJson(current);
      const ns = (next.status ?? {}) as PDBStatus;
      ns.disruptionsAllowed = (ns.disruptionsAllowed ?? 0) - 1;
      ns.disruptedPods = { ...(ns.disruptedPods ?? {}), [podName]: formatTime(this.now()) };
      next.status = ns;
      return next;
    };
    if (dryRun) {
      check(pdb);
      return;
    }
    await this.pdbs!.store.guaranteedUpdate(namespace, pdbName, (current) => check(current!));
  }
}
