import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@kubets/component-base';
import { GrpcServer } from '@kubets/component-base/grpc-server';
import { EtcdServer, type InitialMember } from '../../src/server/etcd-server.js';
import { addEtcdServices } from '../../src/server/grpc-services.js';
import { bindGrpc, grpcServerOptions } from '../../src/server/listen.js';
import { listenPeer, peerStreamHandler, type PeerListener } from '../../src/server/peer-service.js';
import { Http2PeerTransport, fetchClusterMembers } from '../../src/server/peer-transport.js';
import { NodeFs } from '../../src/storage/fs.js';
import { freePort } from './ports.js';

/** One member of an in-process test cluster: its server, gRPC endpoints and data dir. */
export interface TestMember {
  name: string;
  dataDir: string;
  peerPort: number;
  clientPort: number;
  etcd: EtcdServer | undefined;
  /** Stops the member (data kept). */
  stop(): Promise<void>;
  /** (Re)starts the member on its data dir. */
  start(state?: 'new' | 'existing'): Promise<void>;
}

export interface TestCluster {
  members: TestMember[];
  initialCluster: InitialMember[];
  /** Client endpoints of the running members. */
  endpoints(): string[];
  leader(): TestMember | undefined;
  waitForLeader(timeoutMs?: number): Promise<TestMember>;
  /** Adds a member to the roster (not started; add it with member add first). */
  addMember(name: string): Promise<TestMember>;
  destroy(): Promise<void>;
}

export interface ClusterOptions {
  heartbeatMs?: number;
  electionMs?: number;
  snapshotCount?: number;
  catchUpEntries?: number;
}

/** Starts `size` kubets-store members in this process, talking over real gRPC on 127.0.0.1. */
export async function startCluster(size: number, opts: ClusterOptions = {}): Promise<TestCluster> {
  const members: TestMember[] = [];
  const initialCluster: InitialMember[] = [];
  const logger = createLogger({ component: 'cluster-test', destination: { write: () => true } });

  const makeMember = async (name: string): Promise<TestMember> => {
    const peerPort = await freePort();
    const clientPort = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), `kubets-${name}-`));
    let peerServer: PeerListener | undefined;
    let clientServer: GrpcServer | undefined;
    const m: TestMember = {
      name,
      dataDir,
      peerPort,
      clientPort,
      etcd: undefined,
      async stop() {
        clientServer?.forceShutdown();
        await peerServer?.close();
        await m.etcd?.stop();
        m.etcd = undefined;
      },
      async start(state = 'new') {
        const roster =
          state === 'existing'
            ? [...initialCluster, { name, peerURLs: [`http://127.0.0.1:${peerPort}`] }]
            : initialCluster;
        const etcd = await EtcdServer.start({
          name,
          fs: new NodeFs(dataDir),
          initialCluster: roster,
          initialClusterState: state,
          initialClusterToken: 'test-cluster',
          clientURLs: [`http://127.0.0.1:${clientPort}`],
          heartbeatMs: opts.heartbeatMs ?? 20,
          electionMs: opts.electionMs ?? 200,
          snapshotCount: opts.snapshotCount ?? 10_000,
          catchUpEntries: opts.catchUpEntries,
          requestTimeoutMs: 2000,
          quotaBytes: 1 << 30,
          logger: logger.named(name),
          transport: (server) =>
            new Http2PeerTransport({
              memberId: server.memberId,
              clusterId: () => server.clusterId,
              logger,
              snapshotData: (index) => server.snapshotState(index),
              reportUnreachable: (id) => server.raft.reportUnreachable(id),
              reportSnapshot: (id, ok) => server.raft.reportSnapshot(id, ok),
              pingIntervalMs: 0,
            }),
          fetchCluster: (urls) => fetchClusterMembers(urls, undefined),
        });
        peerServer = await listenPeer(
          [{ scheme: 'http', host: '127.0.0.1', port: peerPort }],
          undefined,
          peerStreamHandler({ etcd, logger }),
        );
        clientServer = new GrpcServer(grpcServerOptions(1.5 * 1024 * 1024));
        addEtcdServices(clientServer, { etcd, logger });
        await bindGrpc(clientServer, [{ scheme: 'http', host: '127.0.0.1', port: clientPort }]);
        m.etcd = etcd;
      },
    };
    return m;
  };

  for (let i = 1; i <= size; i++) {
    const m = await makeMember(`m${i}`);
    members.push(m);
    initialCluster.push({ name: m.name, peerURLs: [`http://127.0.0.1:${m.peerPort}`] });
  }
  await Promise.all(members.map((m) => m.start()));

  const cluster: TestCluster = {
    members,
    initialCluster,
    endpoints: () => members.filter((m) => m.etcd).map((m) => `127.0.0.1:${m.clientPort}`),
    leader: () => members.find((m) => m.etcd?.isLeader),
    async waitForLeader(timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const running = members.filter((m) => m.etcd);
        const l = running.find((m) => m.etcd!.isLeader);
        // Every running member agrees on it.
        if (l && running.every((m) => m.etcd!.leader === l.etcd!.memberId)) return l;
        if (Date.now() > deadline) throw new Error('no leader agreed by all running members');
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async addMember(name) {
      const m = await makeMember(name);
      members.push(m);
      return m;
    },
    async destroy() {
      for (const m of members) await m.stop();
      for (const m of members) rmSync(m.dataDir, { recursive: true, force: true });
    },
  };
  return cluster;
}
