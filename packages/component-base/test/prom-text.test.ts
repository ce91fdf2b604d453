// The scrape tests rely on this parser rejecting bad input, so its strictness is tested too.
import { describe, expect, it } from 'vitest';
import { parseExposition, sampleValue } from './prom-text.js';

const valid = [
  '# HELP http_requests_total The total number of HTTP requests.',
  '# TYPE http_requests_total counter',
  'http_requests_total{method="post",code="200"} 1027 1395066363000',
  'http_requests_total{method="post",code="400"} 3',
  '# A plain comment',
  '# HELP msdos_file_access_time_seconds Escapes: \\\\ and \\n.',
  '# TYPE msdos_file_access_time_seconds gauge',
  'msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9',
  '# TYPE rpc_duration_seconds histogram',
  'rpc_duration_seconds_bucket{le="0.05"} 24054',
  'rpc_duration_seconds_bucket{le="0.1"} 33444',
  'rpc_duration_seconds_bucket{le="+Inf"} 144320',
  'rpc_duration_seconds_sum 53423',
  'rpc_duration_seconds_count 144320',
  'untyped_metric -Inf',
  '',
].join('\n');

describe('parseExposition', () => {
  it('parses the documented example, including escapes, timestamps and histograms', () => {
    const families = parseExposition(valid);
    expect(families.get('http_requests_total')).toMatchObject({
      type: 'counter',
      help: 'The total number of HTTP requests.',
    });
    expect(sampleValue(families, 'http_requests_total', { code: '200' })).toBe(1027);
    expect(families.get('http_requests_total')?.samples[0]?.timestamp).toBe(1395066363000);
    const msdos = families.get('msdos_file_access_time_seconds');
    expect(msdos?.help).toBe('Escapes: \\ and \n.');
    expect(msdos?.samples[0]?.labels).toEqual({
      path: 'C:\\DIR\\FILE.TXT',
      error: 'Cannot find file:\n"FILE.TXT"',
    });
    expect(sampleValue(families, 'rpc_duration_seconds_count')).toBe(144320);
    expect(sampleValue(families, 'untyped_metric')).toBe(-Infinity);
  });

  it("accepts the float spellings Go's ParseFloat accepts (prom-client writes Nan)", () => {
    const families = parseExposition('a Nan\nb +inf\nc -Infinity\nd 1e-3\n');
    expect(sampleValue(families, 'a')).toBeNaN();
    expect(sampleValue(families, 'b')).toBe(Infinity);
    expect(sampleValue(families, 'c')).toBe(-Infinity);
    expect(sampleValue(families, 'd')).toBe(0.001);
  });

  it.each([
    ['bad metric name', '9metric 1\n'],
    ['bad label escape', 'm{a="\\x"} 1\n'],
    ['unterminated label value', 'm{a="x} 1\n'],
    ['duplicate label', 'm{a="1",a="2"} 1\n'],
    ['bad value', 'm 1.2.3\n'],
    ['word value', 'm nope\n'],
    ['bad timestamp', 'm 1 12.5\n'],
    ['missing value', 'm{a="1"}\n'],
    ['duplicate series', 'm{a="1"} 1\nm{a="1"} 2\n'],
    ['TYPE after samples', 'm 1\n# TYPE m gauge\n'],
    ['unknown type', '# TYPE m meter\nm 1\n'],
    ['interleaved families', 'a 1\nb 1\na{x="y"} 2\n'],
    ['negative counter', '# TYPE c counter\nc -1\n'],
    [
      'non-cumulative histogram',
      '# TYPE h histogram\nh_bucket{le="1"} 5\nh_bucket{le="+Inf"} 3\nh_sum 1\nh_count 3\n',
    ],
    ['histogram without +Inf', '# TYPE h histogram\nh_bucket{le="1"} 5\nh_sum 1\nh_count 5\n'],
    [
      '+Inf bucket differing from count',
      '# TYPE h histogram\nh_bucket{le="+Inf"} 5\nh_sum 1\nh_count 4\n',
    ],
    ['missing final newline', 'm 1'],
  ])('rejects %s', (_, text) => {
    expect(() => parseExposition(text)).toThrow();
  });
});
