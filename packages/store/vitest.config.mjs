// Most suites here start real kubets-store and etcd processes and spawn etcdctl: on a loaded
// 2-core CI machine a test that takes 2 s on a quiet box can take several times that. vitest's
// 5 s default turned such slowness into failures; a hung test still fails, after 30 s.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: { testTimeout: 30_000, hookTimeout: 60_000 },
});
