#!/usr/bin/env node
// kubets-apiserver: the Kubernetes API server of kubets, stored on etcd v3.
import { runCommand } from '@kubets/component-base';
import { apiServerFlags } from '../cli/flags.js';
import cluster from 'node:cluster';
import { packageVersion, runApiServer, runWorkersPrimary } from '../cli/run.js';

await runCommand({
  name: 'kubets-apiserver',
  version: packageVersion(),
  description:
    'kubets-apiserver serves the Kubernetes REST API (kubectl and client libraries work unchanged) and stores objects in etcd v3 (real etcd or kubets-store). Flags follow kube-apiserver.',
  flags: apiServerFlags,
  run: async (parsed) => {
    // --workers=N: this process supervises N worker processes (each runs this file again).
    if (parsed.values.workers > 1 && cluster.isPrimary) await runWorkersPrimary(parsed.values);
    else await runApiServer(parsed.values);
  },
});
