import { describe, expect, it } from 'vitest';
import { Path } from './field-path.js';
import {
  aggregateMessage,
  duplicate,
  forbidden,
  internalError,
  invalid,
  notFound,
  notSupported,
  required,
  toAggregate,
  tooLong,
  tooMany,
  typeInvalid,
} from './field-errors.js';

describe('field.Path', () => {
  it('renders children, indexes and keys like upstream', () => {
    expect(Path.new('metadata', 'labels').toString()).toBe('metadata.labels');
    expect(Path.new('spec').child('containers').at(0).child('image').toString()).toBe(
      'spec.containers[0].image',
    );
    expect(Path.new('metadata', 'annotations').key('foo').toString()).toBe(
      'metadata.annotations[foo]',
    );
    expect(Path.new('spec').child('a', 'b').at(3).at(4).toString()).toBe('spec.a.b[3][4]');
    expect(Path.new('spec').child('x').root().toString()).toBe('spec');
  });
});

describe('field.Error messages', () => {
  const p = Path.new('spec', 'replicas');
  it.each([
    [
      invalid(p, -1, 'must be greater than or equal to 0'),
      'spec.replicas: Invalid value: -1: must be greater than or equal to 0',
    ],
    [invalid(p, 'abc', 'bad'), 'spec.replicas: Invalid value: "abc": bad'],
    [invalid(p, true, 'bad'), 'spec.replicas: Invalid value: true: bad'],
    [invalid(p, null, 'bad'), 'spec.replicas: Invalid value: null: bad'],
    [invalid(p, ['a', 'b'], 'bad'), 'spec.replicas: Invalid value: []string{"a", "b"}: bad'],
    [required(p, ''), 'spec.replicas: Required value'],
    [
      required(p, 'name or generateName is required'),
      'spec.replicas: Required value: name or generateName is required',
    ],
    [duplicate(p, 'x'), 'spec.replicas: Duplicate value: "x"'],
    [notFound(p, 'x'), 'spec.replicas: Not found: "x"'],
    [
      notSupported(p, 'Foo', ['Always', 'Never']),
      'spec.replicas: Unsupported value: "Foo": supported values: "Always", "Never"',
    ],
    [notSupported(p, 'Foo', []), 'spec.replicas: Unsupported value: "Foo"'],
    [
      forbidden(p, 'not allowed on this type'),
      'spec.replicas: Forbidden: not allowed on this type',
    ],
    [tooLong(p, 'xxxx', 3), 'spec.replicas: Too long: must have at most 3 bytes'],
    [tooMany(p, 5, 3), 'spec.replicas: Too many: 5: must have at most 3 items'],
    [tooMany(p, -1, -1), 'spec.replicas: Too many: has too many items'],
    [internalError(p, new Error('boom')), 'spec.replicas: Internal error: boom'],
    [
      typeInvalid(p, 'x', 'must be an integer'),
      'spec.replicas: Invalid value: "x": must be an integer',
    ],
  ])('%s', (err, want) => {
    expect(err.message).toBe(want);
    expect(String(err)).toBe(want);
  });

  it('exposes the cause type and body separately', () => {
    const e = invalid(p, -1, 'must be greater than or equal to 0');
    expect(e.type).toBe('FieldValueInvalid');
    expect(e.field).toBe('spec.replicas');
    expect(e.errorBody()).toBe('Invalid value: -1: must be greater than or equal to 0');
  });

  it('renders a nil path as <nil>', () => {
    expect(invalid(null, 'x', 'bad').message).toBe('<nil>: Invalid value: "x": bad');
  });
});

describe('aggregate', () => {
  it('prints one error bare, several in brackets, without duplicates', () => {
    const a = required(Path.new('a'));
    const b = required(Path.new('b'));
    expect(aggregateMessage([a])).toBe('a: Required value');
    expect(aggregateMessage([a, b, required(Path.new('a'))])).toBe(
      '[a: Required value, b: Required value]',
    );
    expect(aggregateMessage([])).toBe('');
    expect(toAggregate([])).toBeNull();
    expect(toAggregate([a, a])!.errors).toHaveLength(1);
  });
});
