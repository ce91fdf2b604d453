/**
 * The MutatingAdmissionWebhook and ValidatingAdmissionWebhook plugins: for each configured
 * webhook that matches the request (rules, matchPolicy, namespaceSelector, objectSelector),
 * build an AdmissionReview v1, call it (mutating ones serially with JSONPatch responses applied
 * and an IfNeeded reinvocation; validating ones in parallel), and turn the answers into
 * upstream's errors, warnings and failure-policy behaviour.
 */
import {
  applyJsonPatch,
  deepCopyJson,
  isJsonObject,
  jsonEqual,
  newBadRequest,
  newInternalError,
  StatusError,
  type JsonValue,
  type Status,
} from '@kubets/apimachinery';
import type { MutatingWebhook, ValidatingWebhook } from '@kubets/api';
import type { Logger } from '@kubets/component-base';
import type { ApiObject } from '../../storage/codec.js';
import type { AdmissionObserver, WebhookType } from '../metrics.js';
import { noMetrics } from '../metrics.js';
import {
  groupVersion,
  requestMemo,
  type AdmissionAttributes,
  type MutatingPlugin,
  type Operation,
  type ValidatingPlugin,
} from '../types.js';
import { postReview, targetURL, WebhookCallError, type WebhookTarget } from './client.js';
import {
  isExemptResource,
  matchRules,
  namespaceSelectorMatches,
  needsNamespaceLabels,
  objectSelectorMatches,
  type Equivalents,
  type Invocation,
} from './matcher.js';
import type { WebhookSource } from './source.js';

export interface WebhookDeps {
  /** A namespace; undefined when it does not exist. */
  getNamespace(name: string): Promise<ApiObject | undefined>;
  /** A Service's clusterIP, for `clientConfig.service`. */
  serviceClusterIP(namespace: string, name: string): Promise<string | undefined>;
  equivalents?: Equivalents;
  newUID: () => string;
  observer?: AdmissionObserver;
  logger?: Logger;
}

const DEFAULT_TIMEOUT_SECONDS = 10;
const MAX_TIMEOUT_SECONDS = 30;

interface ReviewResponse {
  uid?: string;
  allowed?: boolean;
  status?: Status;
  patch?: string;
  patchType?: string;
  warnings?: string[];
  auditAnnotations?: Record<string, string>;
}

/** Upstream's ErrCallingWebhook: `failed calling webhook "<name>": <reason>`. */
class CallingWebhookError extends Error {
  constructor(name: string, reason: string) {
    super(`failed calling webhook "${name}": ${reason}`);
  }
}

/** Upstream's webhookerrors.ToStatusErr. */
export function deniedError(webhook: string, result: Status | undefined): StatusError {
  const r: Status = { ...(result ?? {}), kind: 'Status', apiVersion: 'v1', metadata: {} };
  const deniedBy = `admission webhook "${webhook}" denied the request`;
  if ((r.code ?? 0) < 400) r.code = 400;
  if (!r.status || r.status === 'Success') r.status = 'Failure';
  if (r.message) r.message = `${deniedBy}: ${r.message}`;
  else if (r.reason) r.message = `${deniedBy}: ${r.reason}`;
  else r.message = `${deniedBy} without explanation`;
  return new StatusError(r);
}

function objectIn(obj: ApiObject | undefined, inv: Invocation): ApiObject | null {
  if (!obj) return null;
  return {
    ...deepCopyJson(obj),
    apiVersion: groupVersion(inv.kind.group, inv.kind.version),
    kind: inv.kind.kind,
  };
}

abstract class WebhookDispatcher<H extends ValidatingWebhook> {
  protected readonly observer: AdmissionObserver;

  constructor(
    protected readonly source: WebhookSource<H>,
    protected readonly deps: WebhookDeps,
  ) {
    this.observer = deps.observer ?? noMetrics;
  }

  handles(op: Operation): boolean {
    return op === 'CREATE' || op === 'UPDATE' || op === 'DELETE' || op === 'CONNECT';
  }

  /** The webhooks that match, each with the resource/kind it is called with. */
  protected async matching(attrs: AdmissionAttributes): Promise<{ hook: H; inv: Invocation }[]> {
    if (isExemptResource(attrs.resource)) return [];
    const hooks = await this.source.webhooks();
    const out: { hook: H; inv: Invocation }[] = [];
    let nsLabels: Record<string, string> | undefined | null = null;
    for (const { hook } of hooks) {
      const inv = matchRules(hook, attrs, this.deps.equivalents);
      if (!inv) continue;
      if (!objectSelectorMatches(hook.objectSelector, attrs)) continue;
      if (needsNamespaceLabels(hook.namespaceSelector, attrs)) {
        if (nsLabels === null) {
          const ns = await requestMemo(attrs, `namespace/${attrs.namespace}`, () =>
            this.deps.getNamespace(attrs.namespace),
          );
          nsLabels = ns ? (ns.metadata?.labels ?? {}) : undefined;
        }
        if (!namespaceSelectorMatches(hook.namespaceSelector, attrs, nsLabels)) continue;
      } else if (!namespaceSelectorMatches(hook.namespaceSelector, attrs, undefined)) {
        continue;
      }
      this.indexes.set(hook, out.length);
      out.push({ hook, inv });
    }
    return out;
  }

