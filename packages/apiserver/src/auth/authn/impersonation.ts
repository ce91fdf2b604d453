/**
 * Impersonation (`Impersonate-User`, `Impersonate-Group`, `Impersonate-Uid`,
 * `Impersonate-Extra-<key>`), after upstream's WithImpersonation: each requested attribute is
 * authorized with the `impersonate` verb (users, groups, serviceaccounts, uids, userextras/<key>)
 * for the real user, and the request continues as the impersonated user.
 */
import { newBadRequest } from '@kubets/apimachinery';
import type { Credentials, RequestAttributes, UserInfo } from '../types.js';

const SA_PREFIX = 'system:serviceaccount:';

export type AuthorizeFn = (user: UserInfo, attrs: RequestAttributes) => Promise<void>;

function attrs(
  group: string,
  resource: string,
  name: string,
  namespace = '',
  subresource = '',
): RequestAttributes {
  return {
    kind: 'resource',
    verb: 'impersonate',
    group,
    version: '',
    resource,
    subresource,
    namespace,
    name,
  };
}

export async function impersonate(
  requester: UserInfo,
  request: NonNullable<Credentials['impersonate']>,
  authorize: AuthorizeFn,
): Promise<UserInfo> {
  const username = request.user ?? '';
  const groups = request.groups ?? [];
  const extra = request.extra ?? {};
  const uid = request.uid ?? '';
  if (username === '') {
    if (groups.length > 0 || Object.keys(extra).length > 0 || uid !== '') {
      throw newBadRequest(
        'requested impersonation of groups, extra or uid without impersonating a user',
      );
    }
    return requester;
  }
  const outGroups: string[] = [];
  if (username.startsWith(SA_PREFIX)) {
    const [ns = '', name = ''] = username.slice(SA_PREFIX.length).split(':');
    await authorize(requester, attrs('', 'serviceaccounts', name, ns));
    if (groups.length === 0)
      outGroups.push('system:serviceaccounts', `system:serviceaccounts:${ns}`);
  } else {
    await authorize(requester, attrs('', 'users', username));
  }
  for (const g of groups) {
    await authorize(requester, attrs('', 'groups', g));
    outGroups.push(g);
  }
  for (const [key, values] of Object.entries(extra)) {
    for (const v of values)
      await authorize(requester, attrs('authentication.k8s.io', 'userextras', v, '', key));
  }
  if (uid !== '') await authorize(requester, attrs('authentication.k8s.io', 'uids', uid));
  if (username === 'system:anonymous') {
    if (!outGroups.includes('system:unauthenticated')) outGroups.push('system:unauthenticated');
  } else if (!outGroups.includes('system:authenticated')) {
    outGroups.push('system:authenticated');
  }
  return {
    username,
    ...(uid ? { uid } : {}),
    groups: outGroups,
    ...(Object.keys(extra).length > 0 ? { extra } : {}),
  };
}
