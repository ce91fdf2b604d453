/**
 * The REST front door's side of auditing: builds the AuditRequest from the HTTP request, sets the
 * `Audit-Id` response header, records the request body and the response as the level asks, and
 * emits ResponseStarted (watches) and ResponseComplete as the response goes out.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestAttributes, UserInfo } from '../auth/types.js';
import { bodyRead, decodeObjectBody, decodePatchBody, mediaTypeOf } from '../http/body.js';
import { decodeProtobufObject, PROTOBUF_MEDIA_TYPE } from '../http/protobuf.js';
import type { RequestInfo } from '../http/request-info.js';
import type { AuditContext, Auditor } from './auditor.js';

/** Upstream's header (Go canonicalizes `Audit-ID` to `Audit-Id`). */
export const AUDIT_ID_HEADER = 'Audit-Id';

export function requestAttributes(info: RequestInfo): RequestAttributes {
  return info.kind === 'resource'
    ? {
        kind: 'resource',
        verb: info.verb,
        group: info.group,
        version: info.version,
        resource: info.resource,
        subresource: info.subresource,
        namespace: info.namespace,
        name: info.name,
      }
    : { kind: 'nonresource', verb: info.verb, path: info.path };
}

/** X-Forwarded-For entries, then X-Real-Ip, then the peer address, as upstream's SourceIPs. */
export function sourceIPs(req: IncomingMessage): string[] {
  const out: string[] = [];
  const add = (ip: string | undefined): void => {
    const v = ip?.trim().replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');
    if (v && !out.includes(v)) out.push(v);
  };
  const forwarded = req.headers['x-forwarded-for'];
  for (const part of (Array.isArray(forwarded) ? forwarded.join(',') : (forwarded ?? '')).split(
    ',',
  )) {
    add(part);
  }
  const real = req.headers['x-real-ip'];
  add(Array.isArray(real) ? real[0] : real);
  add(req.socket.remoteAddress);
  return out;
}

/**
 * Begins auditing an HTTP request for `user` (the authenticated user; the impersonated one
 * when impersonating). Always sets the Audit-Id header.
 */
export function auditHttpRequest(
  auditor: Auditor,
  req: IncomingMessage,
  res: ServerResponse,
  info: RequestInfo,
  user: UserInfo,
  impersonatedUser?: UserInfo,
): AuditContext {
  const headerID = req.headers['audit-id'];
  const ctx = auditor.begin({
    ...(typeof headerID === 'string' && headerID !== '' ? { auditID: headerID } : {}),
    requestURI: req.url ?? '/',
    verb: info.verb,
    user,
    ...(impersonatedUser ? { impersonatedUser } : {}),
    sourceIPs: sourceIPs(req),
    ...(req.headers['user-agent'] ? { userAgent: req.headers['user-agent'] } : {}),
    attributes: requestAttributes(info),
  });
  res.setHeader(AUDIT_ID_HEADER, ctx.auditID);
  if (!ctx.enabled) return ctx;

  const watch = info.kind === 'resource' && info.verb === 'watch';
  if (watch) {
    const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
    res.writeHead = (...args: unknown[]) => {
      const out = writeHead(...args);
      ctx.responseStarted(res.statusCode);
      return out;
    };
  }
  let responseBody: Buffer | undefined;
  if (info.kind === 'resource' && !watch) {
    const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
    res.end = ((...args: unknown[]) => {
      const chunk = args[0];
      if (
        (ctx.wantsResponseObject || res.statusCode >= 300) &&
        (typeof chunk === 'string' || Buffer.isBuffer(chunk))
      ) {
        responseBody = Buffer.from(chunk);
      }
      return end(...args);
    }) as typeof res.end;
  }
  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    if (info.kind === 'resource') {
      const body = bodyRead(req);
      if (body && body.length > 0) {
        const obj = decodeRequest(body, req);
        if (obj !== undefined) ctx.setRequestObject(obj);
      }
      const type = String(res.getHeader('content-type') ?? '');
      if (responseBody && /json/.test(type)) {
        try {
          ctx.setResponseObject(JSON.parse(responseBody.toString('utf8')));
        } catch {
          // not JSON after all: nothing to record
        }
      } else if (responseBody && type.startsWith(PROTOBUF_MEDIA_TYPE)) {
        // A protobuf answer is logged as the object it carries, as upstream logs it (JSON).
        try {
          ctx.setResponseObject(decodeProtobufObject(responseBody));
        } catch {
          // not an object we can read: nothing to record
        }
      }
    }
    ctx.complete(res.statusCode);
  };
  res.once('finish', finish);
  res.once('close', finish);
  return ctx;
}

function decodeRequest(body: Buffer, req: IncomingMessage): unknown {
  try {
    return req.method === 'PATCH'
      ? decodePatchBody(body, mediaTypeOf(req.headers['content-type']))
      : decodeObjectBody(body, req.headers['content-type']);
  } catch {
    return undefined;
  }
}
