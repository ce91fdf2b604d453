import { describe, expect, it } from 'vitest';
import { hello } from './index.js';

describe('hello', () => {
  it('greets by name', () => {
    expect(hello('kubets')).toBe('hello, kubets');
  });
});
