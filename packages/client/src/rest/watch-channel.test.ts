import { describe, expect, it } from 'vitest';
import type { KubeObject } from '@kubets/apimachinery';
import type { WatchEvent } from './interfaces.js';
import { WatchChannel } from './watch-channel.js';

/** The object of a non-ERROR event. */
function objectOf(e: WatchEvent<KubeObject>): KubeObject {
  if (e.type === 'ERROR') throw new Error(`unexpected ERROR event: ${e.object.message ?? ''}`);
  return e.object;
}

const ev = (name: string) => ({
  type: 'ADDED' as const,
  object: { metadata: { name } } as KubeObject,
});

async function collect(ch: WatchChannel<KubeObject>): Promise<string[]> {
  const out: string[] = [];
  for await (const e of ch) out.push(objectOf(e).metadata!.name!);
  return out;
}

describe('WatchChannel', () => {
  it('delivers buffered and live events in order, then ends', async () => {
    const ch = new WatchChannel<KubeObject>();
    ch.push(ev('a'));
    const got = collect(ch);
    ch.push(ev('b'));
    ch.end();
    expect(ch.push(ev('c'))).toBe(false);
    expect(await got).toEqual(['a', 'b']);
    expect(ch.closed).toBe(true);
  });

  it('throws the producer error after the buffered events', async () => {
    const ch = new WatchChannel<KubeObject>();
    ch.push(ev('a'));
    ch.end(new Error('connection reset'));
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const e of ch) seen.push(objectOf(e).metadata!.name!);
      })(),
    ).rejects.toThrow('connection reset');
    expect(seen).toEqual(['a']);
  });

  it('close from the consumer ends the iteration quietly and runs close hooks once', async () => {
    const ch = new WatchChannel<KubeObject>();
    let hooks = 0;
    ch.onClose(() => hooks++);
    const got = collect(ch);
    ch.push(ev('a'));
    await Promise.resolve();
    ch.close();
    ch.end();
    expect(await got).toEqual(['a']);
    expect(hooks).toBe(1);
    let late = 0;
    ch.onClose(() => late++);
    expect(late).toBe(1);
  });

  it('can be iterated only once', () => {
    const ch = new WatchChannel<KubeObject>();
    ch[Symbol.asyncIterator]();
    expect(() => ch[Symbol.asyncIterator]()).toThrow(/only once/);
  });

  it('breaking out of a for-await closes it', async () => {
    const ch = new WatchChannel<KubeObject>();
    ch.push(ev('a'));
    ch.push(ev('b'));
    for await (const _e of ch) break;
    expect(ch.closed).toBe(true);
    expect(ch.push(ev('c'))).toBe(false);
  });
});
