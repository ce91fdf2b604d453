import {
  boolFlag,
  durationFlag,
  enumFlag,
  intFlag,
  loggingFlags,
  shutdownFlags,
  stringFlag,
  stringSliceFlag,
} from '@kubets/component-base';

const member = 'Member flags';
const clustering = 'Clustering flags';
const security = 'Security flags';
const experimental = 'Experimental flags';

/**
 * kubets-store's command line: etcd's flag names, defaults and ETCD_* environment variables,
 * so an etcd command line (or systemd unit) starts kubets-store unchanged where the feature
 * exists. Logging and shutdown flags are the ones every kubets binary shares.
 */
export const storeFlags = {
  name: stringFlag({
    default: 'default',
    help: 'Human-readable name for this member.',
    env: 'ETCD_NAME',
    group: member,
  }),
  'data-dir': stringFlag({
    help: 'Path to the data directory (default "${name}.etcd").',
    env: 'ETCD_DATA_DIR',
    group: member,
  }),
  'listen-client-urls': stringSliceFlag({
    default: ['http://localhost:2379'],
    help: 'List of URLs to listen on for client traffic (gRPC, the etcd v3 API).',
    env: 'ETCD_LISTEN_CLIENT_URLS',
    group: member,
  }),
  'listen-peer-urls': stringSliceFlag({
    default: ['http://localhost:2380'],
    help: 'List of URLs to listen on for peer traffic.',
    env: 'ETCD_LISTEN_PEER_URLS',
    group: member,
  }),
  'listen-metrics-urls': stringSliceFlag({
    help: 'List of URLs to listen on for the metrics and health endpoints (/metrics, /healthz, /readyz). Only the first is served.',
    env: 'ETCD_LISTEN_METRICS_URLS',
    group: member,
  }),
  'snapshot-count': intFlag({
    default: 100000,
    min: 1,
    help: 'Number of committed transactions to trigger a snapshot to disk.',
    env: 'ETCD_SNAPSHOT_COUNT',
    group: member,
  }),
  'experimental-raft-persisted-notices': boolFlag({
    default: true,
    help: 'As leader, tell a member that forwarded a write once the leader has it on disk, so that in clusters of up to three members that member answers one round trip sooner (kubets only; members without it ignore the notices).',
    env: 'ETCD_EXPERIMENTAL_RAFT_PERSISTED_NOTICES',
    group: experimental,
  }),
  'experimental-snapshot-catchup-entries': intFlag({
    default: 5000,
    min: 1,
    help: 'Number of entries for a slow follower to catch up after compacting the raft storage entries.',
    env: 'ETCD_EXPERIMENTAL_SNAPSHOT_CATCHUP_ENTRIES',
    group: member,
  }),
  'heartbeat-interval': intFlag({
    default: 100,
    min: 1,
    help: 'Time (in milliseconds) of a heartbeat interval.',
    env: 'ETCD_HEARTBEAT_INTERVAL',
    group: member,
  }),
  'election-timeout': intFlag({
    default: 1000,
    min: 1,
    help: 'Time (in milliseconds) for an election to timeout.',
    env: 'ETCD_ELECTION_TIMEOUT',
    group: member,
  }),
  'quota-backend-bytes': intFlag({
    default: 0,
    min: 0,
    help: 'Raise alarms when backend size exceeds the given quota (0 defaults to low space quota: 2 GiB).',
    env: 'ETCD_QUOTA_BACKEND_BYTES',
    group: member,
  }),
  'max-txn-ops': intFlag({
    default: 128,
    min: 1,
    help: 'Maximum number of operations permitted in a transaction.',
    env: 'ETCD_MAX_TXN_OPS',
    group: member,
  }),
  'max-request-bytes': intFlag({
    default: 1572864,
    min: 1,
    help: 'Maximum client request size in bytes the server will accept.',
    env: 'ETCD_MAX_REQUEST_BYTES',
    group: member,
  }),
  'grpc-keepalive-interval': durationFlag({
    default: '2h',
    min: 0,
    help: 'Frequency duration of server-to-client ping to check if a connection is alive (0 to disable).',
    env: 'ETCD_GRPC_KEEPALIVE_INTERVAL',
    group: member,
  }),
  'grpc-keepalive-timeout': durationFlag({
    default: '20s',
    min: 0,
    help: 'Additional duration of wait before closing a non-responsive connection (0 to disable).',
    env: 'ETCD_GRPC_KEEPALIVE_TIMEOUT',
    group: member,
  }),
  'initial-advertise-peer-urls': stringSliceFlag({
    default: ['http://localhost:2380'],
    help: "List of this member's peer URLs to advertise to the rest of the cluster.",
    env: 'ETCD_INITIAL_ADVERTISE_PEER_URLS',
    group: clustering,
  }),
  'initial-cluster': stringSliceFlag({
    help: 'Initial cluster configuration for bootstrapping, e.g. "a=http://10.0.0.1:2380,b=http://10.0.0.2:2380" (default "${name}=${initial-advertise-peer-urls}").',
    env: 'ETCD_INITIAL_CLUSTER',
    group: clustering,
  }),
  'initial-cluster-state': enumFlag({
    values: ['new', 'existing'],
    default: 'new',
    help: "Initial cluster state ('new' or 'existing').",
    env: 'ETCD_INITIAL_CLUSTER_STATE',
    group: clustering,
  }),
  'initial-cluster-token': stringFlag({
    default: 'etcd-cluster',
    help: 'Initial cluster token for the etcd cluster during bootstrap.',
    env: 'ETCD_INITIAL_CLUSTER_TOKEN',
    group: clustering,
  }),
  'advertise-client-urls': stringSliceFlag({
    default: ['http://localhost:2379'],
    help: "List of this member's client URLs to advertise to the public.",
    env: 'ETCD_ADVERTISE_CLIENT_URLS',
    group: clustering,
  }),
  'auto-compaction-mode': enumFlag({
    values: ['periodic', 'revision'],
    default: 'periodic',
    help: "Interpret 'auto-compaction-retention' one of: periodic|revision.",
    env: 'ETCD_AUTO_COMPACTION_MODE',
    group: clustering,
  }),
  'auto-compaction-retention': stringFlag({
    default: '0',
    help: "Auto compaction retention for mvcc key value store. 0 means disable auto compaction. periodic: a duration, or hours if no unit ('1' = 1h); revision: a number of revisions.",
    env: 'ETCD_AUTO_COMPACTION_RETENTION',
    group: clustering,
  }),
  'cert-file': stringFlag({
    help: 'Path to the client server TLS cert file.',
    env: 'ETCD_CERT_FILE',
    group: security,
  }),
  'key-file': stringFlag({
    help: 'Path to the client server TLS key file.',
    env: 'ETCD_KEY_FILE',
    group: security,
  }),
  'trusted-ca-file': stringFlag({
    help: 'Path to the client server TLS trusted CA cert file.',
    env: 'ETCD_TRUSTED_CA_FILE',
    group: security,
  }),
  'client-cert-auth': boolFlag({
    help: 'Enable client cert authentication.',
    env: 'ETCD_CLIENT_CERT_AUTH',
    group: security,
  }),
  'peer-cert-file': stringFlag({
    help: 'Path to the peer server TLS cert file.',
    env: 'ETCD_PEER_CERT_FILE',
    group: security,
  }),
  'peer-key-file': stringFlag({
    help: 'Path to the peer server TLS key file.',
    env: 'ETCD_PEER_KEY_FILE',
    group: security,
  }),
  'peer-trusted-ca-file': stringFlag({
    help: 'Path to the peer server TLS trusted CA file.',
    env: 'ETCD_PEER_TRUSTED_CA_FILE',
    group: security,
  }),
  'peer-client-cert-auth': boolFlag({
    help: 'Enable peer client cert authentication.',
    env: 'ETCD_PEER_CLIENT_CERT_AUTH',
    group: security,
  }),
  'experimental-watch-progress-notify-interval': durationFlag({
    default: '10m',
    min: 100,
    help: 'Duration of periodic watch progress notifications.',
    env: 'ETCD_EXPERIMENTAL_WATCH_PROGRESS_NOTIFY_INTERVAL',
    group: experimental,
  }),
  'grpc-transport': enumFlag({
    // kubets-store only (etcd has no such flag): the client API's HTTP/2 layer. 'js' is the
    // JavaScript HTTP/2 connection of decision 0025 (40-60 % less server CPU per call, and a
    // cheaper watch fan-out); 'node-http2' is Node's (nghttp2), kept selectable.
    values: ['js', 'node-http2'],
    default: 'js',
    help: "HTTP/2 implementation serving the client gRPC API: js (kubets' own) or node-http2 (Node's).",
    env: 'ETCD_GRPC_TRANSPORT',
  }),
  'experimental-grpc-transport': stringFlag({
    // The flag's name while the JavaScript layer was experimental; still accepted.
    help: 'Deprecated: use --grpc-transport (same values; overrides it when given).',
    env: 'ETCD_EXPERIMENTAL_GRPC_TRANSPORT',
    group: experimental,
  }),
  'experimental-enable-distributed-tracing': boolFlag({
    help: 'Enable experimental distributed tracing using OpenTelemetry Tracing.',
    env: 'ETCD_EXPERIMENTAL_ENABLE_DISTRIBUTED_TRACING',
    group: experimental,
  }),
  'experimental-distributed-tracing-address': stringFlag({
    // etcd's default is localhost:4317, the OTLP/gRPC port; kubets exports OTLP/HTTP.
    default: 'localhost:4318',
    help: 'Address of the OTLP/HTTP trace receiver (host:port or an http(s) URL) for OpenTelemetry Tracing (if enabled with experimental-enable-distributed-tracing flag).',
    env: 'ETCD_EXPERIMENTAL_DISTRIBUTED_TRACING_ADDRESS',
    group: experimental,
  }),
  'experimental-distributed-tracing-service-name': stringFlag({
    default: 'etcd',
    help: "Configures service name for distributed tracing to be used to define service name for OpenTelemetry Tracing (if enabled with experimental-enable-distributed-tracing flag). 'etcd' is the default service name. Use the same service name for all instances of etcd.",
    env: 'ETCD_EXPERIMENTAL_DISTRIBUTED_TRACING_SERVICE_NAME',
    group: experimental,
  }),
  'experimental-distributed-tracing-instance-id': stringFlag({
    help: 'Configures service instance ID for distributed tracing to be used to define service instance ID key for OpenTelemetry Tracing (if enabled with experimental-enable-distributed-tracing flag). There is no default value set. This ID must be unique per etcd instance.',
    env: 'ETCD_EXPERIMENTAL_DISTRIBUTED_TRACING_INSTANCE_ID',
    group: experimental,
  }),
  'experimental-distributed-tracing-sampling-rate': intFlag({
    default: 0,
    help: 'Number of samples to collect per million spans for OpenTelemetry Tracing (if enabled with experimental-enable-distributed-tracing flag).',
    env: 'ETCD_EXPERIMENTAL_DISTRIBUTED_TRACING_SAMPLING_RATE',
    group: experimental,
  }),
  ...loggingFlags,
  ...shutdownFlags,
};

export type StoreFlags = typeof storeFlags;
