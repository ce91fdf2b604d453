/**
 * `--audit-log-format`: `json` (one audit.k8s.io/v1 Event per line, the default) or `legacy`
 * (upstream's one-line text form).
 */
import type { AuditEvent } from './types.js';

export type AuditLogFormat = 'json' | 'legacy';

export function formatEvent(ev: AuditEvent, format: AuditLogFormat): string {
  return format === 'json' ? `${JSON.stringify(ev)}\n` : `${legacyLine(ev)}\n`;
}

const q = (s: string): string => JSON.stringify(s);
const list = (xs: string[]): string => xs.map(q).join(',');

function legacyLine(ev: AuditEvent): string {
  let username = '<none>';
  let groups = '<none>';
  if (ev.user.username) {
    username = ev.user.username;
    if (ev.user.groups.length > 0) groups = list(ev.user.groups);
  }
  let as = '<self>';
  let asGroups = '<lookup>';
  if (ev.impersonatedUser) {
    as = ev.impersonatedUser.username;
    asGroups = list(ev.impersonatedUser.groups);
  }
  const namespace = ev.objectRef?.namespace || '<none>';
  const response = ev.responseStatus ? String(ev.responseStatus.code) : '<deferred>';
  const ip = ev.sourceIPs?.[0] ?? '<unknown>';
  return (
    `${ev.requestReceivedTimestamp} AUDIT: id=${q(ev.auditID)} stage=${q(ev.stage)} ip=${q(ip)}` +
    ` method=${q(ev.verb)} user=${q(username)} groups=${q(groups)} as=${q(as)}` +
    ` asgroups=${q(asGroups)} user-agent=${q(ev.userAgent ?? '')} namespace=${q(namespace)}` +
    ` uri=${q(ev.requestURI)} response="${response}"`
  );
}
