// Suites here start real processes (API servers, etcd, kubets-store, kubectl): on a loaded
// 2-core CI machine a test that takes 2 s on a quiet box can take several times that, and
// vitest's 5 s default would turn slowness into failures. A hung test still fails, after 30 s.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: { testTimeout: 30_000, hookTimeout: 60_000 },
});
