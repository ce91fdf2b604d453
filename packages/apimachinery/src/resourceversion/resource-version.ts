/**
 * resourceVersion handling: parsing and comparing the opaque-to-clients version strings (decimal
 * store revisions here, as with etcd), the list/watch consistency semantics the `resourceVersion`
 * and `resourceVersionMatch` parameters select, and their validation with upstream's messages.
 */
import type { ListOptions } from '../meta/types.js';
import { newBadRequest, newInvalid, type StatusError } from '../errors/status-error.js';
import { Path } from '../validation/field-path.js';
import { forbidden, invalid, notSupported, type FieldError } from '../validation/field-errors.js';

const MAX_UINT64 = 2n ** 64n - 1n;

/** A resourceVersion that is not a non-negative 64-bit integer. */
export class InvalidResourceVersionError extends Error {
  readonly fieldError: FieldError;
  constructor(readonly resourceVersion: string) {
    const reason = /^[0-9]+$/.test(resourceVersion) ? 'value out of range' : 'invalid syntax';
    const fieldError = invalid(
      Path.new('resourceVersion'),
      resourceVersion,
      `strconv.ParseUint: parsing ${JSON.stringify(resourceVersion)}: ${reason}`,
    );
    super(fieldError.message);
    this.name = 'InvalidResourceVersionError';
    this.fieldError = fieldError;
  }

  /** The 400 Status the API server answers with. */
  toStatusError(): StatusError {
    return newBadRequest(this.message);
  }
}

/**
 * APIObjectVersioner.ParseResourceVersion: '' and '0' are 0 (meaning "any"); otherwise a decimal
 * uint64. Throws InvalidResourceVersionError.
 */
export function parseResourceVersion(rv: string | undefined): bigint {
  if (rv === undefined || rv === '' || rv === '0') return 0n;
  if (!/^[0-9]+$/.test(rv)) throw new InvalidResourceVersionError(rv);
  const v = BigInt(rv);
  if (v > MAX_UINT64) throw new InvalidResourceVersionError(rv);
  return v;
}

/** The string form of a revision. */
export function formatResourceVersion(rv: bigint | number): string {
  return BigInt(rv).toString();
}

/** -1, 0 or 1 comparing two resourceVersions numerically. */
export function compareResourceVersions(a: string, b: string): number {
  const x = parseResourceVersion(a);
  const y = parseResourceVersion(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * What a list request asks the storage for:
 * - `MostRecent`: a consistent (quorum) read at the current revision (resourceVersion unset);
 * - `Any`: any revision, the watch cache may serve it (resourceVersion="0");
 * - `NotOlderThan`: a revision >= rv (resourceVersion=N, the default match);
 * - `Exact`: exactly rv (resourceVersionMatch=Exact, or a legacy paged list at N);
 * - `Continue`: the revision encoded in the continue token.
 */
export type ListSemantics =
  | { kind: 'MostRecent' }
  | { kind: 'Any' }
  | { kind: 'NotOlderThan'; resourceVersion: bigint }
  | { kind: 'Exact'; resourceVersion: bigint }
  | { kind: 'Continue' };

/**
 * Resolves list semantics from validated options (see {@link validateListOptions}), following
 * the table in the API concepts documentation. Throws a 400 for `continue` with a non-zero
 * resourceVersion and InvalidResourceVersionError for a malformed one.
 */
export function resolveListSemantics(options: ListOptions): ListSemantics {
  const rv = options.resourceVersion ?? '';
  const match = options.resourceVersionMatch ?? '';
  if (options.continue) {
    if (rv !== '' && rv !== '0') {
      throw newBadRequest('specifying resource version is not allowed when using continue');
    }
    return { kind: 'Continue' };
  }
  if (rv === '') return { kind: 'MostRecent' };
  const parsed = parseResourceVersion(rv);
  if (match === 'Exact') return { kind: 'Exact', resourceVersion: parsed };
  if (rv === '0') return { kind: 'Any' };
  if (match === '' && (options.limit ?? 0) > 0) {
    // Legacy: a paged list at a given version is an exact read.
    return { kind: 'Exact', resourceVersion: parsed };
  }
  return { kind: 'NotOlderThan', resourceVersion: parsed };
}

/**
 * Where a watch starts:
 * - `MostRecent`: synthetic ADDED events for the current state, then changes (unset);
 * - `Any`: same, from any recent state (resourceVersion="0");
 * - `After`: only changes after rv.
 */
export type WatchSemantics =
  { kind: 'MostRecent' } | { kind: 'Any' } | { kind: 'After'; resourceVersion: bigint };

export function resolveWatchSemantics(options: ListOptions): WatchSemantics {
  const rv = options.resourceVersion ?? '';
  if (rv === '') return { kind: 'MostRecent' };
  if (rv === '0') return { kind: 'Any' };
  return { kind: 'After', resourceVersion: parseResourceVersion(rv) };
}

export interface ValidateListOptionsConfig {
  /** The WatchList feature (sendInitialEvents on watches). */
  watchListEnabled?: boolean;
}

function validateWatchOptions(options: ListOptions, watchListEnabled: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const match = options.resourceVersionMatch ?? '';
  const path = Path.new('resourceVersionMatch');
  if (options.sendInitialEvents !== undefined) {
    if (match !== 'NotOlderThan') {
      errs.push(
        forbidden(path, 'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan'),
      );
    }
    if (!watchListEnabled) {
      errs.push(
        forbidden(
          Path.new('sendInitialEvents'),
          'sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled',
        ),
      );
    }
  }
  if (match.length > 0) {
    if (options.sendInitialEvents === undefined) {
      errs.push(
        forbidden(
          path,
          'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided',
        ),
      );
    }
    if (match !== 'NotOlderThan') errs.push(notSupported(path, match, ['NotOlderThan']));
    if (options.continue)
      errs.push(forbidden(path, 'resourceVersionMatch is forbidden when continue is provided'));
  }
  return errs;
}

/** metainternalversion validation.ValidateListOptions, list and watch. */
export function validateListOptions(
  options: ListOptions,
  config: ValidateListOptionsConfig = {},
): FieldError[] {
  if (options.watch) return validateWatchOptions(options, config.watchListEnabled ?? false);
  const errs: FieldError[] = [];
  const match = options.resourceVersionMatch ?? '';
  const path = Path.new('resourceVersionMatch');
  if (match.length > 0) {
    if (!options.resourceVersion) {
      errs.push(
        forbidden(path, 'resourceVersionMatch is forbidden unless resourceVersion is provided'),
      );
    }
    if (options.continue)
      errs.push(forbidden(path, 'resourceVersionMatch is forbidden when continue is provided'));
    if (match !== 'Exact' && match !== 'NotOlderThan') {
      errs.push(notSupported(path, match, ['Exact', 'NotOlderThan', '']));
    }
    if (match === 'Exact' && options.resourceVersion === '0') {
      errs.push(
        forbidden(path, 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'),
      );
    }
  }
  if (options.sendInitialEvents !== undefined) {
    errs.push(forbidden(Path.new('sendInitialEvents'), 'sendInitialEvents is forbidden for list'));
  }
  return errs;
}

/**
 * The 422 the API server answers a bad list/watch query with
 * (`ListOptions.meta.k8s.io "" is invalid: ...`), or null when the options are valid.
 */
export function listOptionsError(
  options: ListOptions,
  config: ValidateListOptionsConfig = {},
): StatusError | null {
  const errs = validateListOptions(options, config);
  if (errs.length === 0) return null;
  return newInvalid({ group: 'meta.k8s.io', kind: 'ListOptions' }, '', errs);
}
