/**
 * `node .bench/bench/put-timeline.js` (after `tsc -p bench/tsconfig.json`): where the slow puts
 * of one client come from (decision 0026). Starts a 3-member kubets-store cluster with
 * member-probe.js preloaded, makes BENCH_WARM unmeasured puts and then BENCH_PUTS measured ones
 * from one etcd3 client given every member's endpoint (as put-bench's 1-client workload), and
 * lines each put up with the GC pauses of the bench process and of each member, and with each
 * member's WAL writes. Prints p50/p99, the scavenges in the window, the members' write latency,
 * and for the slowest 1.5 % of the puts what overlapped them; BENCH_VERBOSE=1 lists each.
 *
 * Environment: BENCH_PUTS (default 1000), BENCH_WARM (default 500), PROBE_STALLS=1 (also record
 * the members' event-loop stalls; costs them CPU), and the cluster's (probed-cluster.ts:
 * BENCH_DATA_DIR, KUBETS_STORE_BIN, KUBETS_STORE_NODE_ARGS, KUBETS_STORE_ARGS, BENCH_KEEP for the
 * raw timeline and probe files, BENCH_VALUE_BYTES).
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { Etcd3 } from 'etcd3';
import { putOne, startProbedCluster, stopMembers, waitForLeader } from './probed-cluster.js';

const PUTS = Number(process.env.BENCH_PUTS ?? 1000);
const WARM = Number(process.env.BENCH_WARM ?? 500);
const PROBE = new URL('./member-probe.js', import.meta.url).pathname;

/** [start epoch ms, duration ms] */
type Span = [number, number];
interface Probe {
  pid: number;
  gcs: Span[];
  writes: Span[];
  stalls: Span[];
}

const overlaps = (spans: Span[], start: number, end: number, min = 0): boolean =>
  spans.some(([s, d]) => d > min && s < end && s + d > start);

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? 0;
}

async function main(): Promise<void> {
  const { work, probeDir, specs, members, endpoints } = await startProbedCluster({
    probe: PROBE,
    token: 'timeline',
  });
  const benchGcs: Span[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries())
      benchGcs.push([performance.timeOrigin + e.startTime, e.duration]);
  });
  observer.observe({ entryTypes: ['gc'] });
  const rows: Array<[number, number]> = [];
  let roles: string[] = [];
  try {
    const leader = await waitForLeader(endpoints);
    roles = endpoints.map((_, i) => (i === leader ? 'leader' : 'follower'));
    const client = new Etcd3({ hosts: endpoints });
    try {
      for (let i = 0; i < WARM; i++) await putOne(client, i);
      for (let i = 0; i < PUTS; i++) {
        const t0 = performance.now();
        await putOne(client, i);
        rows.push([performance.timeOrigin + t0, performance.now() - t0]);
      }
    } finally {
      client.close();
    }
  } finally {
    observer.disconnect();
    await stopMembers(members);
  }
  const probes = members.map(
    (m) => JSON.parse(readFileSync(join(probeDir, `probe-${m.pid}.json`), 'utf8')) as Probe,
  );
  if (process.env.BENCH_KEEP !== undefined)
    writeFileSync(join(probeDir, 'puts.json'), JSON.stringify({ rows, roles, benchGcs }));
  rmSync(work, { recursive: true, force: true });

  const from = rows[0]![0];
  const to = rows[rows.length - 1]![0] + rows[rows.length - 1]![1];
  const inWindow = (spans: Span[]): Span[] => spans.filter(([s]) => s >= from && s <= to);
  const sorted = rows.map((r) => r[1]).sort((a, b) => a - b);
  const slowFrom = quantile(sorted, 0.985);
  console.log(
    `${PUTS} puts after ${WARM}, load average ${loadavg()[0]!.toFixed(2)}: p50 ${quantile(sorted, 0.5).toFixed(2)} ms, p99 ${quantile(sorted, 0.99).toFixed(2)} ms, max ${sorted[sorted.length - 1]!.toFixed(2)} ms`,
  );
  console.log(
    `bench process: ${inWindow(benchGcs).length} GC pauses, ${inWindow(benchGcs)
      .reduce((a, g) => a + g[1], 0)
      .toFixed(1)} ms`,
  );
  probes.forEach((p, i) => {
    const w = inWindow(p.writes)
      .map((x) => x[1])
      .sort((a, b) => a - b);
    console.log(
      `member ${specs[i]!.name} (${roles[i]}): ${inWindow(p.gcs).length} GC pauses (${inWindow(
        p.gcs,
      )
        .map((g) => g[1].toFixed(1))
        .join(
          ', ',
        )} ms); ${w.length} WAL writes, p50 ${quantile(w, 0.5).toFixed(2)} p99 ${quantile(w, 0.99).toFixed(2)} ms, ${w.filter((d) => d > 2).length} over 2 ms${p.stalls.length > 0 ? `; ${inWindow(p.stalls).length} stalls over 3 ms` : ''}`,
    );
  });
  const counts = { slow: 0, memberGc: 0, benchGc: 0, walWrite: 0, stall: 0, none: 0 };
  rows.forEach(([start, ms], i) => {
    if (ms < slowFrom) return;
    const end = start + ms;
    const memberGc = probes.some((p) => overlaps(p.gcs, start, end));
    const benchGc = overlaps(benchGcs, start, end);
    const slowWrites = probes.flatMap((p, k) =>
      overlaps(p.writes, start, end, 2) ? [roles[k]!] : [],
    );
    const stall = probes.some((p) => overlaps(p.stalls, start, end));
    counts.slow++;
    if (memberGc) counts.memberGc++;
    if (benchGc) counts.benchGc++;
    if (slowWrites.length > 0) counts.walWrite++;
    if (stall) counts.stall++;
    if (!memberGc && !benchGc && slowWrites.length === 0 && !stall) counts.none++;
    if (process.env.BENCH_VERBOSE === '1')
      console.log(
        `  #${i} ${ms.toFixed(2)} ms${memberGc ? ' member-gc' : ''}${benchGc ? ' bench-gc' : ''}${slowWrites.length > 0 ? ` slow-write(${slowWrites.join(',')})` : ''}${stall ? ' stall' : ''}`,
      );
  });
  console.log(
    `slowest 1.5 % (${counts.slow} puts, >= ${slowFrom.toFixed(2)} ms) overlapping: a member GC ${counts.memberGc}, a bench GC ${counts.benchGc}, a member WAL write > 2 ms ${counts.walWrite}, a member stall ${counts.stall}, none ${counts.none}`,
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
