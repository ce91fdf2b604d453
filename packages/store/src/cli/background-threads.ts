/**
 * Lowers the CPU priority (raises the nice value) of the member's V8 background threads — the
 * platform workers that run TurboFan compilations and the GC's parallel and concurrent helpers —
 * so that they take a CPU only when no normal-priority thread wants it (decision 0042).
 *
 * Why: each hop of a put is one member's event loop woken by a socket. On a small machine the
 * kernel queues the woken thread on the CPU it was woken on, and in decision 0042's traces the
 * slow puts' hops waited there, 0.3-4 ms, behind whatever held that CPU — most often a V8
 * background thread (a compilation of 1-9 ms, a scavenge's helpers) of some process — while the
 * other CPU was often idle. A thread at nice 19 is preempted by a woken nice-0 thread at once
 * (its virtual time runs ~68x faster), so the event loop gets the CPU and the background work
 * fills the gaps. The event loop itself and libuv's thread pool (the WAL's thread-pool writes,
 * snapshot files) keep their priority: the pool's completions are on the write path.
 *
 * Linux only (the threads are read from /proc/self/task); elsewhere, or when /proc cannot be
 * read, nothing changes.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { setPriority } from 'node:os';

/** What one thread has done so far, from /proc/self/task/<tid>/io. */
export interface ThreadInfo {
  tid: number;
  /** read-like + write-like system calls so far (syscr + syscw). */
  ioCalls: number;
}

/**
 * The threads to lower, given the process's threads. Node creates V8's platform threads (a
 * delayed-task thread and --v8-pool-size workers) and the inspector's signal thread before any
 * JavaScript runs; libuv creates its pool (UV_THREADPOOL_SIZE threads, default 4) on first use —
 * for an ES module entry that is the module loader, before this code runs — so the pool's
 * threads are the newest. Kept at their priority: the main thread, the `poolSize` newest
 * threads, and (in case the order assumption fails) any thread that has made a read or write
 * system call: V8's workers make none (they wait on futexes), the pool's threads make at least
 * one per job (the completion's eventfd write).
 */
export function backgroundThreads(
  mainTid: number,
  threads: readonly ThreadInfo[],
  poolSize: number,
): number[] {
  const others = threads.filter((t) => t.tid !== mainTid).sort((a, b) => a.tid - b.tid);
  const candidates = others.slice(0, Math.max(0, others.length - poolSize));
  return candidates.filter((t) => t.ioCalls === 0).map((t) => t.tid);
}

/** libuv's pool size: UV_THREADPOOL_SIZE, default 4, clamped to 1..1024 as libuv does. */
export function uvPoolSize(env: NodeJS.ProcessEnv): number {
  const n = Number.parseInt(env.UV_THREADPOOL_SIZE ?? '', 10);
  if (!Number.isFinite(n)) return 4;
  return Math.min(1024, Math.max(1, n));
}

function readThreads(): ThreadInfo[] {
  const out: ThreadInfo[] = [];
  for (const name of readdirSync('/proc/self/task')) {
    const tid = Number(name);
    let ioCalls = 0;
    try {
      const io = readFileSync(`/proc/self/task/${name}/io`, 'utf8');
      for (const m of io.matchAll(/^sysc[rw]: (\d+)$/gm)) ioCalls += Number(m[1]);
    } catch {
      // No io file (kernel without task I/O accounting): treat as having done I/O, keep it.
      ioCalls = 1;
    }
    out.push({ tid, ioCalls });
  }
  return out;
}

/**
 * Sets `nice` on the background threads (see the module comment). Returns the threads changed;
 * empty when not on Linux, when `nice` is 0 or when /proc could not be read.
 */
export function lowerBackgroundThreads(
  nice: number,
  deps: {
    platform?: NodeJS.Platform;
    pid?: number;
    threads?: () => ThreadInfo[];
    setPriority?: (tid: number, nice: number) => void;
    env?: NodeJS.ProcessEnv;
  } = {},
): number[] {
  if (nice === 0 || (deps.platform ?? process.platform) !== 'linux') return [];
  let threads: ThreadInfo[];
  try {
    threads = (deps.threads ?? readThreads)();
  } catch {
    return [];
  }
  const set = deps.setPriority ?? setPriority;
  const changed: number[] = [];
  for (const tid of backgroundThreads(
    deps.pid ?? process.pid,
    threads,
    uvPoolSize(deps.env ?? process.env),
  )) {
    try {
      set(tid, nice);
      changed.push(tid);
    } catch {
      // The thread ended, or lowering is not permitted: leave it.
    }
  }
  return changed;
}
