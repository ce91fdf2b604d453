/**
 * `node .bench/bench/put-hops.js` (after `tsc -p bench/tsconfig.json`): where the time of one
 * client's SLOW puts goes, hop by hop across the client and the three members (decision 0042).
 * Starts a 3-member kubets-store cluster with hop-probe.js preloaded, makes BENCH_WARM unmeasured
 * puts and BENCH_PUTS measured ones from one etcd3 client given every member's endpoint (as
 * put-bench's 1-client workload), and after each put reads the run-queue wait (schedstat) of
 * every member's main thread and of its own. Then rebuilds each put's chain from the probes'
 * socket, WAL and GC events on the shared monotonic clock:
 *
 *   req      client start -> the receiving member T reads the request
 *   fwd      T (a follower) reads it -> the leader L reads the forwarded MsgProp
 *   prop     L has the proposal -> L writes its first MsgApp
 *   app      L's MsgApp written -> the first-acknowledging follower F reads it
 *   f-pre    F reads it -> F's WAL write starts
 *   f-wal    F's WAL write
 *   f-ack    F's WAL write ends -> F writes its MsgAppResp
 *   ack      F's MsgAppResp written -> L reads it
 *   l-wal    L's own WAL write ending after that acknowledgement (0 when it ended before)
 *   commit   L can commit -> L writes the answer (T = L) or the commit MsgApp to T
 *   c-wire   (T a follower) the commit MsgApp written -> T reads it
 *   answer   (T a follower) T reads it -> T writes the answer
 *   resp     the answer written -> the client has it
 *
 * and prints each hop's p50 over all puts, its mean in the slow puts (> BENCH_SLOW x p50,
 * default 2) and the excess, then what the owning process was doing during the slow puts' worst
 * hop (GC, a timer callback, a WAL write, run-queue wait).
 *
 * Environment: BENCH_PUTS (default 5000), BENCH_WARM (5000), BENCH_SLOW (2), BENCH_VALUE_BYTES,
 * BENCH_DATA_DIR, KUBETS_STORE_BIN, KUBETS_STORE_ARGS, KUBETS_STORE_NODE_ARGS, BENCH_KEEP (a
 * directory to keep the raw files in), BENCH_VERBOSE=1 (each slow put), PROBE_THREADS=1 (sample
 * every member thread per put: which threads ran during the slow puts; costs the client ~0.5 ms
 * a put), PERF_OUT=<file> (`perf record` of the members' threads through the measured round),
 * SCHED_OUT=<file> (`perf record` of every context switch and wake-up on the box, CLOCK_MONOTONIC:
 * who held the CPU a woken thread waited for; root), PROBE_MARK=1 (time marks in the members'
 * output, to place V8's --trace-opt lines).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Etcd3 } from 'etcd3';
import { putOne, startProbedCluster, stopMembers, waitForLeader } from './probed-cluster.js';

const PUTS = Number(process.env.BENCH_PUTS ?? 5000);
const WARM = Number(process.env.BENCH_WARM ?? 5000);
const SLOW = Number(process.env.BENCH_SLOW ?? 2);
const PROBE = new URL('./hop-probe.js', import.meta.url).pathname;

const DATA = 1;
const WRITE = 2;
const WAL_START = 3;
const WAL_END = 4;
const GC = 5;
const TIMER = 6;
const FIELDS = 5;
/** Float64s per put in `rows`. */
const ROW = 16;
/** Threads per member whose run time is kept per put. */
const TIDS = 16;
/** PROBE_THREADS=1: also sample every member thread per put (costs the client ~0.5 ms a put). */
const THREADS = process.env.PROBE_THREADS === '1';
let threadReport: ((slow: (i: number) => boolean) => void) | undefined;

const offsetUs = Number(process.hrtime.bigint()) / 1e3 - performance.now() * 1e3;
const nowUs = (): number => offsetUs + performance.now() * 1e3;

/** [run time ns, run-queue wait ns] of a thread. */
function schedstat(pid: number, tid = pid): [number, number] {
  try {
    const f = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ');
    return [Number(f[0]), Number(f[1])];
  } catch {
    return [0, 0];
  }
}

