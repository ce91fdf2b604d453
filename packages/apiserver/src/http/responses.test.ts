import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeJSON } from './responses.js';

// Non-ASCII text (2-, 3- and 4-byte UTF-8) and a lone surrogate, which JSON.stringify escapes.
const body = { metadata: { name: 'pod', annotations: { a: 'é ✓ 😀', b: '\ud800' } }, n: 1 };

let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    writeJSON(res, 200, body, 'application/json', req.method === 'HEAD');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
});

function get(
  method: string,
): Promise<{ status: number; headers: Record<string, unknown>; bytes: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(base, { method }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          bytes: Buffer.concat(chunks),
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('writeJSON', () => {
  it('sends the JSON body with a Content-Length counting its UTF-8 bytes', async () => {
    const r = await get('GET');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json');
    expect(Number(r.headers['content-length'])).toBe(r.bytes.length);
    expect(r.bytes.toString()).toBe(JSON.stringify(body));
    expect(JSON.parse(r.bytes.toString())).toEqual(body);
  });

  it('answers HEAD with the length of the body it leaves out', async () => {
    const r = await get('HEAD');
    expect(r.bytes.length).toBe(0);
    expect(Number(r.headers['content-length'])).toBe(Buffer.byteLength(JSON.stringify(body)));
  });
});
