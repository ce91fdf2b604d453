import { describe, expect, it } from 'vitest';
import { compareVersions } from './catalog.js';

describe('compareVersions', () => {
  it('orders versions as Kubernetes does: GA, beta, alpha, then others', () => {
    const versions = ['v1alpha1', 'foo', 'v2beta1', 'v1', 'v10', 'v1beta2', 'v2', 'v1beta1', 'bar'];
    expect([...versions].sort(compareVersions)).toEqual([
      'v10',
      'v2',
      'v1',
      'v2beta1',
      'v1beta2',
      'v1beta1',
      'v1alpha1',
      'bar',
      'foo',
    ]);
  });
});
