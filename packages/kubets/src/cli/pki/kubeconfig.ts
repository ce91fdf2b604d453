/**
 * `kubets pki kubeconfig`: a kubeconfig for one user, either with a fresh client certificate
 * signed by the cluster CA (CN = user, O = groups) or with a bearer token (`--token`, e.g. a
 * bootstrap token for node join). Like `kubeadm kubeconfig user`.
 */
import { boolFlag, stringFlag, stringSliceFlag } from '@kubets/component-base';
import { issueCertificate } from '../../pki/certificates.js';
import {
  DEFAULT_CLUSTER_NAME,
  DEFAULT_SERVER,
  PRIVATE_FILE_MODE,
  defaultGroupsFor,
} from '../../pki/cluster-pki.js';
import { ExistingFilesError, writeFiles } from '../../pki/files.js';
import { CERTIFICATE_KEY_ALGORITHM, generateKeyPair, privateKeyToPem } from '../../pki/keys.js';
import { renderKubeconfig } from '../../pki/kubeconfig.js';
import type { KubeconfigCredentials } from '../../pki/kubeconfig.js';
import { loadCertificateAuthorityFiles, loadCertificateFile } from '../../pki/pki-dir.js';
import { leafCommand, UsageError } from '../command.js';
import { certValidityFlag, dirFlag, requireFlags, serverUrlFlag } from './flags.js';

const flags = {
  dir: dirFlag(),
  ca: stringFlag({
    default: 'ca',
    help: 'CA (by name in --dir) that signs the client certificate and that the kubeconfig trusts.',
  }),
  user: stringFlag({
    help: 'User name: the client certificate CN, and the kubeconfig user entry. Required.',
  }),
  org: stringSliceFlag({
    help: 'Groups (certificate O). Default: system:masters for admin, system:nodes for system:node:<name>, none otherwise.',
  }),
  token: stringFlag({
    help: 'Use this bearer token (e.g. a bootstrap token) instead of a client certificate.',
  }),
  server: serverUrlFlag({ default: DEFAULT_SERVER, help: 'API server URL.' }),
  'cluster-name': stringFlag({ default: DEFAULT_CLUSTER_NAME, help: 'Name of the cluster entry.' }),
  out: stringFlag({ help: 'File to write (mode 0600); standard output when empty.' }),
  'cert-validity': certValidityFlag(),
  force: boolFlag({ help: 'Replace an existing --out file.' }),
};

export const kubeconfigCommand = leafCommand({
  name: 'kubeconfig',
  summary: 'Write a kubeconfig file for a user (client certificate or token)',
  description:
    'Writes a kubeconfig that kubectl uses unchanged: the CA embedded as certificate-authority-data,\n' +
    'a user with an embedded client certificate and key (or a token), a context and current-context.',
  flags,
  async run({ values, sources }, context) {
    requireFlags(values, 'dir', 'user');
    const useToken = values.token !== '';
    if (useToken && sources.org === 'command-line') {
      throw new UsageError(
        '--org cannot be combined with --token (a token carries no groups of its own)',
      );
    }
    let caPem: string;
    let credentials: KubeconfigCredentials;
    let groups: string[] = [];
    if (useToken) {
      caPem = (await loadCertificateFile(values.dir, values.ca)).pem;
      credentials = { token: values.token };
    } else {
      const ca = await loadCertificateAuthorityFiles(values.dir, values.ca);
      caPem = ca.certificatePem;
      groups = sources.org === 'command-line' ? values.org : defaultGroupsFor(values.user);
      const keys = await (context.generateKeyPair ?? generateKeyPair)(CERTIFICATE_KEY_ALGORITHM);
      const issued = await issueCertificate(
        ca,
        {
          kind: 'client',
          commonName: values.user,
          organizations: groups,
          validityMs: values['cert-validity'],
        },
        keys.publicKey,
        { now: context.now(), randomBytes: context.randomBytes },
      );
      credentials = {
        clientCertificatePem: issued.certificatePem,
        clientKeyPem: await privateKeyToPem(keys.privateKey),
      };
    }
    const yaml = renderKubeconfig({
      clusterName: values['cluster-name'],
      server: values.server,
      caCertificatePem: caPem,
      userName: values.user,
      credentials,
    });
    if (values.out === '') {
      context.stdout.write(yaml);
      return;
    }
    try {
      await writeFiles(
        [{ path: values.out, file: { path: values.out, contents: yaml, mode: PRIVATE_FILE_MODE } }],
        {
          force: values.force,
        },
      );
    } catch (err) {
      if (err instanceof ExistingFilesError)
        throw new Error(`${err.message}; pass --force to replace it`);
      throw err;
    }
    const identity = useToken
      ? 'a bearer token'
      : `a client certificate (groups [${groups.join(',')}])`;
    context.stdout.write(
      `Wrote ${values.out} for user ${values.user} with ${identity} -> ${values.server}\n`,
    );
  },
});
