/**
 * @kubets/client/testing: fakes for fast controller unit tests. An in-memory object tracker with
 * API server storage semantics, a dynamic client over it with scriptable failures, and a manual
 * clock. Real informers, workqueues and leader electors run unchanged on top of them.
 */
import type { KubeObject } from '@kubets/apimachinery';
import { FakeDynamicClient } from './fake-client.js';
import { ObjectTracker, type ObjectTrackerOptions } from './object-tracker.js';

export { FakeClock, flushAsync } from './fake-clock.js';
export {
  ObjectTracker,
  connectionRefused,
  connectionReset,
  type ObjectTrackerOptions,
  type CloseWatchesOptions,
} from './object-tracker.js';
export {
  FakeDynamicClient,
  failWith,
  hangUntilAborted,
  type Action,
  type Reactor,
  type ReactorOutcome,
} from './fake-client.js';
export {
  BUILTIN_RESOURCES,
  PODS,
  NODES,
  NAMESPACES,
  CONFIGMAPS,
  SECRETS,
  SERVICES,
  DEPLOYMENTS,
  REPLICASETS,
  gvrOf,
  apiVersionOf,
  type ResourceDescriptor,
} from './resources.js';

export interface FakeClientOptions extends ObjectTrackerOptions {
  /** Objects to create first (their apiVersion and kind pick the resource). */
  objects?: readonly KubeObject[];
}

/**
 * A fake clientset (fake.NewSimpleClientset): a tracker seeded with `objects` and a dynamic
 * client over it. `client.tracker` is the tracker.
 */
export function newFakeClient(options: FakeClientOptions = {}): FakeDynamicClient {
  const tracker = new ObjectTracker(options);
  for (const obj of options.objects ?? []) {
    const desc = tracker.descriptorForKind(obj.apiVersion ?? '', obj.kind ?? '');
    if (!desc) {
      throw new Error(
        `no resource serves apiVersion ${JSON.stringify(obj.apiVersion)} kind ${JSON.stringify(obj.kind)}; register it first`,
      );
    }
    tracker.create(desc, obj.metadata?.namespace ?? '', obj);
  }
  return new FakeDynamicClient(tracker);
}