  private readonly indexes = new WeakMap<H, number>();

  /** The webhook's position in the last matching pass (for failed-open annotations). */
  protected indexOf(hook: H): number {
    return this.indexes.get(hook) ?? 0;
  }

  /** sideEffects Some/Unknown webhooks refuse dryRun requests, as upstream. */
  protected checkDryRun(hook: H, attrs: AdmissionAttributes): void {
    if (attrs.dryRun && hook.sideEffects !== 'None' && hook.sideEffects !== 'NoneOnDryRun') {
      throw newBadRequest(`admission webhook "${hook.name}" does not support dry run`);
    }
  }

  protected review(
    hook: H,
    inv: Invocation,
    attrs: AdmissionAttributes,
  ): { uid: string; body: string } {
    const uid = this.deps.newUID();
    const u = attrs.userInfo;
    const request = {
      uid,
      kind: inv.kind,
      resource: inv.resource,
      ...(attrs.subresource ? { subResource: attrs.subresource } : {}),
      requestKind: attrs.kind,
      requestResource: attrs.resource,
      ...(attrs.subresource ? { requestSubResource: attrs.subresource } : {}),
      ...(attrs.name ? { name: attrs.name } : {}),
      ...(attrs.namespace ? { namespace: attrs.namespace } : {}),
      operation: attrs.operation,
      userInfo: {
        username: u.username,
        ...(u.uid ? { uid: u.uid } : {}),
        ...(u.groups.length ? { groups: u.groups } : {}),
        ...(u.extra && Object.keys(u.extra).length ? { extra: u.extra } : {}),
      },
      object: objectIn(attrs.object, inv),
      oldObject: objectIn(attrs.oldObject, inv),
      dryRun: attrs.dryRun,
      ...(attrs.options ? { options: attrs.options } : {}),
    };
    // The first version the webhook accepts that we speak (v1beta1 has the same shape).
    const version = (hook.admissionReviewVersions ?? []).find((v) => v === 'v1' || v === 'v1beta1');
    return {
      uid,
      body: JSON.stringify({
        apiVersion: `admission.k8s.io/${version ?? 'v1'}`,
        kind: 'AdmissionReview',
        request,
      }),
    };
  }

  private async target(hook: H, timeoutSeconds: number): Promise<WebhookTarget> {
    const cc = hook.clientConfig;
    const ca = cc.caBundle ? Buffer.from(cc.caBundle, 'base64').toString('utf8') : undefined;
    if (cc.url) return { url: targetURL(cc.url, timeoutSeconds), ...(ca ? { ca } : {}) };
    const svc = cc.service;
    if (!svc) throw new Error('webhook has neither url nor service');
    const url = targetURL(
      `https://${svc.name}.${svc.namespace}.svc:${svc.port ?? 443}${svc.path ?? ''}`,
      timeoutSeconds,
    );
    const ip = await this.deps.serviceClusterIP(svc.namespace, svc.name);
    if (!ip || ip === 'None') {
      throw new WebhookCallError(`Post "${url.toString()}": service "${svc.name}" not found`);
    }
    return { url, connectHost: ip, ...(ca ? { ca } : {}) };
  }

