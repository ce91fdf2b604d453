/**
 * Auditing, independent of the transport: a front door (REST or gRPC) begins an AuditContext per
 * request once it knows the user, feeds it the request and response objects it has, and
 * completes it. The policy decides the level; stages the policy omits are not emitted.
 *
 * Secrets are never logged in clear whatever the policy says: requests on Secrets (and on
 * service account tokens and TokenReviews, which carry credentials) are recorded at Metadata at
 * most, so neither the request nor the response body is in the log.
 */
import { randomUUID } from 'node:crypto';
import type { RequestAttributes, UserInfo } from '../auth/types.js';
import { evaluatePolicy, type RequestAuditConfig } from './policy.js';
import {
  levelAtLeast,
  type AuditEvent,
  type Level,
  type ObjectReference,
  type Policy,
  type ResponseStatus,
  type Stage,
} from './types.js';

/** Where events go (the log file, a webhook later). */
export interface AuditBackend {
  write(event: AuditEvent): void;
}

export interface AuditorOptions {
  policy: Policy;
  backend: AuditBackend;
  now?: () => Date;
  newID?: () => string;
  /** Called when the backend throws (the request itself is not failed). */
  onError?: (err: Error) => void;
}

export interface AuditRequest {
  /** From the request's `Audit-ID` header when given; generated otherwise. */
  auditID?: string;
  requestURI: string;
  /** The request-info verb (`get`, `list`, `watch`, `create`...) or the lower-case HTTP method. */
  verb: string;
  user: UserInfo;
  impersonatedUser?: UserInfo;
  sourceIPs: string[];
  userAgent?: string;
  attributes: RequestAttributes;
}

/** Resources whose bodies carry credentials: recorded at Metadata at most. */
const SENSITIVE = new Set([
  '/secrets',
  '/serviceaccounts/token',
  'authentication.k8s.io/tokenreviews',
]);

export function isSensitive(attrs: RequestAttributes): boolean {
  if (attrs.kind !== 'resource') return false;
  return (
    SENSITIVE.has(`${attrs.group}/${attrs.resource}`) ||
    SENSITIVE.has(`${attrs.group}/${attrs.resource}/${attrs.subresource}`)
  );
}

/** `2006-01-02T15:04:05.000000Z` (metav1.MicroTime). */
export function microTime(d: Date): string {
  return `${d.toISOString().slice(0, 23)}000Z`;
}

export class Auditor {
  private readonly now: () => Date;
  private readonly newID: () => string;

  constructor(private readonly o: AuditorOptions) {
    this.now = o.now ?? (() => new Date());
    this.newID = o.newID ?? randomUUID;
  }

  /** The level and stages a request would get (pure policy evaluation plus the secret cap). */
  configFor(user: UserInfo, attrs: RequestAttributes): RequestAuditConfig {
    const config = evaluatePolicy(this.o.policy, user, attrs);
    if (isSensitive(attrs) && levelAtLeast(config.level, 'Request')) config.level = 'Metadata';
    return config;
  }

  /** Starts auditing a request; emits RequestReceived unless omitted or the level is None. */
  begin(request: AuditRequest): AuditContext {
    const config = this.configFor(request.user, request.attributes);
    const ctx = new AuditContext(
      request.auditID || this.newID(),
      config,
      request,
      this.now(),
      (ev) => this.emit(ev),
      this.now,
    );
    ctx.stage('RequestReceived');
    return ctx;
  }

  private emit(ev: AuditEvent): void {
    try {
      this.o.backend.write(ev);
    } catch (err) {
      this.o.onError?.(err as Error);
    }
  }
}

export class AuditContext {
  readonly level: Level;
  private readonly annotations: Record<string, string> = {};
  private readonly sources: Readonly<Record<string, string>>[] = [];
  private readonly objectRef: ObjectReference | undefined;
  private requestObject: unknown;
  private responseObject: unknown;
  private responseStatus: ResponseStatus | undefined;
  private finished = false;
  private started = false;

  constructor(
    readonly auditID: string,
    private readonly config: RequestAuditConfig,
    private readonly request: AuditRequest,
    private readonly received: Date,
    private readonly emit: (ev: AuditEvent) => void,
    private readonly now: () => Date,
  ) {
    this.level = config.level;
    const a = request.attributes;
    this.objectRef =
      a.kind === 'resource'
        ? {
            resource: a.resource,
            ...(a.namespace ? { namespace: a.namespace } : {}),
            ...(a.name ? { name: a.name } : {}),
            apiGroup: a.group,
            apiVersion: a.version,
            ...(a.subresource ? { subresource: a.subresource } : {}),
          }
        : undefined;
  }

  get enabled(): boolean {
    return this.level !== 'None';
  }

  /** Whether the request body is recorded (callers skip decoding it otherwise). */
  get wantsRequestObject(): boolean {
    return levelAtLeast(this.level, 'Request');
  }

