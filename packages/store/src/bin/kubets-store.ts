#!/usr/bin/env node
// kubets-store: a Raft-replicated MVCC key-value store that speaks the etcd v3 API.
import { componentOptionsFromFlags, runCommand } from '@kubets/component-base';
import { buildConfig } from '../cli/config.js';
import { storeFlags } from '../cli/flags.js';
import { packageVersion, runStore } from '../cli/run.js';
import { describeRestore, restoreFlags, restoreSnapshot } from '../cli/snapshot-restore.js';

const version = packageVersion();

if (process.argv[2] === 'snapshot') {
  // `kubets-store snapshot restore <file> [flags]`: etcdutl's restore for kubets-store.
  const sub = process.argv[3];
  if (sub !== 'restore') {
    process.stderr.write(
      `error: unknown command "snapshot ${sub ?? ''}"; usage: kubets-store snapshot restore <filename> [flags]\n`,
    );
    process.exit(2);
  }
  await runCommand(
    {
      name: 'kubets-store snapshot restore',
      version,
      description:
        'Restores a snapshot saved with `etcdctl snapshot save` from kubets-store into a new data dir for a new cluster (keys, revisions and leases kept; membership from --initial-cluster). Flags follow etcdutl snapshot restore.',
      flags: restoreFlags,
      args: 'any',
      argsUsage: '<filename>',
      run: async (parsed) => {
        const [file, ...extra] = parsed.args;
        if (file === undefined || extra.length > 0)
          throw new Error('snapshot restore takes exactly one snapshot file');
        process.stdout.write(describeRestore(await restoreSnapshot(file, parsed.values)));
      },
    },
    { argv: process.argv.slice(4) },
  );
} else {
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
}
