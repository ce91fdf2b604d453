/**
 * The authenticated user of the request being served, for code deep in a write that has no
 * WriteOptions at hand (RBAC escalation checks run in registry hooks). The REST front door runs
 * every request inside `runAsUser`; the API server's own writes (policy reconciliation,
 * aggregation) run as SYSTEM_USER. Another front door must do the same for its writes.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { UserInfo } from './types.js';

const storage = new AsyncLocalStorage<UserInfo>();

export function runAsUser<T>(user: UserInfo, fn: () => T): T {
  return storage.run(user, fn);
}

export function currentUser(): UserInfo | undefined {
  return storage.getStore();
}

/** The API server itself (upstream's loopback identity). */
export const SYSTEM_USER: UserInfo = Object.freeze({
  username: 'system:apiserver',
  groups: ['system:masters', 'system:authenticated'],
});
