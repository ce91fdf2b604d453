/**
 * The API server's own identity (upstream's loopback user), for the writes it makes itself
 * (policy reconciliation, ClusterRole aggregation): passed as `WriteOptions.user` like a
 * request's user. There is deliberately no ambient request context (AsyncLocalStorage): on
 * Node 20 it turns on promise hooks, which taxed every await of every request.
 */
import type { UserInfo } from './types.js';

/** The API server itself (upstream's loopback identity). */
export const SYSTEM_USER: UserInfo = Object.freeze({
  username: 'system:apiserver',
  groups: ['system:masters', 'system:authenticated'],
});
