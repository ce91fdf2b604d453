/**
 * `kubets pki token`: a new bootstrap token, or (`--secret`) the `kube-system` Secret manifest
 * that makes the API server accept it, ready for `kubectl apply -f -`.
 */
import { boolFlag, durationFlag, stringFlag, stringSliceFlag } from '@kubets/component-base';
import { stringify } from 'yaml';
import {
  DEFAULT_BOOTSTRAP_TOKEN_GROUP,
  bootstrapTokenSecret,
  generateBootstrapToken,
} from '../../pki/bootstrap-token.js';
import type { BootstrapTokenUsage } from '../../pki/bootstrap-token.js';
import { leafCommand, UsageError } from '../command.js';

const USAGES: readonly BootstrapTokenUsage[] = ['signing', 'authentication'];

const flags = {
  secret: boolFlag({
    help: 'Print the bootstrap token Secret manifest (YAML) instead of the bare token.',
  }),
  ttl: durationFlag({
    default: '24h',
    help: 'Lifetime of the token in the Secret; 0s never expires.',
  }),
  usages: stringSliceFlag({ default: USAGES, help: 'Token usages: signing, authentication.' }),
  groups: stringSliceFlag({
    default: [DEFAULT_BOOTSTRAP_TOKEN_GROUP],
    help: 'Extra groups the token authenticates as (each system:bootstrappers:...).',
  }),
  description: stringFlag({ help: 'Human-readable description stored in the Secret.' }),
};

export const tokenCommand = leafCommand({
  name: 'token',
  summary: 'Generate a bootstrap token ([a-z0-9]{6}.[a-z0-9]{16}) or its Secret',
  flags,
  run({ values }, context) {
    const token = generateBootstrapToken(context.randomBytes);
    if (!values.secret) {
      context.stdout.write(`${token}\n`);
      return;
    }
    const unknown = values.usages.filter((u) => !USAGES.includes(u as BootstrapTokenUsage));
    if (unknown.length > 0) {
      throw new UsageError(
        `--usages: unknown usage "${unknown[0] ?? ''}" (valid: ${USAGES.join(', ')})`,
      );
    }
    let secret: Record<string, unknown>;
    try {
      secret = bootstrapTokenSecret(token, {
        now: context.now(),
        ttlMs: values.ttl,
        usages: values.usages as BootstrapTokenUsage[],
        groups: values.groups,
        ...(values.description === '' ? {} : { description: values.description }),
      });
    } catch (err) {
      throw new UsageError(err instanceof Error ? err.message : String(err));
    }
    context.stdout.write(stringify(secret, { indentSeq: false, lineWidth: 0 }));
  },
});
