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
  ...loggingFlags,
  ...shutdownFlags,
};
