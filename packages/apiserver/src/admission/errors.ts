/**
 * Upstream's admission.NewForbidden: `<resource> "<name>" is forbidden: <message>`, where the
 * name is the object's name, else its generateName (names are generated after admission), else
 * "Unknown".
 */
import { newBadRequest, newForbidden, type StatusError } from '@kubets/apimachinery';
import type { AdmissionAttributes } from './types.js';

export function admissionName(a: AdmissionAttributes): string {
  const meta = a.object?.metadata;
  if (meta?.name) return meta.name;
  if (meta?.generateName) return meta.generateName;
  if (a.name) return a.name;
  return 'Unknown';
}

export function forbidden(a: AdmissionAttributes, message: string): StatusError {
  return newForbidden(
    { group: a.resource.group, resource: a.resource.resource },
    admissionName(a),
    message,
  );
}

export function badRequest(message: string): StatusError {
  return newBadRequest(message);
}

/** utilerrors.NewAggregate's message: one error as is, several as `[a, b]`. */
export function aggregate(messages: string[]): string {
  return messages.length === 1 ? messages[0]! : `[${messages.join(', ')}]`;
}
