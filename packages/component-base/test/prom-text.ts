/**
 * A strict parser for the Prometheus text exposition format 0.0.4, for tests that scrape
 * `/metrics`. It rejects what Prometheus itself would reject (bad names, bad escapes, bad
 * values, duplicate series, TYPE after samples, interleaved families) and checks histogram
 * consistency (cumulative buckets, `+Inf` bucket equal to `_count`).
 *
 * https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format
 */

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
  timestamp?: number;
}

export interface MetricFamily {
  name: string;
  help?: string;
  type: MetricType;
  samples: Sample[];
}

export class ExpositionError extends Error {
  constructor(lineNumber: number, message: string) {
    super(`line ${lineNumber}: ${message}`);
  }
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set<MetricType>(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

/** The family a sample belongs to: `x_bucket` belongs to histogram `x`, and so on. */
function familyOf(sampleName: string, families: Map<string, MetricFamily>): string {
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (sampleName.endsWith(suffix)) {
      const base = sampleName.slice(0, -suffix.length);
      const type = families.get(base)?.type;
      if (type === 'histogram' || (type === 'summary' && suffix !== '_bucket')) return base;
    }
  }
  return sampleName;
}

export function parseExposition(text: string): Map<string, MetricFamily> {
  if (text !== '' && !text.endsWith('\n')) throw new ExpositionError(0, 'missing final newline');
  const families = new Map<string, MetricFamily>();
  const finished = new Set<string>();
  const seriesSeen = new Set<string>();
  let current: string | undefined;
  const lines = text.split('\n');
  lines.pop();

  const family = (name: string, lineNumber: number): MetricFamily => {
    if (current !== name) {
      if (finished.has(name)) {
        throw new ExpositionError(lineNumber, `metric family ${name} is not contiguous`);
      }
      if (current !== undefined) finished.add(current);
      current = name;
    }
    let f = families.get(name);
    if (f === undefined) {
      f = { name, type: 'untyped', samples: [] };
      families.set(name, f);
    }
    return f;
  };

  lines.forEach((line, index) => {
    const n = index + 1;
    if (line.trim() === '') return;
    if (line.startsWith('#')) {
      const match = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(line);
      if (match === null) return; // plain comment
      const [, keyword, name = '', rest = ''] = match;
      if (!METRIC_NAME.test(name)) throw new ExpositionError(n, `invalid metric name "${name}"`);
      const f = family(name, n);
      if (keyword === 'HELP') {
        if (f.help !== undefined) throw new ExpositionError(n, `second HELP for ${name}`);
        f.help = unescapeHelp(rest, n);
      } else {
        if (f.samples.length > 0)
          throw new ExpositionError(n, `TYPE for ${name} after its samples`);
        if (!TYPES.has(rest as MetricType)) throw new ExpositionError(n, `unknown type "${rest}"`);
        f.type = rest as MetricType;
      }
      return;
    }
    const sample = parseSample(line, n);
    const f = family(familyOf(sample.name, families), n);
    checkSampleAgainstType(f, sample, n);
    const key = `${sample.name}{${Object.entries(sample.labels)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(',')}}`;
    if (seriesSeen.has(key)) throw new ExpositionError(n, `duplicate series ${key}`);
    seriesSeen.add(key);
    f.samples.push(sample);
  });
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f);
  return families;
}

function checkSampleAgainstType(f: MetricFamily, sample: Sample, n: number): void {
  if (f.type === 'histogram' && sample.name === `${f.name}_bucket` && !('le' in sample.labels)) {
    throw new ExpositionError(n, `histogram bucket without le label`);
  }
  if (f.type === 'counter' && sample.value < 0) {
    throw new ExpositionError(n, `negative counter ${sample.name}`);
  }
  if ((f.type === 'counter' || f.type === 'gauge') && sample.name !== f.name) {
    throw new ExpositionError(n, `sample ${sample.name} in ${f.type} ${f.name}`);
  }
}

