import { describe, expect, it } from 'vitest';
import { httpSpanName } from '../request/tracing.js';
import { parseTracingConfiguration } from './tracing-config.js';

const HEAD = 'apiVersion: apiserver.config.k8s.io/v1beta1\nkind: TracingConfiguration\n';

describe('TracingConfiguration', () => {
  it('reads endpoint and samplingRatePerMillion, with upstream defaults for what is unset', () => {
    expect(
      parseTracingConfiguration(
        `${HEAD}endpoint: otel:4318\nsamplingRatePerMillion: 100\n`,
        'f',
        'id',
      ),
    ).toEqual({
      endpoint: 'otel:4318',
      samplingRatePerMillion: 100,
      serviceName: 'apiserver',
      serviceInstanceId: 'id',
    });
    const defaults = parseTracingConfiguration(HEAD.replace('v1beta1', 'v1alpha1'), 'f', 'id');
    expect(defaults).toMatchObject({ endpoint: 'localhost:4318', samplingRatePerMillion: 0 });
  });

  it('refuses what upstream refuses, naming the file and the field', () => {
    expect(() =>
      parseTracingConfiguration(`${HEAD}samplingRatePerMillion: -1\n`, 't.yaml', 'i'),
    ).toThrow(
      'config file "t.yaml": invalid TracingConfiguration: samplingRatePerMillion: Invalid value: -1: sampling rate must be positive',
    );
    expect(() => parseTracingConfiguration(`${HEAD}extra: 1\n`, 't.yaml', 'i')).toThrow(
      'unknown field "extra"',
    );
    expect(() =>
      parseTracingConfiguration('apiVersion: v1\nkind: TracingConfiguration\n', 't.yaml', 'i'),
    ).toThrow('unsupported apiVersion "v1"');
  });
});

describe('httpSpanName', () => {
  it('names resource requests by route and others by method, as upstream', () => {
    expect(httpSpanName('GET', '/api/v1/namespaces/default/pods/p1/status')).toBe(
      'GET /api/v1/namespaces/{:namespace}/pods/{:name}/status',
    );
    expect(httpSpanName('POST', '/apis/apps/v1/namespaces/x/deployments')).toBe(
      'POST /apis/apps/v1/namespaces/{:namespace}/deployments',
    );
    expect(httpSpanName('GET', '/api/v1/nodes')).toBe('GET /api/v1/nodes');
    expect(httpSpanName('GET', '/healthz')).toBe('GET');
  });
});
