/**
 * kubets-apiserver's command line, with kube-apiserver's flag names and defaults.
 */
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

export const apiServerFlags = {
  'etcd-servers': stringSliceFlag({
    help: 'List of etcd servers to connect with (scheme://ip:port), comma separated.',
    group: 'Etcd flags',
  }),
  'etcd-prefix': stringFlag({
    default: '/registry',
    help: 'The prefix to prepend to all resource paths in etcd.',
    group: 'Etcd flags',
  }),
  'etcd-cafile': stringFlag({
    help: 'SSL Certificate Authority file used to secure etcd communication.',
    group: 'Etcd flags',
  }),
  'etcd-certfile': stringFlag({
    help: 'SSL certification file used to secure etcd communication.',
    group: 'Etcd flags',
  }),
  'etcd-keyfile': stringFlag({
    help: 'SSL key file used to secure etcd communication.',
    group: 'Etcd flags',
  }),
  'etcd-compaction-interval': durationFlag({
    default: '5m',
    min: 0,
    help: 'The interval of compaction requests. If 0, the compaction request from apiserver is disabled.',
    group: 'Etcd flags',
  }),
  'watch-cache': boolFlag({
    default: true,
    help: 'Enable watch caching in the apiserver',
    group: 'Etcd flags',
  }),
  'watch-cache-sizes': stringSliceFlag({
    help: 'Watch cache size settings for some resources (pods, nodes, etc.), comma separated. The individual setting format: resource[.group]#size, where resource is lowercase plural (no version), group is omitted for resources of apiVersion v1 (the legacy core API) and included for others, and size is a number. This option is only meaningful for resources built into the apiserver, not ones defined by CRDs or aggregated from external servers, and is only consulted if the watch-cache is enabled. The only meaningful size setting to supply here is zero, which means to disable watch caching for the associated resource; all non-zero values are equivalent and mean to not disable watch caching for that resource',
    group: 'Etcd flags',
  }),
  'encryption-provider-config': stringFlag({
    help: 'The file containing configuration for encryption providers to be used for storing secrets in etcd',
    group: 'Etcd flags',
  }),
  'encryption-provider-config-automatic-reload': boolFlag({
    default: false,
    help: 'Determines if the file set by --encryption-provider-config should be automatically reloaded if the disk contents change.',
    group: 'Etcd flags',
  }),
  'audit-policy-file': stringFlag({
    help: 'Path to the file that defines the audit policy configuration.',
    group: 'Auditing flags',
  }),
  'audit-log-path': stringFlag({
    help: "If set, all requests coming to the apiserver will be logged to this file.  '-' means standard out.",
    group: 'Auditing flags',
  }),
  'audit-log-maxage': intFlag({
    default: 0,
    min: 0,
    help: 'The maximum number of days to retain old audit log files based on the timestamp encoded in their filename.',
    group: 'Auditing flags',
  }),
  'audit-log-maxbackup': intFlag({
    default: 0,
    min: 0,
    help: "The maximum number of old audit log files to retain. Setting a value of 0 will mean there's no restriction on the number of files.",
    group: 'Auditing flags',
  }),
  'audit-log-maxsize': intFlag({
    default: 0,
    min: 0,
    help: "The maximum size in megabytes of the audit log file before it gets rotated (0: 100, as upstream's log writer).",
    group: 'Auditing flags',
  }),
  'audit-log-format': enumFlag({
    values: ['legacy', 'json'],
    default: 'json',
    help: 'Format of saved audits. "legacy" indicates 1-line text format for each event. "json" indicates structured json format.',
    group: 'Auditing flags',
  }),
  'bind-address': stringFlag({
    default: '0.0.0.0',
    help: 'The IP address on which to listen for the --secure-port port.',
    group: 'Secure serving flags',
  }),
  'secure-port': intFlag({
    default: 6443,
    min: 0,
    max: 65535,
    help: 'The port on which to serve HTTPS with authentication and authorization. 0 picks a free port.',
    group: 'Secure serving flags',
  }),
  'grpc-port': intFlag({
    default: 6444,
    min: 0,
    max: 65535,
    help: 'kubets: the port on which to serve the gRPC resource API (kubets.api.v1.Resources), with the same serving certificate, authentication and authorization as --secure-port. 0 picks a free port.',
    group: 'Secure serving flags',
  }),
  'grpc-bind-address': stringFlag({
    help: 'kubets: the IP address on which to listen for the --grpc-port port (default: --bind-address).',
    group: 'Secure serving flags',
  }),
  'cert-dir': stringFlag({
    default: '/var/run/kubernetes',
    help: 'The directory where the TLS certs are located. If --tls-cert-file and --tls-private-key-file are provided, this flag will be ignored.',
    group: 'Secure serving flags',
  }),
  'tls-cert-file': stringFlag({
    help: 'File containing the default x509 Certificate for HTTPS. (CA cert, if any, concatenated after server cert). If HTTPS serving is enabled, and --tls-cert-file and --tls-private-key-file are not provided, a self-signed certificate and key are generated for the public address and saved to the directory specified by --cert-dir.',
    group: 'Secure serving flags',
  }),
  'tls-private-key-file': stringFlag({
    help: 'File containing the default x509 private key matching --tls-cert-file.',
    group: 'Secure serving flags',
  }),
  'service-cluster-ip-range': stringFlag({
    default: '10.96.0.0/12',
    help: 'A CIDR notation IP range from which to assign service cluster IPs.',
    group: 'Misc flags',
  }),
  'service-node-port-range': stringFlag({
    default: '30000-32767',
    help: 'A port range to reserve for services with NodePort visibility. Example: 30000-32767. Inclusive at both ends of the range.',
    group: 'Misc flags',
  }),
  'max-requests-inflight': intFlag({
    default: 400,
    min: 0,
    help: 'The maximum number of non-mutating requests in flight at a given time. When the server exceeds this, it rejects requests. Zero for no limit.',
    group: 'Generic flags',
  }),
  'max-mutating-requests-inflight': intFlag({
    default: 200,
    min: 0,
    help: 'The maximum number of mutating requests in flight at a given time. When the server exceeds this, it rejects requests. Zero for no limit.',
    group: 'Generic flags',
  }),
  workers: intFlag({
    default: 1,
    min: 1,
    max: 64,
    help: 'kubets: the number of server processes sharing --secure-port and --grpc-port. kube-apiserver (Go) uses every core in one process; a Node.js server runs its requests and watch fan-out on one thread, so on a machine with several cores N workers (each a full API server with its own etcd connections and watch caches, as HA servers on one etcd) let the server use N cores. The primary process hands each connection to a worker, restarts a worker that dies and merges their /metrics. 1 (the default) runs one process.',
    group: 'Generic flags',
  }),
  'client-ca-file': stringFlag({
    help: 'If set, any request presenting a client certificate signed by one of the authorities in the client-ca-file is authenticated with an identity corresponding to the CommonName of the client certificate.',
    group: 'Authentication flags',
  }),
  'token-auth-file': stringFlag({
    help: 'If set, the file that will be used to secure the secure port of the API server via token authentication.',
    group: 'Authentication flags',
  }),
  'anonymous-auth': boolFlag({
    default: true,
    help: 'Enables anonymous requests to the secure port of the API server. Requests that are not rejected by another authentication method are treated as anonymous requests. Anonymous requests have a username of system:anonymous, and a group name of system:unauthenticated.',
    group: 'Authentication flags',
  }),
  'enable-bootstrap-token-auth': boolFlag({
    help: "Enable to allow secrets of type 'bootstrap.kubernetes.io/token' in the 'kube-system' namespace to be used for TLS bootstrapping authentication.",
    group: 'Authentication flags',
  }),
  'service-account-key-file': stringSliceFlag({
    help: 'File containing PEM-encoded x509 RSA or ECDSA private or public keys, used to verify ServiceAccount tokens. The specified file can contain multiple keys, and the flag can be specified multiple times with different files. If unspecified, the public half of --service-account-signing-key-file is used.',
    group: 'Authentication flags',
  }),
  'service-account-signing-key-file': stringFlag({
    help: 'Path to the file that contains the current private key of the service account token issuer. The issuer will sign issued ID tokens with this private key.',
    group: 'Authentication flags',
  }),
  'service-account-issuer': stringSliceFlag({
    help: 'Identifier of the service account token issuer. The issuer will assert this identifier in "iss" claim of issued tokens. When this flag is specified multiple times, the first is used to generate tokens and all are used to determine which issuers are accepted.',
    group: 'Authentication flags',
  }),
  'api-audiences': stringSliceFlag({
    help: 'Identifiers of the API. The service account token authenticator will validate that tokens used against the API are bound to at least one of these audiences. If not set, the --service-account-issuer values are used.',
    group: 'Authentication flags',
  }),
  'authorization-mode': stringSliceFlag({
    default: ['AlwaysAllow'],
    help: 'Ordered list of plug-ins to do authorization on secure port. Comma-delimited list of: AlwaysAllow,AlwaysDeny,Node,RBAC.',
    group: 'Authorization flags',
  }),
  'enable-admission-plugins': stringSliceFlag({
    help: 'admission plugins that should be enabled in addition to default enabled ones (NamespaceLifecycle, LimitRanger, ServiceAccount, TaintNodesByCondition, PodSecurity, Priority, DefaultTolerationSeconds, DefaultStorageClass, StorageObjectInUseProtection, PersistentVolumeClaimResize, RuntimeClass, CertificateApproval, CertificateSigning, ClusterTrustBundleAttest, CertificateSubjectRestriction, DefaultIngressClass, MutatingAdmissionWebhook, ValidatingAdmissionPolicy, ValidatingAdmissionWebhook, ResourceQuota). Comma-delimited list of admission plugins. The order of plugins in this flag does not matter. kubets implements AlwaysAdmit, AlwaysDeny, NamespaceLifecycle, LimitRanger, ServiceAccount, NodeRestriction, PodSecurity, DefaultTolerationSeconds, MutatingAdmissionWebhook, ValidatingAdmissionWebhook, ResourceQuota; other upstream names are accepted and have no effect.',
    group: 'Admission flags',
  }),
  'disable-admission-plugins': stringSliceFlag({
    help: 'admission plugins that should be disabled although they are in the default enabled plugins list. Comma-delimited list of admission plugins. The order of plugins in this flag does not matter.',
    group: 'Admission flags',
  }),
  'admission-control-config-file': stringFlag({
    help: 'File with admission control configuration (AdmissionConfiguration, apiserver.config.k8s.io/v1). kubets reads the PodSecurity plugin configuration (PodSecurityConfiguration defaults and exemptions) from it.',
    group: 'Admission flags',
  }),
  'tracing-config-file': stringFlag({
    help: 'File with apiserver tracing configuration (TracingConfiguration, apiserver.config.k8s.io/v1beta1): endpoint of an OTLP/HTTP receiver (default localhost:4318) and samplingRatePerMillion. Without it, the OTEL_* environment variables configure tracing.',
    group: 'Traces flags',
  }),
  ...loggingFlags,
  ...shutdownFlags,
};
