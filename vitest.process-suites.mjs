// The vitest settings of the packages whose suites start real processes (kubets-store, etcd,
// API servers, kubectl, etcdctl): on a loaded 2-core CI machine a test that takes 2 s on a quiet
// box can take several times that, and vitest's 5 s default turned such slowness into failures
// (session 4's CI run). A hung test still fails, after 30 s. Each such package's
// vitest.config.mjs re-exports this.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: { testTimeout: 30_000, hookTimeout: 60_000 },
});