/** [run, wait] ns summed over the threads of `pid` other than its main thread. */
function otherThreads(pid: number, tids: number[]): [number, number] {
  let run = 0;
  let wait = 0;
  for (const tid of tids) {
    if (tid === pid) continue;
    const [r, w] = schedstat(pid, tid);
    run += r;
    wait += w;
  }
  return [run, wait];
}

/** CPU ticks (utime + stime) of every process on the box, by "pid comm". */
function allProcessTicks(): Map<string, number> {
  const out = new Map<string, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(d)) continue;
    try {
      const s = readFileSync(`/proc/${d}/stat`, 'utf8');
      const close = s.lastIndexOf(')');
      const f = s.slice(close + 2).split(' ');
      const args = readFileSync(`/proc/${d}/cmdline`, 'utf8').replaceAll('\0', ' ').slice(0, 90);
      out.set(`${d} ${args || s.slice(s.indexOf('(') + 1, close)}`, Number(f[11]) + Number(f[12]));
    } catch {
      // gone
    }
  }
  return out;
}

interface Ev {
  t: number;
  kind: number;
  lp: number;
  rp: number;
  len: number;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? 0;
}

const HOPS = [
  'req',
  'fwd',
  'prop',
  'app',
  'f-pre',
  'f-wal',
  'f-ack',
  'ack',
  'l-wal',
  'commit',
  'c-wire',
  'answer',
  'resp',
] as const;
type Hop = (typeof HOPS)[number];

