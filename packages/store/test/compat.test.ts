/**
 * The compatibility suite, run with the same assertions against a 3-member kubets-store cluster
 * of real processes (once on each client-API HTTP/2 layer) and against a real etcd 3.4 (Debian's
 * etcd-server). Each target is
 * started once and serves both the etcdctl assertions and the npm etcd3 client assertions
 * (their keys do not collide). Skipped, with a printed reason, only when etcdctl or etcd is not
 * installed.
 */
import { afterAll, beforeAll, describe } from 'vitest';
import { etcd3Suite } from './compat/etcd3-suite.js';
import { etcdctlSuite } from './compat/etcdctl-suite.js';
import {
  ETCDCTL_BIN,
  ETCD_BIN,
  missingTool,
  startEtcdProcess,
  startStoreCluster,
  type Target,
} from './support/targets.js';

const etcdctlMissing = missingTool(ETCDCTL_BIN, 'etcd-client');
const etcdMissing = missingTool(ETCD_BIN, 'etcd-server');

const targets: Array<{ name: string; start: () => Promise<Target>; skip: string | undefined }> = [
  // The default client API is the JavaScript HTTP/2 layer (decision 0025).
  { name: '3-member kubets-store', start: () => startStoreCluster(3), skip: undefined },
  {
    // Node's HTTP/2 (nghttp2), still selectable, under the same real clients: etcdctl (Go
    // gRPC) and etcd3 (grpc-js).
    name: '3-member kubets-store, --grpc-transport=node-http2',
    start: () => startStoreCluster(3, { extraArgs: ['--grpc-transport=node-http2'] }),
    skip: undefined,
  },
  { name: 'etcd 3.4', start: () => startEtcdProcess(), skip: etcdMissing },
];

for (const target of targets) {
  describe.skipIf(target.skip !== undefined)(`compatibility: ${target.name}`, () => {
    let t: Target | undefined;
    const running = (): Target => {
      if (t === undefined) throw new Error(`${target.name} did not start`);
      return t;
    };

    beforeAll(async () => {
      t = await target.start();
    }, 60_000);

    afterAll(async () => {
      await t?.stop();
    });

    describe.skipIf(etcdctlMissing !== undefined)('etcdctl', () => etcdctlSuite(running));
    describe('etcd3 client', () => etcd3Suite(running));
  });
}
