import { describe, expect, it } from 'vitest';
import { createLogger, discardLogger } from './logging.js';
import type { LoggerOptions } from './logging.js';

const FIXED_MS = Date.UTC(2026, 10, 29, 14, 6, 17, 47);

function capture(options: Partial<LoggerOptions> = {}) {
  const lines: string[] = [];
  const logger = createLogger({
    component: 'kubets-store',
    now: () => FIXED_MS,
    pid: 12345,
    destination: { write: (line: string) => void lines.push(line) },
    ...options,
  });
  const records = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  return { logger, lines, records };
}

describe('JSON format', () => {
  it('writes one JSON object per line with level, ts, component, v and msg', () => {
    const { logger, lines, records } = capture();
    logger.info('Starting raft node', { id: 1, peers: ['a', 'b'] });
    expect(lines).toHaveLength(1);
    expect(lines[0]?.endsWith('\n')).toBe(true);
    expect(records()[0]).toEqual({
      level: 'info',
      ts: FIXED_MS / 1000,
      component: 'kubets-store',
      v: 0,
      id: 1,
      peers: ['a', 'b'],
      msg: 'Starting raft node',
    });
  });

  it('prints V(n) lines only when n <= --v, recording the level', () => {
    const { logger, records } = capture({ verbosity: 2 });
    expect(logger.v(2).enabled).toBe(true);
    expect(logger.v(3).enabled).toBe(false);
    logger.v(1).info('one');
    logger.v(2).info('two', { k: 'x' });
    logger.v(3).info('three');
    expect(records().map((r) => [r.msg, r.v])).toEqual([
      ['one', 1],
      ['two', 2],
    ]);
    expect(records()[1]?.k).toBe('x');
  });

  it('serializes errors with type, message, stack, code and cause', () => {
    const { logger, records } = capture();
    const cause = new Error('connection refused');
    const err = Object.assign(new Error('cannot reach peer', { cause }), { code: 'ECONNREFUSED' });
    logger.error(err, 'Peer unreachable', { peer: 'b' });
    const record = records()[0] as { err: Record<string, unknown> } & Record<string, unknown>;
    expect(record.level).toBe('error');
    expect(record.msg).toBe('Peer unreachable');
    expect(record.peer).toBe('b');
    expect(record.v).toBeUndefined();
    expect(record.err.type).toBe('Error');
    expect(record.err.message).toBe('cannot reach peer');
    expect(record.err.code).toBe('ECONNREFUSED');
    expect(String(record.err.stack)).toMatch(/^Error: cannot reach peer\n\s+at /);
    expect((record.err.cause as Record<string, unknown>).message).toBe('connection refused');
  });

  it('serializes non-Error throwables and Error values among key/values', () => {
    const { logger, records } = capture();
    logger.error('plain string', 'Odd failure');
    logger.error(undefined, 'No error object');
    logger.warn('Retrying', { lastError: new TypeError('bad') });
    const [first, second, third] = records();
    expect(first?.err).toEqual({ type: 'string', message: 'plain string' });
    expect(second?.err).toBeUndefined();
    expect(third?.level).toBe('warn');
    expect(third?.lastError).toMatchObject({ type: 'TypeError', message: 'bad' });
  });

  it('carries key/value context through child and names through named', () => {
    const { logger, records } = capture({ verbosity: 1 });
    const raft = logger.named('raft').child({ member: 'm1' });
    raft.info('Became leader', { term: 3 });
    raft.named('wal').v(1).info('Synced');
    raft.child({ member: 'm2' }).info('Rebound');
    const [leader, wal, rebound] = records();
    expect(leader).toMatchObject({ logger: 'raft', member: 'm1', term: 3, msg: 'Became leader' });
    expect(wal).toMatchObject({ logger: 'raft/wal', member: 'm1', v: 1 });
    expect(rebound?.member).toBe('m2');
    // A re-bound key appears once, not twice, in the raw line.
    expect(JSON.stringify(rebound).match(/"member"/g)).toHaveLength(1);
  });

  it('rejects invalid verbosity and V-levels', () => {
    expect(() => capture({ verbosity: -1 })).toThrow('non-negative integer');
    expect(() => capture({ verbosity: 1.5 })).toThrow('non-negative integer');
    expect(() => capture().logger.v(-1)).toThrow('non-negative integer');
    expect(() => capture({ format: 'xml' as 'json' })).toThrow('unknown logging format "xml"');
  });
});

describe('text format', () => {
  it('writes klog-style header, quoted message and key=value pairs', () => {
    const { logger, lines } = capture({ format: 'text', verbosity: 4 });
    logger.named('raft').info('Became leader', { term: 3, id: 'm1', ok: true, peers: ['a'] });
    logger.warn('Slow fsync', { took: '1.2s' });
    logger.v(4).info('Multi', { body: 'line one\nline two' });
    expect(lines[0]).toBe(
      'I1129 14:06:17.047000   12345 kubets-store] "Became leader" logger="raft" term=3 id="m1" ok=true peers=["a"]\n',
    );
    expect(lines[1]).toBe('W1129 14:06:17.047000   12345 kubets-store] "Slow fsync" took="1.2s"\n');
    expect(lines[2]).toBe(
      'I1129 14:06:17.047000   12345 kubets-store] "Multi" body=<\n\tline one\n\tline two\n >\n',
    );
  });

  it('shows errors as their stack in a klog block', () => {
    const { logger, lines } = capture({ format: 'text' });
    const err = new Error('boom');
    err.stack = 'Error: boom\n    at here (file.ts:1:1)';
    logger.error(err, 'Failed', { step: 'apply' });
    expect(lines[0]).toBe(
      'E1129 14:06:17.047000   12345 kubets-store] "Failed" step="apply" err=<\n\tError: boom\n\t    at here (file.ts:1:1)\n >\n',
    );
  });
});

describe('discardLogger', () => {
  it('accepts every call and reports nothing enabled', () => {
    const logger = discardLogger();
    logger.named('x').child({ a: 1 }).info('ignored');
    logger.error(new Error('x'), 'ignored');
    expect(logger.v(0).enabled).toBe(false);
  });
});