function checkHistogram(f: MetricFamily): void {
  const groups = new Map<string, { buckets: [number, number][]; count?: number }>();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const group = groups.get(key) ?? { buckets: [] };
    groups.set(key, group);
    if (s.name === `${f.name}_bucket`) group.buckets.push([parseValue(le ?? '', 0), s.value]);
    if (s.name === `${f.name}_count`) group.count = s.value;
  }
  for (const [key, group] of groups) {
    group.buckets.sort((a, b) => a[0] - b[0]);
    const last = group.buckets[group.buckets.length - 1];
    if (last === undefined || last[0] !== Infinity) {
      throw new Error(`histogram ${f.name}${key}: no +Inf bucket`);
    }
    for (let i = 1; i < group.buckets.length; i++) {
      if (
        (group.buckets[i] as [number, number])[1] < (group.buckets[i - 1] as [number, number])[1]
      ) {
        throw new Error(`histogram ${f.name}${key}: buckets are not cumulative`);
      }
    }
    if (group.count !== last[1]) {
      throw new Error(`histogram ${f.name}${key}: +Inf bucket ${last[1]} != _count ${group.count}`);
    }
  }
}

function parseSample(line: string, n: number): Sample {
  const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
  if (nameMatch === null) throw new ExpositionError(n, `invalid sample line "${line}"`);
  const name = nameMatch[0];
  let pos = name.length;
  const labels: Record<string, string> = {};
  if (line[pos] === '{') {
    pos++;
    for (;;) {
      while (line[pos] === ' ') pos++;
      if (line[pos] === '}') {
        pos++;
        break;
      }
      const labelMatch = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(pos));
      if (labelMatch === null || !LABEL_NAME.test(labelMatch[0])) {
        throw new ExpositionError(n, `invalid label name at column ${pos + 1}`);
      }
      const label = labelMatch[0];
      pos += label.length;
      if (line[pos] !== '=' || line[pos + 1] !== '"') {
        throw new ExpositionError(n, `expected ="..." after label ${label}`);
      }
      pos += 2;
      let value = '';
      for (;;) {
        const c = line[pos];
        if (c === undefined) throw new ExpositionError(n, `unterminated value for label ${label}`);
        pos++;
        if (c === '"') break;
        if (c === '\\') {
          const e = line[pos];
          pos++;
          if (e === '\\') value += '\\';
          else if (e === '"') value += '"';
          else if (e === 'n') value += '\n';
          else throw new ExpositionError(n, `invalid escape \\${e ?? ''} in label ${label}`);
        } else {
          value += c;
        }
      }
      if (label in labels) throw new ExpositionError(n, `duplicate label ${label}`);
      labels[label] = value;
      if (line[pos] === ',') pos++;
      else if (line[pos] !== '}')
        throw new ExpositionError(n, `expected , or } after label ${label}`);
    }
  }
  if (line[pos] !== ' ') throw new ExpositionError(n, `expected a space before the value`);
  const fields = line.slice(pos + 1).split(' ');
  if (fields.length < 1 || fields.length > 2 || fields[0] === '') {
    throw new ExpositionError(n, `expected "value [timestamp]", got "${line.slice(pos + 1)}"`);
  }
  const sample: Sample = { name, labels, value: parseValue(fields[0] as string, n) };
  if (fields[1] !== undefined) {
    if (!/^-?\d+$/.test(fields[1]))
      throw new ExpositionError(n, `invalid timestamp "${fields[1]}"`);
    sample.timestamp = Number(fields[1]);
  }
  return sample;
}

function parseValue(text: string, n: number): number {
  // Prometheus reads values with Go's strconv.ParseFloat, which takes NaN and Inf in any case
  // (prom-client writes "Nan").
  const special = /^([+-]?)(inf|infinity|nan)$/i.exec(text);
  if (special !== null) {
    if ((special[2] ?? '').toLowerCase() === 'nan') return NaN;
    return special[1] === '-' ? -Infinity : Infinity;
  }
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) {
    throw new ExpositionError(n, `invalid value "${text}"`);
  }
  return Number(text);
}

function unescapeHelp(text: string, n: number): string {
  return text.replace(/\\(.?)/g, (_, e: string) => {
    if (e === '\\') return '\\';
    if (e === 'n') return '\n';
    throw new ExpositionError(n, `invalid escape \\${e} in HELP`);
  });
}

/** The value of the one sample of `name` whose labels include `labels`. */
export function sampleValue(
  families: Map<string, MetricFamily>,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const f of families.values()) {
    for (const s of f.samples) {
      if (s.name !== name) continue;
      if (Object.entries(labels).every(([k, v]) => s.labels[k] === v)) return s.value;
    }
  }
  return undefined;
}
