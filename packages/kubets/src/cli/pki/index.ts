import type { CommandGroup } from '../command.js';
import { certsCommand } from './certs.js';
import { initCommand } from './init.js';
import { issueCommand } from './issue.js';
import { kubeconfigCommand } from './kubeconfig.js';
import { tokenCommand } from './token.js';

/** `kubets pki`: the cluster's certificates, keys and kubeconfig files. */
export const pkiCommand: CommandGroup = {
  kind: 'group',
  name: 'pki',
  summary: 'Create and inspect the cluster PKI: CAs, certificates, kubeconfig files, tokens',
  description:
    'Create and inspect the cluster PKI: CAs, serving and client certificates, the\n' +
    "service-account key pair, kubeconfig files and bootstrap tokens (kubeadm's layout).",
  commands: [initCommand, issueCommand, kubeconfigCommand, certsCommand, tokenCommand],
};