async function main(): Promise<void> {
  const { work, probeDir, specs, members, endpoints } = await startProbedCluster({
    probe: PROBE,
    token: 'hops',
  });
  const pids = members.map((m) => m.pid!);
  // Per put: start µs, end µs, then [run, wait] ns deltas of the main threads of members 0..2
  // and of this process, then of the members' other threads.
  const rows = new Float64Array(PUTS * ROW);
  let leader = -1;
  try {
    leader = await waitForLeader(endpoints);
    const client = new Etcd3({ hosts: endpoints });
    try {
      for (let i = 0; i < WARM; i++) await putOne(client, i);
      // PERF_OUT: `perf record` the members through the measured round (what their threads run).
      let perf: ChildProcess | undefined;
      if (process.env.PERF_OUT !== undefined) {
        perf = spawn(
          'perf',
          [
            'record',
            '-q',
            '-e',
            'cpu-clock',
            '-F',
            '4999',
            '-g',
            '-p',
            pids.join(','),
            '-o',
            process.env.PERF_OUT,
          ],
          { stdio: 'inherit' },
        );
        await new Promise((r) => setTimeout(r, 1000));
      }
      // SCHED_OUT: the scheduler's switches and wake-ups on every CPU (CLOCK_MONOTONIC, as the
      // probes): who held the CPUs while a hop waited.
      if (process.env.SCHED_OUT !== undefined) {
        perf = spawn(
          'perf',
          [
            'record',
            '-q',
            '-a',
            '-k',
            'CLOCK_MONOTONIC',
            '-e',
            'sched:sched_switch',
            '-e',
            'sched:sched_wakeup',
            '-e',
            'sched:sched_waking',
            '-e',
            'sched:sched_migrate_task',
            '-o',
            process.env.SCHED_OUT,
          ],
          { stdio: 'inherit' },
        );
        await new Promise((r) => setTimeout(r, 1000));
      }
      const all = [...pids, process.pid];
      const tids = pids.map((pid) => readdirSync(`/proc/${pid}/task`).map(Number));
      const sample = (): Array<[number, number]> => [
        ...all.map((pid) => schedstat(pid)),
        ...pids.map((pid, k) =>
          THREADS ? otherThreads(pid, tids[k]!) : ([0, 0] as [number, number]),
        ),
      ];
      // Each member thread's run time per put (up to TIDS per member), to name the busy ones.
      const tidRun = new Float64Array(PUTS * 3 * TIDS);
      let prevTid = tids.map((list, k) =>
        list.slice(0, TIDS).map((t) => schedstat(pids[k]!, t)[0]),
      );
      const ticks0 = allProcessTicks();
      let prev = sample();
      for (let i = 0; i < PUTS; i++) {
        const t0 = nowUs();
        await putOne(client, i);
        const t1 = nowUs();
        const cur = sample();
        const o = i * ROW;
        rows[o] = t0;
        rows[o + 1] = t1;
        for (let k = 0; k < 7; k++) {
          rows[o + 2 + 2 * k] = cur[k]![0] - prev[k]![0];
          rows[o + 3 + 2 * k] = cur[k]![1] - prev[k]![1];
        }
        prev = cur;
        if (!THREADS) continue;
        const curTid = tids.map((list, k) =>
          list.slice(0, TIDS).map((t) => schedstat(pids[k]!, t)[0]),
        );
        curTid.forEach((list, k) =>
          list.forEach((r, j) => (tidRun[(i * 3 + k) * TIDS + j] = r - prevTid[k]![j]!)),
        );
        prevTid = curTid;
      }
      if (THREADS)
        threadReport = (slow: (i: number) => boolean): void => {
          for (let k = 0; k < 3; k++) {
            const parts: string[] = [];
            for (let j = 0; j < Math.min(TIDS, tids[k]!.length); j++) {
              let all = 0;
              let inSlow = 0;
              for (let i = 0; i < PUTS; i++) {
                const v = tidRun[(i * 3 + k) * TIDS + j]!;
                all += v;
                if (slow(i)) inSlow += v;
              }
              if (all > 1e6)
                parts.push(
                  `${tids[k]![j]}: ${(all / 1e6).toFixed(0)} ms (${(inSlow / 1e6).toFixed(0)} in slow puts)`,
                );
            }
            console.log(`m${k + 1} threads (tid: run in window): ${parts.join(', ')}`);
          }
        };
      const ticks1 = allProcessTicks();
      if (perf !== undefined) {
        const done = new Promise((r) => perf.once('exit', r));
        perf.kill('SIGINT');
        await done;
      }
      const used = [...ticks1]
        .map(([k, v]) => [k, v - (ticks0.get(k) ?? 0)] as const)
        .filter(([, v]) => v > 0)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 8);
      console.log(
        `CPU in the measured window (10 ms ticks): ${used.map(([k, v]) => `${v} ${k}`).join(' | ')}`,
      );
    } finally {
      client.close();
    }
  } finally {
    await stopMembers(members);
  }
  if (process.env.BENCH_KEEP !== undefined) {
    writeFileSync(join(probeDir, 'rows.bin'), rows);
    writeFileSync(
      join(probeDir, 'meta.json'),
      JSON.stringify({ specs, pids, leader, load: loadavg()[0] }),
    );
  }
  const evs: Ev[][] = pids.map((pid) => {
    const b = readFileSync(join(probeDir, `hops-${pid}.bin`));
    const f = new Float64Array(b.buffer, b.byteOffset, b.byteLength / 8);
    const out: Ev[] = [];
    for (let o = 0; o < f.length; o += FIELDS)
      out.push({ t: f[o]!, kind: f[o + 1]!, lp: f[o + 2]!, rp: f[o + 3]!, len: f[o + 4]! });
    out.sort((a, b) => a.t - b.t);
    return out;
  });
  if (process.env.BENCH_KEEP === undefined) rmSync(work, { recursive: true, force: true });
  analyse(rows, evs, specs, leader);
}

