/**
 * What the REST front door hands the security chain: the caller's credentials (Authorization
 * header, the TLS client certificate and whether it verified, impersonation headers) and the
 * request's authorization attributes, as upstream's WithAuthentication / RequestInfo do.
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket, DetailedPeerCertificate } from 'node:tls';
import type { Credentials, RequestAttributes } from '../auth/types.js';
import type { RequestInfo } from './request-info.js';

function peerChain(leaf: DetailedPeerCertificate): Buffer[] {
  const out: Buffer[] = [];
  let cur: DetailedPeerCertificate | undefined = leaf;
  for (let i = 0; cur?.raw && i < 10; i++) {
    out.push(cur.raw);
    if (cur.issuerCertificate === cur) break;
    cur = cur.issuerCertificate;
  }
  return out;
}

/** Whether any header name starts with `Impersonate-` (any case); rawHeaders alternates names and values. */
function hasImpersonation(raw: readonly string[]): boolean {
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    // 'i' or 'I' first: most names are ruled out without a lowercase copy.
    if ((name.charCodeAt(0) | 0x20) === 0x69 && name.slice(0, 12).toLowerCase() === 'impersonate-')
      return true;
  }
  return false;
}

export function credentialsOf(req: IncomingMessage): Credentials {
  const c: Credentials = {};
  const authorization = req.headers.authorization;
  if (authorization) c.authorization = authorization;
  const socket = req.socket as Partial<TLSSocket>;
  if (typeof socket.getPeerCertificate === 'function') {
    const peer = socket.getPeerCertificate(true);
    if (peer && (peer as Partial<DetailedPeerCertificate>).raw) {
      if (socket.authorized) c.peerCertificates = peerChain(peer);
      else
        c.peerCertificateError = String(
          socket.authorizationError ?? 'certificate signed by unknown authority',
        );
    }
  }
  // Nearly no request impersonates: look for the headers in the raw list (already there) before
  // building headersDistinct (an array per header) and its entries on every request.
  if (!hasImpersonation(req.rawHeaders)) return c;
  const headers = req.headersDistinct;
  const user = headers['impersonate-user']?.[0];
  const groups = headers['impersonate-group'] ?? [];
  const uid = headers['impersonate-uid']?.[0];
  const extra: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(headers)) {
    if (!name.startsWith('impersonate-extra-') || !values) continue;
    let key = name.slice('impersonate-extra-'.length);
    try {
      key = decodeURIComponent(key);
    } catch {
      // keep it as sent
    }
    extra[key] = [...(extra[key] ?? []), ...values];
  }
  if (
    user !== undefined ||
    groups.length > 0 ||
    uid !== undefined ||
    Object.keys(extra).length > 0
  ) {
    c.impersonate = {
      ...(user !== undefined ? { user } : {}),
      ...(groups.length > 0 ? { groups } : {}),
      ...(uid !== undefined ? { uid } : {}),
      ...(Object.keys(extra).length > 0 ? { extra } : {}),
    };
  }
  return c;
}

/** `metadata.name=x` in a field selector names the object a list or watch is about. */
function nameFromFieldSelector(q: URLSearchParams): string {
  const sel = q.get('fieldSelector') ?? '';
  for (const part of sel.split(',')) {
    const m = /^\s*metadata\.name\s*==?\s*(.+?)\s*$/.exec(part);
    if (m) return m[1]!;
  }
  return '';
}

export function attributesOf(
  info: RequestInfo,
  method: string,
  q: URLSearchParams,
): RequestAttributes {
  if (info.kind === 'nonresource')
    return { kind: 'nonresource', verb: method.toLowerCase(), path: info.path };
  let name = info.name;
  if ((info.verb === 'list' || info.verb === 'watch') && name === '')
    name = nameFromFieldSelector(q);
  return {
    kind: 'resource',
    verb: info.verb,
    group: info.group,
    version: info.version,
    resource: info.resource,
    subresource: info.subresource,
    // A namespace object is in its own namespace for authorization, as upstream's RequestInfo.
    namespace: info.resource === 'namespaces' && info.group === '' ? info.name : info.namespace,
    name,
  };
}
