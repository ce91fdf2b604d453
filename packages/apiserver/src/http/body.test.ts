import { Readable } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { bodyRead, readBody } from './body.js';

function request(chunks: Buffer[], headers: Record<string, string> = {}): IncomingMessage {
  const r = Readable.from(chunks, { objectMode: false }) as unknown as IncomingMessage;
  (r as { headers: Record<string, string> }).headers = headers;
  return r;
}

describe('readBody', () => {
  it('returns every chunk in order and remembers the body for the audit log', async () => {
    const req = request([Buffer.from('{"a":'), Buffer.from('1}')]);
    const body = await readBody(req);
    expect(body.toString()).toBe('{"a":1}');
    expect(bodyRead(req)?.toString()).toBe('{"a":1}');
    // Read again after its end: the same bytes, no hang.
    expect((await readBody(req)).toString()).toBe('{"a":1}');
  });

  it('refuses a body over the limit, declared or streamed, with 413', async () => {
    await expect(
      readBody(request([Buffer.from('x')], { 'content-length': '11' }), 10),
    ).rejects.toMatchObject({ status: { code: 413, reason: 'RequestEntityTooLarge' } });
    await expect(readBody(request([Buffer.alloc(6), Buffer.alloc(6)]), 10)).rejects.toMatchObject({
      status: { code: 413 },
    });
  });

  it('fails when the client goes away before the end', async () => {
    const req = new Readable({ read() {} }) as unknown as IncomingMessage;
    (req as { headers: Record<string, string> }).headers = {};
    const reading = readBody(req);
    (req as unknown as Readable).push(Buffer.from('part'));
    (req as unknown as Readable).destroy();
    await expect(reading).rejects.toThrow('Premature close');
  });
});
