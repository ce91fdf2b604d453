/**
 * field.Path: the location of a value inside an object, rendered the way upstream validation
 * messages name fields (`spec.containers[0].image`, `metadata.annotations[foo]`).
 * Immutable: every step returns a new Path that shares its parent.
 */
export class Path {
  private constructor(
    private readonly name: string,
    private readonly index: string,
    private readonly parent: Path | null,
  ) {}

  /** A root path from one or more field names: `Path.new('metadata', 'labels')`. */
  static new(name: string, ...moreNames: string[]): Path {
    let p = new Path(name, '', null);
    for (const n of moreNames) p = new Path(n, '', p);
    return p;
  }

  /** The first element of this path. */
  root(): Path {
    return this.parent === null ? this : this.parent.root();
  }

  /** A field below this one: `path.child('spec', 'replicas')`. */
  child(name: string, ...moreNames: string[]): Path {
    let p = new Path(name, '', this);
    for (const n of moreNames) p = new Path(n, '', p);
    return p;
  }

  /** A list element: `containers[0]`. */
  at(index: number): Path {
    return new Path('', String(index), this);
  }

  /** A map entry: `annotations[foo]` (the key is not quoted, as upstream). */
  key(key: string): Path {
    return new Path('', key, this);
  }

  toString(): string {
    const elems: Path[] = [this];
    for (let p = this.parent; p !== null; p = p.parent) elems.push(p);
    let out = '';
    for (let i = elems.length - 1; i >= 0; i--) {
      const p = elems[i]!;
      if (p.parent !== null && p.name.length > 0) out += '.';
      out += p.name.length > 0 ? p.name : `[${p.index}]`;
    }
    return out;
  }
}

/** Renders an optional path as upstream does for a nil *field.Path. */
export function pathString(path: Path | null | undefined): string {
  return path ? path.toString() : '<nil>';
}
