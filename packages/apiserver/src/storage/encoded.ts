/**
 * The JSON text of an object just written, kept for the answer: a create or update encodes the
 * object for etcd, and the REST answer is that same object with `resourceVersion` (and
 * `apiVersion`/`kind` first), so it is assembled from the member texts already produced instead
 * of stringifying the whole object a second time.
 *
 * Only objects this request owns carry a text (the store's results and their relabelled views),
 * and they are not modified afterwards: the registry hands them to the response as they are.
 */
import type { ApiObject } from './codec.js';

/** Top-level members in serialization order, each with its JSON text. */
interface Members {
  keys: string[];
  texts: string[];
}

const members = new WeakMap<object, Members>();

const INDEX_KEY = /^(0|[1-9][0-9]*)$/;

/**
 * The stored bytes of `obj` (resourceVersion and selfLink removed, as codec.encodeObject) and
 * its member texts: the same bytes JSON.stringify would give, built member by member.
 */
export function encodeMembers(obj: ApiObject): { bytes: Buffer; members: Members } {
  const keys: string[] = [];
  const texts: string[] = [];
  const src = obj as Record<string, unknown>;
  for (const k of Object.keys(src)) {
    let v = src[k];
    if (k === 'metadata' && v !== null && typeof v === 'object') {
      const meta = v as Record<string, unknown>;
      if (meta.resourceVersion !== undefined || meta.selfLink !== undefined) {
        const { resourceVersion: _rv, selfLink: _sl, ...rest } = meta;
        v = rest;
      }
    }
    const text = JSON.stringify(v) as string | undefined;
    // JSON.stringify leaves out members it cannot encode (undefined, functions).
    if (text === undefined) continue;
    keys.push(k);
    texts.push(text);
  }
  return { bytes: Buffer.from(assemble(keys, texts)), members: { keys, texts } };
}

/**
 * Records the text of `stored`, the object the store returns for a write encoded as `encoded`:
 * the same members with metadata.resourceVersion set to `revision` as its last member.
 */
export function rememberStored(stored: object, encoded: Members, revision: string): void {
  const keys = [...encoded.keys];
  const texts = [...encoded.texts];
  const rv = `"resourceVersion":${JSON.stringify(revision)}}`;
  const i = keys.indexOf('metadata');
  if (i < 0) {
    keys.push('metadata');
    texts.push(`{${rv}`);
  } else {
    const meta = texts[i]!;
    if (!meta.startsWith('{')) return; // not an object: nothing sensible to splice
    texts[i] = meta === '{}' ? `{${rv}` : `${meta.slice(0, -1)},${rv}`;
  }
  members.set(stored, { keys, texts });
}

/**
 * Records the text of `relabelled` = `{ apiVersion, kind, ...obj }` (objects.relabel) when `obj`
 * has one.
 */
export function rememberRelabelled(
  relabelled: object,
  obj: object,
  apiVersion: string,
  kind: string,
): void {
  const m = members.get(obj);
  // Integer-like keys come first in any object's member order, before apiVersion and kind:
  // such objects (never API objects) are simply stringified.
  if (!m || m.keys.some((k) => INDEX_KEY.test(k))) return;
  const keys = ['apiVersion', 'kind'];
  const texts = [JSON.stringify(apiVersion), JSON.stringify(kind)];
  for (let i = 0; i < m.keys.length; i++) {
    const k = m.keys[i]!;
    if (k === 'apiVersion' || k === 'kind') continue;
    keys.push(k);
    texts.push(m.texts[i]!);
  }
  members.set(relabelled, { keys, texts });
}

/** JSON.stringify(obj) from the recorded member texts, or undefined when none were recorded. */
export function encodedJson(obj: unknown): string | undefined {
  if (obj === null || typeof obj !== 'object') return undefined;
  const m = members.get(obj);
  return m ? assemble(m.keys, m.texts) : undefined;
}

function assemble(keys: readonly string[], texts: readonly string[]): string {
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    if (i > 0) out += ',';
    out += `${JSON.stringify(keys[i])}:${texts[i]!}`;
  }
  return `${out}}`;
}
