/**
 * ServiceAccount, as upstream's plugin: a pod without `spec.serviceAccountName` gets `default`;
 * a pod naming a service account that does not exist is refused; unless automounting is off
 * (pod first, then service account), every container and init container mounts a projected
 * `kube-api-access-<random>` volume (bound token with expirationSeconds 3607, the
 * kube-root-ca.crt ConfigMap's ca.crt, the namespace through the downward API) at
 * /var/run/secrets/kubernetes.io/serviceaccount; imagePullSecrets come from the service account
 * when the pod has none. Mirror pods are never changed and may not reference service accounts.
 */
import { generateName, isNotFound } from '@kubets/apimachinery';
import type { ApiObject } from '../../storage/codec.js';
import { forbidden } from '../errors.js';
import {
  isMirrorPod,
  isPodCreate,
  podSpec,
  type ContainerLike,
  type PodSpecLike,
} from '../pod-spec.js';
import {
  requestMemo,
  type AdmissionAttributes,
  type MutatingPlugin,
  type Operation,
  type ValidatingPlugin,
} from '../types.js';

export const DEFAULT_SERVICE_ACCOUNT = 'default';
export const TOKEN_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
export const TOKEN_VOLUME_PREFIX = 'kube-api-access-';
/** Upstream's WarnOnlyBoundTokenExpirationSeconds. */
export const TOKEN_EXPIRATION_SECONDS = 3607;

/** Reads a service account; undefined when it does not exist. */
export type ServiceAccountGetter = (
  namespace: string,
  name: string,
) => Promise<ApiObject | undefined>;

/** The projected volume source upstream's plugin adds (TokenVolumeSource). */
export function tokenVolumeSource(): Record<string, unknown> {
  return {
    defaultMode: 420,
    sources: [
      { serviceAccountToken: { path: 'token', expirationSeconds: TOKEN_EXPIRATION_SECONDS } },
      {
        configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] },
      },
      {
        downwardAPI: {
          items: [
            { path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } },
          ],
        },
      },
    ],
  };
}

export function shouldAutomount(sa: ApiObject, spec: PodSpecLike): boolean {
  if (spec.automountServiceAccountToken !== undefined) return spec.automountServiceAccountToken;
  const fromSA = (sa as { automountServiceAccountToken?: boolean }).automountServiceAccountToken;
  return fromSA ?? true;
}

/** Adds the token volume and its mounts (pure; `randomIntn` names a new volume). */
export function mountServiceAccountToken(
  spec: PodSpecLike,
  randomIntn: (n: number) => number,
): void {
  const volumes = spec.volumes ?? [];
  const existing = volumes.find((v) => v.name.startsWith(TOKEN_VOLUME_PREFIX));
  const volumeName = existing?.name ?? generateName(TOKEN_VOLUME_PREFIX, randomIntn);
  let needsVolume = false;
  const mount = (containers: ContainerLike[] | undefined): void => {
    for (const c of containers ?? []) {
      if ((c.volumeMounts ?? []).some((m) => m.mountPath === TOKEN_MOUNT_PATH)) continue;
      c.volumeMounts = [
        ...(c.volumeMounts ?? []),
        { name: volumeName, readOnly: true, mountPath: TOKEN_MOUNT_PATH },
      ];
      needsVolume = true;
    }
  };
  mount(spec.initContainers);
  mount(spec.containers);
  if (!existing && needsVolume) {
    spec.volumes = [...volumes, { name: volumeName, projected: tokenVolumeSource() }];
  }
}

export class ServiceAccountPlugin implements MutatingPlugin, ValidatingPlugin {
  readonly name = 'ServiceAccount';

  constructor(
    private readonly getServiceAccount: ServiceAccountGetter,
    private readonly randomIntn: (n: number) => number,
  ) {}

  handles(op: Operation): boolean {
    return op === 'CREATE';
  }

  async admit(a: AdmissionAttributes): Promise<void> {
    if (!isPodCreate(a) || !a.object) return;
    const pod = a.object;
    if (isMirrorPod(pod)) return;
    const spec = podSpec(pod);
    if (!spec.serviceAccountName) spec.serviceAccountName = DEFAULT_SERVICE_ACCOUNT;
    // The deprecated alias reads the same, as v1 conversion keeps it (defaulting ran before us).
    spec.serviceAccount = spec.serviceAccountName;
    const sa = await this.lookup(a, spec.serviceAccountName);
    if (shouldAutomount(sa, spec)) mountServiceAccountToken(spec, this.randomIntn);
    if ((spec.imagePullSecrets ?? []).length === 0) {
      const fromSA = (sa as { imagePullSecrets?: { name?: string }[] }).imagePullSecrets ?? [];
      if (fromSA.length > 0) spec.imagePullSecrets = fromSA.map((s) => ({ name: s.name ?? '' }));
    }
  }

  async validate(a: AdmissionAttributes): Promise<void> {
    if (!isPodCreate(a) || !a.object) return;
    const pod = a.object;
    const spec = podSpec(pod);
    if (isMirrorPod(pod)) {
      if (spec.serviceAccountName) {
        throw forbidden(a, 'a mirror pod may not reference service accounts');
      }
      const volumes = spec.volumes ?? [];
      if (volumes.some((v) => 'secret' in v)) {
        throw forbidden(a, 'a mirror pod may not reference secrets');
      }
      if (volumes.some((v) => 'projected' in v)) {
        throw forbidden(a, 'a mirror pod may not reference projected volumes');
      }
      return;
    }
    if (!spec.serviceAccountName) return;
    await this.lookup(a, spec.serviceAccountName);
  }

  private async lookup(a: AdmissionAttributes, name: string): Promise<ApiObject> {
    let sa: ApiObject | undefined;
    try {
      sa = await requestMemo(a, `serviceaccount/${a.namespace}/${name}`, () =>
        this.getServiceAccount(a.namespace, name),
      );
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    if (!sa) {
      throw forbidden(
        a,
        `error looking up service account ${a.namespace}/${name}: serviceaccount "${name}" not found`,
      );
    }
    return sa;
  }
}
