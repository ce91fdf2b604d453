/**
 * `kubets pki init`: creates the cluster CA, the store CA, the optional front-proxy CA, every
 * control-plane certificate, the service-account key pair and the kubeconfig files, in kubeadm's
 * layout, and writes them with 0600 for keys and kubeconfigs.
 */
import { join } from 'node:path';
import { boolFlag, durationFlag, stringFlag } from '@kubets/component-base';
import { DEFAULT_CA_VALIDITY_MS } from '../../pki/certificates.js';
import {
  DEFAULT_CLUSTER_DOMAIN,
  DEFAULT_CLUSTER_NAME,
  DEFAULT_SERVER,
  DEFAULT_SERVICE_CLUSTER_IP_RANGE,
  createClusterPki,
  planClusterPki,
  plannedFiles,
} from '../../pki/cluster-pki.js';
import type { ClusterPkiOptions, ClusterPkiPlan, PkiFile } from '../../pki/cluster-pki.js';
import {
  ExistingFilesError,
  destinations,
  existingPaths,
  listPaths,
  writeFiles,
} from '../../pki/files.js';
import { formatSubjectAltName } from '../../pki/names.js';
import { leafCommand, UsageError } from '../command.js';
import {
  certValidityFlag,
  dirFlag,
  ipListFlag,
  requireFlags,
  sanListFlag,
  serverUrlFlag,
  serviceCidrFlag,
} from './flags.js';

const flags = {
  dir: dirFlag(),
  'kubeconfig-dir': stringFlag({
    help: 'Directory for admin.conf, controller-manager.conf, scheduler.conf, kubelet.conf and proxy.conf (default: --dir).',
  }),
  'cluster-name': stringFlag({
    default: DEFAULT_CLUSTER_NAME,
    help: 'Cluster name used in the kubeconfig files.',
  }),
  'cluster-domain': stringFlag({
    default: DEFAULT_CLUSTER_DOMAIN,
    help: 'DNS domain of the cluster; kubernetes.default.svc.<domain> is an API server SAN.',
  }),
  'service-cluster-ip-range': serviceCidrFlag({
    default: DEFAULT_SERVICE_CLUSTER_IP_RANGE,
    help: 'Service CIDR (two, comma-separated, for dual stack); its first IP is an API server SAN.',
  }),
  'apiserver-cert-extra-sans': sanListFlag({
    help: 'Extra SANs (IPs or DNS names) for the API server serving certificate.',
  }),
  'etcd-cert-extra-sans': sanListFlag({
    help: 'Extra SANs for the store (etcd) member serving and peer certificates.',
  }),
  'node-name': stringFlag({ help: 'Name of this node (default: the hostname, lowercased).' }),
  'node-ip': ipListFlag({
    help: 'IPs of this node; added to the API server and store member SANs.',
  }),
  server: serverUrlFlag({
    default: DEFAULT_SERVER,
    help: 'API server URL written into the kubeconfig files; its host becomes an API server SAN.',
  }),
  'ca-validity': durationFlag({
    default: DEFAULT_CA_VALIDITY_MS,
    min: 1000,
    help: 'Validity of the CAs (default ten years).',
  }),
  'cert-validity': certValidityFlag(),
  'front-proxy': boolFlag({
    default: true,
    help: 'Create the front-proxy CA and client certificate (aggregation layer); --front-proxy=false skips them.',
  }),
  force: boolFlag({
    help: 'Replace existing files, including the CAs (every certificate they signed becomes untrusted).',
  }),
};

