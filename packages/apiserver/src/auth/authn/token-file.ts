/**
 * Static token authentication (`--token-auth-file`): a CSV file of
 * `token,user,uid,"group1,group2"` (groups optional), as upstream's tokenfile authenticator.
 */
import type { UserInfo } from '../types.js';

/** Splits one CSV line (RFC 4180 quoting). */
export function parseCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"' && cur === '') quoted = true;
    else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

export interface TokenFile {
  users: Map<string, UserInfo>;
  warnings: string[];
}

export function parseTokenFile(text: string, file = 'token file'): TokenFile {
  const users = new Map<string, UserInfo>();
  const warnings: string[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const record = parseCsvLine(line);
    if (record.length < 3) {
      throw new Error(
        `token file '${file}' must have at least 3 columns (token, user name, user uid), found ${record.length}`,
      );
    }
    const [token = '', name = '', uid = '', groups] = record;
    if (token === '') {
      warnings.push(`empty token has been found in token file '${file}', record number '${i + 1}'`);
      return;
    }
    if (users.has(token))
      warnings.push(
        `duplicate token has been found in token file '${file}', record number '${i + 1}'`,
      );
    users.set(token, {
      username: name,
      uid,
      groups: groups ? groups.split(',').filter((g) => g !== '') : [],
    });
  });
  return { users, warnings };
}
