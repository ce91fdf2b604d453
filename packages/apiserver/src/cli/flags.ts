/**
 * kubets-apiserver's command line, with kube-apiserver's flag names and defaults.
 */
import {
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
  'bind-address': stringFlag({
    default: '0.0.0.0',
    help: 'The IP address on which to listen for the --secure-port port.',
    group: 'Secure serving flags',
  }),
  'secure-port': intFlag({
    default: 6443,
    min: 0,
    max: 65535,
    help: 'The port on which to serve HTTPS with authentication and authorization. Until kubets has authentication, the port serves plain HTTP when no --tls-cert-file/--tls-private-key-file are given.',
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
  ...loggingFlags,
  ...shutdownFlags,
};