function describePlan(plan: ClusterPkiPlan, options: ClusterPkiOptions): string {
  const lines: string[] = [];
  for (const ca of plan.cas)
    lines.push(`[certs] Generated "${ca.name}" certificate and key (CN=${ca.commonName})`);
  for (const cert of plan.certificates) {
    const groups = cert.organizations.length > 0 ? `, O=${cert.organizations.join('+')}` : '';
    lines.push(
      `[certs] Generated "${cert.name}" certificate and key (${cert.kind}, CN=${cert.commonName}${groups}, signed by ${cert.ca})`,
    );
    if (cert.subjectAltNames.length > 0) {
      lines.push(
        `[certs] ${cert.name} is signed for ${cert.subjectAltNames.map(formatSubjectAltName).join(', ')}`,
      );
    }
  }
  lines.push('[certs] Generated the "sa" key pair (RSA 2048) for service account tokens');
  for (const kc of plan.kubeconfigs) {
    const groups = kc.organizations.length > 0 ? ` groups [${kc.organizations.join(',')}]` : '';
    lines.push(
      `[kubeconfig] Wrote "${kc.file}" for user ${kc.userName}${groups} -> ${plan.server}`,
    );
  }
  lines.push(
    `[pki] Node ${options.nodeName}; certificates valid until the earlier of --cert-validity and the CA's expiry.`,
  );
  return `${lines.join('\n')}\n`;
}

/**
 * The refusal names the CA first when it is among the existing files: replacing it is what
 * breaks a running cluster.
 */
function refuseOverwrite(err: ExistingFilesError, caPath: string): never {
  const others = err.paths.filter((path) => path !== caPath);
  const what = err.paths.includes(caPath)
    ? `refusing to overwrite the existing CA ${caPath}${others.length > 0 ? ` (and ${others.length} other existing files: ${listPaths(others)})` : ''}`
    : err.message;
  throw new Error(
    `${what}; pass --force to replace them (a new CA invalidates every certificate the old one signed)`,
  );
}

export const initCommand = leafCommand({
  name: 'init',
  summary: 'Create the cluster CAs, certificates, service-account keys and kubeconfig files',
  description:
    "Creates a complete cluster PKI in kubeadm's layout: ca, front-proxy-ca and etcd/ca; the API\n" +
    'server serving certificate and its kubelet and store client certificates; store member\n' +
    'certificates; sa.key/sa.pub; and admin.conf, controller-manager.conf, scheduler.conf,\n' +
    'kubelet.conf and proxy.conf. Refuses to overwrite existing files unless --force.',
  flags,
  async run({ values, sources }, context) {
    requireFlags(values, 'dir');
    const dir = values.dir;
    const kubeconfigDir = values['kubeconfig-dir'] === '' ? dir : values['kubeconfig-dir'];
    const options: ClusterPkiOptions = {
      nodeName: values['node-name'] === '' ? context.hostname().toLowerCase() : values['node-name'],
      nodeIps: values['node-ip'],
      clusterName: values['cluster-name'],
      clusterDomain: values['cluster-domain'],
      serviceClusterIpRanges: values['service-cluster-ip-range'],
      apiserverCertExtraSans: values['apiserver-cert-extra-sans'],
      etcdCertExtraSans: values['etcd-cert-extra-sans'],
      server: values.server,
      caValidityMs: values['ca-validity'],
      certValidityMs: values['cert-validity'],
      frontProxy: values['front-proxy'],
    };
    let plan: ClusterPkiPlan;
    try {
      plan = planClusterPki(options);
    } catch (err) {
      // Node name and domain come from flags (or the hostname): a usage problem.
      const message = err instanceof Error ? err.message : String(err);
      const fromHostname = sources['node-name'] === 'default' && message.startsWith('node name');
      throw new UsageError(
        fromHostname ? `${message} (it comes from the host name; set --node-name)` : message,
      );
    }
    const dirFor = (file: Pick<PkiFile, 'category'>) =>
      file.category === 'kubeconfig' ? kubeconfigDir : dir;
    // Checked before generating anything, and again by writeFiles (the disk may change meanwhile).
    if (!values.force) {
      const present = await existingPaths(
        plannedFiles(plan).map((file) => join(dirFor(file), file.path)),
      );
      if (present.length > 0) refuseOverwrite(new ExistingFilesError(present), join(dir, 'ca.crt'));
    }
    const files = await createClusterPki(options, {
      now: context.now(),
      randomBytes: context.randomBytes,
      generateKeyPair: context.generateKeyPair,
    });
    try {
      await writeFiles(destinations(files, dirFor), { force: values.force });
    } catch (err) {
      if (err instanceof ExistingFilesError) refuseOverwrite(err, join(dir, 'ca.crt'));
      throw err;
    }
    context.stdout.write(describePlan(plan, options));
  },
});
