import { describe, expect, it } from 'vitest';
import { HealthChecks } from './healthz.js';
import { createLogger } from './logging.js';

function withEtcd(healthy: { value: boolean }) {
  const checks = new HealthChecks();
  checks.add('etcd', () => {
    if (!healthy.value) throw new Error('dial tcp 127.0.0.1:2379: connection refused');
  });
  checks.addReadyz('informer-sync', () => Promise.resolve());
  return checks;
}

describe('HealthChecks', () => {
  it('answers ok when every check passes, verbose on request', async () => {
    const checks = withEtcd({ value: true });
    expect(await checks.evaluate('readyz')).toEqual({ status: 200, body: 'ok' });
    expect(await checks.evaluate('readyz', { verbose: true })).toEqual({
      status: 200,
      body: '[+]ping ok\n[+]shutdown ok\n[+]etcd ok\n[+]informer-sync ok\nreadyz check passed\n',
    });
    expect(await checks.evaluate('livez', { verbose: true })).toEqual({
      status: 200,
      body: '[+]ping ok\n[+]etcd ok\nlivez check passed\n',
    });
  });

  it('fails with 500 and the verbose listing, withholding the reason', async () => {
    const checks = withEtcd({ value: false });
    expect(await checks.evaluate('healthz')).toEqual({
      status: 500,
      body: '[+]ping ok\n[-]etcd failed: reason withheld\nhealthz check failed\n',
    });
  });

  it('excludes checks by name and warns about names that match nothing', async () => {
    const checks = withEtcd({ value: false });
    expect(await checks.evaluate('healthz', { exclude: ['etcd', 'nope'] })).toEqual({
      status: 200,
      body: 'ok',
    });
    expect(await checks.evaluate('healthz', { exclude: ['etcd', 'nope'], verbose: true })).toEqual({
      status: 200,
      body:
        '[+]ping ok\n[+]etcd excluded: ok\n' +
        'warn: some health checks cannot be excluded: no matches for "nope"\nhealthz check passed\n',
    });
  });

  it('runs one check by name, showing its reason, 404 for unknown names', async () => {
    const checks = withEtcd({ value: false });
    expect(await checks.evaluateOne('livez', 'ping')).toEqual({ status: 200, body: 'ok' });
    expect(await checks.evaluateOne('livez', 'etcd')).toEqual({
      status: 500,
      body: 'internal server error: dial tcp 127.0.0.1:2379: connection refused\n',
    });
    expect((await checks.evaluateOne('livez', 'informer-sync')).status).toBe(404);
  });

  it('fails readiness (only) once shutdown begins', async () => {
    const checks = withEtcd({ value: true });
    checks.markShuttingDown('received SIGTERM');
    expect(checks.shuttingDown).toBe(true);
    expect(await checks.evaluate('readyz')).toEqual({
      status: 500,
      body:
        '[+]ping ok\n[-]shutdown failed: reason withheld\n[+]etcd ok\n[+]informer-sync ok\n' +
        'readyz check failed\n',
    });
    expect(await checks.evaluateOne('readyz', 'shutdown')).toEqual({
      status: 500,
      body: 'internal server error: process is shutting down: received SIGTERM\n',
    });
    expect((await checks.evaluate('livez')).status).toBe(200);
    expect((await checks.evaluate('healthz')).status).toBe(200);
  });

  it('times out slow checks when asked to', async () => {
    const checks = new HealthChecks();
    checks.addLivez('slow', () => new Promise(() => undefined), { timeoutMs: 20 });
    expect(await checks.evaluateOne('livez', 'slow')).toEqual({
      status: 500,
      body: 'internal server error: timed out after 20ms\n',
    });
  });

  it('logs the failure reasons at V(2)', async () => {
    const lines: string[] = [];
    const logger = createLogger({
      component: 't',
      verbosity: 2,
      destination: { write: (l: string) => void lines.push(l) },
    });
    const checks = new HealthChecks(logger);
    checks.add('etcd', () => Promise.reject(new Error('no leader')));
    await checks.evaluate('livez');
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({
      v: 2,
      msg: '/livez check failed',
      failures: '[-]etcd failed: no leader',
    });
  });

  it('rejects duplicate and malformed names', () => {
    const checks = new HealthChecks();
    expect(() => checks.add('ping', () => undefined)).toThrow('already registered on /healthz');
    expect(() => checks.addReadyz('shutdown', () => undefined)).toThrow('already registered');
    expect(() => checks.add('bad name', () => undefined)).toThrow('invalid health check name');
    checks.add('poststarthook/start-informers', () => undefined);
    expect(checks.names('readyz')).toContain('poststarthook/start-informers');
  });
});