function analyse(
  rows: Float64Array,
  evs: Ev[][],
  specs: Array<{ client: number; peer: number }>,
  leader: number,
): void {
  // Which member owns each port: the listening ones, and each outbound socket's local port.
  const owner = new Map<number, number>();
  specs.forEach((s, m) => {
    owner.set(s.client, m);
    owner.set(s.peer, m);
  });
  evs.forEach((list, m) => {
    for (const e of list)
      if ((e.kind === DATA || e.kind === WRITE) && !owner.has(e.lp)) owner.set(e.lp, m);
  });
  /** The other member of a peer socket event of member m, or -1 for the client's socket. */
  const other = (m: number, e: Ev): number => {
    if (e.lp === specs[m]!.client) return -1;
    if (e.lp === specs[m]!.peer) return owner.get(e.rp) ?? -2;
    return owner.get(e.rp) ?? -2;
  };
  const L = leader;
  /** First event of member m at or after t matching pred (events are time-sorted). */
  const first = (m: number, t: number, pred: (e: Ev) => boolean, until: number): Ev | undefined => {
    const list = evs[m]!;
    // binary search for t
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]!.t < t) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < list.length && list[i]!.t <= until; i++)
      if (pred(list[i]!)) return list[i];
    return undefined;
  };
  const n = rows.length / ROW;
  const lat: number[] = [];
  for (let i = 0; i < n; i++) lat.push(rows[i * ROW + 1]! - rows[i * ROW]!);
  const sorted = [...lat].sort((a, b) => a - b);
  const p50 = quantile(sorted, 0.5);
  const slowFrom = SLOW * p50;
  const hops: Array<Partial<Record<Hop, number>> & { T: number; F: number; ok: boolean }> = [];
  for (let i = 0; i < n; i++) {
    const t0 = rows[i * ROW]!;
    const t1 = rows[i * ROW + 1]!;
    const h: Partial<Record<Hop, number>> & { T: number; F: number; ok: boolean } = {
      T: -1,
      F: -1,
      ok: false,
    };
    hops.push(h);
    // T: the member that read the request first.
    let T = -1;
    let tReq = Infinity;
    for (let m = 0; m < 3; m++) {
      const e = first(m, t0, (x) => x.kind === DATA && other(m, x) === -1 && x.len > 100, t1);
      if (e !== undefined && e.t < tReq) {
        tReq = e.t;
        T = m;
      }
    }
    if (T < 0) continue;
    h.T = T;
    h.req = tReq - t0;
    let tProp = tReq;
    if (T !== L) {
      const e = first(L, tReq, (x) => x.kind === DATA && other(L, x) === T && x.len > 200, t1);
      if (e === undefined) continue;
      h.fwd = e.t - tReq;
      tProp = e.t;
    }
    const app = first(L, tProp, (x) => x.kind === WRITE && other(L, x) >= 0 && x.len > 200, t1);
    if (app === undefined) continue;
    h.prop = app.t - tProp;
    // Each follower: read the append, WAL, ack; the first ack the leader reads wins.
    let best: { ack: number; f: number; parts: number[] } | undefined;
    for (let f = 0; f < 3; f++) {
      if (f === L) continue;
      const r = first(f, app.t, (x) => x.kind === DATA && other(f, x) === L && x.len > 200, t1);
      if (r === undefined) continue;
      const ws = first(f, r.t, (x) => x.kind === WAL_START, t1);
      if (ws === undefined) continue;
      const we = first(f, ws.t, (x) => x.kind === WAL_END, t1);
      if (we === undefined) continue;
      const aw = first(f, we.t, (x) => x.kind === WRITE && other(f, x) === L, t1);
      if (aw === undefined) continue;
      const ar = first(L, aw.t, (x) => x.kind === DATA && other(L, x) === f, t1);
      if (ar === undefined) continue;
      if (best === undefined || ar.t < best.ack)
        best = {
          ack: ar.t,
          f,
          parts: [r.t - app.t, ws.t - r.t, we.t - ws.t, aw.t - we.t, ar.t - aw.t],
        };
    }
    if (best === undefined) continue;
    h.F = best.f;
    [h.app, h['f-pre'], h['f-wal'], h['f-ack'], h.ack] = best.parts;
    const lws = first(L, tProp, (x) => x.kind === WAL_START, t1);
    const lwe = lws && first(L, lws.t, (x) => x.kind === WAL_END, t1);
    const lEnd = lwe?.t ?? best.ack;
    h['l-wal'] = Math.max(0, lEnd - best.ack);
    const commit = Math.max(lEnd, best.ack);
    if (T === L) {
      const aw = first(L, commit, (x) => x.kind === WRITE && other(L, x) === -1, t1);
      if (aw === undefined) continue;
      h.commit = aw.t - commit;
      h.resp = t1 - aw.t;
    } else {
      const cw = first(L, commit, (x) => x.kind === WRITE && other(L, x) === T, t1);
      if (cw === undefined) continue;
      h.commit = cw.t - commit;
      const cr = first(T, cw.t, (x) => x.kind === DATA && other(T, x) === L, t1);
      if (cr === undefined) continue;
      h['c-wire'] = cr.t - cw.t;
      const aw = first(T, cr.t, (x) => x.kind === WRITE && other(T, x) === -1, t1);
      if (aw === undefined) continue;
      h.answer = aw.t - cr.t;
      h.resp = t1 - aw.t;
    }
    h.ok = true;
  }
  const ok = hops.filter((h) => h.ok).length;
  const slowIdx = lat.flatMap((l, i) => (l > slowFrom && hops[i]!.ok ? [i] : []));
  console.log(
    `${n} puts, load ${loadavg()[0]!.toFixed(2)}: p50 ${(p50 / 1e3).toFixed(2)} p90 ${(quantile(sorted, 0.9) / 1e3).toFixed(2)} p99 ${(quantile(sorted, 0.99) / 1e3).toFixed(2)} ms; chains rebuilt ${ok}; slow (> ${(slowFrom / 1e3).toFixed(2)} ms) ${lat.filter((l) => l > slowFrom).length}, rebuilt ${slowIdx.length}; leader m${L + 1}`,
  );
  const fmt = (x: number): string => x.toFixed(0).padStart(6);
  console.log('hop        p50 all   mean all  mean slow  excess  (µs; slow minus all-mean)');
  const meanOf = (idx: number[], hop: Hop): number => {
    const v = idx.flatMap((i) => (hops[i]![hop] !== undefined ? [hops[i]![hop]] : []));
    return v.length === 0 ? 0 : v.reduce((a, b) => a + b, 0) / v.length;
  };
  const allIdx = hops.flatMap((h, i) => (h.ok ? [i] : []));
  const hopP50: Record<string, number> = {};
  for (const hop of HOPS) {
    const v = allIdx
      .flatMap((i) => (hops[i]![hop] !== undefined ? [hops[i]![hop]] : []))
      .sort((a, b) => a - b);
    hopP50[hop] = quantile(v, 0.5);
    const ma = meanOf(allIdx, hop);
    const ms = meanOf(slowIdx, hop);
    console.log(
      `${hop.padEnd(9)} ${fmt(quantile(v, 0.5))}   ${fmt(ma)}   ${fmt(ms)}   ${fmt(ms - ma)}`,
    );
  }
  // Run-queue wait per put (main threads), all puts vs slow puts.
  const names = ['m1', 'm2', 'm3', 'client'];
  const waitLine = (idx: number[]): string =>
    names
      .map((nm, k) => {
        const w = idx.map((i) => rows[i * ROW + 3 + 2 * k]! / 1e3);
        const r = idx.map((i) => rows[i * ROW + 2 + 2 * k]! / 1e3);
        const mean = (a: number[]): number => a.reduce((x, y) => x + y, 0) / Math.max(1, a.length);
        const extra =
          k < 3
            ? ` (other threads run ${mean(idx.map((i) => rows[i * ROW + 10 + 2 * k]! / 1e3)).toFixed(0)} wait ${mean(idx.map((i) => rows[i * ROW + 11 + 2 * k]! / 1e3)).toFixed(0)})`
            : '';
        return `${nm}${nm === `m${L + 1}` ? '(L)' : ''} run ${mean(r).toFixed(0)} wait ${mean(w).toFixed(0)}${extra}`;
      })
      .join(', ');
  console.log(`per put, µs (main threads), all:  ${waitLine(allIdx)}`);
  console.log(`per put, µs (main threads), slow: ${waitLine(slowIdx)}`);
  // The worst hop of each slow put (largest excess over its p50) and what its owner was doing.
  const ownerOf = (hop: Hop, h: { T: number; F: number }): number => {
    switch (hop) {
      case 'req':
      case 'answer':
        return h.T;
      case 'fwd':
      case 'prop':
      case 'ack':
      case 'l-wal':
      case 'commit':
        return L;
      case 'app':
      case 'f-pre':
      case 'f-wal':
      case 'f-ack':
        return h.F;
      case 'c-wire':
        return h.T;
      case 'resp':
        return 3;
    }
  };
  const worst: Record<string, number> = {};
  const during: Record<string, number> = {};
  const excessTotal: Record<string, number> = {};
  for (const i of slowIdx) {
    const h = hops[i]!;
    let wHop: Hop = 'req';
    let wEx = -Infinity;
    for (const hop of HOPS) {
      const ex = (h[hop] ?? 0) - (h[hop] === undefined ? 0 : hopP50[hop]!);
      excessTotal[hop] = (excessTotal[hop] ?? 0) + ex;
      if (ex > wEx) {
        wEx = ex;
        wHop = hop;
      }
    }
    worst[wHop] = (worst[wHop] ?? 0) + 1;
    const o = ownerOf(wHop, h);
    const t0 = rows[i * ROW]!;
    const t1 = rows[i * ROW + 1]!;
    const tags: string[] = [];
    for (let m = 0; m < 3; m++) {
      const inPut = evs[m]!.filter((e) => e.t + (e.kind === GC ? e.len : 0) >= t0 && e.t <= t1);
      if (inPut.some((e) => e.kind === GC)) tags.push(m === o ? 'gc(owner)' : 'gc(other)');
      if (inPut.some((e) => e.kind === TIMER && e.len > 100))
        tags.push(m === o ? 'timer(owner)' : 'timer(other)');
    }
    const wait = rows[i * ROW + 3 + 2 * o]! / 1e3;
    if (wait > 1000) tags.push('rq-wait>1ms(owner)');
    else if (wait > 500) tags.push('rq-wait>0.5ms(owner)');
    for (const t of tags.length === 0 ? ['nothing'] : tags) during[t] = (during[t] ?? 0) + 1;
    if (process.env.BENCH_VERBOSE === '1')
      console.log(
        `  #${i} ${((t1 - t0) / 1e3).toFixed(2)} ms T=m${h.T + 1} F=m${h.F + 1} ${HOPS.map((hop) => `${hop}=${h[hop]?.toFixed(0) ?? '-'}`).join(' ')} waits ${[0, 1, 2, 3].map((k) => (rows[i * ROW + 3 + 2 * k]! / 1e3).toFixed(0)).join('/')} ${tags.join(' ')}`,
      );
  }
  const slowSet = new Set(slowIdx);
  threadReport?.((i) => slowSet.has(i));
  const gcKinds = evs.map((list) => {
    const from = rows[0]!;
    const to = rows[rows.length - ROW + 1]!;
    const byKind: Record<number, [number, number]> = {};
    for (const e of list)
      if (e.kind === GC && e.t >= from && e.t <= to) {
        const b = (byKind[e.lp] ??= [0, 0]);
        b[0]++;
        b[1] += e.len / 1e3;
      }
    return Object.entries(byKind)
      .map(([k, [c, ms]]) => `kind ${k}: ${c} (${ms.toFixed(1)} ms)`)
      .join(', ');
  });
  console.log(
    `member GC pauses in the window: ${gcKinds.map((g, k) => `m${k + 1} ${g}`).join('; ')}`,
  );
  console.log(
    `slow puts' excess over each hop's p50, summed (ms): ${HOPS.map((hop) => `${hop} ${((excessTotal[hop] ?? 0) / 1e3).toFixed(1)}`).join(', ')}`,
  );
  console.log(
    `worst hop of each slow put: ${Object.entries(worst)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
  console.log(
    `during the slow puts: ${Object.entries(during)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
