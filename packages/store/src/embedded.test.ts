import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { discardLogger } from '@kubets/component-base';
import { describe, expect, it } from 'vitest';
import { startEmbeddedStore } from './embedded.js';

describe('embedded kubets-store', () => {
  it('serves the etcd v3 API in-process and keeps its data across restarts', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'kubets-embedded-'));
    try {
      const first = await startEmbeddedStore({ dataDir, logger: discardLogger('kubets-store') });
      const client = new Etcd3({ hosts: first.endpoint });
      await client.put('/registry/namespaces/default').value('{}');
      client.close();
      await first.close();
      const second = await startEmbeddedStore({ dataDir, logger: discardLogger('kubets-store') });
      const again = new Etcd3({ hosts: second.endpoint });
      expect(await again.get('/registry/namespaces/default').string()).toBe('{}');
      again.close();
      await second.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
