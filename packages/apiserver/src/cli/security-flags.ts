/**
 * kube-apiserver's authentication and authorization flags -> SecurityOptions. Without any of
 * them (no authenticator, `--authorization-mode=AlwaysAllow`, anonymous allowed) there is no
 * security chain at all: the dev-only unsecured mode.
 */
import type { FlagValues } from '@kubets/component-base';
import type { KeyObject } from 'node:crypto';
import { publicKeysFromPem } from '../auth/authn/serviceaccount.js';
import { parseTokenFile } from '../auth/authn/token-file.js';
import {
  AUTHORIZATION_MODES,
  type AuthorizationMode,
  type SecurityOptions,
} from '../auth/security.js';
import type { apiServerFlags } from './flags.js';

export function securityFromFlags(
  values: FlagValues<typeof apiServerFlags>,
  read: (flag: string, path: string) => Buffer,
): { options: SecurityOptions; clientCA?: Buffer; warnings: string[] } | undefined {
  const warnings: string[] = [];
  const modes = values['authorization-mode'];
  for (const m of modes) {
    if (!(AUTHORIZATION_MODES as readonly string[]).includes(m)) {
      throw new Error(
        `--authorization-mode: unsupported value "${m}": supported values: ${AUTHORIZATION_MODES.map((x) => `"${x}"`).join(', ')}`,
      );
    }
  }
  if (new Set(modes).size !== modes.length)
    throw new Error('--authorization-mode: modes may not be repeated');
  const options: SecurityOptions = {
    anonymousAuth: values['anonymous-auth'],
    authorizationModes: modes as AuthorizationMode[],
  };
  const caFile = values['client-ca-file'];
  if (caFile) options.clientCA = read('client-ca-file', caFile);
  const tokenFile = values['token-auth-file'];
  if (tokenFile) {
    const parsed = parseTokenFile(read('token-auth-file', tokenFile).toString('utf8'), tokenFile);
    options.tokens = parsed.users;
    warnings.push(...parsed.warnings);
  }
  const signingFile = values['service-account-signing-key-file'];
  const keyFiles = values['service-account-key-file'];
  const issuers = values['service-account-issuer'];
  if (signingFile || keyFiles.length > 0) {
    if (issuers.length === 0) throw new Error('--service-account-issuer is a required flag');
    const signingKeyPem = signingFile
      ? read('service-account-signing-key-file', signingFile).toString('utf8')
      : undefined;
    const publicKeys: KeyObject[] = [];
    try {
      for (const f of keyFiles.length > 0 ? keyFiles : [])
        publicKeys.push(...publicKeysFromPem(read('service-account-key-file', f).toString('utf8')));
      if (keyFiles.length === 0 && signingKeyPem)
        publicKeys.push(...publicKeysFromPem(signingKeyPem));
    } catch (err) {
      throw new Error(`--service-account-key-file: ${(err as Error).message}`);
    }
    options.serviceAccounts = {
      publicKeys,
      ...(signingKeyPem ? { signingKeyPem } : {}),
      issuers,
      ...(values['api-audiences'].length > 0 ? { apiAudiences: values['api-audiences'] } : {}),
    };
  }
  if (values['enable-bootstrap-token-auth']) options.enableBootstrapTokenAuth = true;
  const secured =
    !!options.clientCA ||
    !!options.tokens ||
    !!options.serviceAccounts ||
    !!options.enableBootstrapTokenAuth ||
    !values['anonymous-auth'] ||
    modes.some((m) => m !== 'AlwaysAllow');
  if (!secured) return undefined;
  return { options, ...(options.clientCA ? { clientCA: options.clientCA } : {}), warnings };
}
