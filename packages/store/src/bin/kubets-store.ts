#!/usr/bin/env node
// kubets-store: a Raft-replicated MVCC key-value store that speaks the etcd v3 API.
import { componentOptionsFromFlags, runCommand } from '@kubets/component-base';
import { buildConfig } from '../cli/config.js';
import { storeFlags } from '../cli/flags.js';
import { packageVersion, runStore } from '../cli/run.js';

const version = packageVersion();

await runCommand({
  name: 'kubets-store',
  version,
  description:
    'kubets-store is a Raft-replicated MVCC key-value store that speaks the etcd v3 gRPC API (KV, Watch, Lease, Cluster, Maintenance), so etcdctl and etcd client libraries work against it. Flags follow etcd.',
  flags: storeFlags,
  run: async (parsed) => {
    const config = buildConfig(parsed.values);
    const { logging, shutdown } = componentOptionsFromFlags({
      ...parsed.values,
      'healthz-bind-address': '0.0.0.0:0',
    });
    await runStore(config, { version, logging, shutdown });
  },
});
