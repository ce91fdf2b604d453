/**
 * kubets-apiserver's command line, with kube-apiserver's flag names and defaults.
 */
import {
  boolFlag,
  durationFlag,
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
  'bind-address': stringFlag({
    default: '0.0.0.0',
    help: 'The IP address on which to listen for the --secure-port port.',
    group: 'Secure serving flags',
  }),
  'secure-port': intFlag({
    default: 6443,
    min: 0,
    max: 65535,
    help: 'The port on which to serve HTTPS with authentication and authorization. Without --tls-cert-file/--tls-private-key-file the port serves plain HTTP (development only).',
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
  'tls-cert-file': stringFlag({
    help: 'File containing the default x509 Certificate for HTTPS.',
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
  ...loggingFlags,
  ...shutdownFlags,
};
