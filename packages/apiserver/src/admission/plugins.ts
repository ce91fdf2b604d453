/**
 * The admission plugins kubets knows, in upstream's fixed order (kube-apiserver's
 * AllOrderedPlugins), which are on by default, and `--enable-admission-plugins` /
 * `--disable-admission-plugins` resolution.
 */

/** Upstream's order; the chain runs enabled plugins in this order whatever the flag's order. */
export const ALL_ORDERED_PLUGINS = [
  'AlwaysAdmit',
  'NamespaceAutoProvision',
  'NamespaceLifecycle',
  'NamespaceExists',
  'LimitPodHardAntiAffinityTopology',
  'LimitRanger',
  'ServiceAccount',
  'NodeRestriction',
  'TaintNodesByCondition',
  'AlwaysPullImages',
  'ImagePolicyWebhook',
  'PodSecurity',
  'PodNodeSelector',
  'Priority',
  'DefaultTolerationSeconds',
  'PodTolerationRestriction',
  'EventRateLimit',
  'ExtendedResourceToleration',
  'DefaultStorageClass',
  'StorageObjectInUseProtection',
  'OwnerReferencesPermissionEnforcement',
  'PersistentVolumeClaimResize',
  'RuntimeClass',
  'CertificateApproval',
  'CertificateSigning',
  'ClusterTrustBundleAttest',
  'CertificateSubjectRestriction',
  'DefaultIngressClass',
  'DenyServiceExternalIPs',
  'PodTopologyLabels',
  'MutatingAdmissionPolicy',
  'MutatingAdmissionWebhook',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionWebhook',
  'ResourceQuota',
  'AlwaysDeny',
] as const;

/** Upstream's default-on set (kube-apiserver 1.32). */
export const DEFAULT_ON_PLUGINS = [
  'NamespaceLifecycle',
  'LimitRanger',
  'ServiceAccount',
  'TaintNodesByCondition',
  'PodSecurity',
  'Priority',
  'DefaultTolerationSeconds',
  'DefaultStorageClass',
  'StorageObjectInUseProtection',
  'PersistentVolumeClaimResize',
  'RuntimeClass',
  'CertificateApproval',
  'CertificateSigning',
  'ClusterTrustBundleAttest',
  'CertificateSubjectRestriction',
  'DefaultIngressClass',
  'MutatingAdmissionWebhook',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionWebhook',
  'ResourceQuota',
];

/** The plugins kubets implements; other upstream names are accepted and have no effect. */
export const IMPLEMENTED_PLUGINS = new Set([
  'AlwaysAdmit',
  'AlwaysDeny',
  'NamespaceLifecycle',
  'LimitRanger',
  'ServiceAccount',
  'NodeRestriction',
  'PodSecurity',
  'DefaultTolerationSeconds',
  'MutatingAdmissionWebhook',
  'ValidatingAdmissionWebhook',
  'ResourceQuota',
]);

/**
 * The enabled plugins in upstream order: the defaults plus `enable`, minus `disable`. Unknown
 * names are refused as upstream does; a name in both lists is an error.
 */
export function resolvePlugins(enable: readonly string[] = [], disable: readonly string[] = []) {
  const known = new Set<string>(ALL_ORDERED_PLUGINS);
  for (const [flag, names] of [
    ['enable-admission-plugins', enable],
    ['disable-admission-plugins', disable],
  ] as const) {
    for (const n of names) {
      if (!known.has(n)) throw new Error(`${flag} plugin "${n}" is unknown`);
    }
  }
  for (const n of enable) {
    if (disable.includes(n)) {
      throw new Error(`${n} in enable-admission-plugins and disable-admission-plugins overlapped`);
    }
  }
  const on = new Set([...DEFAULT_ON_PLUGINS, ...enable]);
  for (const n of disable) on.delete(n);
  const ordered = ALL_ORDERED_PLUGINS.filter((n) => on.has(n));
  return {
    enabled: ordered as string[],
    /** Enabled names kubets does not implement (logged at start). */
    unimplemented: ordered.filter((n) => !IMPLEMENTED_PLUGINS.has(n)) as string[],
  };
}