  /** Calls the webhook; rejects with CallingWebhookError for anything but a decodable answer. */
  protected async call(
    hook: H,
    inv: Invocation,
    attrs: AdmissionAttributes,
  ): Promise<ReviewResponse> {
    const timeoutSeconds = Math.min(
      hook.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS,
      MAX_TIMEOUT_SECONDS,
    );
    const versions = hook.admissionReviewVersions ?? [];
    if (!versions.includes('v1') && !versions.includes('v1beta1')) {
      throw new CallingWebhookError(
        hook.name,
        `webhook does not accept known AdmissionReview versions: ${JSON.stringify(hook.admissionReviewVersions ?? [])}`,
      );
    }
    const { uid, body } = this.review(hook, inv, attrs);
    let res;
    try {
      const t = await this.target(hook, timeoutSeconds);
      res = await postReview(t, body, timeoutSeconds * 1000);
    } catch (err) {
      throw new CallingWebhookError(hook.name, `failed to call webhook: ${(err as Error).message}`);
    }
    if (res.status < 200 || res.status > 299) {
      throw new CallingWebhookError(
        hook.name,
        `failed to call webhook: the server responded with the status code ${res.status} but did not return more information`,
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(res.body);
    } catch (err) {
      throw new CallingWebhookError(hook.name, `failed to call webhook: ${(err as Error).message}`);
    }
    const response = isJsonObject(parsed)
      ? ((parsed as { response?: ReviewResponse }).response ?? undefined)
      : undefined;
    if (!response) {
      throw new CallingWebhookError(
        hook.name,
        'received invalid webhook response: webhook response was absent',
      );
    }
    if (response.uid !== uid) {
      throw new CallingWebhookError(
        hook.name,
        `received invalid webhook response: expected response.uid="${uid}", got "${response.uid ?? ''}"`,
      );
    }
    for (const w of response.warnings ?? []) attrs.warnings.push(w);
    for (const [k, v] of Object.entries(response.auditAnnotations ?? {})) {
      attrs.annotations[`${hook.name}/${k}`] = v;
    }
    return response;
  }

  /**
   * Calls one webhook with failurePolicy and metrics; resolves with the response, or undefined
   * when a failure was ignored.
   */
  protected async invoke(
    hook: H,
    inv: Invocation,
    attrs: AdmissionAttributes,
    type: WebhookType,
  ): Promise<ReviewResponse | undefined> {
    const started = performance.now();
    const seconds = (): number => (performance.now() - started) / 1000;
    try {
      const response = await this.call(hook, inv, attrs);
      const rejected = response.allowed !== true;
      this.observer.webhook(hook.name, type, attrs.operation, rejected, seconds());
      if (rejected) {
        const err = deniedError(hook.name, response.status);
        this.observer.webhookRejection(hook.name, type, attrs.operation, 'no_error', err.code);
        throw err;
      }
      return response;
    } catch (err) {
      if (!(err instanceof CallingWebhookError)) throw err;
      this.observer.webhook(hook.name, type, attrs.operation, true, seconds());
      this.observer.webhookRejection(hook.name, type, attrs.operation, 'calling_webhook_error', 0);
      if ((hook.failurePolicy ?? 'Fail') === 'Ignore') {
        // Upstream's audit annotation for a failed-open webhook.
        const key = `failed-open.${type === 'admit' ? 'mutating' : 'validating'}.webhook.admission.k8s.io/round_0_index_${this.indexOf(hook)}`;
        attrs.annotations[key] = hook.name;
        this.deps.logger?.info('Failed calling webhook, failing open', {
          webhook: hook.name,
          err: err.message,
        });
        return undefined;
      }
      this.deps.logger?.info('Failed calling webhook, failing closed', {
        webhook: hook.name,
        err: err.message,
      });
      throw newInternalError(err.message);
    }
  }
}

export class MutatingWebhookPlugin
  extends WebhookDispatcher<MutatingWebhook>
  implements MutatingPlugin
{
  readonly name = 'MutatingAdmissionWebhook';

  async admit(attrs: AdmissionAttributes): Promise<void> {
    const hooks = await this.matching(attrs);
    if (hooks.length === 0) return;
    // Which webhook last changed the object: webhooks before it with IfNeeded run again once.
    let lastChange = -1;
    for (let i = 0; i < hooks.length; i++) {
      if (await this.mutate(hooks[i]!.hook, hooks[i]!.inv, attrs)) lastChange = i;
    }
    for (let i = 0; i < lastChange; i++) {
      const { hook, inv } = hooks[i]!;
      if (hook.reinvocationPolicy === 'IfNeeded') await this.mutate(hook, inv, attrs);
    }
  }

  /** Calls one mutating webhook; true when it changed the object. */
  private async mutate(
    hook: MutatingWebhook,
    inv: Invocation,
    attrs: AdmissionAttributes,
  ): Promise<boolean> {
    this.checkDryRun(hook, attrs);
    const response = await this.invoke(hook, inv, attrs, 'admit');
    if (!response?.patch || !attrs.object) return false;
    if (response.patchType !== 'JSONPatch') {
      throw newInternalError(
        `failed calling webhook "${hook.name}": unsupported patch type "${response.patchType ?? ''}"`,
      );
    }
    const original = attrs.object;
    const versioned = objectIn(original, inv)!;
    let patched: JsonValue;
    try {
      const ops = JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8')) as unknown;
      patched = applyJsonPatch(versioned as unknown as JsonValue, ops);
    } catch (err) {
      throw newInternalError(`JSON Patch: ${(err as Error).message}`);
    }
    if (!isJsonObject(patched)) throw newInternalError('JSON Patch: result is not an object');
    const next = {
      ...(patched as unknown as ApiObject),
      apiVersion: original.apiVersion,
      kind: original.kind,
    };
    if (jsonEqual(next, original)) return false;
    attrs.object = next;
    attrs.mutated = true;
    return true;
  }
}

export class ValidatingWebhookPlugin
  extends WebhookDispatcher<ValidatingWebhook>
  implements ValidatingPlugin
{
  readonly name = 'ValidatingAdmissionWebhook';

  async validate(attrs: AdmissionAttributes): Promise<void> {
    const hooks = await this.matching(attrs);
    if (hooks.length === 0) return;
    for (const { hook } of hooks) this.checkDryRun(hook, attrs);
    const results = await Promise.allSettled(
      hooks.map(({ hook, inv }) => this.invoke(hook, inv, attrs, 'validating')),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
}
