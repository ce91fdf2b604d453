// A real Prometheus scrapes a component built with @kubets/component-base: the exposition
// format, the default process metrics, build info and a component counter are all usable
// from PromQL, as an SRE's dashboards would use them.
import { createComponent, type Component } from '@kubets/component-base';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  freePort,
  scratchDir,
  startProcess,
  waitFor,
  which,
  type RunningProcess,
} from './support/process.js';

const prometheus = which('prometheus');
if (!prometheus)
  console.warn(
    'SKIP prometheus e2e: no `prometheus` binary on PATH (CI installs Debian package prometheus)',
  );

interface PromResult {
  metric: Record<string, string>;
  value: [number, string];
}

describe.skipIf(!prometheus)('Prometheus scrapes a kubets component', () => {
  const scratch = scratchDir('prom');
  let component: Component;
  let prom: RunningProcess;
  let promUrl: string;

  beforeAll(async () => {
    component = await createComponent({
      name: 'kubets-e2e-demo',
      version: '0.1.0',
      health: { host: '127.0.0.1', port: 0 },
      tracing: false,
      logging: { destination: { write: () => true } },
      shutdown: { signalSource: false, exit: () => undefined },
    });
    const requests = component.metrics.counter({
      name: 'kubets_e2e_demo_requests_total',
      help: 'Requests served.',
      labelNames: ['code'],
    });
    requests.inc({ code: '200' }, 42);
    const target = `127.0.0.1:${component.server!.port}`;
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    writeFileSync(
      join(scratch.dir, 'prometheus.yml'),
      `global: { scrape_interval: 1s, evaluation_interval: 1s }\nscrape_configs:\n  - job_name: kubets\n    static_configs: [ { targets: ['${target}'] } ]\n`,
    );
    prom = startProcess(prometheus!, [
      `--config.file=${join(scratch.dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(scratch.dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ]);
    // Target discovery is throttled to every 5 s after start: poll, never sleep a fixed time.
    await waitFor(
      'the component target to be up',
      async () => {
        const r = (await (await fetch(`${promUrl}/api/v1/targets`)).json()) as {
          data: { activeTargets: { health: string; lastError: string }[] };
        };
        const t = r.data.activeTargets[0];
        if (t?.health === 'down') throw new Error(`target down: ${t.lastError}`);
        return t?.health === 'up' ? t : undefined;
      },
      30_000,
    );
  }, 60_000);

  afterAll(async () => {
    await prom?.stop();
    await component?.stop('test done');
    scratch.remove();
  });

  async function query(q: string): Promise<PromResult[]> {
    const r = (await (
      await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(q)}`)
    ).json()) as {
      status: string;
      data: { result: PromResult[] };
    };
    expect(r.status).toBe('success');
    return r.data.result;
  }

  it('reads the component counter with its labels', async () => {
    const result = await waitFor(
      'the counter sample',
      async () => {
        const r = await query('kubets_e2e_demo_requests_total');
        return r.length > 0 ? r : undefined;
      },
      15_000,
    );
    expect(result[0]!.metric).toMatchObject({ code: '200', job: 'kubets' });
    expect(result[0]!.value[1]).toBe('42');
  });

  it('reads build info and default process metrics', async () => {
    const info = await query('kubets_build_info');
    expect(info[0]!.metric).toMatchObject({ component: 'kubets-e2e-demo', version: '0.1.0' });
    expect((await query('process_cpu_user_seconds_total')).length).toBe(1);
    expect((await query('up{job="kubets"}'))[0]!.value[1]).toBe('1');
  });
});
