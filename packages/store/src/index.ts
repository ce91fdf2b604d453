/**
 * @kubets/store: a Raft-replicated MVCC key-value store that speaks the etcd v3 API.
 *
 * Most users run the `kubets-store` binary. The exports below are for embedding a member in a
 * process (the all-in-one cluster), for tests, and for tools that read kubets-store files.
 */
export { startEmbeddedStore } from './embedded.js';
export { embeddedStoreArgs } from './embedded.js';
export type { EmbeddedStore, EmbeddedStoreOptions } from './embedded.js';
export { EtcdServer, SERVER_VERSION } from './server/etcd-server.js';
export type {
  EtcdServerOptions,
  InitialMember,
  PeerTransport,
  ServerStatus,
  Timers,
} from './server/etcd-server.js';
export { addEtcdServices } from './server/grpc-services.js';
export { listenPeer, peerStreamHandler } from './server/peer-service.js';
export type { PeerListener, PeerServiceOptions } from './server/peer-service.js';
export { Http2PeerTransport, fetchClusterMembers } from './server/peer-transport.js';
export type { PeerTransportOptions } from './server/peer-transport.js';
export type { PeerTls } from './server/peer-wire.js';
export { StoreMetrics } from './server/metrics.js';
export { Compactor, parseCompactionPolicy } from './server/compactor.js';
export type { AutoCompactionMode, CompactionPolicy } from './server/compactor.js';
export { buildConfig, parseInitialCluster } from './cli/config.js';
export type { StoreConfig } from './cli/config.js';
export { storeFlags } from './cli/flags.js';
export { runStore } from './cli/run.js';
export { MvccStore, WriteTxn } from './mvcc/store.js';
export type { RangeOptions, RangeResult, ReadView } from './mvcc/store.js';
export type { KeyValue, MvccEvent, KeyRange } from './mvcc/kv.js';
export { Lessor } from './lease/lessor.js';
export { WatchHub, WatchStream } from './watch/watch-hub.js';
export type { WatchMessage, WatchRequest, WatchSink } from './watch/watch-hub.js';
export { StateMachine } from './apply/state-machine.js';
export { EtcdError } from './apply/errors.js';
export { computeMemberId, computeClusterId } from './apply/membership.js';
export { NodeFs, SimDiskFs } from './storage/fs.js';
export type { StorageFs, SimDiskLike } from './storage/fs.js';
export { WalCorruptError } from './storage/segmented-log.js';
export { SnapshotCorruptError, decodeSnapshotFile } from './storage/snapshot-file.js';
