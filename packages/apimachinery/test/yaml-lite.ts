/**
 * A small YAML subset reader for test fixtures (block maps and sequences, plain and quoted
 * scalars, `{}`/`[]`, flow lists of scalars), so upstream's YAML test tables can be pasted as
 * they are. Not a general YAML parser.
 */
import type { JsonValue } from '../src/util/json.js';

interface Line {
  indent: number;
  text: string;
}

function scalar(raw: string): JsonValue {
  const s = raw.trim();
  if (s === '' || s === 'null' || s === '~') return null;
  if (s === 'true') return true;
  if (s === 'false') return false;
  if (s === '{}') return {};
  if (s === '[]') return [];
  if (/^-?[0-9]+$/.test(s)) return Number(s);
  if (/^-?[0-9]*\.[0-9]+$/.test(s)) return Number(s);
  if (s.startsWith('"') && s.endsWith('"')) return JSON.parse(s) as string;
  if (s.startsWith("'") && s.endsWith("'")) return s.slice(1, -1).replace(/''/g, "'");
  if (s.startsWith('[') && s.endsWith(']')) {
    const inner = s.slice(1, -1).trim();
    return inner === '' ? [] : inner.split(',').map((x) => scalar(x));
  }
  return s;
}

/** Splits `key: value`; the key may contain '/' and '$' but not ': '. */
function splitKey(text: string): [string, string] | null {
  const m = /^("[^"]*"|[^:]+?):(?:\s+(.*)|\s*)$/.exec(text);
  if (!m) return null;
  const key = m[1]!.startsWith('"') ? (JSON.parse(m[1]!) as string) : m[1]!;
  return [key, m[2] ?? ''];
}

class Reader {
  private i = 0;
  constructor(private readonly lines: Line[]) {}

  private peek(): Line | undefined {
    return this.lines[this.i];
  }

  parseBlock(indent: number): JsonValue {
    const line = this.peek();
    if (!line || line.indent < indent) return null;
    return line.text.startsWith('- ') || line.text === '-'
      ? this.parseSeq(line.indent)
      : this.parseMap(line.indent);
  }

  private parseSeq(indent: number): JsonValue[] {
    const out: JsonValue[] = [];
    for (;;) {
      const line = this.peek();
      if (!line || line.indent !== indent || !(line.text.startsWith('- ') || line.text === '-'))
        return out;
      const content = line.text === '-' ? '' : line.text.slice(2);
      if (content.trim() === '') {
        this.i++;
        out.push(this.parseBlock(indent + 1));
      } else if (splitKey(content) && !content.startsWith('"')) {
        // "- key: value": the item is a map starting on this line.
        this.lines[this.i] = { indent: indent + 2, text: content };
        out.push(this.parseMap(indent + 2));
      } else {
        this.i++;
        out.push(scalar(content));
      }
    }
  }

  private parseMap(indent: number): JsonValue {
    const out: Record<string, JsonValue> = {};
    for (;;) {
      const line = this.peek();
      if (!line || line.indent !== indent || line.text.startsWith('- ')) return out;
      const kv = splitKey(line.text);
      if (!kv) throw new Error(`yaml-lite: cannot parse line ${JSON.stringify(line.text)}`);
      this.i++;
      const [key, rest] = kv;
      if (rest.trim() !== '') {
        out[key] = scalar(rest);
        continue;
      }
      const next = this.peek();
      if (next && next.indent > indent) out[key] = this.parseBlock(next.indent);
      else if (next && next.indent === indent && next.text.startsWith('- '))
        out[key] = this.parseBlock(indent);
      else out[key] = null;
    }
  }
}

/** Parses a YAML document of the supported subset. */
export function parseYamlLite(text: string): JsonValue {
  const lines: Line[] = [];
  for (const raw of text.split('\n')) {
    if (raw.trim() === '' || raw.trim().startsWith('#')) continue;
    const indent = raw.length - raw.trimStart().length;
    lines.push({ indent, text: raw.trim() });
  }
  if (lines.length === 0) return null;
  if (lines.length === 1 && !lines[0]!.text.startsWith('- ') && !splitKey(lines[0]!.text)) {
    return scalar(lines[0]!.text);
  }
  return new Reader(lines).parseBlock(lines[0]!.indent);
}
