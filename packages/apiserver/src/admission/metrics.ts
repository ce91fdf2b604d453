/**
 * Upstream's admission metrics (k8s.io/apiserver/pkg/admission/metrics): latency per step
 * (admit/validate), per built-in plugin and per webhook, and webhook rejections.
 */
import type { ComponentMetrics } from '@kubets/component-base';
import type { HotObserver } from '@kubets/component-base';
import type { Operation } from './types.js';

export type StepType = 'admit' | 'validate';
export type WebhookType = 'admit' | 'validating';
export type WebhookErrorType = 'calling_webhook_error' | 'apiserver_internal_error' | 'no_error';

export interface AdmissionObserver {
  step(type: StepType, operation: Operation, rejected: boolean, seconds: number): void;
  plugin(name: string, type: StepType, operation: Operation, rejected: boolean, s: number): void;
  webhook(
    name: string,
    type: WebhookType,
    operation: Operation,
    rejected: boolean,
    s: number,
  ): void;
  webhookRejection(
    name: string,
    type: WebhookType,
    operation: Operation,
    errorType: WebhookErrorType,
    code: number,
  ): void;
}

const STEP_BUCKETS = [0.005, 0.025, 0.1, 0.5, 1.0, 2.5];
const WEBHOOK_BUCKETS = [0.005, 0.025, 0.1, 0.5, 1.0, 2.5, 10, 25];

export function admissionMetrics(metrics: ComponentMetrics): AdmissionObserver {
  // Observed for every plugin of every write (about 15 per create): HotHistogram handles
  // resolved once per label set instead of prom-client's label hashing per observation.
  const step = metrics.hotHistogram({
    name: 'apiserver_admission_step_admission_duration_seconds',
    help: 'Admission sub-step latency histogram in seconds, broken out for each operation and API resource and step type (validate or admit).',
    labelNames: ['type', 'operation', 'rejected'],
    buckets: STEP_BUCKETS,
  });
  const controller = metrics.hotHistogram({
    name: 'apiserver_admission_controller_admission_duration_seconds',
    help: 'Admission controller latency histogram in seconds, identified by name and broken out for each operation and API resource and type (validate or admit).',
    labelNames: ['name', 'type', 'operation', 'rejected'],
    buckets: STEP_BUCKETS,
  });
  // Handles by slot (type x operation x rejected), per plugin name: found without building a key
  // string per observation (about ten per write).
  const steps: (HotObserver | undefined)[] = [];
  const plugins = new Map<string, (HotObserver | undefined)[]>();
  const webhook = metrics.histogram({
    name: 'apiserver_admission_webhook_admission_duration_seconds',
    help: 'Admission webhook latency histogram in seconds, identified by name and broken out for each operation and API resource and type (validate or admit).',
    labelNames: ['name', 'type', 'operation', 'rejected'],
    buckets: WEBHOOK_BUCKETS,
  });
  const rejections = metrics.counter({
    name: 'apiserver_admission_webhook_rejection_count',
    help: 'Admission webhook rejection count, identified by name and broken out for each admission type (validating or admit) and operation. Additional labels specify an error type (calling_webhook_error or apiserver_internal_error if an error occurred; no_error otherwise) and optionally a non-zero rejection code if the webhook rejects the request with an HTTP status code (honored by the apiserver when the code is greater or equal to 400). Codes greater than 600 are truncated to 600, to keep the metrics cardinality bounded.',
    labelNames: ['name', 'type', 'operation', 'error_type', 'rejection_code'],
  });
  return {
    step: (type, operation, rejected, s) => {
      const i = slot(type, operation, rejected);
      let o = steps[i];
      if (o === undefined) {
        o = step.observer({ type, operation, rejected: String(rejected) });
        steps[i] = o;
      }
      o.observe(s);
    },
    plugin: (name, type, operation, rejected, s) => {
      let byName = plugins.get(name);
      if (byName === undefined) {
        byName = [];
        plugins.set(name, byName);
      }
      const i = slot(type, operation, rejected);
      let o = byName[i];
      if (o === undefined) {
        o = controller.observer({ name, type, operation, rejected: String(rejected) });
        byName[i] = o;
      }
      o.observe(s);
    },
    webhook: (name, type, operation, rejected, s) =>
      webhook.observe({ name, type, operation, rejected: String(rejected) }, s),
    webhookRejection: (name, type, operation, errorType, code) =>
      rejections.inc({
        name,
        type,
        operation,
        error_type: errorType,
        rejection_code: String(Math.min(code, 600)),
      }),
  };
}

const OPERATIONS: readonly Operation[] = ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'];

/** The index of a (step type, operation, rejected) combination, 0..15. */
function slot(type: StepType, operation: Operation, rejected: boolean): number {
  return (type === 'admit' ? 0 : 8) + OPERATIONS.indexOf(operation) * 2 + (rejected ? 1 : 0);
}

export const noMetrics: AdmissionObserver = {
  step: () => undefined,
  plugin: () => undefined,
  webhook: () => undefined,
  webhookRejection: () => undefined,
};
