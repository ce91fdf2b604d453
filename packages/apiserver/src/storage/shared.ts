/**
 * Values derived once per shared object. Objects served from the watch cache are shared by every
 * list and watcher (and must be treated as read-only): their served-version view and their
 * encoded watch lines are computed once per object, not once per watcher, and are collected with
 * the object.
 */
const derived = new WeakMap<object, Map<string, unknown>>();

export function memoized<T>(obj: object, key: string, compute: () => T): T {
  let m = derived.get(obj);
  if (!m) {
    m = new Map();
    derived.set(obj, m);
  }
  if (m.has(key)) return m.get(key) as T;
  const value = compute();
  m.set(key, value);
  return value;
}

/** True when `obj`'s first two members are `apiVersion` then `kind` (the served order). */
export function startsWithTypeMeta(obj: object): boolean {
  let i = 0;
  for (const k in obj) {
    if (i === 0 && k !== 'apiVersion') return false;
    if (i === 1) return k === 'kind';
    i++;
  }
  return false;
}
