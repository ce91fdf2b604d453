import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { credentialsOf } from './auth-filter.js';

/** A request as node:http builds it: rawHeaders as sent, headersDistinct lowercased. */
function request(raw: string[]): IncomingMessage {
  const distinct: Record<string, string[]> = {};
  for (let i = 0; i < raw.length; i += 2)
    (distinct[raw[i]!.toLowerCase()] ??= []).push(raw[i + 1]!);
  return {
    rawHeaders: raw,
    headers: { authorization: distinct.authorization?.[0] },
    headersDistinct: distinct,
    socket: {},
  } as unknown as IncomingMessage;
}

describe('credentialsOf', () => {
  it('reads impersonation headers in any case, and none when there are none', () => {
    expect(credentialsOf(request(['Authorization', 'Bearer t', 'Accept', '*/*']))).toEqual({
      authorization: 'Bearer t',
    });
    const c = credentialsOf(
      request([
        'IMPERSONATE-USER',
        'bob',
        'impersonate-group',
        'a',
        'Impersonate-Group',
        'b',
        'Impersonate-Extra-Scopes',
        'x',
      ]),
    );
    expect(c.impersonate).toEqual({ user: 'bob', groups: ['a', 'b'], extra: { scopes: ['x'] } });
  });
});
