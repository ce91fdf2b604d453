import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  backgroundThreads,
  lowerBackgroundThreads,
  uvPoolSize,
  type ThreadInfo,
} from './background-threads.js';

// Node 20 with an ES module entry: main, the delayed-task thread, 4 V8 workers, the inspector's
// signal thread (created before any JavaScript), then libuv's 4 pool threads (the loader's reads).
const MAIN = 100;
const startup: ThreadInfo[] = [
  { tid: 100, ioCalls: 90 },
  { tid: 102, ioCalls: 0 },
  { tid: 103, ioCalls: 0 },
  { tid: 104, ioCalls: 0 },
  { tid: 105, ioCalls: 0 },
  { tid: 106, ioCalls: 0 },
  { tid: 107, ioCalls: 0 },
  { tid: 108, ioCalls: 1 },
  { tid: 109, ioCalls: 0 }, // a pool thread that got no job yet
  { tid: 110, ioCalls: 2 },
  { tid: 111, ioCalls: 1 },
];

describe('backgroundThreads', () => {
  it('picks the threads created before the pool, never the main thread or the pool', () => {
    expect(backgroundThreads(MAIN, startup, 4)).toEqual([102, 103, 104, 105, 106, 107]);
  });

  it('keeps a thread that made I/O system calls even if it looks older than the pool', () => {
    // With a pool of 2 assumed, 108 and 109 would be candidates: 108 did I/O (a pool thread).
    expect(backgroundThreads(MAIN, startup, 2)).toEqual([102, 103, 104, 105, 106, 107, 109]);
  });

  it('does not depend on the order /proc lists the threads in', () => {
    expect(backgroundThreads(MAIN, [...startup].reverse(), 4)).toEqual([
      102, 103, 104, 105, 106, 107,
    ]);
  });

  it('picks nothing when there are no more threads than the pool', () => {
    expect(backgroundThreads(MAIN, startup.slice(0, 4), 4)).toEqual([]);
  });
});

describe('uvPoolSize', () => {
  it('is libuv default of 4, or UV_THREADPOOL_SIZE clamped as libuv clamps it', () => {
    expect(uvPoolSize({})).toBe(4);
    expect(uvPoolSize({ UV_THREADPOOL_SIZE: '8' })).toBe(8);
    expect(uvPoolSize({ UV_THREADPOOL_SIZE: '0' })).toBe(1);
    expect(uvPoolSize({ UV_THREADPOOL_SIZE: '5000' })).toBe(1024);
    expect(uvPoolSize({ UV_THREADPOOL_SIZE: 'x' })).toBe(4);
  });
});

describe('lowerBackgroundThreads', () => {
  const run = (
    nice: number,
    platform: NodeJS.Platform,
    failFor: number[] = [],
  ): { changed: number[]; calls: Array<[number, number]> } => {
    const calls: Array<[number, number]> = [];
    const changed = lowerBackgroundThreads(nice, {
      platform,
      pid: MAIN,
      threads: () => startup,
      env: {},
      setPriority: (tid, n) => {
        if (failFor.includes(tid)) throw new Error('ESRCH');
        calls.push([tid, n]);
      },
    });
    return { changed, calls };
  };

  it('sets the nice value of the background threads on Linux', () => {
    const { changed, calls } = run(19, 'linux');
    expect(changed).toEqual([102, 103, 104, 105, 106, 107]);
    expect(calls.every(([, n]) => n === 19)).toBe(true);
  });

  it('does nothing with nice 0 or on another platform', () => {
    expect(run(0, 'linux').calls).toEqual([]);
    expect(run(19, 'darwin').calls).toEqual([]);
  });

  it('skips a thread it cannot change (ended meanwhile) and goes on', () => {
    expect(run(19, 'linux', [103]).changed).toEqual([102, 104, 105, 106, 107]);
  });

  it('does nothing when the threads cannot be read', () => {
    expect(
      lowerBackgroundThreads(19, {
        platform: 'linux',
        threads: () => {
          throw new Error('no /proc');
        },
      }),
    ).toEqual([]);
  });

  it.runIf(process.platform === 'linux')(
    'leaves this process alone when told nice 0, and reads /proc otherwise',
    () => {
      const before = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
      expect(lowerBackgroundThreads(0)).toEqual([]);
      expect(readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(' ')[18]).toBe(
        before.split(' ')[18],
      );
    },
  );
});
