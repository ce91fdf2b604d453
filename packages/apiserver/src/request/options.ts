/**
 * Request options as both front doors receive them (REST query parameters, gRPC option
 * messages): parsed and validated here once, with upstream's messages, so a bad value is the
 * same 400 whichever door it came through.
 */
import {
  isJsonObject,
  newBadRequest,
  type DeleteOptions,
  type JsonValue,
} from '@kubets/apimachinery';
import type { UserInfo } from '../auth/types.js';
import type { FieldValidation, WriteOptions } from '../registry/resource-registry.js';

export function parseDryRun(values: readonly string[]): boolean {
  for (const v of values) {
    if (v !== 'All')
      throw newBadRequest(`dryRun: Unsupported value: "${v}": supported values: "All"`);
  }
  return values.length > 0;
}

export function parseFieldValidation(
  value: string | null | undefined,
): FieldValidation | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  if (value === 'Strict' || value === 'Warn' || value === 'Ignore') return value;
  // kubectl also sends the lower-case forms in some versions.
  const lower = value.toLowerCase();
  if (lower === 'strict') return 'Strict';
  if (lower === 'warn') return 'Warn';
  if (lower === 'ignore') return 'Ignore';
  throw newBadRequest(
    `fieldValidation: Unsupported value: "${value}": supported values: "Ignore", "Strict", "Warn"`,
  );
}

export function parseIntParam(
  name: string,
  value: string | null | undefined,
  min = 0,
): number | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  if (!/^-?\d+$/.test(value))
    throw newBadRequest(`${name}: Invalid value: "${value}": must be an integer`);
  return checkMin(name, Number(value), min);
}

/** A numeric option that arrived typed (gRPC): only the range check applies. */
export function checkMin(name: string, n: number, min = 0): number {
  if (n < min)
    throw newBadRequest(`${name}: Invalid value: ${n}: must be greater than or equal to ${min}`);
  return n;
}

/** The write options of create/update/patch, from either door. */
export interface WriteParams {
  dryRun: readonly string[];
  fieldManager?: string | undefined;
  fieldValidation?: string | null | undefined;
  userAgent?: string | undefined;
  user?: UserInfo | undefined;
}

export function writeOptionsFrom(p: WriteParams): WriteOptions {
  const fieldManager = p.fieldManager || undefined;
  if (fieldManager !== undefined && fieldManager.length > 128) {
    throw newBadRequest('fieldManager: Too long: may not be longer than 128');
  }
  const fieldValidation = parseFieldValidation(p.fieldValidation);
  return {
    dryRun: parseDryRun(p.dryRun),
    ...(fieldManager ? { fieldManager } : {}),
    ...(fieldValidation ? { fieldValidation } : {}),
    ...(p.userAgent ? { userAgent: p.userAgent } : {}),
    ...(p.user ? { user: p.user } : {}),
  };
}

/** DeleteOptions given beside the body (REST query parameters, gRPC fields). */
export interface DeleteParams {
  gracePeriodSeconds?: number | undefined;
  propagationPolicy?: string | undefined;
  orphanDependents?: boolean | undefined;
  preconditions?: DeleteOptions['preconditions'];
  dryRun?: readonly string[];
}

/**
 * The effective DeleteOptions (a body, if any, overlaid with the parameters) and whether the
 * delete is a dry run; 400 for invalid combinations, as upstream.
 */
export function deleteOptionsFrom(
  body: JsonValue | undefined,
  p: DeleteParams,
): { options: DeleteOptions; dryRun: boolean } {
  const options: DeleteOptions = {};
  if (body !== undefined) {
    if (!isJsonObject(body))
      throw newBadRequest('the body of a DELETE must be a DeleteOptions object');
    Object.assign(options, body);
  }
  if (p.gracePeriodSeconds !== undefined) options.gracePeriodSeconds = p.gracePeriodSeconds;
  if (p.propagationPolicy)
    options.propagationPolicy = p.propagationPolicy as DeleteOptions['propagationPolicy'];
  if (p.orphanDependents !== undefined) options.orphanDependents = p.orphanDependents;
  if (p.preconditions) options.preconditions = p.preconditions;
  if (
    options.propagationPolicy &&
    !['Orphan', 'Background', 'Foreground'].includes(options.propagationPolicy)
  ) {
    throw newBadRequest(
      `propagationPolicy: Unsupported value: "${options.propagationPolicy}": supported values: "Foreground", "Background", "Orphan"`,
    );
  }
  if (options.orphanDependents !== undefined && options.propagationPolicy) {
    throw newBadRequest(
      'orphanDependents: Invalid value: true: OrphanDependents and DeletionPropagation cannot be both set',
    );
  }
  const dryRun = parseDryRun([...(p.dryRun ?? []), ...(options.dryRun ?? [])]);
  return { options, dryRun };
}

/**
 * How long a watch lasts: timeoutSeconds when given, else between minRequestTimeout and twice
 * it (upstream spreads the default so watchers do not reconnect together).
 */
export function watchTimeoutMs(
  timeoutSeconds: number | undefined,
  minTimeoutSeconds: number,
  random: () => number,
): number {
  return timeoutSeconds !== undefined && timeoutSeconds > 0
    ? timeoutSeconds * 1000
    : Math.floor(minTimeoutSeconds * 1000 * (1 + random()));
}
