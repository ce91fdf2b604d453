import { describe, expect, it } from 'vitest';
import { InflightLimiter } from './inflight.js';
import {
  deleteOptionsFrom,
  parseFieldValidation,
  parseIntParam,
  watchTimeoutMs,
  writeOptionsFrom,
} from './options.js';

const message = (f: () => unknown): string => {
  try {
    f();
  } catch (err) {
    return (err as Error).message;
  }
  return '';
};

describe('request options (shared by REST and gRPC)', () => {
  it('builds write options with upstream validation', () => {
    expect(
      writeOptionsFrom({
        dryRun: ['All'],
        fieldManager: 'kubectl',
        fieldValidation: 'strict',
        user: { username: 'u', groups: [] },
      }),
    ).toEqual({
      dryRun: true,
      fieldManager: 'kubectl',
      fieldValidation: 'Strict',
      user: { username: 'u', groups: [] },
    });
    expect(writeOptionsFrom({ dryRun: [], fieldManager: '' })).toEqual({ dryRun: false });
    expect(message(() => writeOptionsFrom({ dryRun: ['Yes'] }))).toBe(
      'dryRun: Unsupported value: "Yes": supported values: "All"',
    );
    expect(message(() => writeOptionsFrom({ dryRun: [], fieldManager: 'x'.repeat(129) }))).toBe(
      'fieldManager: Too long: may not be longer than 128',
    );
    expect(message(() => parseFieldValidation('Loud'))).toBe(
      'fieldValidation: Unsupported value: "Loud": supported values: "Ignore", "Strict", "Warn"',
    );
  });

  it('parses integers with range checks', () => {
    expect(parseIntParam('limit', '5')).toBe(5);
    expect(parseIntParam('limit', null)).toBeUndefined();
    expect(message(() => parseIntParam('limit', 'x'))).toBe(
      'limit: Invalid value: "x": must be an integer',
    );
    expect(message(() => parseIntParam('limit', '-1'))).toBe(
      'limit: Invalid value: -1: must be greater than or equal to 0',
    );
  });

  it('merges delete options from a body and parameters and rejects invalid combinations', () => {
    expect(
      deleteOptionsFrom(
        { propagationPolicy: 'Orphan', dryRun: ['All'] },
        { gracePeriodSeconds: 0, preconditions: { uid: 'u1' } },
      ),
    ).toEqual({
      options: {
        propagationPolicy: 'Orphan',
        dryRun: ['All'],
        gracePeriodSeconds: 0,
        preconditions: { uid: 'u1' },
      },
      dryRun: true,
    });
    expect(message(() => deleteOptionsFrom(undefined, { propagationPolicy: 'Later' }))).toContain(
      'propagationPolicy: Unsupported value: "Later"',
    );
    expect(
      message(() =>
        deleteOptionsFrom(undefined, { propagationPolicy: 'Orphan', orphanDependents: true }),
      ),
    ).toContain('OrphanDependents and DeletionPropagation cannot be both set');
    expect(message(() => deleteOptionsFrom([], {}))).toBe(
      'the body of a DELETE must be a DeleteOptions object',
    );
  });

  it('spreads default watch timeouts between the minimum and twice it', () => {
    expect(watchTimeoutMs(5, 1800, () => 0.5)).toBe(5000);
    expect(watchTimeoutMs(undefined, 1800, () => 0)).toBe(1_800_000);
    expect(watchTimeoutMs(0, 1800, () => 0.5)).toBe(2_700_000);
  });
});

describe('InflightLimiter', () => {
  it('limits each kind separately; 0 is unlimited', () => {
    const l = new InflightLimiter({ readOnly: 0, mutating: 1 });
    expect(l.tryAcquire('mutating')).toBe(true);
    expect(l.tryAcquire('mutating')).toBe(false);
    for (let i = 0; i < 100; i++) expect(l.tryAcquire('readOnly')).toBe(true);
    l.release('mutating');
    expect(l.tryAcquire('mutating')).toBe(true);
    expect(l.inflight('mutating')).toBe(1);
  });
});
