// `kubets up --embedded`: the store and the API server run inside the kubets process (no child
// processes); real kubectl drives it with the generated admin.conf and its state survives a
// SIGTERM and a restart.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { scratchDir, which, type RunningProcess } from './support/process.js';
import { freeUpPorts, kubectlWith, startKubetsUp, type UpPorts } from './support/kubets-up.js';

const kubectl = which('kubectl');
const hasProc = existsSync('/proc/self/task');
if (!kubectl) console.warn('SKIP kubets up --embedded e2e: no `kubectl` on PATH');
if (!hasProc) console.warn('SKIP kubets up --embedded e2e: no /proc to list child processes');

/** PIDs of the direct children of `pid`, from /proc/<pid>/task/<tid>/children (Linux). */
function childPids(pid: number): number[] {
  const tasks = readdirSync(`/proc/${pid}/task`);
  return tasks.flatMap((tid) =>
    readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8')
      .split(' ')
      .filter((s) => s.trim() !== '')
      .map(Number),
  );
}

describe.skipIf(!kubectl || !hasProc)('kubets up --embedded', () => {
  const scratch = scratchDir('up-embedded');
  let cluster: RunningProcess | undefined;
  afterAll(async () => {
    await cluster?.stop();
    scratch.remove();
  });

  const up = (ports: UpPorts): Promise<RunningProcess> =>
    startKubetsUp(scratch.dir, ports, { extraArgs: ['--embedded'], timeoutMs: 60_000 });
  const kubectlRun = kubectlWith(kubectl!, scratch.dir);

  it('serves kubectl from one process and keeps state across a SIGTERM and a restart', async () => {
    const ports = await freeUpPorts();
    cluster = await up(ports);
    expect(cluster.output()).toContain(`(embedded, pid ${cluster.pid})`);
    // One process: the store and the API server are not child processes.
    expect(childPids(cluster.pid)).toEqual([]);

    const ns = kubectlRun('get', 'namespaces', '-o', 'name');
    expect(ns.stderr).toBe('');
    expect(ns.stdout.split('\n')).toEqual(
      expect.arrayContaining(['namespace/default', 'namespace/kube-system']),
    );
    expect(kubectlRun('create', 'configmap', 'survives', '--from-literal=answer=42').status).toBe(
      0,
    );

    await cluster.stop();
    expect(cluster.child.exitCode).toBe(0);
    expect(cluster.output()).toContain('SIGTERM received, stopping the cluster');
    cluster = await up(ports);
    expect(childPids(cluster.pid)).toEqual([]);
    const cm = kubectlRun('get', 'configmap', 'survives', '-o', 'jsonpath={.data.answer}');
    expect(cm.stderr).toBe('');
    expect(cm.stdout).toBe('42');
  }, 120_000);
});
