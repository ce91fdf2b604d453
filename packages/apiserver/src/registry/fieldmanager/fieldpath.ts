/**
 * Field paths and field sets as server-side apply tracks them (sigs.k8s.io/structured-merge-diff
 * fieldpath), with the `FieldsV1` wire form found in `metadata.managedFields`:
 *
 *   {"f:spec":{"f:containers":{"k:{\"name\":\"nginx\"}":{".":{},"f:image":{}}}}}
 *
 * Path elements are kept in their serialized form (`f:name`, `k:{"name":"x"}`, `v:"a"`, `i:3`):
 * that is the form they are stored and compared in, and it makes the set a plain trie.
 */
import type { JsonObject, JsonValue } from '@kubets/apimachinery';

/** One step of a path, serialized: `f:<field>`, `k:<key json>`, `v:<value json>`, `i:<index>`. */
export type PathElement = string;
export type FieldPath = readonly PathElement[];

export const fieldElement = (name: string): PathElement => `f:${name}`;
export const indexElement = (i: number): PathElement => `i:${i}`;
export const valueElement = (v: JsonValue): PathElement => `v:${JSON.stringify(v)}`;

/** A map-list item's key: the key fields, sorted by name, as upstream serializes them. */
export function keyElement(item: JsonObject, keys: readonly string[]): PathElement | undefined {
  const out: JsonObject = {};
  for (const k of [...keys].sort()) {
    const v = item[k];
    if (v === undefined || v === null) return undefined;
    out[k] = v;
  }
  return `k:${JSON.stringify(out)}`;
}

/** `.spec.containers[name="nginx"].image`, as conflict messages print a path. */
export function formatPath(path: FieldPath): string {
  let out = '';
  for (const pe of path) {
    const kind = pe.slice(0, 2);
    const body = pe.slice(2);
    if (kind === 'f:') out += `.${body}`;
    else if (kind === 'i:') out += `[${body}]`;
    else if (kind === 'v:') out += `[=${body}]`;
    else if (kind === 'k:') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        parsed = undefined;
      }
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
        out += `[${Object.entries(parsed as JsonObject)
          .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
          .join(',')}]`;
      } else {
        out += `[${body}]`;
      }
    } else out += `<${pe}>`;
  }
  return out;
}

/** The rank of an element's kind in upstream's order: `f:` 0, `k:` 1, `v:` 2, `i:` 3, else 4. */
function kindRank(pe: PathElement): number {
  // Character codes, not slices: this runs for every comparison of every sort on every write.
  if (pe.charCodeAt(1) !== 58 /* : */) return 4;
  switch (pe.charCodeAt(0)) {
    case 102 /* f */:
      return 0;
    case 107 /* k */:
      return 1;
    case 118 /* v */:
      return 2;
    case 105 /* i */:
      return 3;
    default:
      return 4;
  }
}