  get wantsResponseObject(): boolean {
    return levelAtLeast(this.level, 'RequestResponse');
  }

  /** E.g. `authorization.k8s.io/decision: allow` from the authorizer. */
  annotate(key: string, value: string): void {
    if (this.enabled && !(key in this.annotations)) this.annotations[key] = value;
  }

  /**
   * A record that later steps of the request fill (admission plugins' and webhooks' audit
   * annotations); read when the event is written.
   */
  annotateFrom(source: Readonly<Record<string, string>>): void {
    this.sources.push(source);
  }

  private annotationsField(): { annotations?: Record<string, string> } {
    for (const source of this.sources) {
      for (const [k, v] of Object.entries(source)) this.annotate(k, v);
    }
    return Object.keys(this.annotations).length > 0 ? { annotations: { ...this.annotations } } : {};
  }

  setRequestObject(obj: unknown): void {
    if (!this.enabled) return;
    // A create names its object in the body, not the path.
    const meta = (obj as { metadata?: { name?: unknown } } | null)?.metadata;
    if (this.objectRef && !this.objectRef.name && typeof meta?.name === 'string' && meta.name) {
      this.objectRef.name = meta.name;
    }
    if (this.wantsRequestObject) this.requestObject = this.prepare(obj);
  }

  setResponseObject(obj: unknown): void {
    if (!this.enabled) return;
    // A Status (an error or a delete) is reported as the response status at every level.
    const status = obj as Partial<ResponseStatus> & { kind?: string };
    if (status && status.kind === 'Status' && typeof status.code === 'number') {
      this.responseStatus = boundedStatus(status);
    }
    if (this.wantsResponseObject) this.responseObject = this.prepare(obj);
  }

  /** For long-running requests (watches): headers were sent. */
  responseStarted(code = 200): void {
    if (this.started || this.finished) return;
    this.started = true;
    this.responseStatus ??= { metadata: {}, code };
    this.stage('ResponseStarted');
  }

  complete(code: number): void {
    if (this.finished) return;
    this.finished = true;
    if (!this.responseStatus || this.responseStatus.code !== code) {
      this.responseStatus = { ...(this.responseStatus ?? { metadata: {} }), code };
    }
    this.stage('ResponseComplete');
  }

  /** The handler failed unexpectedly (upstream: it panicked). */
  panic(message: string): void {
    if (this.finished) return;
    this.finished = true;
    this.responseStatus = {
      metadata: {},
      status: 'Failure',
      message: `APIServer panic'd: ${message}`,
      reason: 'InternalError',
      code: 500,
    };
    this.stage('Panic');
  }

  /** @internal */
  stage(stage: Stage): void {
    if (!this.enabled || this.config.omitStages.includes(stage)) return;
    const r = this.request;
    const ev: AuditEvent = {
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      level: this.level,
      auditID: this.auditID,
      stage,
      requestURI: r.requestURI,
      verb: r.verb,
      user: r.user,
      ...(r.impersonatedUser ? { impersonatedUser: r.impersonatedUser } : {}),
      sourceIPs: r.sourceIPs,
      ...(r.userAgent ? { userAgent: r.userAgent } : {}),
      ...(this.objectRef ? { objectRef: { ...this.objectRef } } : {}),
      ...(stage !== 'RequestReceived' && this.responseStatus
        ? { responseStatus: this.responseStatus }
        : {}),
      ...(this.requestObject !== undefined ? { requestObject: this.requestObject } : {}),
      ...(stage !== 'RequestReceived' && this.responseObject !== undefined
        ? { responseObject: this.responseObject }
        : {}),
      requestReceivedTimestamp: microTime(this.received),
      stageTimestamp: microTime(this.now()),
      ...this.annotationsField(),
    };
    this.emit(ev);
  }

  private prepare(obj: unknown): unknown {
    return this.config.omitManagedFields ? withoutManagedFields(obj) : obj;
  }
}

function boundedStatus(s: Partial<ResponseStatus>): ResponseStatus {
  return {
    metadata: {},
    ...(s.status ? { status: s.status } : {}),
    ...(s.message ? { message: s.message } : {}),
    ...(s.reason ? { reason: s.reason } : {}),
    ...(s.details ? { details: s.details } : {}),
    code: s.code!,
  };
}

/** A copy without metadata.managedFields (on the object and on list items). */
export function withoutManagedFields(obj: unknown): unknown {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return obj;
  const o = obj as Record<string, unknown>;
  const out: Record<string, unknown> = { ...o };
  const meta = o.metadata as Record<string, unknown> | undefined;
  if (meta && typeof meta === 'object' && 'managedFields' in meta) {
    const { managedFields: _drop, ...rest } = meta;
    out.metadata = rest;
  }
  if (Array.isArray(o.items)) out.items = o.items.map(withoutManagedFields);
  return out;
}
