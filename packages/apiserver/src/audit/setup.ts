/**
 * Auditing from kube-apiserver's flags: `--audit-policy-file` plus `--audit-log-path` (`-` for
 * standard output) with rotation (`--audit-log-maxsize`, `--audit-log-maxbackup`,
 * `--audit-log-maxage`) and `--audit-log-format`. Without both a policy and a log path nothing
 * is audited, as upstream.
 */
import { readFileSync } from 'node:fs';
import type { ComponentMetrics } from '@kubets/component-base';
import { Auditor, type AuditBackend } from './auditor.js';
import { formatEvent, type AuditLogFormat } from './format.js';
import { RotatingFile, stdoutWriter, type LineWriter } from './log-writer.js';
import { parsePolicy } from './policy.js';

export interface AuditLogOptions {
  policyFile?: string;
  logPath?: string;
  maxAgeDays?: number;
  maxBackups?: number;
  maxSizeMB?: number;
  format?: AuditLogFormat;
  metrics?: ComponentMetrics;
  onError?: (err: Error) => void;
  now?: () => Date;
}

export interface AuditSetup {
  auditor: Auditor;
  close(): void;
}

/** The log backend: one formatted line per event. */
export function logBackend(writer: LineWriter, format: AuditLogFormat): AuditBackend {
  return { write: (ev) => writer.write(formatEvent(ev, format)) };
}

/** Builds the auditor from the flags; undefined when auditing is off. Throws naming the flag. */
export function setupAuditLog(o: AuditLogOptions): AuditSetup | undefined {
  if (!o.policyFile || !o.logPath) return undefined;
  let text: string;
  try {
    text = readFileSync(o.policyFile, 'utf8');
  } catch (err) {
    throw new Error(`--audit-policy-file: cannot read ${o.policyFile}: ${(err as Error).message}`);
  }
  let policy;
  try {
    policy = parsePolicy(text);
  } catch (err) {
    throw new Error(`--audit-policy-file: ${o.policyFile}: ${(err as Error).message}`);
  }
  const writer: LineWriter =
    o.logPath === '-'
      ? stdoutWriter
      : new RotatingFile({
          path: o.logPath,
          ...(o.maxSizeMB !== undefined ? { maxSizeMB: o.maxSizeMB } : {}),
          ...(o.maxBackups !== undefined ? { maxBackups: o.maxBackups } : {}),
          ...(o.maxAgeDays !== undefined ? { maxAgeDays: o.maxAgeDays } : {}),
          ...(o.now ? { now: o.now } : {}),
        });
  const events = o.metrics?.counter({
    name: 'apiserver_audit_event_total',
    help: 'Counter of audit events generated and sent to the audit backend.',
  });
  const errors = o.metrics?.counter({
    name: 'apiserver_audit_error_total',
    help: 'Counter of audit events that failed to be audited properly. Plugin identifies the plugin affected by the error.',
    labelNames: ['plugin'],
  });
  const backend = logBackend(writer, o.format ?? 'json');
  const auditor = new Auditor({
    policy,
    backend: {
      write: (ev) => {
        events?.inc();
        backend.write(ev);
      },
    },
    onError: (err) => {
      errors?.inc({ plugin: 'log' });
      o.onError?.(err);
    },
    ...(o.now ? { now: o.now } : {}),
  });
  return { auditor, close: () => writer.close() };
}