/** Upstream's element order (fields, then keys, values, indexes; each sorted). */
export function compareElements(a: PathElement, b: PathElement): number {
  const ka = kindRank(a);
  const kb = kindRank(b);
  if (ka !== kb) return ka - kb;
  if (ka === 3) return Number(a.slice(2)) - Number(b.slice(2));
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A set of paths as a trie. A node may be a member itself (a leaf field, or a list item that
 * is tracked as a whole and also has tracked children).
 */
export class FieldSet {
  private readonly members = new Set<PathElement>();
  private readonly children = new Map<PathElement, FieldSet>();

  static fromPaths(paths: Iterable<FieldPath>): FieldSet {
    const s = new FieldSet();
    for (const p of paths) s.insert(p);
    return s;
  }

  insert(path: FieldPath): void {
    if (path.length === 0) return;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- walking down the trie.
    let node: FieldSet = this;
    for (let i = 0; i < path.length - 1; i++) node = node.child(path[i]!, true)!;
    node.members.add(path[path.length - 1]!);
  }

  has(path: FieldPath): boolean {
    if (path.length === 0) return false;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- walking down the trie.
    let node: FieldSet | undefined = this;
    for (let i = 0; i < path.length - 1 && node; i++) node = node.children.get(path[i]!);
    return node?.members.has(path[path.length - 1]!) ?? false;
  }

  /** True when the set has `path` or any path below it. */
  hasPrefix(path: FieldPath): boolean {
    const [head, ...rest] = path;
    if (head === undefined) return !this.isEmpty();
    if (rest.length === 0)
      return this.members.has(head) || !(this.children.get(head)?.isEmpty() ?? true);
    return this.children.get(head)?.hasPrefix(rest) ?? false;
  }

  isEmpty(): boolean {
    if (this.members.size > 0) return false;
    for (const c of this.children.values()) if (!c.isEmpty()) return false;
    return true;
  }

  /** Every member path, depth first in element order. */
  *paths(prefix: PathElement[] = []): Generator<PathElement[]> {
    const keys = new Set<PathElement>([...this.members, ...this.children.keys()]);
    for (const pe of [...keys].sort(compareElements)) {
      if (this.members.has(pe)) yield [...prefix, pe];
      const c = this.children.get(pe);
      if (c) yield* c.paths([...prefix, pe]);
    }
  }

  /**
   * Calls `fn` with every member path, in no particular order (cheaper than paths()). The array
   * is reused between calls: copy it to keep it.
   */
  forEachPath(fn: (path: FieldPath) => void, prefix: PathElement[] = []): void {
    for (const pe of this.members) {
      prefix.push(pe);
      fn(prefix);
      prefix.pop();
    }
    for (const [pe, c] of this.children) {
      prefix.push(pe);
      c.forEachPath(fn, prefix);
      prefix.pop();
    }
  }

  size(): number {
    let n = this.members.size;
    for (const c of this.children.values()) n += c.size();
    return n;
  }

  // The set operations work on the tries directly (they run on every write, for every manager);
  // the results hold no empty subtrees, as a set rebuilt from its paths would not.

  union(other: FieldSet): FieldSet {
    const out = this.clone();
    out.addAll(other);
    return out;
  }

  difference(other: FieldSet): FieldSet {
    return this.filtered(other, false);
  }

  intersection(other: FieldSet): FieldSet {
    return this.filtered(other, true);
  }

  clone(): FieldSet {
    const out = new FieldSet();
    for (const pe of this.members) out.members.add(pe);
    for (const [pe, c] of this.children) {
      const copy = c.clone();
      if (!copy.isEmpty()) out.children.set(pe, copy);
    }
    return out;
  }

  /** Adds every path of `other` below `prefix` (`prefix` + each path). */
  insertUnder(prefix: FieldPath, other: FieldSet): void {
    if (other.isEmpty()) return;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- walking down the trie.
    let node: FieldSet = this;
    for (const pe of prefix) node = node.child(pe, true)!;
    node.addAll(other);
  }

  private addAll(other: FieldSet): void {
    for (const pe of other.members) this.members.add(pe);
    for (const [pe, c] of other.children) {
      if (c.isEmpty()) continue;
      this.child(pe, true)!.addAll(c);
    }
  }

  /** The members of this set that are (keep) or are not (!keep) in `other`. */
  private filtered(other: FieldSet | undefined, keep: boolean): FieldSet {
    const out = new FieldSet();
    for (const pe of this.members) {
      if ((other?.members.has(pe) ?? false) === keep) out.members.add(pe);
    }
    for (const [pe, c] of this.children) {
      const o = other?.children.get(pe);
      if (keep && !o) continue;
      const sub = c.filtered(o, keep);
      if (!sub.isEmpty()) out.children.set(pe, sub);
    }
    return out;
  }

  /** The FieldsV1 JSON object. */
  toFieldsV1(): JsonObject {
    const out: JsonObject = {};
    this.writeFieldsV1(out);
    return out;
  }

  /**
   * Writes this level's elements into `out` in upstream's order (a member with tracked children
   * as `{".": {}, ...children}`); returns whether it wrote anything. Built in place: this runs
   * on every write.
   */
  private writeFieldsV1(out: JsonObject): boolean {
    const keys = [...this.members];
    for (const pe of this.children.keys()) if (!this.members.has(pe)) keys.push(pe);
    if (keys.length > 1) keys.sort(compareElements);
    let wrote = false;
    for (const pe of keys) {
      const c = this.children.get(pe);
      if (this.members.has(pe)) {
        if (c && !c.isEmpty()) {
          const node: JsonObject = { '.': {} };
          c.writeFieldsV1(node);
          out[pe] = node;
        } else {
          out[pe] = {};
        }
        wrote = true;
      } else if (c) {
        const node: JsonObject = {};
        if (c.writeFieldsV1(node)) {
          out[pe] = node;
          wrote = true;
        }
      }
    }
    return wrote;
  }

  /**
   * A copy without the top-level elements `dropTop` names (and everything below them), and
   * without the elements in `dropBelow` directly under the top-level element `under` (and
   * everything below those): the field manager's stripping of fields it never tracks.
   */
  pruned(
    dropTop: (pe: PathElement) => boolean,
    under: PathElement,
    dropBelow: ReadonlySet<PathElement>,
  ): FieldSet {
    const out = new FieldSet();
    for (const pe of this.members) if (!dropTop(pe)) out.members.add(pe);
    for (const [pe, c] of this.children) {
      if (dropTop(pe)) continue;
      let copy: FieldSet;
      if (pe === under) {
        copy = new FieldSet();
        for (const m of c.members) if (!dropBelow.has(m)) copy.members.add(m);
        for (const [m, cc] of c.children) {
          if (dropBelow.has(m)) continue;
          const sub = cc.clone();
          if (!sub.isEmpty()) copy.children.set(m, sub);
        }
      } else {
        copy = c.clone();
      }
      if (!copy.isEmpty()) out.children.set(pe, copy);
    }
    return out;
  }

  /** Parses FieldsV1; throws on malformed input (the API returns 400 for it). */
  static fromFieldsV1(json: unknown): FieldSet {
    const set = new FieldSet();
    const walk = (node: unknown, prefix: PathElement[]): void => {
      if (node === null || typeof node !== 'object' || Array.isArray(node)) {
        throw new Error(
          `invalid fieldsV1 at ${formatPath(prefix) || '<root>'}: expected an object`,
        );
      }
      for (const [pe, child] of Object.entries(node as Record<string, unknown>)) {
        if (pe === '.') {
          if (prefix.length === 0) throw new Error('invalid fieldsV1: "." at the root');
          set.insert(prefix);
          continue;
        }
        if (!/^[fkvi]:/.test(pe))
          throw new Error(`invalid fieldsV1 path element ${JSON.stringify(pe)}`);
        const path = [...prefix, pe];
        if (child !== null && typeof child === 'object' && Object.keys(child).length === 0)
          set.insert(path);
        else walk(child, path);
      }
    };
    walk(json, []);
    return set;
  }

  /** True when `pe` itself is a member at this level. */
  hasMember(pe: PathElement): boolean {
    return this.members.has(pe);
  }

  /** The subtree below `pe` (undefined when nothing is tracked below it). */
  childAt(pe: PathElement): FieldSet | undefined {
    const c = this.children.get(pe);
    return c && !c.isEmpty() ? c : undefined;
  }

  /** Removes every path below (and including) `prefix`. */
  removePrefix(prefix: FieldPath): void {
    const [head, ...rest] = prefix;
    if (head === undefined) {
      this.members.clear();
      this.children.clear();
    } else if (rest.length === 0) {
      this.members.delete(head);
      this.children.delete(head);
    } else {
      this.children.get(head)?.removePrefix(rest);
    }
  }

  /** Keeps only the paths below (and including) `prefix`. */
  onlyUnder(prefix: FieldPath): FieldSet {
    return FieldSet.fromPaths(
      [...this.paths()].filter((p) => prefix.every((pe, i) => p[i] === pe)),
    );
  }

  private child(pe: PathElement, create: boolean): FieldSet | undefined {
    let c = this.children.get(pe);
    if (!c && create) {
      c = new FieldSet();
      this.children.set(pe, c);
    }
    return c;
  }
}
